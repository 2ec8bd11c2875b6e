"""The refusals every read and write can give, and how a database failure is told to people."""

from __future__ import annotations

from sqlalchemy import exc as sa

# the database could not be reached, or another writer holds its lock: trying again later may work
UNAVAILABLE = (sa.OperationalError, sa.InterfaceError, sa.TimeoutError, sa.DisconnectionError)
DESCRIPTION_LIMIT = 300


class NotFound(LookupError):
    """The object does not exist, or this viewer may not know that it does."""


class Forbidden(PermissionError):
    """The viewer must sign in (anonymous) or lacks the role for this page."""


def describe(error: BaseException) -> str:
    """One line about ``error`` that people may read: the kind and the reason, never the statement or its values.

    A database error's first line names the problem (a missing column, a broken constraint); its statement,
    parameters and details (which quote rows) stay in the server log."""
    original = error.orig if isinstance(error, sa.StatementError) and error.orig is not None else error
    reason = str(original).strip().splitlines()[0] if str(original).strip() else "no reason given"
    return f"{type(original).__name__}: {reason}"[:DESCRIPTION_LIMIT]
