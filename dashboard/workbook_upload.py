"""Choosing a workbook on the upload page: the file goes to the data layer's preview, and the browser to the
preview page (the same as posting it to ``/data-calls/<id>/upload``, which scripts can use)."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboard.components import aria
from dashboard.context import current_viewer, gate
from data import uploads
from data.errors import UNAVAILABLE, Forbidden, NotFound
from data.input import InputError

logger = logging.getLogger(__name__)

PICKER, CALL, RESULT, GO = "workbook-upload", "workbook-call", "workbook-result", "workbook-go"
MAX_BYTES = 700_000  # sent base64-encoded in a request of at most 1 MB


def upload_control(call_id: int) -> html.Div:
    return html.Div([
        dcc.Store(id=CALL, data=str(call_id)),
        dcc.Location(id=GO, refresh=True),
        dcc.Upload(id=PICKER, max_size=MAX_BYTES, multiple=False,  # assets/upload.js says why a file is too big
                   className="workbook-drop", children=html.Div([
                       html.Button("Choose a workbook", type="button", className="btn btn-primary me-2"),
                       html.Span("or drop it here (.xlsx or .csv, up to 700 KB)", className="text-muted")])),
        html.Div(id=RESULT, className="mt-2", role="status", **aria(live="polite")),
    ])


def install(app: Dash) -> None:
    @app.callback(Output(GO, "href"), Output(RESULT, "children"), Input(PICKER, "contents"),
                  State(PICKER, "filename"), State(CALL, "data"), prevent_initial_call=True)
    def read(contents: str | None, filename: str | None, call: str | None) -> tuple[Any, Any]:
        """Read the chosen file into a preview and go to it; say why when it cannot be read."""
        viewer = current_viewer()
        if not contents or not call or not call.isdigit() or len(call) > 9 or not viewer.internal:
            return no_update, ""
        try:
            content = base64.b64decode(contents.partition(",")[2], validate=True)
            upload_id = uploads.preview(gate(), viewer, int(call), (filename or "workbook")[:200], content)
        except (binascii.Error, ValueError) as exc:
            message = str(exc) if isinstance(exc, InputError) else "The file did not arrive whole; try again."
            return no_update, html.P(message, className="check-error")
        except (Forbidden, NotFound):
            return no_update, html.P("Not available to your account.", className="check-error")
        except UNAVAILABLE:
            logger.warning("a workbook upload to data call %s was not read: the store is unavailable", call)
            return no_update, html.P("Not read: the data cannot be reached right now. Try again in a minute.")
        return f"/data-calls/{call}/uploads/{upload_id}", "Read. Opening the preview…"
