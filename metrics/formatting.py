"""How values read: percent from 0–1 fractions, currency, counts, days and rates."""

from __future__ import annotations

from metrics.spec import FormatType


def _trim(number: float, decimals: int) -> str:
    text = f"{number:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_value(value: float | None, fmt: FormatType | None, unit: str | None = None) -> str:
    """``0.712`` percent → ``71.2%``; ``1250000`` currency → ``$1.25M``; ``3.5`` days → ``3.5 days``; a count or
    rate with a unit says it (``1.42 in millions``, ``350 tons``)."""
    if value is None:
        return "—"
    if fmt is FormatType.PERCENT:
        return f"{_trim(value * 100, 1)}%"
    if fmt is FormatType.CURRENCY:
        if abs(value) >= 1_000_000:
            return f"${_trim(value / 1_000_000, 2)}M"
        return f"${_trim(value, 0 if abs(value) >= 1000 else 2)}"
    if fmt is FormatType.DAYS:
        return f"{_trim(value, 1)} day{'' if value == 1 else 's'}"
    number = _trim(value, 0) if abs(value) >= 1000 else _trim(value, 2)
    return f"{number} {unit}" if unit and fmt in (FormatType.RATE, FormatType.COUNT) else number


def format_count(value: float | None) -> str:
    return "—" if value is None else _trim(value, 0)


def format_change(now: float, before: float, fmt: FormatType | None) -> str:
    """The change from ``before`` to ``now``: ``+3.1 points`` for a percent, ``−12%`` for anything else (the
    difference itself when ``before`` is zero)."""
    if fmt is FormatType.PERCENT:
        points = (now - before) * 100
        return "no change" if abs(points) < 0.05 else f"{'+' if points > 0 else '−'}{_trim(abs(points), 1)} points"
    if before == 0:
        return "no change" if now == 0 else f"{'+' if now > 0 else '−'}{format_value(abs(now), fmt)}"
    relative = (now - before) / abs(before) * 100
    return "no change" if abs(relative) < 0.5 else f"{'+' if relative > 0 else '−'}{_trim(abs(relative), 0)}%"


def format_target(value: float, fmt: FormatType | None, unit: str | None = None) -> str:
    """A target as people set them: a count's share of the year in whole units ("417", not "416.67"; a small
    one to a tenth), anything else as ``format_value`` reads it."""
    if fmt in (None, FormatType.COUNT):
        value = round(value) if abs(value) >= 10 else round(value, 1)
    return format_value(value, fmt, unit)
