"""Filling a data call from a workbook: every row is read into a preview (each change, and each refused cell with
its sheet, row, column and reason); nothing is saved until the uploader confirms, and then every change at once,
as drafts the agency still submits.

A row names its measure by our id (``pm_581``) or the City's (``581``). An empty figure leaves the measure as it
is; an empty note keeps the note already entered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from data import data_calls, entry_changes, publication
from data.access import Gate
from data.audit import record
from data.data_call_models import PendingUpload
from data.db import get_engine
from data.errors import Forbidden, NotFound
from data.input import InputError, note_text
from data.models import aware, utcnow
from data.policy import Viewer
from data.workbook import Cell, Sheet, WorkbookError, read_workbook
from metrics.reporting import EDITABLE, EntryState
from metrics.typed_figures import exact_text

UPLOAD = PendingUpload.__table__  # type: ignore[attr-defined]
KEEPS_FOR = dt.timedelta(days=1)
HEADER_ROWS = 10  # the header is one of a sheet's first rows (a title and instructions may come first)
HEADERS = {
    "key": ("measure id", "measure_id", "measure no", "measure number", "measure #", "id", "pm id", "key"),
    "value": ("value", "actual", "figure", "result"),
    "numerator": ("numerator",),
    "denominator": ("denominator",),
    "note": ("note", "notes", "comment", "comments", "explanation"),
    "prior_note": ("prior year note", "note on prior year", "prior note", "note on the prior year's actual"),
}
COLUMN_NAMES = {"key": "Measure ID", "value": "Value", "numerator": "Numerator", "denominator": "Denominator",
                "note": "Note", "prior_note": "Prior year note"}


@dataclass(frozen=True)
class Change:
    metric_id: str
    title: str
    sheet: str
    row: int
    state: str  # the entry's state before
    before: str  # the figure entered before, as shown
    after: str  # the new figure, as read
    typed: str  # what the cell held, when the reading differs from it
    note: str | None
    warnings: tuple[str, ...]  # quality findings and why a note will be needed to submit
    saved: dict[str, Any]  # the columns a confirmation writes


@dataclass(frozen=True)
class Refusal:
    sheet: str
    row: int | None
    column: str | None
    reason: str
    measure: str = ""  # the measure id the row names, as written


@dataclass(frozen=True)
class Preview:
    id: int
    call_id: int
    filename: str
    uploaded_by: str
    uploaded_at: dt.datetime
    confirmed_at: dt.datetime | None
    changes: tuple[Change, ...]
    unchanged: int
    refusals: tuple[Refusal, ...]


def preview(gate: Gate, viewer: Viewer, call_id: int, filename: str, content: bytes) -> int:
    """Read the workbook against the call's entries the viewer may fill; store the preview (not the figures)."""
    if not viewer.enters_figures:
        raise Forbidden("only agencies and the performance team upload figures")
    data_calls.call(gate, viewer, call_id)
    try:
        sheets = read_workbook(filename, content)
    except WorkbookError as exc:
        raise InputError(f"File: {exc}") from None
    entries = {e.metric.id: e for e in data_calls.entries(gate, viewer, call_id) if viewer.can_enter_for(e.agency)}
    changes, refusals, unchanged = _read(gate, viewer, sheets, entries)
    body = {"changes": [dataclasses.asdict(c) for c in changes], "refusals": [dataclasses.asdict(r) for r in refusals],
            "unchanged": unchanged}
    with get_engine().begin() as conn:
        upload_id = conn.execute(insert(UPLOAD).returning(UPLOAD.c.id).values(
            call_id=call_id, uploaded_by=viewer.user_id, filename=filename[:200], uploaded_at=utcnow(),
            preview=json.dumps(body, default=str))).scalar_one()
        record(conn, actor=str(viewer.user_id), action="read upload", object_type="data_call", object_id=str(call_id),
               after={"file": filename[:200], "upload": upload_id, "changes": len(changes), "refused": len(refusals)})
    return int(upload_id)


def pending(gate: Gate, viewer: Viewer, call_id: int, upload_id: int) -> Preview:
    """A preview, for its uploader only."""
    gate.require_internal(viewer)
    with get_engine().connect() as conn:
        row = conn.execute(select(UPLOAD).where(UPLOAD.c.id == upload_id, UPLOAD.c.call_id == call_id)).first()
    if row is None or row.uploaded_by != viewer.user_id:
        raise NotFound(f"no upload {upload_id}")
    body = json.loads(row.preview)
    return Preview(row.id, row.call_id, row.filename, row.uploaded_by, aware(row.uploaded_at),
                   aware(row.confirmed_at) if row.confirmed_at else None,
                   tuple(Change(**{**c, "warnings": tuple(c["warnings"])}) for c in body["changes"]),
                   body["unchanged"], tuple(Refusal(**r) for r in body["refusals"]))


def confirm(gate: Gate, viewer: Viewer, call_id: int, upload_id: int) -> int:
    """Save every change of the preview as drafts, all or none. Returns how many were saved."""
    current = pending(gate, viewer, call_id, upload_id)
    if current.confirmed_at is not None:
        raise InputError("Upload: these changes were saved already")
    if utcnow() - current.uploaded_at > KEEPS_FOR:
        raise InputError("Upload: this preview is more than a day old; upload the file again")
    if not current.changes:
        raise InputError("Upload: there is nothing to save")
    with get_engine().begin() as conn:
        changes = [(c.metric_id, c.saved) for c in current.changes]
        saved = entry_changes.save_drafts(conn, gate, viewer, call_id, changes)
        conn.execute(update(UPLOAD).where(UPLOAD.c.id == upload_id).values(confirmed_at=utcnow()))
        record(conn, actor=str(viewer.user_id), action="confirm upload", object_type="data_call",
               object_id=str(call_id), after={"file": current.filename, "drafts": saved})
    return saved


def _read(gate: Gate, viewer: Viewer, sheets: list[Sheet], entries: dict[str, data_calls.Entry]
          ) -> tuple[list[Change], list[Refusal], int]:
    by_key = {**{e.metric.computation.key.lower(): e for e in entries.values() if e.metric.computation.key},
              **{metric_id.lower(): e for metric_id, e in entries.items()}}
    changes: list[Change] = []
    refusals: list[Refusal] = []
    seen: dict[str, tuple[str, int]] = {}
    unchanged = 0
    for sheet in sheets:
        columns, header_row = _header(sheet)
        if columns is None:
            if any(any(c is not None for c in cells) for _, cells in sheet.rows):
                refusals.append(Refusal(sheet.name, None, None, "no 'Measure ID' and 'Value' header in its first "
                                        f"{HEADER_ROWS} rows: the sheet was not read"))
            continue
        if sheet.truncated:
            refusals.append(Refusal(sheet.name, None, None, "more rows than a data call holds: the rest was not read"))
        for number, cells in sheet.rows:
            if number <= header_row:
                continue
            cell = {field: cells[i] if i < len(cells) else None for field, i in columns.items()}
            result = _row(gate, viewer, sheet.name, number, cell, by_key, seen)
            if isinstance(result, Change):
                changes.append(result)
            elif result is None:
                unchanged += 1
            else:
                refusals += result
    return changes, refusals, unchanged


def _row(gate: Gate, viewer: Viewer, sheet: str, number: int, cell: dict[str, Cell],
         by_key: dict[str, data_calls.Entry], seen: dict[str, tuple[str, int]]) -> Change | list[Refusal] | None:
    key = _text(cell.get("key"))

    def refuse(field: str | None, reason: str) -> list[Refusal]:
        return [Refusal(sheet, number, COLUMN_NAMES[field] if field else None, reason, key[:40])]

    figures = [cell.get(f) for f in ("value", "numerator", "denominator")]
    try:
        note = note_text(_raw(cell.get("note")), "Note", data_calls.MAX_NOTE)
        prior_note = note_text(_raw(cell.get("prior_note")), "Prior year note", data_calls.MAX_NOTE)
    except InputError as exc:
        return refuse("prior_note" if str(exc).startswith("Prior") else "note", str(exc))
    if not key:
        return refuse("key", "no measure id") if any(_text(c) for c in (*figures, note)) else None
    current = by_key.get(key.lower()) or by_key.get(key.lower().removesuffix(".0"))
    if current is None:
        return refuse("key", f"measure '{key[:40]}' is not in this data call: it is retired, not due for the "
                             "period, or not one of your agency's")
    if current.metric.id in seen:
        first_sheet, first_row = seen[current.metric.id]
        return refuse("key", f"measure '{key[:40]}' appears twice: the first is on {first_sheet} row {first_row}")
    seen[current.metric.id] = (sheet, number)
    if all(not _text(c) for c in figures):
        return refuse("value", "no figure: the note was not read (add the figure, or leave the row empty)") \
            if note else None
    checked = data_calls.check(gate, viewer, current, value=cell.get("value"), numerator=cell.get("numerator"),
                               denominator=cell.get("denominator"))
    if checked.errors:
        return [Refusal(sheet, number, _column_of(error), error, key[:40]) for error in checked.errors]
    kept_note, kept_prior = note or current.note, prior_note or current.prior_note
    saved = {"value": checked.value.value, "numerator": checked.numerator.value,
             "denominator": checked.denominator.value, "note": kept_note, "prior_note": kept_prior}
    if all(saved[k] == getattr(current, k) for k in saved):
        return None
    if current.state not in EDITABLE:
        return refuse("value", f"{current.metric.title}: already accepted; ask the performance team to return it "
                               "for a correction")
    held = publication.blockers(gate, dataclasses.replace(current, prior_note=kept_prior))
    warnings = (*(f"{f.rule.label}: {f.reason}" for f in checked.flags),
                *(f"needs a note to submit: {r}" for r in checked.note_reasons if not kept_note),
                *(["it was submitted: saving takes it back to draft, to submit again"]
                  if current.state is EntryState.SUBMITTED else []),
                *([f"will be held from publishing until {'; '.join(held)} (a Prior year note column fills the "
                   "prior year's note)"] if held else []))
    metric = current.metric
    before = "—" if current.value is None else exact_text(current.value, metric.format, metric.unit)
    return Change(metric.id, metric.title, sheet, number, current.state.label, before, checked.value.shown,
                  checked.value.typed if checked.value.reinterpreted else "", kept_note, warnings, saved)


def _header(sheet: Sheet) -> tuple[dict[str, int] | None, int]:
    for number, cells in sheet.rows[:HEADER_ROWS]:
        names = [re.sub(r"[\s_]+", " ", str(c or "")).strip().lower() for c in cells]
        columns = {field: names.index(alias) for field, aliases in HEADERS.items()
                   for alias in reversed(aliases) if alias in names}
        if "key" in columns and "value" in columns:
            return columns, number
    return None, 0


def _column_of(error: str) -> str:
    field = error.partition(":")[0].partition(" ")[0]
    return field if field in COLUMN_NAMES.values() else "Value"


def _text(value: Cell) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else " ".join(str(value).split())


def _raw(value: Cell) -> str:
    return "" if value is None else str(value)

