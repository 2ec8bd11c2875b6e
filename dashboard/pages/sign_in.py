"""Sign-in ``/sign-in`` and sign-out ``/sign-out`` for City staff (forms post to the auth routes)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth import csrf_token, safe_next
from dashboard.components import alert
from dashboard.context import current_viewer
from dashboard.page import guarded
from dashboard.page_table import dash_page

dash.register_page(__name__, **dash_page(__name__))
MESSAGES = {
    "invalid": "That username and password do not match an active account.",
    "wait": "Too many failed attempts. Wait a little before trying again.",
    "expired": "The form expired. Please sign in again.",
    "unavailable": "Sign-in is not possible right now: the data cannot be reached. Please try again in a minute.",
}


def message(error: str, retry: str) -> str:
    if error == "wait" and retry.isdigit() and 0 < int(retry) <= 3600:
        seconds = int(retry)
        wait = (f"{seconds} second{'s' if seconds != 1 else ''}" if seconds < 90
                else f"{round(seconds / 60)} minutes")
        return f"Too many failed attempts. Try again in {wait}."
    return MESSAGES.get(error, "Sign-in failed.")


@guarded
def layout(error: str = "", retry: str = "", next: str = "/") -> html.Div:  # noqa: A002 - the query parameter
    viewer = current_viewer()
    if viewer.internal:
        return html.Div([html.H1("You are signed in"), html.P(f"Signed in as {viewer.user_id}."),
                         html.P(dcc.Link("Sign out", href="/sign-out"))])
    problem = alert(message(error, retry), "danger") if error else None
    return html.Div([
        html.H1("Staff sign-in"),
        html.P("For City staff. Residents can see every public measure without signing in.", className="lead"),
        problem,
        html.Form([
            dcc.Input(type="hidden", name="csrf", value=csrf_token()),
            dcc.Input(type="hidden", name="next", value=safe_next(next)),
            html.Div([dbc.Label("Username", html_for="username"),
                      dbc.Input(id="username", name="username", autoComplete="username", required=True)],
                     className="mb-3"),
            html.Div([dbc.Label("Password", html_for="password"),
                      dbc.Input(id="password", name="password", type="password", autoComplete="current-password",
                                required=True)], className="mb-3"),
            dbc.Button("Sign in", type="submit", color="primary"),
        ], action="/auth/sign-in", method="post", className="sign-in-form"),
    ])
