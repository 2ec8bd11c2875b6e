"""Audit log ``/admin/audit`` (admins): every write, who, when, before and after."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import scroll_region
from dashboard.context import current_viewer, gate
from dashboard.page import guarded
from dashboard.page_table import dash_page

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout() -> html.Div:
    rows = gate().audit_log(current_viewer())
    body = [html.Tr([html.Td(f"{r.at:%Y-%m-%d %H:%M:%S}"), html.Td(r.actor), html.Td(r.action),
                     html.Td(f"{r.object_type} {r.object_id}"), html.Td(html.Code(r.before or "")),
                     html.Td(html.Code(r.after or ""))]) for r in rows]
    return html.Div([
        html.H1("Audit log"),
        html.P(f"The latest {len(rows)} writes, newest first.", className="lead"),
        scroll_region(html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in
                                                      ("When (UTC)", "Who", "What", "Object", "Before", "After")])),
                                  html.Tbody(body)], className="table table-sm"), "Audit log"),
    ])
