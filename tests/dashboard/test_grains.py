"""Every grain set the spec allows, with every aggregation, and frequencies, formats and directions in turn,
refreshes and renders: every page type, chart, status sentence, agenda and CSV answers without a server error."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from data.policy import Viewer
from metrics.aggregations import KINDS, Aggregation
from metrics.escalation import suggest
from metrics.publishable import publishable
from metrics.registry import Registry
from metrics.spec import Frequency, Grain, MetricSpec
from metrics.validation import validate_registry
from pipeline.refresh import refresh_all
from tests.conftest import fresh_store
from tests.dashboard.helpers import render
from tests.helpers import at, put_events

GRAIN_SETS = [combo for size in range(len(Grain) + 1) for combo in itertools.combinations(list(Grain), size)]
FORMATS = {Aggregation.COUNT: ["count"], Aggregation.CUMULATIVE_COUNT: ["count"],
           Aggregation.SUM: ["currency", "count"], Aggregation.MEAN: ["days", "rate"], Aggregation.RATIO: ["percent"],
           Aggregation.LATEST: ["count", "currency"]}
DIRECTIONS = ["increase", "decrease", "none", "maintain"]


def _computation(aggregation: Aggregation) -> dict[str, Any]:
    computation: dict[str, Any] = {"kind": "computed", "source": "events", "aggregation": aggregation.value}
    kind = KINDS[aggregation]
    if kind.needs_value:
        computation["value_column"] = "amount"
    if kind.needs_numerator:
        computation["filters"] = [{"column": "closed_at", "op": "not_null"}]
        computation["numerator_filters"] = [{"column": "closed_at", "op": "le", "other_column": "due_at"}]
    if kind.readings:
        computation["citywide"] = {"method": "sum"}
    return computation


def generated_metrics() -> Iterator[MetricSpec]:
    turns = itertools.count()
    for grains, aggregation in itertools.product(GRAIN_SETS, Aggregation):
        turn = next(turns)
        direction = DIRECTIONS[turn % len(DIRECTIONS)]
        fmt = FORMATS[aggregation][turn % len(FORMATS[aggregation])]
        size = 0.8 if fmt == "percent" else 50.0
        band = {"lower": 0.2 * size, "upper": size} if direction == "maintain" else None
        yield MetricSpec.model_validate({
            "id": f"g{turn}_{aggregation.value}", "title": f"Generated {turn} ({aggregation.value})",
            "definition": "A generated measure for the grain property test.", "measure_type": "output",
            "goal": "2.1", "agency": "AG1", "services": ["SV1"], "format": fmt, "direction": direction,
            "band": band, "frequency": list(Frequency)[turn % len(Frequency)], "grains": [g.value for g in grains],
            "targets": [] if direction in ("none", "maintain") else
            [{"fiscal_year": year, "value": size} for year in (2025, 2026)],
            "visibility": "public", "geographies": ["district"], "computation": _computation(aggregation)})


EVENTS = [{"event_id": f"e{n}", "happened_at": at(day.isoformat(), 9 + n % 8), "district": 1 + n % 3,
           "amount": float(n % 7), "due_at": at(day.isoformat(), 23),
           "closed_at": at(day.isoformat(), 10 + n % 14) if n % 4 else None}
          for n, day in enumerate(dt.date(2024, 5, 3) + dt.timedelta(days=9 * k) for k in range(90))]


@pytest.fixture(scope="module")
def generated(test_registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Registry]]:
    from app import create_app

    registry = publishable(dataclasses.replace(test_registry, metrics={m.id: m for m in generated_metrics()}))
    assert registry.set_aside == () and len(registry.metrics) == len(GRAIN_SETS) * len(Aggregation)
    with fresh_store("sqlite", tmp_path_factory.mktemp("grains")):
        put_events(registry, EVENTS)
        results = refresh_all(registry)
        assert [r.error for r in results if r.status != "success"] == []
        yield create_app(registry), registry


def test_every_generated_metric_page_renders_at_every_grain(generated: tuple[Any, Registry]) -> None:
    app, registry = generated
    for metric in registry.metrics.values():
        for query in ["", *(f"?grain={g.value}" for g in metric.grains)]:
            assert "Something went wrong" not in render(app, f"/metrics/{metric.id}{query}"), (metric.id, query)


def test_every_page_type_and_csv_answers_for_the_generated_metrics(generated: tuple[Any, Registry]) -> None:
    app, registry = generated
    for path in ("/", "/pillars/2", "/goals/2.1", "/agencies/AG1", "/services/SV1", "/districts/1", "/about"):
        render(app, path)
    client = app.server.test_client()
    for metric in registry.metrics.values():
        for query in ("", "?grain=all"):
            reply = client.get(f"/download/metrics/{metric.id}.csv{query}")
            assert reply.status_code == 200 and reply.text.startswith("metric_id,"), (metric.id, query)


def test_statuses_and_agenda_reasons_never_mix_calendar_and_fiscal_years(generated: tuple[Any, Registry]) -> None:
    from dashboard.context import gate

    _, registry = generated
    reads, viewer = gate(), Viewer()
    snapshot = reads.snapshot(viewer, dt.date(2026, 11, 22))
    for metric in registry.metrics.values():
        sentence = snapshot.assessments[metric.id].sentence
        if metric.grains == (Grain.YEAR,):
            assert "FY" not in sentence.split(";")[0], (metric.id, sentence)  # "2025", never "FY2025 through Dec"
    suggest(registry.metrics.values(), {m: reads.values(viewer, m, geography="city") for m in registry.metrics},
            snapshot.assessments, registry.city.fiscal_year_start_month)


def test_a_calendar_year_metric_is_shown_not_judged_against_fiscal_targets(generated: tuple[Any, Registry]) -> None:
    from dashboard.context import gate

    _, registry = generated
    calendar = next(m for m in registry.metrics.values() if m.grains == (Grain.YEAR,) and m.targets)
    assessment = gate().snapshot(Viewer(), dt.date(2026, 11, 22)).assessments[calendar.id]
    assert (assessment.judged_as or assessment.status).value == "informational"  # stale or not, never judged
    assert assessment.rule == "calendar periods" and assessment.score is None
    assert "targets are set per fiscal year" in assessment.sentence
    issues = validate_registry(registry)
    assert any(i.rule == "calendar-targets" and i.metric_id == calendar.id for i in issues)
