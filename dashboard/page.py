"""What every page shares: the not-found/sign-in guard and the filtered, sortable measures section."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dash import html

from dashboard.components import filter_form, forbidden, measure_table, not_found, sign_in_required, status_counts
from dashboard.context import current_viewer, gate, today
from dashboard.views import SORTS, STATUS_FILTERS, choice, measure_rows
from data.errors import Forbidden, NotFound
from metrics.scores import summarize
from metrics.spec import MetricSpec

FILTERS = ("status", "agency", "sort")
READ_PARAMETERS: set[str] = set()  # every query parameter some page reads (the page cache keys on these only)


def _internal_only() -> bool:
    from flask import current_app, has_request_context

    return has_request_context() and current_app.config.get("CITISTAT_SITE") == "internal"


def guarded(*accepted: str, public: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Page layout decorator: the page reads its ``accepted`` query parameters (each given once); others, such as
    a newsletter's tracking codes, are ignored.

    Unknown ids and malformed query strings give the not-found page; pages the viewer may not see give the
    sign-in page (anonymous) or the forbidden page (signed in). On the internal site every page but the
    ``public`` ones (sign-in) needs a signed-in viewer.
    """

    READ_PARAMETERS.update(accepted)

    def decorate(build: Callable[..., Any]) -> Callable[..., Any]:
        path_parameters = set(build.__annotations__) - {"return", "query"}

        @functools.wraps(build)
        def layout(**params: Any) -> Any:
            try:
                if _internal_only() and not public and not current_viewer().internal:
                    raise Forbidden("sign in to see this site")
                known = set(accepted) | path_parameters  # others (utm_source, fbclid …) are ignored
                params = {k: v for k, v in params.items() if k in known}
                if any(not isinstance(v, str) for v in params.values()):
                    raise NotFound("This address has parameters the page does not understand.")
                return build(**params)
            except Forbidden:
                return forbidden() if current_viewer().internal else sign_in_required()
            except NotFound as exc:
                return not_found(str(exc) if str(exc).startswith("This") else "We could not find that page.")

        return layout

    return decorate


def record_id(text: str, kind: str) -> int:
    """A stored record's id from its address (``NotFound`` for anything but a plain number)."""
    if not text.isdigit() or len(text) > 9:
        raise NotFound(f"no {kind} '{text[:20]}'")
    return int(text)


def parse_filters(query: Mapping[str, str], agency_ids: Iterable[str]) -> tuple[str | None, str | None, str]:
    """(status, agency, sort) from the query string; ``BadQuery`` for values the page does not offer."""
    status = choice(query, "status", STATUS_FILTERS)
    agency = choice(query, "agency", agency_ids)
    return status, agency, choice(query, "sort", SORTS, "status") or "status"


def freshest(metrics: Iterable[MetricSpec], day: dt.date | None = None) -> str | None:
    snapshot = gate().snapshot(current_viewer(), day or today())
    dates = [snapshot.assessments[m.id].data_through for m in metrics if m.id in snapshot.assessments]
    known = [d for d in dates if d is not None]
    return max(known).isoformat() if known else None


def measures_section(metrics: list[MetricSpec], path: str, query: Mapping[str, str], caption: str,
                     with_agency_filter: bool = True) -> html.Div:
    """Status counts, the filter form and the measure table for ``metrics``."""
    reads, viewer, day = gate(), current_viewer(), today()
    registry = reads.registry
    agency_ids = sorted({m.agency for m in metrics}, key=lambda a: registry.agencies[a].name)
    status, agency, sort = parse_filters(query, agency_ids if with_agency_filter else ())
    snapshot = reads.snapshot(viewer, day)
    rows = measure_rows(metrics, snapshot, registry, status=status, agency=agency, sort=sort)
    kept = {"status": status, "agency": agency}
    names = {a: registry.agencies[a].name for a in agency_ids}
    agencies = [(a, names[a]) for a in agency_ids] if with_agency_filter and len(agency_ids) > 1 else None
    return html.Div([
        status_counts(summarize(snapshot.assessments[m.id] for m in metrics)),
        filter_form(path, kept, agencies, sort),
        html.P(f"{len(rows)} of {len(metrics)} measures shown.", className="result-count", role="status"),
        measure_table(rows, path, kept, sort, caption, show_agency=len(agency_ids) > 1, agency_names=names),
    ])
