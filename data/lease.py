"""The scheduler's lease: a fencing token taken with the leader lock, refused by the store once stale.

Each time a scheduler becomes leader it takes the next epoch of the one ``scheduler_lease`` row and marks
every run still 'running' under an older epoch abandoned. Its runs carry the epoch, and the store checks it
(``fence``) at the start of the transaction that records a run and of the one that writes its values. On
PostgreSQL the check share-locks the lease row until that transaction ends, so a new leader's take waits for
an old leader's write in flight and, once taken, every later check by the old leader fails: a leader cut off
from the database can never start, or finish, a run after another has taken over.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from data.models import RefreshRun, RunStatus, SchedulerLease, utcnow

LEASE = SchedulerLease.__table__  # type: ignore[attr-defined]
RUN = RefreshRun.__table__  # type: ignore[attr-defined]
ROW = 1


class LeaseLost(Exception):
    """Another scheduler has taken the lease since this one's was taken."""


def take_lease(conn: Connection, holder: str) -> int:
    """The next epoch, for the scheduler ``holder`` that has just taken the leader lock; commit it at once."""
    taken = conn.execute(update(LEASE).where(LEASE.c.id == ROW)
                         .values(epoch=LEASE.c.epoch + 1, holder=holder, taken_at=utcnow()))
    if not taken.rowcount:
        conn.execute(insert(LEASE).values(id=ROW, epoch=1, holder=holder, taken_at=utcnow()))
    epoch: int = conn.execute(select(LEASE.c.epoch).where(LEASE.c.id == ROW)).scalar_one()
    conn.execute(update(RUN).where(RUN.c.status == RunStatus.RUNNING, RUN.c.lease < epoch)
                 .values(status=RunStatus.ABANDONED, finished_at=utcnow()))
    return epoch


def fence(conn: Connection, lease: int) -> None:
    """Raise ``LeaseLost`` unless ``lease`` is the current epoch; call it first in a writing transaction."""
    current = conn.execute(select(LEASE.c.epoch).where(LEASE.c.id == ROW).with_for_update(read=True)).scalar()
    if current != lease:
        raise LeaseLost(f"lease {lease} is stale (the current one is {current})")
