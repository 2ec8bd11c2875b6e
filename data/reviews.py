"""The performance team's review of values the quality gate flagged: confirmed correct (the value counts again)
or marked wrong (it stays out), with a reason, audited.

A review belongs to the value it was given on: when the value is restated, the new value needs its own
review. Reads apply the latest review of each value as it stood at the moment read (``as_of``), so a
CitiStat session frozen before a review still shows what was said in the room.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, ScalarSelect, func, insert, select

from data.audit import record
from data.db import get_engine
from data.errors import Forbidden
from data.input import InputError, parse_date, required_text
from data.models import MetricValue, ValueReview, aware, utcnow
from data.policy import Viewer
from data.store import read_values, same_number
from metrics.spec import Grain, MetricSpec
from metrics.values import ValueRow, Verdict


class Metrics(Protocol):
    """What a review needs of the read gate (``data.access.Gate``): the metric, if this viewer may see it."""

    def metric(self, viewer: Viewer, metric_id: str) -> MetricSpec: ...

REVIEW = ValueReview.__table__  # type: ignore[attr-defined]
VALUE = MetricValue.__table__  # type: ignore[attr-defined]
MAX_REASON = 1000
Key = tuple[str, str, dt.date, str, str]  # metric, grain, period start, geography, geography key


@dataclass(frozen=True)
class Review:
    verdict: Verdict
    value: float | None
    reason: str
    reviewer: str
    reviewed_at: dt.datetime


def review_value(gate: Metrics, viewer: Viewer, metric_id: str, *, period: str, place: str, verdict: str,
                 reason: str) -> Verdict:
    """Confirm or mark wrong the current value of ``metric_id`` for ``period`` (``grain:YYYY-MM-DD``) and
    ``place`` (``geography:key``). Admins only."""
    if not viewer.can_manage:
        raise Forbidden("only the performance team reviews values")
    gate.metric(viewer, metric_id)
    if verdict not in Verdict.__members__.values():
        raise InputError("Verdict: choose 'Correct as reported' or 'Wrong'")
    grain_text, _, start_text = period.partition(":")
    if grain_text not in Grain.__members__.values():
        raise InputError(f"Period: '{period[:40]}' is not a period of this measure")
    start = parse_date(start_text, "Period")
    geography, _, geo_key = place.partition(":")
    reason = required_text(reason, "Reason (what was checked, and with whom)", MAX_REASON)
    with get_engine().begin() as conn:
        current = conn.execute(select(VALUE.c.value).where(
            VALUE.c.metric_id == metric_id, VALUE.c.grain == grain_text, VALUE.c.period_start == start,
            VALUE.c.geography == geography, VALUE.c.geo_key == geo_key, VALUE.c.valid_to.is_(None))).first()
        if current is None:
            raise InputError(f"Period: this measure has no current {grain_text} value starting {start} there")
        previous = latest_reviews(conn, [metric_id]).get((metric_id, grain_text, start, geography, geo_key))
        row = {"metric_id": metric_id, "grain": grain_text, "period_start": start, "geography": geography,
               "geo_key": geo_key, "value": current.value, "verdict": verdict, "reason": reason}
        review_id = conn.execute(insert(REVIEW).returning(REVIEW.c.id)
                                 .values(**row, reviewer=viewer.user_id, reviewed_at=utcnow())).scalar_one()
        record(conn, actor=str(viewer.user_id), action=f"value {verdict}", object_type="value_review",
               object_id=str(review_id), before=dataclasses.asdict(previous) if previous else None, after=row)
    return Verdict(verdict)


def latest_reviews(conn: Connection, metric_ids: Iterable[str], as_of: dt.datetime | None = None
                   ) -> dict[Key, Review]:
    """The latest review of each value of ``metric_ids`` (given by ``as_of``)."""
    ids = list(metric_ids)
    if not ids:
        return {}
    query = select(REVIEW).where(REVIEW.c.metric_id.in_(ids))
    if as_of is not None:
        query = query.where(REVIEW.c.reviewed_at <= as_of)
    out: dict[Key, Review] = {}
    for r in conn.execute(query.order_by(REVIEW.c.id)):
        out[(r.metric_id, r.grain, r.period_start, r.geography, r.geo_key)] = _review(r)
    return out


def reviewed_values(conn: Connection, metric_ids: list[str], *, as_of: dt.datetime | None = None,
                    grain: str | None = None, geography: str | None = None) -> dict[str, list[ValueRow]]:
    """Values with the performance team's verdicts as they stood at ``as_of`` (now by default)."""
    values = read_values(conn, metric_ids, as_of=as_of, grain=grain, geography=geography)
    found = latest_reviews(conn, metric_ids, as_of=as_of)
    return {metric_id: with_verdicts(metric_id, rows, found) for metric_id, rows in values.items()}


def with_verdicts(metric_id: str, rows: list[ValueRow], found: dict[Key, Review]) -> list[ValueRow]:
    """``rows`` with the verdict of the review each was given, if the value is still the one reviewed."""
    if not found:
        return rows
    out = []
    for row in rows:
        review = found.get((metric_id, *row.key))
        out.append(dataclasses.replace(row, verdict=review.verdict)
                   if review is not None and same_number(review.value, row.value) else row)
    return out


def version() -> ScalarSelect[Any]:
    """Changes with every review (status and pages depend on them): a subquery, so it rides on another read."""
    return select(func.coalesce(func.max(REVIEW.c.id), 0)).scalar_subquery()


def _review(r: Any) -> Review:
    return Review(Verdict(r.verdict), r.value, r.reason, r.reviewer, aware(r.reviewed_at))

