"""Upload figures ``/data-calls/<id>/upload``: a filled workbook (xlsx or csv) is read into a preview first."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import breadcrumb, flashes
from dashboard.context import current_viewer, gate
from dashboard.page import guarded
from dashboard.page_table import dash_page, record_id
from dashboard.workbook_upload import upload_control
from data import data_calls
from data.errors import Forbidden

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout(call_id: str = "") -> html.Div:
    viewer = current_viewer()
    call = data_calls.call(gate(), viewer, record_id(call_id, "data call"))
    if not viewer.enters_figures:
        raise Forbidden("only agencies and the performance team upload figures")
    return html.Div([
        breadcrumb([("Data calls", "/data-calls"), (call.period.label, f"/data-calls/{call.id}"),
                    ("Upload figures", None)]),
        html.H1(f"Upload {call.period.label} figures"),
        html.P(["Fill the ", html.A("workbook of your measures", href=f"/download/data-calls/{call.id}-figures.xlsx"),
                " (or your own: it needs a Measure ID column, ours like pm_581 or the City's like 581, and a Value "
                "column; Numerator, Denominator and Note columns are read when present) and upload it here."],
               className="lead"),
        html.Ul([html.Li("You see every change and every cell that cannot be read before anything is saved."),
                 html.Li("Percent: 75%, 0.75 and 75 all mean 75%. Leave a cell empty when there is no figure yet."),
                 html.Li("Saved figures are drafts: you still submit your agency's batch.")]),
        *flashes(),
        upload_control(call.id),
    ])
