"""Warm page data: after a refresh each worker rebuilds statuses in the background, before the first visitor."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from dashboard.warmer import keep_warm
from data.access import Gate
from data.db import get_engine
from data.policy import ANONYMOUS
from metrics.registry import Registry
from pipeline.refresh import refresh_all
from tests.helpers import at, put_events


@contextmanager
def value_reads() -> Iterator[list[str]]:
    """The statements reading stored values (rows of values) while the block runs."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("SELECT metric_value.id"):
            seen.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def until_published(gate: Gate, timeout: float = 20.0) -> None:
    """Wait until public requests read the latest version (its page data built in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gate.published == gate.latest_version():
            gate.serve(lambda: True)
            return
        time.sleep(0.05)
    raise AssertionError("the page data of the latest version was never published")


def test_the_first_visit_after_a_refresh_never_waits_for_statuses(database: str, test_registry: Registry) -> None:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 3}])
    refresh_all(test_registry)
    gate, stop = Gate(test_registry), threading.Event()
    keep_warm(gate, every=0.05, stop=stop)
    until_published(gate)
    stop.set()
    with value_reads() as reads:
        before = gate.snapshot(ANONYMOUS, gate.today())
    assert reads == [] and before.assessments  # built in the background, before anyone asked

    put_events(test_registry, [{"event_id": "b", "happened_at": at("2025-08-02"), "district": 3}])
    refresh_all(test_registry)  # a refresh lands: visitors read the last published data until the new is built
    gate.serve(lambda: True)
    with value_reads() as reads:
        assert gate.snapshot(ANONYMOUS, gate.today()) == before
    assert reads == []
    gate.serve(lambda: False)  # staff read the latest at once, built on request
    with value_reads() as reads:
        staff = gate.snapshot(ANONYMOUS, gate.today())
    assert reads and staff.city_values != before.city_values

    stop = threading.Event()
    keep_warm(gate, every=0.05, stop=stop)
    try:
        until_published(gate)
        with value_reads() as reads:
            after = gate.snapshot(ANONYMOUS, gate.today())
        assert reads == [] and after.city_values == staff.city_values
    finally:
        stop.set()


def test_viewers_asking_at_once_share_one_build_and_scopes_share_statuses(database: str,
                                                                          test_registry: Registry) -> None:
    from data.models import Role
    from data.policy import Viewer

    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "district": 3}])
    refresh_all(test_registry)
    gate = Gate(test_registry)
    today = gate.today()
    with value_reads() as reads:
        threads = [threading.Thread(target=gate.snapshot, args=(ANONYMOUS, today)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        staff = gate.snapshot(Viewer(Role.ADMIN, "a"), today)
    public = gate.snapshot(ANONYMOUS, today)
    assert len(reads) == 1  # eight visitors and an admin: every status read and judged once
    assert set(public.assessments) < set(staff.assessments)  # each scope still sees only its own
    assert set(public.assessments) == {m.id for m in gate.metrics(ANONYMOUS)}
