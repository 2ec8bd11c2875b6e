"""The quality gate on pages: questionable values, partial periods, samples and references left out, each as an
icon plus words, and the performance team's review form."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import aria, csrf_field, flashes
from dashboard.metric_data import MetricPage
from data.reviews import Review
from metrics.formatting import format_value
from metrics.periods import period_label
from metrics.spec import Grain, MetricSpec
from metrics.status import why_held_out
from metrics.values import CITY, ValueRow, Verdict

QUESTIONABLE_ICON, CONFIRMED_ICON, PARTIAL_ICON, SAMPLE_ICON = "⚠", "✓", "◔", "ℹ"
SHOWN_AT_ONCE = 6


def _icon(symbol: str) -> html.Span:
    return html.Span(symbol, className="quality-icon", **aria(hidden="true"))


def value_caveat(value: ValueRow) -> html.Span | None:
    """What a table cell says beside a value the gate flagged (nothing for a plain value)."""
    if value.questionable:
        rule = value.held_out[0].rule.label if value.held_out else Verdict.WRONG.label
        return html.Span([_icon(QUESTIONABLE_ICON), f" Not used: {rule.lower()}"], className="value-caveat held-out")
    if value.verdict is Verdict.CONFIRMED:
        return html.Span([_icon(CONFIRMED_ICON), " Confirmed correct"], className="value-caveat confirmed")
    if value.partial and value.covered_through:
        return html.Span([_icon(PARTIAL_ICON), f" Partial: data through {value.covered_through:%Y-%m-%d}"],
                         className="value-caveat partial")
    return None


def quality_section(page: MetricPage, fy_start: int, can_review: bool) -> html.Section | None:
    """Everything the gate found on this measure, in words; admins review each questionable value here."""
    m = page.metric
    items: list[Any] = []
    for number, value in enumerate(page.flagged):
        items.append(_flagged_item(m, value, page.reviews.get(value.key), fy_start, number if can_review else None))
    for finding in page.assessment.references:
        what = "not shown on the chart" if finding.what == "Baseline" else "not used for status"
        items.append(html.Li([_icon(QUESTIONABLE_ICON), html.Strong(f" {finding.what} on another scale: "),
                              f"{finding.reason} — {what}. The registry needs correcting."], className="quality-item"))
    if page.sample:
        items.append(html.Li([_icon(SAMPLE_ICON), html.Strong(" Sample: "), f"these values come from {page.sample}. "
                              "They describe the sample, not the city, and are not used for status."],
                             className="quality-item"))
    if page.partial:
        end = page.partial[0].covered_through
        periods = ", ".join(period_label(v.period_start, Grain(v.grain), fy_start) for v in page.partial)
        items.append(html.Li([_icon(PARTIAL_ICON), html.Strong(" Partial period: "),
                              f"{periods}: the source's data ends on {end:%Y-%m-%d}. A partial period is compared "
                              "with its target pro-rated to the days covered."], className="quality-item"))
    if not items:
        return None
    shown, rest = items[:SHOWN_AT_ONCE], items[SHOWN_AT_ONCE:]
    return html.Section([
        html.H2("Data quality", className="h4", id="data-quality-heading"),
        *flashes(),
        html.Ul(shown, className="quality-list"),
        html.Details([html.Summary(f"{len(rest)} more findings"), html.Ul(rest, className="quality-list")])
        if rest else None,
    ], id="data-quality", className="quality-box", **aria(labelledby="data-quality-heading"))


def _flagged_item(m: MetricSpec, value: ValueRow, review: Review | None, fy_start: int,
                  form_number: int | None) -> html.Li:
    label = period_label(value.period_start, Grain(value.grain), fy_start)
    place = "" if value.geography == CITY else f", {value.geography.replace('_', ' ')} {value.geo_key}"
    shown = "no number" if value.value is None else format_value(value.value, m.format, m.unit)
    reasons = "; ".join(f.reason for f in value.flags if f.rule.holds_out) or why_held_out(value)
    line: list[Any]
    if value.verdict is Verdict.CONFIRMED and review is not None:
        line = [_icon(CONFIRMED_ICON), html.Strong(f" Confirmed correct: {label}{place} = {shown}"),
                f" — flagged because {reasons}; checked by {review.reviewer} on {review.reviewed_at:%Y-%m-%d}: "
                f"“{review.reason}”. It counts for status again."]
    else:
        verdict = (f" Marked wrong by {review.reviewer} on {review.reviewed_at:%Y-%m-%d}: “{review.reason}”."
                   if value.verdict is Verdict.WRONG and review is not None else "")
        line = [_icon(QUESTIONABLE_ICON), html.Strong(f" Questionable value: {label}{place} = {shown}"),
                f" — {reasons} — not used for status.{verdict}"]
    form = _review_form(m.id, value, label + place, form_number) if form_number is not None else None
    return html.Li([html.Span(line), form], className="quality-item")


def _review_form(metric_id: str, value: ValueRow, label: str, number: int) -> html.Details:
    """Confirm the value (it counts again) or mark it wrong, with what was checked: admins only, audited."""
    verdict_id, reason_id = f"review-verdict-{number}", f"review-reason-{number}"
    return html.Details([
        html.Summary(f"Review {label}"),
        html.Form([
            csrf_field(),
            dcc.Input(type="hidden", name="period", value=f"{value.grain}:{value.period_start}"),
            dcc.Input(type="hidden", name="place", value=f"{value.geography}:{value.geo_key}"),
            dbc.Row([
                dbc.Col([dbc.Label("Verdict", html_for=verdict_id),
                         dbc.Select(id=verdict_id, name="verdict", value=Verdict.CONFIRMED.value, options=[
                             {"label": "Correct as reported: use it", "value": Verdict.CONFIRMED.value},
                             {"label": "Wrong: keep it out", "value": Verdict.WRONG.value}])], md=4),
                dbc.Col([dbc.Label("What was checked, and with whom", html_for=reason_id),
                         dbc.Input(id=reason_id, name="reason", required=True, maxLength=1000,
                                   placeholder="e.g. Confirmed with the agency's data lead on the phone")], md=8),
            ], className="g-2"),
            dbc.Button("Save review", type="submit", color="primary", size="sm", className="mt-2"),
        ], action=f"/metrics/{metric_id}/reviews", method="post", className="review-form"),
    ], className="review")
