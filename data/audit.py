"""The audit log: every write records who, when, what, and the object before and after."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, insert, select

from data.db import get_engine
from data.models import AuditEntry, utcnow

AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]


def record(conn: Connection, *, actor: str, action: str, object_type: str, object_id: str,
           before: Any = None, after: Any = None) -> None:
    """Add an entry in the caller's transaction, so the write and its record commit together."""
    conn.execute(insert(AUDIT).values(
        at=utcnow(), actor=actor, action=action, object_type=object_type, object_id=object_id,
        before=None if before is None else json.dumps(before, sort_keys=True, default=str),
        after=None if after is None else json.dumps(after, sort_keys=True, default=str)))


def entries(conn: Connection, *, limit: int = 500, object_type: str | None = None, object_id: str | None = None
            ) -> list[Any]:
    query = select(AUDIT).order_by(AUDIT.c.id.desc()).limit(limit)
    if object_type:
        query = query.where(AUDIT.c.object_type == object_type)
    if object_id:
        query = query.where(AUDIT.c.object_id == object_id)
    return list(conn.execute(query))


def version(object_type: str | None = None) -> int:
    """The newest entry's id (of ``object_type``, or of any): it changes with every audited change."""
    query = select(func.coalesce(func.max(AUDIT.c.id), 0))
    if object_type:
        query = query.where(AUDIT.c.object_type == object_type)
    with get_engine().connect() as conn:
        return int(conn.execute(query).scalar_one())
