"""What staff type into forms: one error type that names the field, and the parsers the writes share."""

from __future__ import annotations

import datetime as dt
import urllib.parse


class InputError(ValueError):
    """Input a form cannot take; the message names the field and what is wrong."""


def parse_date(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{field}: '{text[:40]}' is not a date (use YYYY-MM-DD)") from None


def required_text(value: str, field: str, limit: int) -> str:
    """The text without surrounding spaces or NUL characters (no database stores those); refused if empty."""
    value = value.replace("\x00", "").strip()
    if not value:
        raise InputError(f"{field}: this field is required")
    if len(value) > limit:
        raise InputError(f"{field}: at most {limit} characters")
    return value


def web_link(value: str, field: str) -> str | None:
    """Web addresses only (no ``javascript:`` or other schemes); empty gives None."""
    value = value.strip()
    if not value:
        return None
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(value) > 500:
        raise InputError(f"{field}: use a full web address starting with https:// (at most 500 characters)")
    return value
