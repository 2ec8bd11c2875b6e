"""Sign-in throttling: guessing is slowed per (username, address) and per address, never the owner elsewhere.

The rule, counting failures of the last ``WINDOW``:

- **username and address**: ``PAIR_FREE`` failures are free; then each attempt waits ``FIRST_WAIT`` after the
  last failure, doubling per further failure up to ``MAX_WAIT``. A successful sign-in of that user from that
  address starts the count again.
- **address**, all usernames (spraying one password over many names, or names that do not exist):
  ``ADDRESS_FREE`` failures are free, then the same doubling waits. An address where the user signed in
  within ``KNOWN_FOR`` is exempt for that user, so a busy shared address (an office behind NAT) never stops
  colleagues who have signed in from it before.
- **username**, all addresses: after ``USER_FREE`` failures, addresses new for the user take the slower path:
  only ``NEW_ADDRESS_FREE`` free failure before the doubling waits. The right password on the first try
  from a new address still signs in; failures elsewhere never refuse the owner's attempt.

Waits are answered at once ("try again in N seconds"), never slept on the server. An IPv6 address counts by
its /64 network (one subscriber's block), an IPv4 address by itself.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from sqlalchemy import ColumnElement, Connection, func, select

from data.models import SignInFailure, SignInSession, aware

FAILURE = SignInFailure.__table__  # type: ignore[attr-defined]
SESSION = SignInSession.__table__  # type: ignore[attr-defined]
WINDOW = dt.timedelta(hours=1)
PAIR_FREE = 5
ADDRESS_FREE = 20
USER_FREE = 10
NEW_ADDRESS_FREE = 1
KNOWN_FOR = dt.timedelta(days=30)
FIRST_WAIT = dt.timedelta(seconds=2)
MAX_WAIT = dt.timedelta(minutes=5)


def address_key(address: str) -> str:
    """What failures are counted by: an IPv4 address, or an IPv6 address's /64 network."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def backoff(failures: int, free: int) -> dt.timedelta | None:
    """The wait after the last of ``failures`` when ``free`` are allowed: doubling, at most ``MAX_WAIT``."""
    if failures < free:
        return None
    return min(FIRST_WAIT * 2 ** min(failures - free, 20), MAX_WAIT)


def _remaining(conn: Connection, free: int, now: dt.datetime, *where: ColumnElement[bool]) -> dt.timedelta | None:
    failures, last = conn.execute(select(func.count(), func.max(FAILURE.c.at)).where(*where)).one()
    wait = backoff(failures, free)
    if wait is None or last is None:
        return None
    remaining = aware(last) + wait - now
    return remaining if remaining > dt.timedelta(0) else None


def last_sign_in(conn: Connection, user_id: int | None, key: str) -> dt.datetime | None:
    """When the user last signed in from this address (key), if ever."""
    started = conn.execute(select(func.max(SESSION.c.started_at)).where(  # asked for unknown names too (timing)
        SESSION.c.user_id == (user_id if user_id is not None else -1), SESSION.c.address == key)).scalar()
    return aware(started) if started is not None else None


def retry_after(conn: Connection, username: str, user_id: int | None, key: str, now: dt.datetime
                ) -> dt.timedelta | None:
    """How long an attempt for ``username`` from address ``key`` must still wait, or None to check it now."""
    since = now - WINDOW
    signed_in = last_sign_in(conn, user_id, key)
    known = signed_in is not None and signed_in > now - KNOWN_FOR
    free = PAIR_FREE
    waits = []
    if not known:
        waits.append(_remaining(conn, ADDRESS_FREE, now, FAILURE.c.address == key, FAILURE.c.at > since))
        user_failures = conn.execute(select(func.count()).where(
            FAILURE.c.username == username, FAILURE.c.at > since)).scalar_one()
        free = PAIR_FREE if user_failures < USER_FREE else NEW_ADDRESS_FREE
    pair_since = max(since, signed_in) if signed_in is not None else since
    waits.append(_remaining(conn, free, now, FAILURE.c.username == username, FAILURE.c.address == key,
                            FAILURE.c.at > pair_since))
    return max((w for w in waits if w is not None), default=None)
