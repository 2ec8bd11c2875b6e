"""What every page shares: the not-found/sign-in guard and the filtered, sortable measures section."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from dash import dcc, html

from dashboard.components import (
    aria,
    filter_form,
    forbidden,
    href,
    measure_table,
    not_found,
    sign_in_required,
    status_counts,
)
from dashboard.context import current_viewer, gate, today
from dashboard.page_table import page_of
from dashboard.views import SORTS, STATUS_FILTERS, BadQuery, choice, measure_rows
from data.errors import Forbidden, NotFound
from metrics.scores import summarize
from metrics.spec import MetricSpec

PAGE_SIZE = 25  # measures per page of a long list
T = TypeVar("T")


def _internal_only() -> bool:
    from flask import current_app, has_request_context

    return has_request_context() and current_app.config.get("CITISTAT_SITE") == "internal"


def guarded(build: Callable[..., Any]) -> Callable[..., Any]:
    """Page layout decorator, driven by the page's entry in the page table: the page reads the query parameters
    the table lists (each given once); others, such as a newsletter's tracking codes, are ignored.

    Unknown ids and malformed query strings give the not-found page; pages the viewer may not see give the
    sign-in page (anonymous) or the forbidden page (signed in). On the internal site every page but sign-in and
    sign-out needs a signed-in viewer.
    """
    page = page_of(build.__module__)
    known = set(page.query) | (set(build.__annotations__) - {"return", "query"})

    @functools.wraps(build)
    def layout(**params: Any) -> Any:
        viewer = current_viewer()
        try:
            if page.refusal(viewer, _internal_only()):
                raise Forbidden("sign in, or ask the performance team for this page")
            params = {k: v for k, v in params.items() if k in known}  # others (utm_source, fbclid …) are ignored
            if any(not isinstance(v, str) for v in params.values()):
                raise NotFound("This address has parameters the page does not understand.")
            return build(**params)
        except Forbidden:
            return forbidden() if viewer.internal else sign_in_required()
        except BadQuery as exc:
            return not_found(str(exc), about_access=False)
        except NotFound as exc:
            return not_found(str(exc) if str(exc).startswith("This") else "We could not find that page.")

    return layout


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
    shown, number, pages = paged(rows, query)
    counted = f"{len(rows)} of {len(metrics)} measures match" + shown_words(len(shown), number, pages)
    return html.Div([
        status_counts(summarize(snapshot.assessments[m.id] for m in metrics)),
        filter_form(path, kept, agencies, sort),
        html.P(counted, className="result-count", role="status"),
        measure_table(shown, path, kept, sort, caption, show_agency=len(agency_ids) > 1, agency_names=names),
        pager(path, {**kept, "sort": sort if sort != "status" else None}, number, pages),
    ])


def paged(rows: Sequence[T], query: Mapping[str, str], size: int = PAGE_SIZE) -> tuple[Sequence[T], int, int]:
    """The rows on the page ``?page=`` asks for (the nearest page there is), its number and the number of pages."""
    pages = max(1, -(-len(rows) // size))
    asked = query.get("page") or "1"
    number = min(max(int(asked), 1), pages) if asked.isdecimal() else 1  # an old link's page 20 of a shorter list
    return rows[(number - 1) * size:number * size], number, pages


def shown_words(shown: int, number: int, pages: int, size: int = PAGE_SIZE) -> str:
    """"; 26–50 shown." on a page of several, else "."."""
    return f"; {(number - 1) * size + 1}–{(number - 1) * size + shown} shown." if pages > 1 else "."


def pager(path: str, query: Mapping[str, str | None], number: int, pages: int) -> html.Nav | None:
    """Previous, page N of M, next: links that keep the filters."""
    if pages <= 1:
        return None
    def link(text: str, to: int) -> html.Li:
        return html.Li(dcc.Link(text, href=href(path, {**query, "page": str(to) if to > 1 else None}),
                                className="page-link"), className="page-item")
    items = [link("← Previous page", number - 1) if number > 1 else None,
             html.Li(html.Span(f"Page {number} of {pages}", className="page-link", **aria(current="page")),
                     className="page-item active"),
             link("Next page →", number + 1) if number < pages else None]
    return html.Nav(html.Ul([i for i in items if i], className="pagination flex-wrap"), **aria(label="Pages"))
