"""The one page table: each page's address, title, who may see it, the query it reads and its place in the nav.

Page registration, the HTTP status of a direct visit, the site nav, the page guard and the page cache's
exceptions are all derived from it; a page module registers itself with ``dash_page(__name__)``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask import g, has_request_context

from dashboard import area_data
from dashboard import page_titles as titles
from dashboard.area_views import page_title as area_title
from dashboard.context import current_viewer, gate
from data import data_calls, uploads
from data.errors import Forbidden, NotFound
from data.followup_store import follow_up
from data.policy import Viewer
from data.sessions import session

FILTERS = ("status", "agency", "sort", "page")
NOT_FOUND_TITLE = titles.full_title("Page not found")
PREFIX = "dashboard.pages."


class Audience(StrEnum):
    EVERYONE = "everyone"  # residents and staff (on the internal site, signed-in staff only)
    STAFF = "staff"  # signed-in staff
    ADMIN = "admin"  # the Mayor's office's admins
    ANYONE = "anyone"  # sign-in and sign-out: open on every site, never cached (they carry a form token)


Check = Callable[[Viewer, Mapping[str, str]], object]  # raises NotFound or Forbidden for a hidden or unknown object


@dataclass(frozen=True)
class Page:
    module: str  # under dashboard/pages
    path: str  # "/metrics/<metric_id>"; with ``rest``, the last variable takes the rest of the path, slashes too
    title: str | Callable[..., str]
    audience: Audience = Audience.EVERYONE
    query: tuple[str, ...] = ()  # the query parameters the page reads; others are ignored
    nav: str | None = None  # its link text in the site nav
    exists: Check | None = None  # does the address name an object this viewer may see?
    rest: bool = False
    description: Callable[..., str] = titles.site_description  # for search results and link previews

    @functools.cached_property
    def _pattern(self) -> re.Pattern[str]:
        variables = [m.group(1) for m in re.finditer(r"<(\w+)>", self.path)]
        pattern = re.escape(self.path)
        for number, name in enumerate(variables, start=1):
            takes = ".+" if self.rest and number == len(variables) else "[^/]+"
            pattern = pattern.replace(re.escape(f"<{name}>"), f"(?P<{name}>{takes})")
        return re.compile(pattern)

    def match(self, path: str) -> dict[str, str] | None:
        found = self._pattern.fullmatch(path)
        return found.groupdict() if found else None

    def refusal(self, viewer: Viewer, internal_site: bool) -> int | None:
        """401 when the viewer must sign in first, 403 when their role may not open the page, else None."""
        if self.audience is Audience.ANYONE:
            return None
        if not viewer.internal and (self.audience is not Audience.EVERYONE or internal_site):
            return 401
        if self.audience is Audience.ADMIN and not viewer.can_manage:
            return 403
        return None


def record_id(text: str, kind: str) -> int:
    """A stored record's id from its address (``NotFound`` for anything but a plain number)."""
    if not text.isdigit() or len(text) > 9:
        raise NotFound(f"no {kind} '{text[:20]}'")
    return int(text)


def _in(collection: str) -> Check:
    def check(_: Viewer, params: Mapping[str, str]) -> None:
        if next(iter(params.values())) not in getattr(gate().registry, collection):
            raise NotFound(f"no such {collection[:-1]}")
    return check


def _area(viewer: Viewer, params: Mapping[str, str]) -> None:
    geography_id, _, key = params["where"].partition("/")
    area_data.geography(gate(), geography_id)
    if key:
        area_data.find_area(gate(), viewer, geography_id, key)


def _district(viewer: Viewer, params: Mapping[str, str]) -> None:
    districts = gate().registry.city.districts
    if districts is None:
        raise NotFound("This city has no districts.")
    area_data.find_area(gate(), viewer, districts, params["district"])


PAGES: tuple[Page, ...] = (
    Page("home", "/", "City performance overview", nav="Overview"),
    Page("action_plan", "/action-plan", titles.plan_title, nav="Action Plan"),
    Page("agencies", "/agencies", "Agencies", nav="Agencies"),
    Page("services", "/services", "Budget services"),
    Page("areas", "/areas", "Areas", nav="Areas"),
    Page("districts", "/districts", "Districts"),
    Page("about", "/about", "About the data and methods", nav="About the data"),
    Page("search", "/search", "Search", query=("q",)),
    Page("pillar", "/pillars/<pillar_id>", titles.pillar_title, query=FILTERS, exists=_in("pillars"),
         description=titles.pillar_description),
    Page("goal", "/goals/<goal_id>", titles.goal_title, query=FILTERS, exists=_in("goals")),
    Page("agency", "/agencies/<agency_id>", titles.agency_title, query=("status", "sort"), exists=_in("agencies")),
    Page("service", "/services/<service_id>", titles.service_title, exists=_in("services")),
    Page("metric", "/metrics/<metric_id>", titles.metric_title, query=("grain", "geography", "as_of"),
         exists=lambda viewer, params: gate().metric(viewer, params["metric_id"]),
         description=titles.metric_description),
    Page("area", "/areas/<where>", area_title, exists=_area, rest=True),
    Page("district", "/districts/<district>", titles.district_title, exists=_district),
    Page("citistat", "/citistat", "CitiStat sessions", Audience.STAFF, nav="CitiStat"),
    Page("citistat_session", "/citistat/<session_id>", "CitiStat session", Audience.STAFF,
         exists=lambda viewer, params: session(viewer, record_id(params["session_id"], "session"))),
    Page("follow_ups", "/follow-ups", "Follow-ups", Audience.STAFF, query=("colour", "agency"), nav="Follow-ups"),
    Page("follow_up", "/follow-ups/<follow_up_id>", "Follow-up", Audience.STAFF,
         exists=lambda viewer, params: follow_up(gate(), viewer, record_id(params["follow_up_id"], "follow-up"))),
    Page("my_agency", "/my-agency", "My agency", Audience.STAFF, query=("agency",), nav="My agency"),
    Page("data_calls", "/data-calls", "Data calls", Audience.STAFF, nav="Data calls"),
    Page("data_call", "/data-calls/<call_id>", "Data call", Audience.STAFF, query=("agency", "state"),
         exists=lambda viewer, params: data_calls.call(gate(), viewer, record_id(params["call_id"], "data call"))),
    Page("data_call_entry", "/data-calls/<call_id>/measures/<metric_id>", "Report a measure", Audience.STAFF,
         exists=lambda viewer, params: data_calls.entry(gate(), viewer, record_id(params["call_id"], "data call"),
                                                        params["metric_id"])),
    Page("data_call_upload", "/data-calls/<call_id>/upload", "Upload figures", Audience.STAFF,
         exists=lambda viewer, params: data_calls.call(gate(), viewer, record_id(params["call_id"], "data call"))),
    Page("data_call_preview", "/data-calls/<call_id>/uploads/<upload_id>", "Check the upload", Audience.STAFF,
         exists=lambda viewer, params: uploads.pending(gate(), viewer, record_id(params["call_id"], "data call"),
                                                       record_id(params["upload_id"], "upload"))),
    Page("data_health", "/data-health", "Data health", Audience.STAFF, query=("show", "page"), nav="Data health"),
    Page("audit", "/admin/audit", "Audit log", Audience.ADMIN, nav="Audit log"),
    Page("sign_in", "/sign-in", "Staff sign-in", Audience.ANYONE, query=("error", "retry", "next")),
    Page("sign_out", "/sign-out", "Sign out", Audience.ANYONE),
    Page("not_found_404", "/404", "Page not found"),
)
BY_MODULE = {page.module: page for page in PAGES}
ALWAYS_OPEN = frozenset(page.path for page in PAGES if page.audience is Audience.ANYONE)
READ_PARAMETERS = frozenset(name for page in PAGES for name in page.query)  # the page cache keys on these only


def page_of(module: str) -> Page:
    """The table's entry for a page module (``dashboard.pages.metric`` or ``metric``)."""
    return BY_MODULE[module.removeprefix(PREFIX)]


MATCH_ORDER = sorted(PAGES, key=lambda p: (p.rest, -p.path.count("/")))  # deeper shapes first, then those that
# take the rest: /data-calls/<id>/upload is tried before /data-calls/<id>, which would take it whole in Dash


def dash_page(module: str) -> dict[str, Any]:
    """``dash.register_page`` arguments of a page module, from its entry; Dash tries pages in ``order``."""
    page = page_of(module)
    where = {"path_template": page.path} if "<" in page.path else {"path": page.path}
    name = page.nav or (page.title if isinstance(page.title, str) else "")
    return {**where, "title": _titled(page), "name": name, "description": page.description,
            "order": MATCH_ORDER.index(page)}


def page_title(path: str) -> str:
    """The title of the page at ``path`` for this viewer (the served document's ``<title>``)."""
    found = find(path)
    return NOT_FOUND_TITLE() if found is None else _titled(found[0])(**found[1])


def _titled(page: Page) -> Callable[..., str]:
    """The page's title for its path variables, in the served document and in the browser once Dash has shown it:
    an address naming nothing ("/areas/council_district/99") is titled as the not-found page it shows, and a hidden
    object by the generic words of ``page_titles`` (nothing is named)."""
    def title(**params: str) -> str:
        if isinstance(hidden(page, params), NotFound):
            return NOT_FOUND_TITLE()
        return titles.full_title(page.title)(**params)
    return title


def hidden(page: Page, params: Mapping[str, str]) -> NotFound | Forbidden | None:
    """Why the object an address names is not this viewer's to see (unknown, or not theirs), or none; decided once
    per request (a document request asks for its HTTP status and for its title, and an area's check reads every
    measure's breakdown)."""
    if page.exists is None:
        return None
    decided: dict[tuple[str, tuple[tuple[str, str], ...]], NotFound | Forbidden | None]
    decided = g.setdefault("page_hidden", {}) if has_request_context() else {}
    key = (page.module, tuple(sorted(params.items())))
    if key not in decided:
        try:
            page.exists(current_viewer(), params)
            decided[key] = None
        except (NotFound, Forbidden) as refusal:
            decided[key] = refusal
    return decided[key]


def find(path: str) -> tuple[Page, dict[str, str]] | None:
    """The page an address names (trailing slashes ignored), with its path variables."""
    path = path.rstrip("/") or "/"
    for page in MATCH_ORDER:
        params = page.match(path)
        if params is not None:
            return page, params
    return None
