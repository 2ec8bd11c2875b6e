"""Approved target proposals as the registry's targets: what the read gate puts in place of the YAML's."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, ScalarSelect, func, select

from data.data_call_models import TargetProposal
from metrics.spec import Target

TARGET = TargetProposal.__table__  # type: ignore[attr-defined]
APPROVED = "approved"


def approved_targets(conn: Connection) -> dict[str, tuple[Target, ...]]:
    """Per metric, the latest approved target of each fiscal year, with its note."""
    latest: dict[tuple[str, int], Target] = {}
    rows = conn.execute(select(TARGET).where(TARGET.c.state == APPROVED).order_by(TARGET.c.decided_at, TARGET.c.id))
    for r in rows:
        latest[(r.metric_id, r.fiscal_year)] = Target(fiscal_year=r.fiscal_year, value=r.value, note=r.note)
    out: dict[str, list[Target]] = defaultdict(list)
    for (metric_id, _), target in latest.items():
        out[metric_id].append(target)
    return {metric_id: tuple(targets) for metric_id, targets in out.items()}


def decisions_version_query() -> ScalarSelect[int]:
    """Changes whenever a proposal is decided: the registry's targets may have changed."""
    return select(func.count()).where(TARGET.c.decided_at.is_not(None)).scalar_subquery()
