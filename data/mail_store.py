"""The e-mails reminders send, each claimed before it goes: a message's key is unique, so whatever number of
schedulers run (and whichever takes over from another), each message is sent once."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from data.citistat_models import SentMessage
from data.db import get_engine
from data.lease import fence
from data.models import utcnow

MESSAGE = SentMessage.__table__  # type: ignore[attr-defined]


def claim(key: str, kind: str, recipient: str, subject: str, *, lease: int | None = None) -> bool:
    """Take the message for sending; False when it was taken (sent, or being sent) already. With the scheduler's
    ``lease``, a scheduler that has lost its lease claims nothing."""
    try:
        with get_engine().begin() as conn:
            if lease is not None:
                fence(conn, lease)
            conn.execute(insert(MESSAGE).values(key=key[:300], kind=kind, recipient=recipient, subject=subject,
                                                claimed_at=utcnow()))
    except IntegrityError:
        return False
    return True


def sent(key: str) -> None:
    with get_engine().begin() as conn:
        conn.execute(update(MESSAGE).where(MESSAGE.c.key == key[:300]).values(sent_at=utcnow()))


def release(key: str) -> None:
    """The message could not be handed to the mail server: the claim is let go, to be taken on the next run."""
    with get_engine().begin() as conn:
        conn.execute(delete(MESSAGE).where(MESSAGE.c.key == key[:300], MESSAGE.c.sent_at.is_(None)))


def sent_keys() -> set[str]:
    with get_engine().connect() as conn:
        return set(conn.execute(select(MESSAGE.c.key).where(MESSAGE.c.sent_at.is_not(None))).scalars())

