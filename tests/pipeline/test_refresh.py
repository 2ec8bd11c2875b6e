"""Refresh against real databases (SQLite and PostgreSQL): periods, ratios, history, failures, idempotence."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pytest
from sqlalchemy import func, insert, select, text, update

from data.db import get_engine
from data.models import MetricValue, RefreshRun
from data.sources import load_source
from data.store import read_values, unchanged_since_last_run, write_values
from metrics.registry import Registry
from metrics.spec import Grain, SourceCoverage
from metrics.status import Status, assess
from metrics.values import QualityRule
from pipeline.refresh import refresh_all, refresh_metric
from tests.helpers import at, put_events, value_of

VALUES = MetricValue.__table__  # type: ignore[attr-defined]
RUNS = RefreshRun.__table__  # type: ignore[attr-defined]


def test_events_at_fiscal_year_boundary_fall_in_their_fiscal_years(database: str, test_registry: Registry) -> None:
    put_events(test_registry, [
        {"event_id": "a", "happened_at": at("2025-06-30", 23), "district": 1},
        {"event_id": "b", "happened_at": at("2025-07-01", 0), "district": 1},
        {"event_id": "c", "happened_at": at("2025-07-15"), "district": 2},
    ])
    assert refresh_metric(test_registry, "events_count").status == "success"
    assert value_of("events_count", "fiscal_year", dt.date(2024, 7, 1)).value == 1
    assert value_of("events_count", "fiscal_year", dt.date(2025, 7, 1)).value == 2
    assert value_of("events_count", "fiscal_quarter", dt.date(2025, 4, 1)).value == 1
    assert value_of("events_count", "month", dt.date(2025, 7, 1), "district", "2").value == 1


def test_a_year_that_began_before_the_source_is_held_out_unless_the_source_says_it_covers_it(
        database: str, baltimore_registry: Registry) -> None:
    """Baltimore's illegal dumping requests begin on 2014-01-01: FY2014 holds only its second half."""
    source = baltimore_registry.sources["illegal_dumping_requests"]
    load_source(source, fy_start_month=7, timezone=baltimore_registry.city.timezone,
                geographies=baltimore_registry.city.geographies, progress=lambda _: None)
    assert refresh_metric(baltimore_registry, "illegal_dumping_requests").status == "success"
    fy2014 = value_of("illegal_dumping_requests", "fiscal_year", dt.date(2013, 7, 1))
    assert fy2014.questionable and [f.rule for f in fy2014.flags] == [QualityRule.INCOMPLETE]
    assert fy2014.flags[0].reason.startswith("the source's data begins on 2014-01-01, after FY2014 began on 2013-07-01")
    assert value_of("illegal_dumping_requests", "fiscal_year", dt.date(2013, 7, 1), "council_district",
                    "1").questionable
    assert not value_of("illegal_dumping_requests", "fiscal_year", dt.date(2014, 7, 1)).flags
    assert not value_of("illegal_dumping_requests", "month", dt.date(2014, 1, 1)).flags

    declared = source.model_copy(update={"coverage": SourceCoverage(start=dt.date(2013, 7, 1))})
    covered = dataclasses.replace(baltimore_registry, sources={**baltimore_registry.sources, source.id: declared})
    assert refresh_metric(covered, "illegal_dumping_requests").status == "success"
    assert not value_of("illegal_dumping_requests", "fiscal_year", dt.date(2013, 7, 1)).flags


def test_ratio_keeps_numerator_denominator_and_percent_as_fraction(database: str, test_registry: Registry) -> None:
    due = at("2025-08-10")
    put_events(test_registry, [
        {"event_id": "1", "happened_at": at("2025-08-01"), "due_at": due, "closed_at": at("2025-08-05"), "district": 1},
        {"event_id": "2", "happened_at": at("2025-08-01"), "due_at": due, "closed_at": at("2025-08-09"), "district": 1},
        {"event_id": "3", "happened_at": at("2025-08-02"), "due_at": due, "closed_at": at("2025-08-20"), "district": 2},
        {"event_id": "4", "happened_at": at("2025-08-03"), "due_at": due, "closed_at": at("2025-08-10"), "district": 2},
        {"event_id": "5", "happened_at": at("2025-08-03"), "due_at": due, "closed_at": None, "district": 2},
    ])
    refresh_metric(test_registry, "closed_on_time")
    city = value_of("closed_on_time", "month", dt.date(2025, 8, 1))
    assert (city.value, city.numerator, city.denominator) == (0.75, 3, 4)
    district = value_of("closed_on_time", "fiscal_year", dt.date(2025, 7, 1), "district", "2")
    assert (district.value, district.numerator, district.denominator) == (0.5, 1, 2)


def test_restatement_keeps_previous_version_readable_as_of(database: str, test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "amount": 100.0}])
    refresh_metric(test_registry, "patrol_spend")
    with get_engine().connect() as conn:
        between = conn.execute(select(func.max(VALUES.c.valid_from))).scalar()
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "amount": 100.0},
                               {"event_id": "b", "happened_at": at("2025-08-02"), "amount": 50.0}])
    result = refresh_metric(test_registry, "patrol_spend")
    assert result.written == 2  # the month and the fiscal year were restated
    with get_engine().connect() as conn:
        before = read_values(conn, ["patrol_spend"], as_of=between, grain="month")["patrol_spend"]
        now = read_values(conn, ["patrol_spend"], grain="month")["patrol_spend"]
        versions = conn.execute(select(func.count()).where(VALUES.c.metric_id == "patrol_spend")).scalar()
    assert [r.value for r in before] == [100.0]
    assert [r.value for r in now] == [150.0]
    assert versions == 4


def test_second_refresh_writes_nothing(database: str, test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 3}])
    first = refresh_all(test_registry)
    second = refresh_all(test_registry)
    assert sum(r.written for r in first) > 0
    assert [r.written for r in second] == [0, 0, 0]


def test_a_refresh_from_the_same_inputs_as_the_last_reads_and_writes_nothing(database: str,
                                                                            test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 3}])
    refresh_all(test_registry)
    with get_engine().connect() as conn:
        unchanged = unchanged_since_last_run(conn, sorted(test_registry.metrics))
        digests = dict(conn.execute(select(RUNS.c.metric_id, RUNS.c.digest)).all())
    assert {metric_id: last.digest for metric_id, last in unchanged.items()} == digests and len(unchanged) == 3
    second = refresh_all(test_registry)
    assert [(r.status, r.written) for r in second] == [("success", 0)] * 3
    with get_engine().connect() as conn:
        kept = conn.execute(select(RUNS.c.rows_unchanged).where(RUNS.c.metric_id == "events_count")
                            .order_by(RUNS.c.id.desc())).first()
    assert kept is not None and kept[0] == second[1].rows > 0  # every value counted as unchanged, none read


def test_a_skipped_refresh_keeps_its_warnings_and_a_changed_definition_is_recomputed(
        database: str, test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 3},
                               {"event_id": "b", "happened_at": at("2025-09-12"), "district": 3}])
    [first] = refresh_all(test_registry, ["events_count"])
    [again] = refresh_all(test_registry, ["events_count"])
    assert first.warnings and again.warnings == first.warnings and again.rows == first.rows  # Sep is partial
    monthly = test_registry.metrics["events_count"].model_copy(update={"grains": (Grain.MONTH,)})
    changed = dataclasses.replace(test_registry, metrics={**test_registry.metrics, "events_count": monthly})
    [redone] = refresh_all(changed, ["events_count"])
    assert redone.rows < first.rows  # computed anew for the new definition (fewer grains), not skipped


def test_a_value_written_since_the_last_refresh_is_not_taken_as_unchanged(database: str,
                                                                          test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 3}])
    refresh_all(test_registry)
    month = value_of("events_count", "month", dt.date(2025, 8, 1))
    with get_engine().begin() as conn:  # another writer (a data call's publication, say) after the last run
        write_values(conn, "events_count", [dataclasses.replace(month, value=7.0)], run_id=None)
        assert "events_count" not in unchanged_since_last_run(conn, ["events_count"])
    [again] = refresh_all(test_registry, ["events_count"])
    assert again.written == 1 and value_of("events_count", "month", dt.date(2025, 8, 1)).value == 1


def test_failing_source_keeps_last_good_values_and_marks_stale(database: str, test_registry: Registry,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 3}])
    assert refresh_metric(test_registry, "events_count").status == "success"
    with get_engine().begin() as conn:
        conn.execute(text("DROP TABLE src_events"))
    with caplog.at_level(logging.WARNING, logger="pipeline.refresh"):
        failed = refresh_metric(test_registry, "events_count")
    other = refresh_metric(test_registry, "closed_on_time")
    assert any(r.exc_info for r in caplog.records)  # the traceback is in the server log
    assert failed.status == "failed" and "src_events" in (failed.error or "")
    assert other.status == "failed"
    with get_engine().connect() as conn:
        kept = read_values(conn, ["events_count"], geography="city")["events_count"]
        run = conn.execute(select(RUNS).order_by(RUNS.c.id.desc()).limit(1)).one()
    assert value_of("events_count", "month", dt.date(2025, 8, 1)).value == 1
    assert run.status == "failed" and run.finished_at is not None and "src_events" in run.error
    assert "SELECT" not in run.error and "Traceback" not in run.error  # staff read it; the log keeps the rest
    result = assess(test_registry.metrics["events_count"], kept, city=test_registry.city, today=dt.date(2025, 8, 20),
                    last_refresh_failed=run.started_at)
    assert result.status is Status.STALE
    assert "last refresh failed" in result.sentence


def test_duplicate_keys_in_one_write_keep_the_last(database: str) -> None:
    from data.store import write_values
    from metrics.values import ValueRow

    august = dt.date(2025, 8, 1)
    rows = [ValueRow("month", august, "city", "", 1.0), ValueRow("month", august, "city", "", 2.0)]
    with get_engine().begin() as conn:
        result = write_values(conn, "m", rows, run_id=None)
    assert result.inserted == 1
    with get_engine().connect() as conn:
        assert [r.value for r in read_values(conn, ["m"])["m"]] == [2.0]


def test_current_value_is_unique_per_key_in_the_database(database: str) -> None:
    from sqlalchemy.exc import IntegrityError

    row = {"metric_id": "m", "grain": "month", "period_start": dt.date(2025, 8, 1), "geography": "city",
           "geo_key": "", "value": 1.0, "valid_from": dt.datetime(2025, 8, 2, tzinfo=dt.UTC)}
    with get_engine().begin() as conn:
        conn.execute(insert(VALUES), [row])
    with pytest.raises(IntegrityError), get_engine().begin() as conn:
        conn.execute(insert(VALUES), [row | {"valid_from": dt.datetime(2025, 8, 3, tzinfo=dt.UTC)}])
    with get_engine().begin() as conn:
        conn.execute(update(VALUES).values(valid_to=dt.datetime(2025, 8, 3, tzinfo=dt.UTC)))
        conn.execute(insert(VALUES), [row | {"valid_from": dt.datetime(2025, 8, 3, tzinfo=dt.UTC)}])


def test_a_large_write_reads_back_exactly_and_is_not_written_twice(database: str) -> None:
    """Hundreds of versions go to PostgreSQL by COPY: every field, awkward text and extreme floats included."""
    from data.store import COPY_FROM
    from metrics.values import Flag, QualityRule, ValueRow

    flag = (Flag(QualityRule.OUTLIER, 'a "spike"\tof 10×\\n the median'),)
    rows = [ValueRow("month", dt.date(2000 + n // 12, n % 12 + 1, 1), "council_district", str(n % 14 + 1),
                     [1.2345678901234567, 1e-300, -0.0, 12.0][n % 4] * (n + 1), n + 0.5 if n % 3 else None, 3.0,
                     note="line one\nline two, tab\there" if n % 7 == 0 else None,
                     flags=flag if n % 5 == 0 else (), covered_through=dt.date(2020, 1, 15) if n == 0 else None)
            for n in range(COPY_FROM * 3)]
    with get_engine().begin() as conn:
        assert write_values(conn, "m", rows, run_id=None).inserted == len(rows)
    with get_engine().connect() as conn:
        stored = read_values(conn, ["m"])["m"]
    assert sorted(stored, key=lambda r: r.key) == sorted(rows, key=lambda r: r.key)
    with get_engine().begin() as conn:
        again = write_values(conn, "m", [*rows[:-1], dataclasses.replace(rows[-1], value=2.0)], run_id=None)
    assert (again.inserted, again.restated, again.unchanged) == (0, 1, len(rows) - 1)


def test_the_inputs_digest_ignores_float_noise_but_not_a_change(test_registry: Registry) -> None:
    """PostgreSQL sums a group's floats in another order from one query to the next: the last bits are noise."""
    from metrics.quality import Coverage
    from pipeline.compute import inputs_digest

    metric = test_registry.metrics["events_count"]

    def digest(days: float) -> str:
        return inputs_digest(metric, [{"month": dt.date(2025, 8, 1), "district": 3, "days": days, "n": 4}],
                             Coverage(dt.date(2025, 9, 1)), 7)

    assert digest(0.1 + 0.2 + 0.3) == digest(0.3 + 0.2 + 0.1) and 0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1
    assert digest(0.6) != digest(0.6000001)
