"""Builders the data call pages share: an entry's state as a chip, state counts, the agencies' progress table and
the list of entries."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from dashboard.components import aria, data_label, scroll_region
from data.data_calls import AgencyProgress, Call, Entry
from metrics.reporting import EntryState
from metrics.typed_figures import exact_text

ICONS = {EntryState.NOT_STARTED: "○", EntryState.DRAFT: "✎", EntryState.SUBMITTED: "↑", EntryState.RETURNED: "↩",
         EntryState.ACCEPTED: "✓"}
ORDER = (EntryState.NOT_STARTED, EntryState.DRAFT, EntryState.SUBMITTED, EntryState.RETURNED, EntryState.ACCEPTED)


def entry_chip(entry: Entry, today: dt.date) -> html.Span:
    """The entry's state in words with an icon; held and overdue said too (never colour alone)."""
    words: list[Any] = [html.Span(ICONS[entry.state], **aria(hidden="true")), f" {entry.state.label}"]
    if entry.held:
        words.append(html.Span(", held from publishing", className="chip-suffix"))
    elif entry.state is EntryState.ACCEPTED:
        words.append(html.Span(", published", className="chip-suffix"))
    if entry.overdue(today):
        words.append(html.Span(", overdue", className="chip-suffix"))
    return html.Span(words, className=f"entry-chip entry-{entry.state.value}")


def figure_text(entry: Entry) -> str:
    return "—" if entry.value is None else exact_text(entry.value, entry.metric.format, entry.metric.unit)


def state_counts(counts: Counter[EntryState], overdue: int, total: int) -> html.Ul:
    items = [html.Li(f"{counts.get(state, 0)} {state.label.lower()}", className=f"entry-chip entry-{state.value}")
             for state in ORDER]
    if overdue:
        items.append(html.Li(f"{overdue} overdue", className="entry-chip entry-overdue"))
    return html.Ul([html.Li(f"{total} measures", className="entry-chip"), *items], className="status-counts",
                   **aria(label="Measures by state"))


def progress_table(rows: Sequence[AgencyProgress], names: Mapping[str, str], call: Call) -> Any:
    heads = ["Agency", *(s.label for s in ORDER), "Overdue"]
    body = [html.Tr([html.Th(dcc.Link(names.get(p.agency, p.agency), href=f"/data-calls/{call.id}?agency={p.agency}"),
                             scope="row"),
                     *(html.Td(str(p.counts.get(state, 0))) for state in ORDER),
                     html.Td(str(p.overdue) if p.overdue else "")])
            for p in sorted(rows, key=lambda p: names.get(p.agency, p.agency))]
    caption = f"{call.period.label}: progress by agency"
    return scroll_region(html.Table([html.Caption(caption), html.Thead(html.Tr([html.Th(h, scope="col")
                                                                                for h in heads])),
                                     html.Tbody(body)], className="table table-sm table-hover progress-table"),
                         caption)


def entries_table(rows: Sequence[Entry], names: Mapping[str, str], today: dt.date, caption: str,
                  show_agency: bool = True) -> Any:
    """The entries as a table; on a phone each is a card (its measure, then each value under its column's name)."""
    if not rows:
        return html.P("No measures match.", className="empty")

    def cell(label: str, content: Any) -> html.Td:
        return html.Td(content, **data_label(label))

    body = [html.Tr([html.Th(dcc.Link(e.metric.title, href=f"/data-calls/{e.call.id}/measures/{e.metric.id}"),
                             scope="row"),
                     *([cell("Agency", names.get(e.agency, e.agency))] if show_agency else []),
                     cell("State", entry_chip(e, today)), cell("Figure", figure_text(e)),
                     cell("Returned because", e.return_reason if e.state is EntryState.RETURNED else "")])
            for e in rows]
    heads = ("Measure", *(("Agency",) if show_agency else ()), "State", "Figure", "Returned because")
    table = html.Table([html.Caption(caption), html.Thead(html.Tr([html.Th(h, scope="col") for h in heads])),
                        html.Tbody(body)], className="table table-sm table-hover entries-table stacks")
    return scroll_region(table, caption)
