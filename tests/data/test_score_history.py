"""The score history from the store: a quarter end the store's history reaches is judged with the values it held
that day (a later restatement does not rewrite it); one before that history is reconstructed from today's values
of the periods then ended; the last point is the score the pages show; internal measures count only for staff."""

from __future__ import annotations

import datetime as dt

from data.access import Gate
from data.db import get_engine
from data.models import Role
from data.policy import ANONYMOUS, Viewer
from data.store import write_values
from metrics.registry import Registry
from metrics.score_history import Basis, judged_on, summaries_of
from metrics.scores import Level, Summary
from metrics.spec import MetricSpec
from metrics.values import CITY, ValueRow

TODAY = dt.date(2026, 2, 1)


def scores_on(registry: Registry, metrics: list[MetricSpec], values: dict[str, list[ValueRow]], day: dt.date
              ) -> dict[str, Summary]:
    """The city's and each pillar's summary, judging every metric with ``values`` as of ``day``."""
    return summaries_of(registry, metrics, judged_on(registry, metrics, values, day))


def _months(values: dict[int, float]) -> list[ValueRow]:
    return [ValueRow("month", dt.date(2025 if month > 6 else 2026, month, 1), CITY, "", value)
            for month, value in values.items()]


def _write(metric_id: str, rows: list[ValueRow], when: str) -> None:
    with get_engine().begin() as conn:
        write_values(conn, metric_id, rows, run_id=None, now=dt.datetime.fromisoformat(f"{when}T15:00:00+00:00"))


def test_each_quarter_end_is_judged_with_the_values_held_that_day(database: str, test_registry: Registry) -> None:
    published = _months({7: 5.0, 8: 5.0, 9: 5.0})
    _write("events_count", published, "2025-10-05")  # the store's history begins after the Sep 30 quarter end
    _write("patrol_spend", published, "2025-10-05")
    restated = _months({7: 50.0, 8: 5.0, 9: 5.0, 10: 5.0, 11: 5.0, 12: 5.0})
    _write("events_count", restated, "2026-01-10")  # July restated after the Dec 31 quarter end
    reads = Gate(test_registry)
    points = reads.score_history(ANONYMOUS, TODAY)
    by_day = {p.day: p for p in points}
    public = reads.metrics(ANONYMOUS)

    september, december = by_day[dt.date(2025, 9, 30)], by_day[dt.date(2025, 12, 31)]
    assert september.basis is Basis.RECONSTRUCTED and september.label == "FY2026 Q1"
    assert september.scores == scores_on(test_registry, public, {"events_count": restated[:3]}, september.day)
    assert december.basis is Basis.PUBLISHED and december.label == "FY2026 Q2"
    assert december.scores == scores_on(test_registry, public, {"events_count": published}, december.day)
    assert december.scores[CITY].score != scores_on(test_registry, public, {"events_count": restated},
                                                    december.day)[CITY].score  # the restatement came later

    now = points[-1]
    assert now.basis is Basis.CURRENT and now.label == "Now" and now.day == TODAY
    assert now.scores == {**reads.summaries(ANONYMOUS, TODAY, Level.CITY),
                          **reads.summaries(ANONYMOUS, TODAY, Level.PILLAR)}
    assert [p.day for p in points] == sorted(p.day for p in points) and len(points) == 9
    assert all("1" not in p.scores for p in points)  # pillar 1 holds only the internal measure
    staff = reads.score_history(Viewer(Role.ADMIN, "a"), TODAY)
    assert staff[-1].scores["1"].metrics == 1 and december.scores[CITY].metrics == 2


def test_an_empty_store_has_a_history_of_unscored_points(database: str, test_registry: Registry) -> None:
    points = Gate(test_registry).score_history(ANONYMOUS, TODAY)
    assert len(points) == 9 and all(p.scores[CITY].score is None for p in points)
