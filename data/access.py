"""The one gate for reads that feed pages: every read takes the viewer, and internal metrics never reach
a viewer who may not see them. Hidden and unknown metrics are indistinguishable (both ``NotFound``).

Values come with the quality gate's flags and the performance team's verdicts on them (``data.reviews``), so
every status, score and agenda built on them leaves out what is held out. Page data is cached per viewer
scope and invalidated when a refresh finishes or a value is reviewed (the data version changes).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from data import reviews, target_store
from data.audit import entries
from data.db import get_engine
from data.errors import Forbidden, NotFound
from data.models import MetricValue, RefreshRun, Role, RunStatus, SourceLoad
from data.page_data import PageData, page_data
from data.policy import ANONYMOUS, CITY_WIDE, Viewer
from data.reviews import reviewed_values
from data.store import value_row
from data.versioned_cache import VersionedCache
from metrics.issues import Issue
from metrics.registry import Registry
from metrics.reporting import with_targets
from metrics.score_history import Basis, ScorePoint, summaries_of
from metrics.scores import Level, Summary, roll_up
from metrics.spec import Agency, MetricSpec, Service
from metrics.status import Assessment
from metrics.values import ValueRow, Verdict

RUN = RefreshRun.__table__  # type: ignore[attr-defined]
LOAD = SourceLoad.__table__  # type: ignore[attr-defined]
VALUE = MetricValue.__table__  # type: ignore[attr-defined]
T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot:
    """What the pages need about every visible metric, read once per data version."""

    assessments: dict[str, Assessment]
    city_values: dict[str, list[ValueRow]]
    last_success: dict[str, dt.datetime]


@dataclass(frozen=True)
class SearchResults:
    metrics: list[MetricSpec]
    agencies: list[Agency]
    services: list[Service]


@dataclass(frozen=True)
class HealthRow:
    metric: MetricSpec
    status: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    rows: int
    error: str | None
    warnings: str | None


@dataclass(frozen=True)
class FlaggedValue:
    """A current value the quality gate holds out (or held out until reviewed), with the review if any."""

    metric: MetricSpec
    row: ValueRow
    review: reviews.Review | None


@dataclass(frozen=True)
class LoadRow:
    """The latest load of a source, and when the load its table holds finished."""

    source_id: str
    file: str
    status: str
    finished_at: dt.datetime | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    error: str | None
    holds: dt.datetime | None  # the last successful load: what the table holds now
    rejections: tuple[tuple[int, str], ...]  # the first rejected rows kept by the load: (line, reason)


def _rejections(text: str | None) -> tuple[tuple[int, str], ...]:
    try:
        return tuple((int(r["line"]), str(r["reason"])) for r in json.loads(text or "[]"))
    except (ValueError, TypeError, KeyError):
        return ()


class Gate:
    """Reads for pages, filtered by the viewer, over one registry and the value store."""

    def __init__(self, registry: Registry) -> None:
        self.base_registry = registry  # as declared in YAML; ``registry`` also holds the approved targets
        self.registry = registry
        self._targets_seen: object = None
        self._cache = VersionedCache()
        self._built: dict[dt.date, PageData] = {}  # the page data built last for each day asked (two days at most)
        self._building = threading.Lock()
        self._published: tuple[object, ...] | None = None  # the version built in the background last
        self._pinned = threading.local()  # the version this thread reads, when not the latest

    @property
    def zone(self) -> ZoneInfo:
        """The city's time zone: its days are the ones dates on pages mean."""
        return ZoneInfo(self.registry.city.timezone)

    def today(self) -> dt.date:
        """The date in the city's time zone."""
        return dt.datetime.now(self.zone).date()

    # --- what the viewer may see -------------------------------------------------------------------------
    def metrics(self, viewer: Viewer) -> list[MetricSpec]:
        return [m for m in self.registry.metrics.values() if viewer.can_see(m)]

    def metric(self, viewer: Viewer, metric_id: str) -> MetricSpec:
        """The metric, if the viewer may see it. Anonymous viewers cannot tell hidden from unknown."""
        metric = self.registry.metrics.get(metric_id)
        if metric is not None and not viewer.can_see(metric) and viewer.internal:
            raise Forbidden(f"metric '{metric_id}' belongs to another agency")
        if metric is None or not viewer.can_see(metric):
            raise NotFound(f"no metric '{metric_id}'")
        return metric

    def require_role(self, viewer: Viewer, *roles: Role) -> None:
        self.require_internal(viewer)
        if viewer.role not in roles:
            raise Forbidden("this page is for another role")

    def require_internal(self, viewer: Viewer) -> None:
        if not viewer.internal:
            raise Forbidden("sign in to see this page")

    # --- values ---------------------------------------------------------------------------------------------
    def values(self, viewer: Viewer, metric_id: str, *, as_of: dt.datetime | None = None,
               grain: str | None = None, geography: str | None = None) -> list[ValueRow]:
        """A metric's values, current (cached per data version) or as they stood at ``as_of``."""
        self.metric(viewer, metric_id)

        def read() -> list[ValueRow]:
            with get_engine().connect() as conn:
                return reviewed_values(conn, [metric_id], as_of=as_of, grain=grain, geography=geography)[metric_id]

        return read() if as_of else self._cached(("values", metric_id, grain, geography), read)

    def reviews(self, viewer: Viewer, metric_id: str) -> dict[tuple[str, dt.date, str, str], reviews.Review]:
        """The latest review of each of the metric's values, by value key (grain, start, geography, key)."""
        self.metric(viewer, metric_id)
        with get_engine().connect() as conn:
            found = reviews.latest_reviews(conn, [metric_id])
        return {key[1:]: review for key, review in found.items()}

    def visible(self, viewer: Viewer, metric_ids: Iterable[str]) -> list[MetricSpec]:
        """The metrics among ``metric_ids`` that exist and the viewer may see (others are skipped silently)."""
        known = (self.registry.metrics.get(m) for m in metric_ids)
        return [m for m in known if m is not None and viewer.can_see(m)]

    def history(self, viewer: Viewer, metric_ids: Iterable[str], as_of: dt.datetime) -> dict[str, list[ValueRow]]:
        """Values of the visible ``metric_ids`` as they stood at ``as_of`` (every geography)."""
        with get_engine().connect() as conn:
            return reviewed_values(conn, [m.id for m in self.visible(viewer, metric_ids)], as_of=as_of)

    def current_values(self, viewer: Viewer) -> dict[str, list[ValueRow]]:
        """Every current value of every metric the viewer may see (every grain and place): the bulk download."""
        with get_engine().connect() as conn:
            return reviewed_values(conn, [m.id for m in self.metrics(viewer)])

    def data_version(self) -> tuple[object, ...]:
        """The version of the data this request reads: the latest, or the one it is pinned to (``serve``)."""
        deciding: tuple[Callable[[], bool], tuple[object, ...]] | None = getattr(self._pinned, "deciding", None)
        if deciding is not None:  # the request's first read: is it public?
            public, published = deciding
            self._pin(published if public() else None)
        pinned: tuple[object, ...] | None = getattr(self._pinned, "version", None)
        return pinned if pinned is not None else self.latest_version()

    def serve(self, public: Callable[[], bool]) -> None:
        """At the start of a request: a ``public()`` one reads the version last built in the background
        (``publish``), so a refresh never makes a visitor wait for its statuses; staff read the latest, their own
        changes included. With nothing published (no background builds), every request reads the latest.
        ``public()`` is asked at the request's first read of data (a static file never asks)."""
        self._pin(None)
        if self._published is not None:
            self._pinned.deciding = (public, self._published)

    def publish(self, version: tuple[object, ...], today: dt.date) -> None:
        """Build what pages read first at ``version`` (every metric's status, the score history of the public and of
        the Mayor's office), then let public requests read it: the warming thread's step (``dashboard.warmer``).
        Staff read the latest version, which is this one once built, so their first page after a refresh is warm too.
        """
        self._pin(version)
        try:
            for viewer in (ANONYMOUS, CITY_WIDE):
                self.snapshot(viewer, today)
                self.score_history(viewer, today)
        finally:
            self._pin(None)
        self._published = version

    def _pin(self, version: tuple[object, ...] | None) -> None:
        self._pinned.version, self._pinned.deciding = version, None

    @property
    def published(self) -> tuple[object, ...] | None:
        return self._published

    def latest_version(self) -> tuple[object, ...]:
        """Changes whenever a refresh or a load finishes, a value is reviewed or a target decided: the cache key of
        page data. A new target decision puts the approved targets in the registry's place."""
        with get_engine().connect() as conn:
            version = tuple(conn.execute(select(func.max(RUN.c.finished_at), func.max(RUN.c.id), reviews.version(),
                                                select(func.max(LOAD.c.finished_at)).scalar_subquery(),
                                                target_store.decisions_version_query())).one())
            if version[-1] != self._targets_seen:
                approved = target_store.approved_targets(conn)
                self.registry = dataclasses.replace(self.base_registry, metrics={
                    metric_id: with_targets(m, approved.get(metric_id, ()))
                    for metric_id, m in self.base_registry.metrics.items()})
                self._targets_seen = version[-1]
        return version

    def snapshot(self, viewer: Viewer, today: dt.date) -> Snapshot:
        """Status, citywide values and last refresh of every visible metric (cached per data version).

        A metric's status is the same whoever looks, so every metric is judged once (``data.page_data``) and each
        viewer scope gets its own metrics out of that."""
        def visible() -> Snapshot:
            every = self._page_data(today)
            ids = {m.id for m in self.metrics(viewer)}
            return Snapshot({k: v for k, v in every.assessments.items() if k in ids},
                            {k: v for k, v in every.city_values.items() if k in ids},
                            {k: v for k, v in every.last_success.items() if k in ids})

        return self._cached(("snapshot", viewer.data_scope, today), visible)

    def assessments(self, viewer: Viewer, today: dt.date) -> dict[str, Assessment]:
        return self.snapshot(viewer, today).assessments

    def summaries(self, viewer: Viewer, today: dt.date, level: Level) -> dict[str, Summary]:
        """Status counts and scores per pillar, goal, agency, service or the city, over visible metrics."""
        return roll_up(self.registry, self.metrics(viewer), self.assessments(viewer, today), level)

    def score_history(self, viewer: Viewer, today: dt.date) -> list[ScorePoint]:
        """The city's and each pillar's score at each recent quarter end, then today's (cached per data version)."""
        def build() -> list[ScorePoint]:
            every, metrics = self._page_data(today), self.metrics(viewer)
            return [*(ScorePoint(end.day, end.label, end.basis, summaries_of(self.registry, metrics, end.assessments))
                      for end in every.quarter_ends),
                    ScorePoint(today, "Now", Basis.CURRENT, summaries_of(self.registry, metrics, every.assessments))]

        return self._cached(("score history", viewer.data_scope, today), build)

    def _cached(self, key: tuple[object, ...], build: Callable[[], T]) -> T:
        """``build()``'s result for this key at the data version this request reads (built once however many ask);
        what public requests read is kept while staff read a newer version."""
        return self._cache.get(key, self.data_version(), build, keep=[self._published])

    def _page_data(self, today: dt.date) -> PageData:
        """Every metric's page data at this request's version: the last built (for this day, or another) brought up
        to date."""
        def build() -> PageData:
            with self._building, get_engine().connect() as conn:
                last = self._built.get(today) or next(reversed(self._built.values()), None)
                built = page_data(conn, self.registry, today, last)
                other = [(day, data) for day, data in self._built.items() if day != today][-1:]
                self._built = {**dict(other), today: built}
            return built

        return self._cached(("page data", today), build)

    # --- search and internal pages --------------------------------------------------------------------------
    def search(self, viewer: Viewer, query: str) -> SearchResults:
        """Metrics, agencies and services whose title, name or definition contains every word of ``query``."""
        words = [w for w in re.split(r"\W+", query.lower()) if w]
        if not words:
            return SearchResults([], [], [])

        def hit(*texts: str | None) -> bool:
            haystack = " ".join(t for t in texts if t).lower()
            return all(w in haystack for w in words)

        return SearchResults(
            sorted((m for m in self.metrics(viewer) if hit(m.title, m.definition, m.id)), key=lambda m: m.title),
            sorted((a for a in self.registry.agencies.values() if hit(a.name, a.public_name)), key=lambda a: a.name),
            sorted((s for s in self.registry.services.values() if hit(s.name, s.description)), key=lambda s: s.name),
        )

    def audit_log(self, viewer: Viewer, limit: int = 500) -> list[Any]:
        """The latest writes, newest first (admins only)."""
        self.require_role(viewer, Role.ADMIN)
        with get_engine().connect() as conn:
            return entries(conn, limit=limit)

    def health(self, viewer: Viewer) -> tuple[list[HealthRow], list[LoadRow]]:
        """Last refresh of every metric the (signed-in) viewer may see, and the latest load of each source."""
        visible = {m.id: m for m in self._health_scope(viewer)}
        with get_engine().connect() as conn:
            latest = select(RUN.c.metric_id, func.max(RUN.c.id).label("id")).group_by(RUN.c.metric_id).subquery()
            runs = {r.metric_id: r for r in conn.execute(select(RUN).join(latest, RUN.c.id == latest.c.id))}
            last_load = select(LOAD.c.source_id, func.max(LOAD.c.id).label("id")).group_by(LOAD.c.source_id).subquery()
            loads = conn.execute(select(LOAD).join(last_load, LOAD.c.id == last_load.c.id)
                                 .order_by(LOAD.c.source_id)).all()
            held: dict[str, dt.datetime] = dict(conn.execute(select(LOAD.c.source_id, func.max(LOAD.c.finished_at))
                                     .where(LOAD.c.status == RunStatus.SUCCESS).group_by(LOAD.c.source_id)).all())
        sources = {m.computation.source for m in visible.values()}  # an agency sees the loads of its own sources
        rows = []
        for metric_id, metric in sorted(visible.items()):
            run = runs.get(metric_id)
            rows.append(HealthRow(metric, None, None, None, 0, None, None) if run is None else
                        HealthRow(metric, run.status, run.started_at, run.finished_at, run.rows_read, run.error,
                                  run.warnings))
        return rows, [LoadRow(r.source_id, r.file, r.status, r.finished_at, r.rows_read, r.rows_loaded,
                              r.rows_rejected, r.error, held.get(r.source_id), _rejections(r.rejections))
                      for r in loads if viewer.city_wide or r.source_id in sources]


    def flagged(self, viewer: Viewer) -> list[FlaggedValue]:
        """Every current value held out for review, of the metrics whose data health the viewer sees."""
        scope = {m.id: m for m in self._health_scope(viewer)}
        return self._cached(("flagged", viewer.data_scope), lambda: _flagged(scope))

    def questionable(self, viewer: Viewer, metric_id: str) -> list[FlaggedValue]:
        """The metric's current values held out for review, in every place (its page lists and reviews them)."""
        metric = self.metric(viewer, metric_id)
        return self._cached(("questionable", metric_id), lambda: _flagged({metric_id: metric}))

    def set_aside(self, viewer: Viewer) -> tuple[Issue, ...]:
        """Registry errors that keep objects out of the site, for the admins who maintain the registry."""
        self.require_internal(viewer)
        return self.registry.set_aside if viewer.can_manage else ()

    def _health_scope(self, viewer: Viewer) -> list[MetricSpec]:
        """Metrics whose data health the signed-in viewer sees: an agency user its agencies' own."""
        self.require_internal(viewer)
        return [m for m in self.metrics(viewer) if viewer.can_see_health_of(m)]


def _flagged(metrics: dict[str, MetricSpec]) -> list[FlaggedValue]:
    """Current values of ``metrics`` the gate holds out, or that the performance team reviewed.

    Confirmed values are listed too (with their review), so the list is the whole record; a value marked wrong
    stays held out. Values held out only for coming from a sample, or for a period that began before the source
    does, are not listed: there is nothing to check with the agency (the source says what it holds).
    """
    with get_engine().connect() as conn:
        rows = conn.execute(select(VALUE).where(VALUE.c.valid_to.is_(None), VALUE.c.flags.is_not(None),
                                                VALUE.c.metric_id.in_(list(metrics)))
                            .order_by(VALUE.c.metric_id, VALUE.c.geography, VALUE.c.period_start)).all()
        found = reviews.latest_reviews(conn, metrics)
    out = []
    for r in rows:
        [row] = reviews.with_verdicts(r.metric_id, [value_row(r)], found)
        reviewable = any(f.rule.reviewable for f in row.flags)
        if reviewable or row.verdict is Verdict.WRONG:
            review = found.get((r.metric_id, *row.key)) if row.verdict else None
            out.append(FlaggedValue(metrics[r.metric_id], row, review))
    return out
