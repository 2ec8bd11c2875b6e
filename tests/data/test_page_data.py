"""Page data kept current: brought up to date after refreshes, failures, reviews, target decisions and a new day, it
is what a full build gives, and only the metrics those touched are read and judged again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, text, update

from data import reviews
from data.access import Gate
from data.db import get_engine
from data.models import RefreshRun, Role, RunStatus, utcnow
from data.page_data import PageData, page_data
from data.policy import Viewer
from data.store import write_values
from metrics.registry import Registry
from metrics.spec import Target
from metrics.status import Status
from metrics.values import CITY, ValueRow
from pipeline.refresh import refresh_all
from tests.helpers import at, put_events

RUN = RefreshRun.__table__  # type: ignore[attr-defined]
TODAY = dt.date(2025, 11, 20)
ADMIN = Viewer(Role.ADMIN, "ana")


def built(registry: Registry, today: dt.date = TODAY, previous: PageData | None = None) -> PageData:
    with get_engine().connect() as conn:
        return page_data(conn, registry, today, previous)


def assert_same(kept: PageData, full: PageData) -> None:
    assert kept.assessments == full.assessments
    assert kept.city_values == full.city_values
    assert (kept.last_success, kept.last_failure) == (full.last_success, full.last_failure)
    assert [(q.day, q.basis, q.assessments) for q in kept.quarter_ends] == \
        [(q.day, q.basis, q.assessments) for q in full.quarter_ends]


def events(*days: str) -> list[dict[str, object]]:
    return [{"event_id": f"e{n}", "happened_at": at(day), "district": 1 + n % 3, "amount": 10.0 * n}
            for n, day in enumerate(days)]


def test_brought_up_to_date_it_is_what_a_full_build_gives(database: str, test_registry: Registry) -> None:
    put_events(test_registry, events("2025-08-01", "2025-08-02", "2025-09-03"))
    refresh_all(test_registry)
    kept = built(test_registry)

    def step() -> PageData:
        nonlocal kept
        kept = built(test_registry, TODAY, kept)
        assert_same(kept, built(test_registry))
        return kept

    put_events(test_registry, events("2025-08-01", "2025-09-03", "2025-10-04", "2025-10-05"))  # August restated
    refresh_all(test_registry)
    before = kept.city_values["events_count"]
    assert step().city_values["events_count"] != before
    with get_engine().begin() as conn:
        conn.execute(text("DROP TABLE src_events"))
    refresh_all(test_registry)  # every metric's refresh fails: stale, the last good values kept
    assert step().assessments["events_count"].status is Status.STALE
    put_events(test_registry, events("2025-08-01", "2025-09-03", "2025-10-04"))
    refresh_all(test_registry)
    assert step().assessments["events_count"].status is not Status.STALE
    reviews.review_value(Gate(test_registry), ADMIN, "events_count", period="month:2025-09-01", place="city:",
                         verdict="wrong", reason="Checked with the agency's data lead")
    step()

    assert_same(built(test_registry, TODAY + dt.timedelta(days=1), kept),
                built(test_registry, TODAY + dt.timedelta(days=1)))  # a new day: everything judged again
    next_quarter = dt.date(2026, 1, 5)  # a new quarter end in the history
    assert_same(built(test_registry, next_quarter, kept), built(test_registry, next_quarter))


def test_a_target_decision_judges_that_metric_again_today_and_at_every_quarter_end(
        database: str, test_registry: Registry) -> None:
    put_events(test_registry, events("2025-07-01", "2025-08-02", "2025-09-03"))
    refresh_all(test_registry)
    kept = built(test_registry)
    metric = test_registry.metrics["events_count"]
    decided = Registry(**{**test_registry.__dict__, "metrics": {
        **test_registry.metrics, metric.id: metric.model_copy(update={"targets": (
            Target(fiscal_year=2026, value=0.5),)})}})
    again = built(decided, TODAY, kept)
    assert_same(again, built(decided))
    assert again.assessments["events_count"] != kept.assessments["events_count"]
    assert again.assessments["patrol_spend"] is kept.assessments["patrol_spend"]


def test_only_the_metrics_a_change_touched_are_read_and_judged_again(database: str,
                                                                     test_registry: Registry) -> None:
    put_events(test_registry, events("2025-08-01", "2025-08-02", "2025-09-03"))
    refresh_all(test_registry)
    kept = built(test_registry)

    refresh_all(test_registry)  # nothing changed: nothing read or judged again
    same = built(test_registry, TODAY, kept)
    assert all(same.city_values[m] is kept.city_values[m] for m in kept.city_values)
    assert all(same.assessments[m] is kept.assessments[m] for m in kept.assessments)
    assert same.last_success != kept.last_success  # the new runs are known

    reviews.review_value(Gate(test_registry), ADMIN, "events_count", period="month:2025-08-01", place="city:",
                         verdict="wrong", reason="Checked with the agency's data lead")
    reviewed = built(test_registry, TODAY, same)
    assert reviewed.city_values["events_count"] is not same.city_values["events_count"]
    assert reviewed.city_values["patrol_spend"] is same.city_values["patrol_spend"]
    assert reviewed.assessments["patrol_spend"] is same.assessments["patrol_spend"]
    assert_same(reviewed, built(test_registry))


def test_a_run_that_finishes_or_commits_after_a_build_is_read_by_the_next(database: str,
                                                                        test_registry: Registry) -> None:
    put_events(test_registry, events("2025-08-01", "2025-09-03"))
    refresh_all(test_registry)
    with get_engine().begin() as conn:  # a refresh has started, not finished
        running = conn.execute(insert(RUN).values(metric_id="events_count", status=RunStatus.RUNNING,
                                                  started_at=utcnow()).returning(RUN.c.id)).scalar_one()
    kept = built(test_registry)
    assert running in kept.runs.pending
    with get_engine().begin() as conn:
        write_values(conn, "events_count", [ValueRow("month", dt.date(2025, 10, 1), CITY, "", 7.0)], run_id=running)
        conn.execute(update(RUN).where(RUN.c.id == running).values(status=RunStatus.SUCCESS, finished_at=utcnow(),
                                                                   rows_written=1))
    kept = built(test_registry, TODAY, kept)
    assert_same(kept, built(test_registry))
    assert kept.city_values["events_count"][-1].value == 7.0

    top = kept.runs.last_id
    with get_engine().begin() as conn:  # run top + 10 commits first, then top + 5: a lower id committed later
        conn.execute(insert(RUN).values(id=top + 10, metric_id="patrol_spend", status=RunStatus.SUCCESS,
                                        started_at=utcnow(), finished_at=utcnow()))
    kept = built(test_registry, TODAY, kept)
    with get_engine().begin() as conn:
        conn.execute(insert(RUN).values(id=top + 5, metric_id="events_count", status=RunStatus.SUCCESS,
                                        started_at=utcnow(), finished_at=utcnow(), rows_written=1))
        write_values(conn, "events_count", [ValueRow("month", dt.date(2025, 10, 1), CITY, "", 9.0)], run_id=top + 5)
    kept = built(test_registry, TODAY, kept)
    assert kept.city_values["events_count"][-1].value == 9.0
    assert_same(kept, built(test_registry))


def test_a_new_day_is_judged_from_the_values_the_gate_read_the_day_before(database: str,
                                                                          test_registry: Registry) -> None:
    put_events(test_registry, events("2025-08-01", "2025-09-03"))
    refresh_all(test_registry)
    gate = Gate(test_registry)
    today = gate.snapshot(ADMIN, TODAY)
    tomorrow = gate.snapshot(ADMIN, TODAY + dt.timedelta(days=1))
    assert tomorrow.city_values["events_count"] is today.city_values["events_count"]
    assert tomorrow.assessments == Gate(test_registry).snapshot(ADMIN, TODAY + dt.timedelta(days=1)).assessments
