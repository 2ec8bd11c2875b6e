"""The figure entry form of a data call and its live check: as the agency types, how the figure reads ("75" is
75%), what the quality rules find, and whether a note is required, before anything is saved."""

from __future__ import annotations

import logging
from typing import Any

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html

from dashboard.components import aria, csrf_field
from dashboard.context import current_viewer, gate
from data import data_calls
from data.data_calls import MAX_NOTE, Entry
from data.errors import UNAVAILABLE, Forbidden, NotFound
from metrics.reporting import EntryCheck, EntryState
from metrics.spec import FormatType
from metrics.typed_figures import exact_text

logger = logging.getLogger(__name__)

VALUE, NUMERATOR, DENOMINATOR, NOTE, KEY, CHECK = ("entry-value", "entry-numerator", "entry-denominator",
                                                   "entry-note", "entry-key", "entry-check")
HINTS = {FormatType.PERCENT: "A percent: 75%, 0.75 and 75 all mean 75% (1 means 100%; one percent is 1%).",
         FormatType.CURRENCY: "Dollars: 12,500 or $12,500.50.",
         FormatType.DAYS: "A number of days: 3.5."}


def hint(entry: Entry) -> str:
    metric = entry.metric
    if metric.format in HINTS:
        return HINTS[metric.format]
    return f"A number{f' ({metric.unit})' if metric.unit else ''}: 1,250 or 3.5."


def entry_form(entry: Entry, typed: dict[str, str], needs_prior_note: str | None) -> html.Form:
    """Value (with numerator and denominator for a percent or a rate), note, and the prior year's note when the
    publish gate needs it; the live check sits under the figures."""
    metric = entry.metric
    with_parts = metric.format in (FormatType.PERCENT, FormatType.RATE)

    def number(field: str, label: str, stored: float | None, width: int) -> dbc.Col:
        shown = exact_text(stored, metric.format, None) if field == "value" and stored is not None else \
            "" if stored is None else f"{stored:g}"
        value = typed.get(field, shown.replace("$", ""))
        return dbc.Col([dbc.Label(label, html_for=f"entry-{field}"),
                        dbc.Input(id=f"entry-{field}", name=field, value=value, inputMode="decimal",
                                  autoComplete="off")], md=width)

    figures = [number("value", f"{entry.call.period.label} figure", entry.value, 4)]
    if with_parts:
        figures += [number("numerator", "Numerator (optional)", entry.numerator, 4),
                    number("denominator", "Denominator (optional)", entry.denominator, 4)]
    hidden = [] if with_parts else [dcc.Input(id=NUMERATOR, type="hidden", value=""),
                                    dcc.Input(id=DENOMINATOR, type="hidden", value="")]
    prior = [html.Div([dbc.Label(f"Note on the {needs_prior_note} actual (it has none, and the year cannot be "
                                 "published without it)", html_for="entry-prior-note"),
                       dbc.Textarea(id="entry-prior-note", name="prior_note", rows=3, maxLength=MAX_NOTE,
                                    value=typed.get("prior_note", entry.prior_note or ""))], className="mt-3")] \
        if needs_prior_note else []
    return html.Form([
        csrf_field(),
        dcc.Store(id=KEY, data=f"{entry.call.id}:{metric.id}"),
        html.P(hint(entry), className="text-muted", id="entry-hint"),
        html.P(f"Last saved by {entry.updated_by} on {entry.updated_at:%B %-d, %Y at %H:%M} UTC: saving replaces it.",
               className="small text-muted") if entry.updated_by and entry.state is not EntryState.NOT_STARTED
        else None,
        dbc.Row(figures, className="g-3"),
        *hidden,
        html.Div(id=CHECK, className="entry-check mt-2", role="status", **aria(live="polite")),
        html.Div([dbc.Label("Note: what explains the figure (required when it misses its target, moves sharply or "
                            "a quality rule flags it)", html_for="entry-note"),
                  dbc.Textarea(id=NOTE, name="note", rows=4, maxLength=MAX_NOTE,
                               value=typed.get("note", entry.note or ""))],
                 className="mt-3"),
        *prior,
        dbc.Button("Save draft", type="submit", color="primary", className="mt-3"),
        html.P("It was submitted: saving a change takes it back to your drafts, to submit again."
               if entry.state is EntryState.SUBMITTED else
               "Drafts are yours until you submit your agency's batch from the data call page.",
               className="text-muted small mt-2"),
    ], action=f"/data-calls/{entry.call.id}/measures/{metric.id}", method="post", className="entry-form")


def check_view(checked: EntryCheck | None, *, noted: bool = False) -> list[Any]:
    """The check in words: the reading, refusals, quality findings and why a note is needed (or was, ``noted``)."""
    if checked is None:
        return []
    if checked.errors:
        return [html.P(["✕ ", error], className="check-error") for error in checked.errors]
    if checked.value.value is None:
        return [html.P("Type the figure to see how it reads.", className="text-muted")]
    reading = f"Reads as {checked.value.shown}" + (f" ({checked.derived})" if checked.derived else "") + "."
    out: list[Any] = [html.P(["✓ ", reading], className="check-reading")]
    out += [html.P(["⚠ ", f"{flag.rule.label}: {flag.reason}"], className="check-flag") for flag in checked.flags]
    if checked.note_reasons:
        why = "; ".join([*(["a quality rule flags it"] if checked.flags else []),
                         *(r for r in checked.note_reasons if not any(r.endswith(f.reason) for f in checked.flags))])
        out.append(html.P(["✎ ", f"It has the note it needs: {why}." if noted else f"A note is required: {why}."],
                          className="check-note"))
    return out


def install(app: Dash) -> None:
    @app.callback(Output(CHECK, "children"), Input(VALUE, "value"), Input(NUMERATOR, "value"),
                  Input(DENOMINATOR, "value"), Input(NOTE, "value"), State(KEY, "data"))
    def live_check(value: str | None, numerator: str | None, denominator: str | None, note: str | None,
                   key: str | None) -> list[Any]:
        """Check the typed figures of an entry the viewer may fill; anything else gets nothing."""
        call_id, _, metric_id = (key or "").partition(":")
        viewer = current_viewer()
        if not call_id.isdigit() or len(call_id) > 9 or not viewer.internal:
            return []
        try:
            entry = data_calls.entry(gate(), viewer, int(call_id), metric_id)
            if not viewer.can_enter_for(entry.agency):
                return []
            return check_view(data_calls.check(gate(), viewer, entry, value=(value or "")[:100],
                                               numerator=(numerator or "")[:100],
                                               denominator=(denominator or "")[:100]), noted=bool((note or "").strip()))
        except (NotFound, Forbidden):
            return []
        except UNAVAILABLE:
            logger.warning("live check of %s unavailable", key)
            return [html.P("The check is not available right now; you can still save the draft.")]
