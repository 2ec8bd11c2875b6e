"""The API's HTTP surface: read-only JSON and CSV under ``/api/v1/``, cached by data version, with ETag and
Last-Modified, CORS for reads from any site and a per-address rate limit (429 with ``Retry-After``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, redirect, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from pydantic import BaseModel
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.wrappers import Response as ResponseBase

from dashboard.api import bulk, models, openapi, records
from dashboard.context import current_viewer, gate
from data.config import Settings
from data.errors import NotFound

PREFIX = "/api/v1"
CACHE_SECONDS = 300
CACHED_BODIES = 512  # per process; each key includes the data version, so old entries are never served
CORS = {"Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "ETag, Last-Modified, Retry-After, X-RateLimit-Limit, "
                                         "X-RateLimit-Remaining, X-RateLimit-Reset"}
PREFLIGHT = {"Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
             "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since", "Access-Control-Max-Age": "86400"}


class BadQuery(ValueError):
    """A query parameter the endpoint cannot use; the message names it and what it takes."""


class _Bodies:
    """Built response bodies by (address, data version, day), so a repeated or conditional request is cheap."""

    def __init__(self) -> None:
        self._bodies: dict[tuple[object, ...], tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...], build: Callable[[], bytes]) -> tuple[bytes, str]:
        with self._lock:
            found = self._bodies.get(key)
        if found is None:
            body = build()
            found = body, hashlib.sha256(body).hexdigest()[:32]
            with self._lock:
                if len(self._bodies) >= CACHED_BODIES:
                    self._bodies.clear()
                self._bodies[key] = found
        return found


def _last_modified(version: tuple[object, ...], today: dt.date) -> dt.datetime:
    """The latest data change, or midnight of today in the city if later (statuses move with the date)."""
    midnight = dt.datetime.combine(today, dt.time(), gate().zone).astimezone(dt.UTC)
    changes = [v if v.tzinfo else v.replace(tzinfo=dt.UTC) for v in version if isinstance(v, dt.datetime)]
    return max([midnight, *changes]).replace(microsecond=0)


def _json(content: BaseModel | dict[str, Any]) -> bytes:
    if isinstance(content, BaseModel):
        return content.model_dump_json().encode()
    return json.dumps(content, separators=(",", ":"), default=str).encode()


def _problem(status: int, title: str, detail: str) -> Response:
    body = models.Problem(status=status, title=title, detail=detail).model_dump_json()
    return Response(body, status=status, mimetype="application/problem+json")


def _choice(name: str, allowed: list[str]) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in allowed:
        raise BadQuery(f"'{name}' must be one of: {', '.join(allowed) or '(none for this measure)'}")
    return value


def _read_only(_: Exception) -> Response:
    response = _problem(405, "Read only", "The API only answers GET, HEAD and OPTIONS.")
    response.headers["Allow"] = "GET, HEAD, OPTIONS"
    return response


def install(app: Flask, settings: Settings) -> None:
    api = Blueprint("api", __name__, url_prefix=PREFIX)
    bodies = _Bodies()

    @app.after_request  # registered before the limiter's, so it runs after it
    def _retry_after_only_when_refused(response: Response) -> Response:
        if request.blueprint == "api" and response.status_code != 429:
            response.headers.pop("Retry-After", None)
        return response

    Limiter(get_remote_address, app=app, storage_uri=settings.rate_limit_storage, headers_enabled=True,
            key_prefix="api", application_limits=[settings.api_rate_limit],  # one budget for every endpoint
            application_limits_exempt_when=lambda: request.blueprint != "api" or request.method == "OPTIONS")

    def serve(build: Callable[[], bytes], mimetype: str = "application/json", filename: str | None = None
              ) -> Response:
        reads, day = gate(), gate().today()
        version = reads.data_version()
        body, etag = bodies.get((request.full_path, version, day), build)
        response = Response(body, mimetype=mimetype)
        response.set_etag(etag)
        response.last_modified = _last_modified(version, day)
        response.cache_control.public = True
        response.cache_control.max_age = CACHE_SECONDS
        if filename:
            response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.make_conditional(request)
        del response.headers["Date"]  # the server sends its own
        return response

    @app.before_request
    def _no_such_endpoint() -> ResponseBase | None:  # the site's catch-all page route would answer it with a page
        if not request.path.startswith("/api/") or request.blueprint == "api":
            return None
        if request.path == PREFIX:  # the index without its slash
            return redirect(f"{PREFIX}/", code=308)
        if isinstance(request.routing_exception, MethodNotAllowed):
            return _read_only(request.routing_exception)
        return _problem(404, "Not found", f"No such endpoint; the list is at {PREFIX}/.")

    @api.before_request
    def _only_for_the_site() -> Response | None:
        if current_app.config.get("CITISTAT_SITE") == "internal" and not current_viewer().internal:
            return _problem(401, "Sign in first", "This site's data is for signed-in staff.")
        return None

    @api.after_request
    def _cors(response: Response) -> Response:
        response.headers.update(CORS)
        if request.method == "OPTIONS":
            response.headers.update(PREFLIGHT)
        response.vary.add("Origin")
        return response

    @api.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded) -> Response:
        response = _problem(429, "Too many requests",
                            f"This address may make {error.description} requests to the API. Please wait and retry, "
                            "or download the bulk files.")
        return response

    api.register_error_handler(405, _read_only)

    @api.errorhandler(NotFound)
    def _not_found(error: NotFound) -> Response:
        return _problem(404, "Not found", str(error))

    @api.errorhandler(BadQuery)
    def _bad_query(error: BadQuery) -> Response:
        return _problem(400, "Bad query", str(error))

    def today() -> dt.date:
        return gate().today()

    @api.get("/")
    def index() -> Response:
        return serve(lambda: _json(openapi.index(gate().registry.city.name)))

    @api.get("/openapi.json")
    def document() -> Response:
        return serve(lambda: _json(openapi.document(gate().registry.city.name)))

    @api.get("/pillars")
    def pillars() -> Response:
        return serve(lambda: _json(_listing(models.Pillars, records.pillars(gate(), today()))))

    @api.get("/goals")
    def goals() -> Response:
        return serve(lambda: _json(_listing(models.Goals, records.goals(gate(), today()))))

    @api.get("/agencies")
    def agencies() -> Response:
        return serve(lambda: _json(_listing(models.Agencies, records.agencies(gate(), today()))))

    @api.get("/services")
    def services() -> Response:
        return serve(lambda: _json(_listing(models.Services, records.services(gate(), today()))))

    @api.get("/geographies")
    def geographies() -> Response:
        return serve(lambda: _json(_listing(models.Geographies, records.geographies(gate()))))

    @api.get("/metrics")
    def metrics() -> Response:
        return serve(lambda: _json(_listing(models.Metrics, records.metrics(gate(), today()))))

    @api.get("/metrics/<metric_id>")
    def metric(metric_id: str) -> Response:
        return serve(lambda: _json(records.metrics(gate(), today(), [metric_id])[0]))

    @api.get("/metrics/<metric_id>/values")
    def values(metric_id: str) -> Response:
        spec = gate().metric(records.PUBLIC, metric_id)
        grain = _choice("grain", records.grains(gate(), metric_id, today()))
        geography = _choice("geography", ["city", *spec.geographies])
        return serve(lambda: _json(_listing(models.Values, records.values(gate(), metric_id, grain=grain,
                                                                          geography=geography))))

    @api.get("/statuses")
    def statuses() -> Response:
        return serve(lambda: _json(_listing(models.Statuses, records.statuses(gate(), today()))))

    @api.get("/scores")
    def scores() -> Response:
        return serve(lambda: _json(_listing(models.Scores, records.scores(gate(), today()))))

    @api.get("/score-history")
    def score_history() -> Response:
        return serve(lambda: _json(_listing(models.ScoreHistory, records.score_history(gate(), today()))))

    @api.get("/metrics.csv")
    def metrics_csv() -> Response:
        return serve(lambda: bulk.metrics_csv(gate(), today()).encode(), "text/csv", "metrics.csv")

    @api.get("/values.csv")
    def values_csv() -> Response:
        return serve(lambda: bulk.values_csv(gate()).encode(), "text/csv", "values.csv")

    @api.get("/scores.csv")
    def scores_csv() -> Response:
        return serve(lambda: bulk.scores_csv(gate(), today()).encode(), "text/csv", "scores.csv")

    @api.get("/score-history.csv")
    def score_history_csv() -> Response:
        return serve(lambda: bulk.score_history_csv(gate(), today()).encode(), "text/csv", "score-history.csv")

    @api.get("/datapackage.json")
    def datapackage() -> Response:
        return serve(lambda: _json(bulk.datapackage(gate(), request.host_url.rstrip("/"))))

    @api.get("/data.json")
    def catalogue() -> Response:
        return serve(lambda: _json(bulk.dcat_catalogue(gate(), request.host_url.rstrip("/"), today())))

    app.register_blueprint(api)


def _listing(model: type[BaseModel], items: list[Any]) -> BaseModel:
    return model(count=len(items), data=items)
