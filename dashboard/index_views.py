"""The index pages' shared piece: a heading's list of links, each with its measure count, score and statuses."""

from __future__ import annotations

from collections.abc import Sequence

from dash import dcc, html

from dashboard.components import aria, score_text, status_counts
from metrics.scores import Summary


def entry(text: str, link: str, summary: Summary | None, extra: str = "") -> html.Li:
    """One linked item: ``Name`` — 12 measures · score 0.84 · its status counts."""
    count = f"{summary.metrics} measure{'s' if summary.metrics != 1 else ''}" if summary else "no public measures yet"
    score = f" · score {score_text(summary.score)}" if summary and summary.score is not None else ""
    return html.Li([dcc.Link(text, href=link, className="fw-semibold"),
                    html.Span(f" {count}{score}{extra}", className="text-muted"),
                    status_counts(summary) if summary else None], className="index-entry")


def group(title: str, entries: Sequence[html.Li], anchor: str) -> html.Section:
    """A titled group of entries (the list is named by its heading)."""
    return html.Section([html.H2(title, className="h5 mt-4", id=anchor),
                         html.Ul(list(entries), className="index-list", **aria(labelledby=anchor))])
