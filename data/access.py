"""The one gate for reads that feed pages: every read takes the viewer, and internal metrics never reach
a viewer who may not see them. Hidden and unknown metrics are indistinguishable (both ``NotFound``)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import func, select

from data.db import get_engine
from data.models import RefreshRun, RunStatus
from data.store import ValueRow, read_values
from metrics.registry import Registry
from metrics.scores import Summary, roll_up
from metrics.spec import MetricSpec, Visibility
from metrics.status import Assessment, assess

RUN = RefreshRun.__table__  # type: ignore[attr-defined]
STATUS_GRAINS = ("fiscal_year", "fiscal_quarter", "month")


class Role(StrEnum):
    ANONYMOUS = "anonymous"  # a resident: public metrics only
    VIEWER = "viewer"  # internal read-only across the city
    AGENCY = "agency"  # internal metrics of its own agencies
    ADMIN = "admin"  # everything


class NotFound(LookupError):
    """The object does not exist, or this viewer may not know that it does."""


@dataclass(frozen=True)
class Viewer:
    role: Role = Role.ANONYMOUS
    user_id: str | None = None
    agencies: frozenset[str] = field(default_factory=frozenset)

    def can_see(self, metric: MetricSpec) -> bool:
        if metric.visibility is Visibility.PUBLIC:
            return True
        if self.role in (Role.ADMIN, Role.VIEWER):
            return True
        return self.role is Role.AGENCY and metric.agency in self.agencies

    @property
    def scope(self) -> tuple[str, ...]:
        """What this viewer can see, as a cache key: viewers with equal scopes see the same data."""
        if self.role in (Role.ADMIN, Role.VIEWER):
            return ("all",)
        if self.role is Role.AGENCY:
            return ("agency", *sorted(self.agencies))
        return ("public",)


ANONYMOUS = Viewer()


class Gate:
    """Reads for pages, filtered by the viewer, over one registry and the value store."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._cache: dict[tuple[object, ...], object] = {}
        self._lock = threading.Lock()

    def metrics(self, viewer: Viewer) -> list[MetricSpec]:
        return [m for m in self.registry.metrics.values() if viewer.can_see(m)]

    def metric(self, viewer: Viewer, metric_id: str) -> MetricSpec:
        metric = self.registry.metrics.get(metric_id)
        if metric is None or not viewer.can_see(metric):
            raise NotFound(f"no metric '{metric_id}'")
        return metric

    def values(self, viewer: Viewer, metric_id: str, *, as_of: dt.datetime | None = None,
               grain: str | None = None, geography: str | None = None) -> list[ValueRow]:
        self.metric(viewer, metric_id)
        with get_engine().connect() as conn:
            return read_values(conn, [metric_id], as_of=as_of, grain=grain, geography=geography)[metric_id]

    def data_version(self) -> tuple[int, int]:
        """Changes whenever a refresh finishes: the cache key that invalidates page data."""
        with get_engine().connect() as conn:
            row = conn.execute(select(func.max(RUN.c.id), func.count()).where(RUN.c.finished_at.is_not(None))).one()
        return (row[0] or 0, row[1])

    def assessments(self, viewer: Viewer, today: dt.date) -> dict[str, Assessment]:
        """Status of every metric the viewer can see (cached until the next refresh lands)."""
        key = ("assessments", viewer.scope, today, self.data_version())
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            cached = self._assess(self.metrics(viewer), today)
            with self._lock:
                self._cache = {k: v for k, v in self._cache.items() if k[2:] == key[2:]}
                self._cache[key] = cached
        return cached  # type: ignore[return-value]

    def _assess(self, metrics: list[MetricSpec], today: dt.date) -> dict[str, Assessment]:
        ids = [m.id for m in metrics]
        with get_engine().connect() as conn:
            values = read_values(conn, ids, geography="city")
            failed = _failed_since_success(conn)
        city = self.registry.city
        return {m.id: assess(m, values[m.id], city=city, today=today, last_refresh_failed=failed.get(m.id))
                for m in metrics}

    def summaries(self, viewer: Viewer, today: dt.date, level: str) -> dict[str, Summary]:
        """Status counts and scores per pillar, goal, agency, service or the city, over visible metrics."""
        return roll_up(self.registry, self.metrics(viewer), self.assessments(viewer, today), level)


def _failed_since_success(conn: object) -> dict[str, dt.datetime]:
    """Metrics whose latest finished refresh failed, with when it started."""
    latest = (select(RUN.c.metric_id, func.max(RUN.c.id).label("id"))
              .where(RUN.c.status.in_([RunStatus.SUCCESS, RunStatus.FAILED])).group_by(RUN.c.metric_id).subquery())
    rows = conn.execute(  # type: ignore[attr-defined]
        select(RUN.c.metric_id, RUN.c.started_at).join(latest, RUN.c.id == latest.c.id)
        .where(RUN.c.status == RunStatus.FAILED))
    return {r.metric_id: r.started_at for r in rows}
