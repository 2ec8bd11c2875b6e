"""Figures as people type them (a form field or a spreadsheet cell) read into stored numbers, or refused with why.

Percent is read one way only, and the reading is shown back before anything is saved: ``75%`` is 75%; a
number without the sign is a fraction when it is between -1 and 1 (``0.75`` is 75%) and percentage points
otherwise (``75`` is 75%). So ``1`` is 100%, and one percent is typed ``1%`` or ``0.01``. Thousands separators
(``12,500``), a currency sign and accounting negatives (``(1,200)``) are understood; placeholders such as
``N/A`` or ``TBD`` are refused (leave the cell empty when there is no figure yet).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from metrics.spec import FormatType

PLACEHOLDERS = frozenset({"n/a", "na", "n.a.", "tbd", "tba", "tbc", "-", "--", "—", "–", "?", "..", "...", "pending",
                          "null", "none", "nan", "#n/a", "#value!", "#div/0!", "#ref!", "x"})
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


class FigureError(ValueError):
    """A typed figure that cannot be read; the message says why and how to write it."""


@dataclass(frozen=True)
class Figure:
    """A figure read from what was typed: the stored number (None for an empty field) and how it reads."""

    value: float | None
    shown: str  # "75%"; "" when empty
    typed: str  # what was typed, as text

    @property
    def reinterpreted(self) -> bool:
        """Whether the reading differs from the text typed, so the person should see how it was read."""
        def bare(text: str) -> str:
            return text.replace(" ", "").replace(",", "")

        return bool(self.typed) and bare(self.typed) != bare(self.shown)


def read_figure(raw: object, fmt: FormatType | None, unit: str | None = None) -> Figure:
    """What ``raw`` (text, or a spreadsheet's number) means for a measure shown as ``fmt``. Raises FigureError."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return Figure(None, "", "")
    if isinstance(raw, bool):
        raise FigureError(f"{raw} is not a figure")
    if isinstance(raw, int | float):
        typed, number, percent_sign = _plain(raw), float(raw), False
    else:
        typed = " ".join(str(raw).split())
        if not typed:
            return Figure(None, "", "")
        number, percent_sign = _parse_text(_without_unit(typed, fmt, unit), fmt)
    if not math.isfinite(number):
        raise FigureError(f"'{typed}' is not a finite number")
    if fmt is FormatType.PERCENT:
        number = number / 100 if percent_sign or abs(number) > 1 else number
    elif percent_sign:
        raise FigureError(f"'{typed}' has a percent sign, but this measure is not a percent")
    return Figure(number, exact_text(number, fmt, unit), typed)


def exact_text(number: float, fmt: FormatType | None, unit: str | None = None) -> str:
    """A figure as stored, shown with every decimal that matters (a page rounds; a reading must not)."""
    if fmt is FormatType.PERCENT:
        return f"{_trim(number * 100, 4)}%"
    sign = "-" if number < 0 else ""
    if fmt is FormatType.CURRENCY:
        return f"{sign}${abs(number):,.{0 if float(number).is_integer() else 2}f}"
    text = f"{sign}{_trim(abs(number), 6)}"
    if fmt is FormatType.DAYS:
        return f"{text} day{'' if number == 1 else 's'}"
    return f"{text} {unit}" if unit and fmt in (FormatType.RATE, FormatType.COUNT) else text


def _trim(number: float, decimals: int) -> str:
    text = f"{number:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def read_count(raw: object, field: str) -> Figure:
    """A numerator or denominator: a plain number of things (no percent sign)."""
    try:
        return read_figure(raw, FormatType.COUNT)
    except FigureError as exc:
        raise FigureError(f"{field}: {exc}") from None


def _plain(number: float) -> str:
    return f"{number:g}" if isinstance(number, float) else str(number)


def _without_unit(typed: str, fmt: FormatType | None, unit: str | None) -> str:
    """``45 days`` on a measure of days is 45: the measure's own unit after the number is understood."""
    names = {u for u in (unit, "days" if fmt is FormatType.DAYS else None) if u}
    names |= {n.removesuffix("s") for n in names}
    if not names:
        return typed
    found = re.fullmatch(rf"(.*\d)\s*(?:{'|'.join(map(re.escape, names))})", typed, re.IGNORECASE)
    return found.group(1) if found else typed


def _parse_text(typed: str, fmt: FormatType | None) -> tuple[float, bool]:
    text = typed
    if text.lower() in PLACEHOLDERS:
        raise FigureError(f"'{typed}' is not a figure: leave it empty until there is one")
    negative = text.startswith("(") and text.endswith(")")
    text = text[1:-1].strip() if negative else text
    percent_sign = text.endswith("%")
    text = text.removesuffix("%").strip()
    if text.startswith(("$", "-$", "+$")):
        if fmt is not FormatType.CURRENCY:
            raise FigureError(f"'{typed}' has a currency sign, but this measure is not money")
        text = text.replace("$", "", 1).strip()
    if "," in text:
        if not _GROUPED.fullmatch(text):
            raise FigureError(f"'{typed}' is not a number: use a point for decimals (1.5) and commas only between "
                              "thousands (12,500)")
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        raise FigureError(f"'{typed}' is not a number")
    number = float(text)
    return (-number if negative else number), percent_sign
