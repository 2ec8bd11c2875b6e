"""The score history read from the store: each recent quarter end judged with the values the store held that day
(its as-of history, with the reviews given by then); for a day before that history began, with today's values of
the periods that had ended by then, marked as reconstructed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from data.db import get_engine
from data.models import MetricValue, aware
from data.reviews import reviewed_values
from metrics.registry import Registry
from metrics.score_history import Basis, ScorePoint, in_hand, quarter_ends, quarter_label, scores_on
from metrics.spec import MetricSpec
from metrics.values import CITY

VALUE = MetricValue.__table__  # type: ignore[attr-defined]


def read_score_history(registry: Registry, metrics: list[MetricSpec], today: dt.date) -> list[ScorePoint]:
    """One point per quarter end of the last two years, oldest first."""
    ids = [m.id for m in metrics]
    zone = ZoneInfo(registry.city.timezone)
    fy_start = registry.city.fiscal_year_start_month
    points = []
    with get_engine().connect() as conn:
        first = conn.execute(select(func.min(VALUE.c.valid_from)).where(VALUE.c.metric_id.in_(ids))).scalar()
        current = reviewed_values(conn, ids, geography=CITY)
        for day in quarter_ends(today, fy_start):
            close = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)  # the day's end, city time
            if first is not None and aware(first) < close:
                values, basis = reviewed_values(conn, ids, as_of=close, geography=CITY), Basis.PUBLISHED
            else:
                values, basis = {k: in_hand(rows, day) for k, rows in current.items()}, Basis.RECONSTRUCTED
            points.append(ScorePoint(day, quarter_label(day, fy_start), basis, scores_on(registry, metrics, values,
                                                                                          day)))
    return points
