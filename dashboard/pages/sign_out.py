"""Sign-out ``/sign-out``: a confirm button (a POST with the session's CSRF token)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth import csrf_token
from dashboard.context import current_viewer
from dashboard.page import guarded
from dashboard.page_table import dash_page

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout() -> html.Div:
    viewer = current_viewer()
    if not viewer.internal:
        return html.Div([html.H1("You are not signed in"), html.P(dcc.Link("Staff sign-in", href="/sign-in"))])
    return html.Div([
        html.H1("Sign out"),
        html.P(f"Signed in as {viewer.user_id}."),
        html.Form([dcc.Input(type="hidden", name="csrf", value=csrf_token()),
                   dbc.Button("Sign out", type="submit", color="primary")], action="/auth/sign-out", method="post"),
    ])
