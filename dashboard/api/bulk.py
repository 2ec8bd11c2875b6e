"""Bulk open data: every public measure, value and score as CSV, described by a Frictionless Data Package
(``datapackage.json``) and listed in a DCAT-US catalogue (``data.json``) that open-data portals harvest."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from dashboard.api import models, records
from data.access import Gate
from metrics.periods import period_end, period_label
from metrics.spec import Grain
from metrics.status import Status

PREFIX = "/api/v1"
PROFILE = "https://specs.frictionlessdata.io/schemas/data-package.json"
METRIC_FIELDS: list[tuple[str, str, str]] = [
    ("metric_id", "string", "the measure's id"), ("title", "string", "the measure"),
    ("definition", "string", "what it counts or measures"),
    ("measure_type", "string", "output, efficiency, effectiveness or outcome"),
    ("pillar", "string", "the plan's pillar"), ("goal", "string", "the plan's goal"),
    ("agency", "string", "the responsible agency's id"), ("services", "string", "budget services, ';'-separated"),
    ("format", "string", "count, percent (0-1 fractions), currency, …"), ("unit", "string", "unit of the value"),
    ("direction", "string", "which way is better"), ("frequency", "string", "how often it is measured"),
    ("status", "string", "its status today"), ("status_sentence", "string", "why, in one sentence"),
    ("data_through", "date", "the last day its data covers"), ("page", "string", "its page on the site")]
VALUE_FIELDS: list[tuple[str, str, str]] = [
    ("metric_id", "string", "the measure's id"), ("grain", "string", "month, quarter, year, fiscal_quarter, …"),
    ("period", "string", "the period in words (fiscal periods by the city's fiscal year)"),
    ("period_start", "date", "first day of the period"), ("period_end", "date", "last day of the period"),
    ("data_through", "date", "where the data stops when it does not cover the whole period"),
    ("geography", "string", "'city' for the citywide value, else the geography"),
    ("area", "string", "the area's key within the geography (empty for the city)"),
    ("value", "number", "the value; percent as a 0-1 fraction"), ("numerator", "number", "a rate's numerator"),
    ("denominator", "number", "a rate's denominator"),
    ("used_for_status", "boolean", "false when the quality gate holds the value out of every judgement"),
    ("quality_flags", "string", "the quality gate's findings, ';'-separated"),
    ("review", "string", "the performance team's review of a flagged value, and why"),
    ("note", "string", "the agency's note on the figure")]

COUNT_FIELDS: list[tuple[str, str, str]] = [
    (status.value, "integer", f"measures {status.label.lower()} (a stale measure by its last reading)")
    for status in Status if status is not Status.STALE]
SCORE_FIELDS: list[tuple[str, str, str]] = [
    ("level", "string", "city, pillar, goal, agency or service"), ("id", "string", "the heading's id"),
    ("measures", "integer", "public measures under this heading"),
    ("score", "number", "mean score of the measures (1.0 = at target); empty if none is scored"),
    ("stale", "integer", "measures whose data is older than their frequency allows"), *COUNT_FIELDS]
SCORE_HISTORY_FIELDS: list[tuple[str, str, str]] = [
    ("level", "string", "city or pillar"), ("id", "string", "the heading's id"),
    ("date", "date", "the fiscal quarter's last day, or today for the current score"),
    ("period", "string", "the quarter ('FY2026 Q2'), or 'Now'"),
    ("basis", "string", "published (the values the site held that day), reconstructed (before the site kept its "
                        "history: today's values of the periods then ended) or current"),
    *SCORE_FIELDS[2:]]

def _table(fields: list[tuple[str, str, str]], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _, _ in fields])
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    text = str(value)  # a spreadsheet would take text starting like a formula for one
    return f"'{text}" if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def metrics_csv(reads: Gate, today: dt.date) -> str:
    rows: list[list[object]] = [
        [m.id, m.title, m.definition, m.measure_type, m.pillar, m.goal, m.agency, ";".join(m.services), m.format,
         m.unit, m.direction, m.frequency, m.status.status, m.status.sentence, m.status.data_through, m.page]
        for m in records.metrics(reads, today)]
    return _table(METRIC_FIELDS, rows)


def values_csv(reads: Gate) -> str:
    fy_start = reads.registry.city.fiscal_year_start_month
    rows: list[list[object]] = []
    for metric_id, found in sorted(reads.current_values(records.PUBLIC).items()):
        reviews = reads.reviews(records.PUBLIC, metric_id) if any(v.verdict for v in found) else {}
        for v in sorted(found, key=lambda v: (v.grain, v.geography != "city", v.geography, v.geo_key, v.period_start)):
            grain = Grain(v.grain)
            rows.append([metric_id, grain.value, period_label(v.period_start, grain, fy_start), v.period_start,
                         period_end(v.period_start, grain), v.covered_through, v.geography, v.geo_key, v.value,
                         v.numerator, v.denominator, not v.questionable, ";".join(f.rule.value for f in v.flags),
                         records.review_text(v, reviews.get(v.key)), v.note])
    return _table(VALUE_FIELDS, rows)


def scores_csv(reads: Gate, today: dt.date) -> str:
    """Today's score and status counts of the city and of each pillar, goal, agency and budget service."""
    return _table(SCORE_FIELDS, [[score.level, score.id, score.measures, score.score, *_counts(score)]
                                 for score in records.scores(reads, today)])


def score_history_csv(reads: Gate, today: dt.date) -> str:
    """The city's and each pillar's score at each recent fiscal quarter's end, and today."""
    return _table(SCORE_HISTORY_FIELDS, [
        [point.level, point.id, point.date, point.period, point.basis, point.measures, point.score, *_counts(point)]
        for point in records.score_history(reads, today)])


def _counts(scored: models.Scored) -> list[object]:
    return [scored.stale, *(scored.status_counts.get(name, 0) for name, _, _ in COUNT_FIELDS)]


def _schema(fields: list[tuple[str, str, str]], key: list[str]) -> dict[str, Any]:
    return {"fields": [{"name": n, "type": t, "description": d} for n, t, d in fields], "primaryKey": key,
            "missingValues": [""]}


def _sources(reads: Gate) -> list[dict[str, str]]:
    seen = sorted({s.attribution or s.title for s in reads.registry.sources.values()})
    return [{"title": text} for text in seen]


def datapackage(reads: Gate, base: str) -> dict[str, Any]:
    city = reads.registry.city
    values_schema = _schema(VALUE_FIELDS, ["metric_id", "grain", "period_start", "geography", "area"])
    metric = {"resource": "metrics", "fields": "metric_id"}
    values_schema["foreignKeys"] = [{"fields": "metric_id", "reference": metric}]
    return {
        "profile": "tabular-data-package", "name": f"{_slug(city.name)}-performance-measures",
        "title": f"{city.name} performance measures", "description": city.tagline,
        "homepage": f"{base}/",
        "sources": _sources(reads), "keywords": ["performance", "kpi", "citistat", _slug(city.name)],
        "resources": [
            {"name": "metrics", "path": f"{base}{PREFIX}/metrics.csv", "profile": "tabular-data-resource",
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
             "schema": _schema(METRIC_FIELDS, ["metric_id"])},
            {"name": "values", "path": f"{base}{PREFIX}/values.csv", "profile": "tabular-data-resource",
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": values_schema},
            {"name": "scores", "path": f"{base}{PREFIX}/scores.csv", "profile": "tabular-data-resource",
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
             "schema": _schema(SCORE_FIELDS, ["level", "id"])},
            {"name": "score_history", "path": f"{base}{PREFIX}/score-history.csv",
             "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
             "schema": _schema(SCORE_HISTORY_FIELDS, ["level", "id", "date"])}]}


def dcat_catalogue(reads: Gate, base: str, today: dt.date) -> dict[str, Any]:
    """A DCAT-US 1.1 catalogue with one dataset: the public measures, their values and the API."""
    city = reads.registry.city
    publisher = {"@type": "org:Organization", "name": f"City of {city.name}"}
    dataset: dict[str, Any] = {
        "@type": "dcat:Dataset", "title": f"{city.name} performance measures",
        "description": f"{city.tagline}. Every public measure with its definition, targets and status; every "
                       "public value by period and area, with the quality gate's findings; the scores of the city, "
                       "its pillars, goals, agencies and budget services, now and at each recent quarter's end.",
        "keyword": ["performance", "performance measures", "kpi", "citistat", city.name],
        "modified": today.isoformat(), "publisher": publisher, "contactPoint": _contact(city.name, city.contact_email),
        "identifier": f"{base}{PREFIX}/datapackage.json",
        "accessLevel": "public", "landingPage": f"{base}/about", "describedBy": f"{base}{PREFIX}/datapackage.json",
        "describedByType": "application/json", "accrualPeriodicity": "R/P1D",
        "references": [f"{base}{PREFIX}/openapi.json"],
        "distribution": [
            {"@type": "dcat:Distribution", "title": "Measures (CSV)", "mediaType": "text/csv", "format": "CSV",
             "downloadURL": f"{base}{PREFIX}/metrics.csv"},
            {"@type": "dcat:Distribution", "title": "Values (CSV)", "mediaType": "text/csv", "format": "CSV",
             "downloadURL": f"{base}{PREFIX}/values.csv"},
            {"@type": "dcat:Distribution", "title": "Scores (CSV)", "mediaType": "text/csv", "format": "CSV",
             "downloadURL": f"{base}{PREFIX}/scores.csv"},
            {"@type": "dcat:Distribution", "title": "Score history (CSV)", "mediaType": "text/csv", "format": "CSV",
             "downloadURL": f"{base}{PREFIX}/score-history.csv"},
            {"@type": "dcat:Distribution", "title": "JSON API", "format": "API", "accessURL": f"{base}{PREFIX}/",
             "conformsTo": f"{base}{PREFIX}/openapi.json"}]}
    return {"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld", "@type": "dcat:Catalog",
            "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
            "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json", "dataset": [dataset]}


def _contact(city: str, email: str | None) -> dict[str, str]:
    contact = {"@type": "vcard:Contact", "fn": f"City of {city}"}
    return {**contact, "hasEmail": f"mailto:{email}"} if email else contact


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())
