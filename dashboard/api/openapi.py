"""The API's OpenAPI 3.1 document, its schemas generated from the response models, and its index."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from dashboard.api import models

PREFIX = "/api/v1"
VERSION = "1.0.0"
JSON = "application/json"
ENDPOINTS: list[tuple[str, str, type[BaseModel], str]] = [  # path, operation id, response, summary
    ("/", "index", models.Index, "What the API offers"),
    ("/pillars", "pillars", models.Pillars, "The plan's pillars, with their status counts and score"),
    ("/goals", "goals", models.Goals, "The plan's goals, with their status counts and score"),
    ("/agencies", "agencies", models.Agencies, "Agencies, their budget services and public measures"),
    ("/services", "services", models.Services, "Budget services, with their status counts and score"),
    ("/geographies", "geographies", models.Geographies, "Geographies values are broken down by, and their areas"),
    ("/metrics", "metrics", models.Metrics, "Every public measure: definition, targets, status"),
    ("/metrics/{metric_id}", "metric", models.Metric, "One public measure"),
    ("/metrics/{metric_id}/values", "values", models.Values, "A measure's values by grain and geography"),
    ("/statuses", "statuses", models.Statuses, "Every public measure's status and its sentence"),
    ("/scores", "scores", models.Scores, "Scores of the city, each pillar, goal, agency and service"),
    ("/score-history", "score_history", models.ScoreHistory,
     "The city's and each pillar's score at each of the last eight fiscal quarter ends, then today"),
]
DOWNLOADS = {"metrics.csv": "text/csv", "values.csv": "text/csv", "scores.csv": "text/csv",
             "score-history.csv": "text/csv", "datapackage.json": JSON, "data.json": JSON}
ERRORS = {"400": "A query parameter it cannot use", "404": "No such measure or endpoint",
          "429": "Too many requests from this address; retry after Retry-After seconds"}


def index(city: str) -> models.Index:
    return models.Index(name=f"{city} performance open data", version=VERSION, openapi=f"{PREFIX}/openapi.json",
                        endpoints={op: f"{PREFIX}{path}" for path, op, _, _ in ENDPOINTS if op != "index"},
                        downloads={name: f"{PREFIX}/{name}" for name in DOWNLOADS})


def _parameters(path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if "{metric_id}" in path:
        found.append({"name": "metric_id", "in": "path", "required": True, "schema": {"type": "string"}})
    if path.endswith("/values"):
        found += [{"name": "grain", "in": "query", "schema": {"type": "string"},
                   "description": "only this grain (one of the measure's grains)"},
                  {"name": "geography", "in": "query", "schema": {"type": "string"},
                   "description": "'city', or one of the measure's geographies"}]
    return found


def _responses(ok: dict[str, Any]) -> dict[str, Any]:
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    cached = {name: {"schema": {"type": "string"}} for name in ("ETag", "Last-Modified")}
    return {"200": {**ok, "headers": cached}, "304": {"description": "Not modified since the ETag or date given"},
            **{code: {"description": text, "content": problem} for code, text in ERRORS.items()}}


def document(city: str) -> dict[str, Any]:
    shapes: list[type[BaseModel]] = [*dict.fromkeys(e[2] for e in ENDPOINTS), models.Problem]
    _, schemas = models_json_schema([(m, "serialization") for m in shapes], ref_template="#/components/schemas/{model}")
    paths: dict[str, Any] = {}
    for path, operation, model, summary in ENDPOINTS:
        ok = {"description": summary, "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}
        paths[path] = {"get": {"operationId": operation, "summary": summary, "parameters": _parameters(path),
                               "responses": _responses(ok)}}
    for name, mediatype in DOWNLOADS.items():
        schema = {"type": "string"} if mediatype == "text/csv" else {"type": "object"}
        paths[f"/{name}"] = {"get": {"operationId": name.replace(".", "_"), "summary": f"Bulk download: {name}",
                                     "responses": _responses({"description": name,
                                                              "content": {mediatype: {"schema": schema}}})}}
    return {"openapi": "3.1.0",
            "info": {"title": f"{city} performance open data", "version": VERSION,
                     "description": "Read-only public data: every public measure, its targets, status and values. "
                                    "Percent values are 0-1 fractions. Internal measures never appear."},
            "servers": [{"url": PREFIX}], "paths": paths, "components": {"schemas": schemas["$defs"]}}
