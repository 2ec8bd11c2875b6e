"""Check an upload ``/data-calls/<id>/uploads/<upload>``: every change and every refused cell; nothing is saved
until the uploader confirms."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.components import breadcrumb, data_label, flashes, post_button, scroll_region
from dashboard.context import current_viewer, gate
from dashboard.page import guarded
from dashboard.page_table import dash_page, record_id
from data import data_calls, uploads
from data.uploads import Change, Refusal

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout(call_id: str = "", upload_id: str = "") -> html.Div:
    viewer = current_viewer()
    call = data_calls.call(gate(), viewer, record_id(call_id, "data call"))
    preview = uploads.pending(gate(), viewer, call.id, record_id(upload_id, "upload"))
    saved = preview.confirmed_at is not None
    refused = len(preview.refusals)
    summary = (f"{len(preview.changes)} change{'s' if len(preview.changes) != 1 else ''}, "
               f"{refused} {'cell or row' if refused == 1 else 'cells or rows'} not read, "
               f"{preview.unchanged} row{'s' if preview.unchanged != 1 else ''} unchanged.")
    return html.Div([
        breadcrumb([("Data calls", "/data-calls"), (call.period.label, f"/data-calls/{call.id}"),
                    ("Check the upload", None)]),
        html.H1(f"Check {preview.filename}"),
        html.P(summary + (" These changes were saved as drafts." if saved
                          else " Nothing is saved until you confirm."), className="lead", role="status"),
        *flashes(),
        html.P([post_button(f"/data-calls/{call.id}/uploads/{preview.id}/confirm",
                            f"Save {len(preview.changes)} change{'s' if len(preview.changes) != 1 else ''} as "
                            "drafts", color="primary"),
                html.A("Cancel: upload another file", href=f"/data-calls/{call.id}/upload", className="ms-3")])
        if preview.changes and not saved else None,
        html.H2("Changes", className="h4 mt-4"),
        _changes(preview.changes, saved) if preview.changes else html.P("No figure changes."),
        html.H2("Not read", className="h4 mt-4"),
        _refusals(preview.refusals) if preview.refusals else html.P("Every row was read."),
    ])


def _changes(changes: tuple[Change, ...], saved: bool) -> Any:
    body = [html.Tr([html.Th(c.title, scope="row"), html.Td(f"{c.sheet}, row {c.row}", **data_label("Where")),
                     html.Td(f"{c.before} ({c.state.lower()})", **data_label("Before")),
                     html.Td([c.after, html.Span(f" (typed {c.typed})", className="text-muted") if c.typed else None],
                             **data_label("After")),
                     html.Td(c.note or "", className="note-text", **data_label("Note")),
                     html.Td(html.Ul([html.Li(w) for w in c.warnings]) if c.warnings else "",
                             **data_label("To look at"))])
            for c in changes]
    caption = "Changes saved as drafts" if saved else "Changes the upload would save"
    heads = ("Measure", "Where", "Before", "After", "Note", "To look at")
    return scroll_region(html.Table([html.Caption(caption), html.Thead(html.Tr([html.Th(h, scope="col")
                                                                                for h in heads])),
                                     html.Tbody(body)], className="table table-sm upload-changes stacks"), caption)


def _refusals(refusals: tuple[Refusal, ...]) -> Any:
    body = [html.Tr([html.Th(f"{r.sheet}" + ("" if r.row is None else f", row {r.row}"), scope="row"),
                     html.Td(r.measure, **data_label("Measure")), html.Td(r.column or "", **data_label("Column")),
                     html.Td(r.reason, **data_label("Why"))]) for r in refusals]
    caption = "Cells and rows that were not read"
    heads = ("Where", "Measure", "Column", "Why")
    return scroll_region(html.Table([html.Caption(caption), html.Thead(html.Tr([html.Th(h, scope="col")
                                                                                for h in heads])),
                                     html.Tbody(body)], className="table table-sm upload-refusals stacks"), caption)
