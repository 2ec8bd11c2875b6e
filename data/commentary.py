"""Commentary on a metric's value for one period: public (residents read it) or internal, audited.

Admins comment on any metric, agency users on their agencies' metrics. Internal commentary reaches only the
metric's own agency and the Mayor's office (``Viewer.can_read_internal_commentary``), never another agency.
Withdrawing keeps the row, so what was said stays on record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select, update

from data import audit
from data.access import Gate
from data.audit import record
from data.citistat_models import Commentary
from data.db import get_engine
from data.errors import Forbidden, NotFound
from data.input import InputError, parse_date
from data.models import Role, User, aware, utcnow
from data.policy import Viewer
from metrics.spec import Grain, Visibility

COMMENTARY = Commentary.__table__  # type: ignore[attr-defined]
USER = User.__table__  # type: ignore[attr-defined]
MAX_BODY = 2000


class Audience(StrEnum):
    """Who reads a comment: residents too, the metric's own agency and the Mayor's office, or all City staff."""

    PUBLIC = "public"
    INTERNAL = "internal"
    STAFF = "staff"


@dataclass(frozen=True)
class Comment:
    id: int
    metric_id: str
    grain: Grain
    period_start: dt.date
    visibility: Audience
    body: str
    author: str
    created_at: dt.datetime
    by_agency: bool  # written by an agency user (else by the Mayor's office)


def add_comment(gate: Gate, viewer: Viewer, metric_id: str, *, period: str, visibility: str, body: str) -> int:
    """``period`` is ``<grain>:<YYYY-MM-DD>`` and must be a period the metric has a value for."""
    metric = gate.metric(viewer, metric_id)
    if not viewer.can_comment_on(metric):
        raise Forbidden("only the metric's agency and the performance team comment on it")
    if visibility not in Audience.__members__.values():
        raise InputError("Who can read it: choose public, internal or all City staff")
    if Audience(visibility) is Audience.PUBLIC and metric.visibility is Visibility.INTERNAL:
        raise InputError("Who can read it: an internal measure takes internal commentary only")
    grain_text, _, start_text = period.partition(":")
    if grain_text not in Grain.__members__.values():
        raise InputError(f"Period: '{period[:40]}' is not a period of this measure")
    grain, start = Grain(grain_text), parse_date(start_text, "Period")
    if not any(v.grain == grain and v.period_start == start for v in gate.values(viewer, metric_id, grain=grain)):
        raise InputError(f"Period: this measure has no {grain.value} value starting {start}")
    body = body.strip()
    if not body or len(body) > MAX_BODY:
        raise InputError(f"Comment: write between 1 and {MAX_BODY} characters")
    values = {"metric_id": metric_id, "grain": grain.value, "period_start": start, "visibility": visibility,
              "body": body}
    with get_engine().begin() as conn:
        comment_id = conn.execute(insert(COMMENTARY).returning(COMMENTARY.c.id)
                                  .values(**values, author=viewer.user_id, created_at=utcnow())).scalar_one()
        record(conn, actor=str(viewer.user_id), action="comment", object_type="commentary",
               object_id=str(comment_id), after=values)
    return int(comment_id)


def withdraw_comment(gate: Gate, viewer: Viewer, comment_id: int) -> str:
    """Withdraw a comment (``Viewer.can_withdraw_comment``); returns the metric id. The row and its audit stay."""
    with get_engine().connect() as conn:
        row = conn.execute(_with_author(select(COMMENTARY)).where(COMMENTARY.c.id == comment_id,
                                                                  COMMENTARY.c.withdrawn_at.is_(None))).first()
    if row is None:
        raise NotFound(f"no comment {comment_id}")
    if not viewer.can_withdraw_comment(gate.metric(viewer, row.metric_id), by_agency=_comment(row).by_agency):
        raise Forbidden("an agency withdraws its own commentary; the Mayor's office withdraws any")
    with get_engine().begin() as conn:
        conn.execute(update(COMMENTARY).where(COMMENTARY.c.id == comment_id).values(withdrawn_at=utcnow()))
        record(conn, actor=str(viewer.user_id), action="withdraw", object_type="commentary",
               object_id=str(comment_id), before={"body": row.body, "visibility": row.visibility})
    return str(row.metric_id)


def _with_author(query: Any) -> Any:
    """``query`` with the author's role (``author_role``), from the user table."""
    return query.add_columns(USER.c.role.label("author_role")).outerjoin(USER, USER.c.username == COMMENTARY.c.author)


def comments(gate: Gate, viewer: Viewer, metric_ids: list[str], *, as_of: dt.datetime | None = None
             ) -> dict[str, list[Comment]]:
    """Commentary the viewer may read on each metric, newest period first (as it stood at ``as_of``)."""
    metrics = gate.visible(viewer, metric_ids)
    visible = [m.id for m in metrics]
    insiders = [m.id for m in metrics if viewer.can_read_internal_commentary(m)]
    query = _with_author(select(COMMENTARY)).where(COMMENTARY.c.metric_id.in_(visible))
    if as_of is None:
        query = query.where(COMMENTARY.c.withdrawn_at.is_(None))
    else:
        query = query.where(COMMENTARY.c.created_at <= as_of, (COMMENTARY.c.withdrawn_at.is_(None))
                            | (COMMENTARY.c.withdrawn_at > as_of))
    readable = [Audience.PUBLIC.value, *([Audience.STAFF.value] if viewer.internal else [])]
    query = query.where(COMMENTARY.c.visibility.in_(readable) | COMMENTARY.c.metric_id.in_(insiders))
    out: dict[str, list[Comment]] = {m: [] for m in visible}
    with get_engine().connect() as conn:
        for r in conn.execute(query.order_by(COMMENTARY.c.period_start.desc(), COMMENTARY.c.id.desc())):
            out[r.metric_id].append(_comment(r))
    return out


def version() -> int:
    """Changes whenever commentary is added or withdrawn (pages showing it are cached against it)."""
    return audit.version("commentary")


def _comment(r: Any) -> Comment:
    return Comment(r.id, r.metric_id, Grain(r.grain), r.period_start, Audience(r.visibility), r.body, r.author,
                   aware(r.created_at), r.author_role == Role.AGENCY.value)
