"""The read gate: internal metrics never reach an anonymous viewer; agency users see only their own."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from data.access import Gate
from data.errors import Forbidden, NotFound
from data.models import Role
from data.policy import ANONYMOUS, Viewer
from metrics.publishable import publishable
from metrics.registry import Registry
from metrics.scores import Level
from pipeline.refresh import refresh_all
from tests.helpers import at, put_events

INTERNAL = "patrol_spend"


@pytest.fixture
def gate(database: str, test_registry: Registry) -> Gate:
    put_events(test_registry, [{"event_id": "a", "happened_at": at("2025-08-01"), "amount": 10.0, "district": 1}])
    refresh_all(test_registry)
    return Gate(test_registry)


def test_anonymous_viewer_never_gets_an_internal_metric(gate: Gate) -> None:
    assert INTERNAL not in [m.id for m in gate.metrics(ANONYMOUS)]
    with pytest.raises(NotFound):
        gate.metric(ANONYMOUS, INTERNAL)
    with pytest.raises(NotFound):
        gate.values(ANONYMOUS, INTERNAL)
    assert INTERNAL not in gate.assessments(ANONYMOUS, dt.date(2025, 9, 1))
    summaries = gate.summaries(ANONYMOUS, dt.date(2025, 9, 1), Level.PILLAR)
    assert "1" not in summaries  # pillar 1 holds only the internal metric


def test_unknown_and_hidden_metrics_look_the_same(gate: Gate) -> None:
    with pytest.raises(NotFound) as hidden:
        gate.metric(ANONYMOUS, INTERNAL)
    with pytest.raises(NotFound) as unknown:
        gate.metric(ANONYMOUS, "no_such_metric")
    assert type(hidden.value) is type(unknown.value)
    assert str(hidden.value).replace(INTERNAL, "X") == str(unknown.value).replace("no_such_metric", "X")


def test_signed_in_roles(gate: Gate) -> None:
    admin = Viewer(Role.ADMIN, "a")
    police = Viewer(Role.AGENCY, "p", frozenset({"AG2"}))
    works = Viewer(Role.AGENCY, "w", frozenset({"AG1"}))
    assert [r.value for r in gate.values(admin, INTERNAL, grain="month")] == [10.0]
    assert gate.metric(police, INTERNAL).id == INTERNAL
    with pytest.raises(Forbidden):  # signed in, wrong scope: told so (anonymous viewers get NotFound)
        gate.metric(works, INTERNAL)
    assert INTERNAL in gate.assessments(Viewer(Role.VIEWER, "v"), dt.date(2025, 9, 1))


def test_assessments_are_cached_until_a_refresh_lands(gate: Gate, test_registry: Registry) -> None:
    day = dt.date(2025, 9, 1)
    first = gate.assessments(ANONYMOUS, day)
    assert gate.assessments(ANONYMOUS, day) is first
    put_events(test_registry, [{"event_id": "b", "happened_at": at("2025-08-02")}])
    refresh_all(test_registry, ["events_count"])
    assert gate.assessments(ANONYMOUS, day) is not first


def test_viewers_who_see_the_same_data_share_it_and_agencies_get_their_own(gate: Gate) -> None:
    day = dt.date(2025, 9, 1)
    admin, viewer = Viewer(Role.ADMIN, "a"), Viewer(Role.VIEWER, "v")
    police = Viewer(Role.AGENCY, "p", frozenset({"AG2"}))
    assert gate.score_history(admin, day) is gate.score_history(viewer, day)
    assert gate.snapshot(admin, day) is gate.snapshot(viewer, day)
    assert gate.snapshot(police, day) is not gate.snapshot(admin, day)
    assert INTERNAL in gate.snapshot(police, day).assessments
    assert INTERNAL not in gate.snapshot(Viewer(Role.AGENCY, "w", frozenset({"AG1"})), day).assessments


def test_data_health_needs_an_internal_viewer_and_lists_failures(gate: Gate) -> None:
    from sqlalchemy import text

    from data.db import get_engine
    from pipeline.refresh import refresh_metric

    with pytest.raises(Forbidden):
        gate.health(ANONYMOUS)
    with get_engine().begin() as conn:
        conn.execute(text("DROP TABLE src_events"))
    refresh_metric(gate.registry, "events_count")
    runs, _loads = gate.health(Viewer(Role.AGENCY, "w", frozenset({"AG1"})))
    by_id = {r.metric.id: r for r in runs}
    assert INTERNAL not in by_id  # another agency's metric
    assert set(by_id) == {"events_count", "closed_on_time"}
    assert by_id["events_count"].status == "failed" and "src_events" in (by_id["events_count"].error or "")
    assert by_id["closed_on_time"].status == "success"


def test_write_permissions_follow_the_roles(test_registry: Registry) -> None:
    works_metric, police_metric = test_registry.metrics["events_count"], test_registry.metrics[INTERNAL]
    works = Viewer(Role.AGENCY, "w", frozenset({"AG1"}))
    assert works.can_comment_on(works_metric) and not works.can_comment_on(police_metric)
    assert Viewer(Role.ADMIN, "a").can_comment_on(police_metric)
    assert not Viewer(Role.VIEWER, "v").can_comment_on(works_metric)
    assert not ANONYMOUS.can_comment_on(works_metric)
    assert Viewer(Role.ADMIN, "a").can_manage and not works.can_manage and not Viewer(Role.VIEWER, "v").can_manage


def test_registry_errors_on_data_health_are_for_admins(test_registry: Registry) -> None:
    broken = publishable(dataclasses.replace(test_registry, metrics=test_registry.metrics | {
        "typo": test_registry.metrics["events_count"].model_copy(update={"id": "typo", "agency": "AG9"})}))
    reads = Gate(broken)
    issues = reads.set_aside(Viewer(Role.ADMIN, "a"))
    assert {i.owner for i in issues} == {("metric", "typo")}
    assert any("unknown agency 'AG9'" in i.message for i in issues) and "typo" not in broken.metrics
    assert reads.set_aside(Viewer(Role.AGENCY, "w", frozenset({"AG1"}))) == ()
    with pytest.raises(Forbidden):
        reads.set_aside(ANONYMOUS)
