"""What staff type into forms: one error type that names the field, and the parsers the writes share."""

from __future__ import annotations

import datetime as dt
import urllib.parse


class InputError(ValueError):
    """Input a form cannot take; the message names the field and what is wrong."""


EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)  # beyond these, date arithmetic would overflow


def parse_date(text: str, field: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{field}: '{text[:40]}' is not a date (use YYYY-MM-DD)") from None
    if not EARLIEST <= day <= LATEST:
        raise InputError(f"{field}: {day.isoformat()} is not a plausible date")
    return day


def required_text(value: str, field: str, limit: int) -> str:
    """The text without surrounding spaces or NUL characters (no database stores those); refused if empty."""
    value = value.replace("\x00", "").strip()
    if not value:
        raise InputError(f"{field}: this field is required")
    if len(value) > limit:
        raise InputError(f"{field}: at most {limit} characters")
    return value


BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def note_text(value: str, field: str, limit: int) -> str | None:
    """A note as it is kept: line breaks as typed, without NUL or direction-override characters (which would turn
    the text after them around on a page); refused when longer than ``limit``; empty gives None."""
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").translate(BIDI_CONTROLS).strip()
    if len(text) > limit:
        raise InputError(f"{field}: at most {limit:,} characters (this one has {len(text):,})")
    return text or None


def web_link(value: str, field: str) -> str | None:
    """Web addresses only (no ``javascript:`` or other schemes); empty gives None."""
    value = value.strip()
    if not value:
        return None
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(value) > 500:
        raise InputError(f"{field}: use a full web address starting with https:// (at most 500 characters)")
    return value
