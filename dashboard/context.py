"""The app's read gate, set once by ``create_app`` and used by page layouts at request time."""

from __future__ import annotations

import datetime as dt

from data import audit, commentary
from data.access import Gate
from data.policy import ANONYMOUS, Viewer

_gate: Gate | None = None


def set_gate(gate: Gate) -> None:
    global _gate
    _gate = gate


def gate() -> Gate:
    assert _gate is not None, "create_app() sets the gate"
    return _gate


def current_viewer() -> Viewer:
    """The viewer of this request, from the signed server-side session (anonymous outside a request)."""
    from flask import has_request_context

    from dashboard.auth import viewer

    return viewer() if has_request_context() else ANONYMOUS


def today() -> dt.date:
    return gate().today()


def page_versions() -> tuple[object, ...]:
    """What a rendered page depends on besides its address: who may see what, the day, the data and, for
    visitors, public commentary; for staff, every audited change (CitiStat, follow-ups, reviews, comments)."""
    viewer = current_viewer()
    if viewer.internal:
        return (viewer.scope, today(), gate().data_version(), audit.version())
    return (today(), gate().data_version(), commentary.version())
