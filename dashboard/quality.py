"""The quality gate on pages: questionable values, partial periods, samples and references left out, each as an
icon plus words, and the performance team's review form."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import aria, csrf_field, flashes
from dashboard.form_posts import recalled
from dashboard.metric_data import MetricPage
from data.policy import Viewer
from data.reviews import Review
from metrics.aggregations import PeriodTotal
from metrics.periods import period_label
from metrics.spec import Grain, MetricSpec
from metrics.status import shown_value
from metrics.values import CITY, ValueRow, Verdict

QUESTIONABLE_ICON, CONFIRMED_ICON, WRONG_ICON, PARTIAL_ICON, SAMPLE_ICON = "⚠", "✓", "✕", "◔", "ℹ"
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


def quality_section(page: MetricPage, fy_start: int, viewer: Viewer) -> html.Section | None:
    """Everything the gate found on this measure, in words; admins review each questionable value here.

    Residents read who checked a value as "the performance team": staff names are not published.
    """
    m = page.metric
    typed = recalled("review") if viewer.can_manage else {}
    items: list[Any] = []
    for number, value in enumerate(page.flagged):
        form = _review_form(m.id, value, _label(value, fy_start), number, typed) if viewer.can_manage else None
        items.append(_flagged_item(m, value, page.reviews.get(value.key), fy_start, viewer.internal, form))
    for finding in page.assessment.references:
        what = "not shown on the chart" if finding.target is None else "not used for status"
        items.append(html.Li([_icon(QUESTIONABLE_ICON), html.Strong(f" {finding.what} on another scale: "),
                              f"{finding.reason} — {what}, until the City corrects its record."],
                             className="quality-item"))
    if page.sample:
        items.append(html.Li([_icon(SAMPLE_ICON), html.Strong(" Sample: "), f"these values come from {page.sample}. "
                              "They describe the sample, not the city, and are not used for status."],
                             className="quality-item"))
    if page.partial:
        items.append(_partial_item(page, fy_start))
    if not items:
        return None
    shown, rest = items[:SHOWN_AT_ONCE], items[SHOWN_AT_ONCE:]
    reopen = any(typed.get("period") == f"{v.grain}:{v.period_start}" for v in page.flagged[SHOWN_AT_ONCE:])
    return html.Section([
        html.H2("Data quality", className="h4", id="data-quality-heading"),
        *flashes("data-quality"),
        html.Ul(shown, className="quality-list"),
        html.Details([html.Summary(f"{len(rest)} more findings"), html.Ul(rest, className="quality-list")],
                     open=reopen) if rest else None,
    ], id="data-quality", className="quality-box", **aria(labelledby="data-quality-heading"))


def _label(value: ValueRow, fy_start: int) -> str:
    place = "" if value.geography == CITY else f", {value.geography.replace('_', ' ')} {value.geo_key}"
    return period_label(value.period_start, Grain(value.grain), fy_start) + place


def _partial_item(page: MetricPage, fy_start: int) -> html.Li:
    end = page.partial[0].covered_through
    periods = ", ".join(period_label(v.period_start, Grain(v.grain), fy_start) for v in page.partial)
    if not page.metric.targets or page.assessment.rule == "calendar periods":
        how = "It shows what the data holds so far."
    elif page.metric.total is PeriodTotal.SUM:
        how = "It is compared with its target pro-rated to the days covered."
    else:
        how = "It is compared with its target as it stands on that day."
    return html.Li([_icon(PARTIAL_ICON), html.Strong(" Partial period: "),
                    f"{periods}: the source's data ends on {end:%Y-%m-%d}. {how}"], className="quality-item")


def _flagged_item(m: MetricSpec, value: ValueRow, review: Review | None, fy_start: int, names: bool,
                  form: html.Details | None) -> html.Li:
    what = f"{_label(value, fy_start)} = {shown_value(m, value)}"
    reasons = "; ".join(f.reason for f in value.flags if f.rule.holds_out)
    by = ""
    if review is not None:
        by = (f"{'checked by ' + review.reviewer if names else 'checked by the performance team'} on "
              f"{review.reviewed_at:%Y-%m-%d}: {review.reason.rstrip('.')}.")
    line: list[Any]
    if value.verdict is Verdict.CONFIRMED:
        line = [_icon(CONFIRMED_ICON), html.Strong(f" Confirmed correct: {what}"),
                f" — flagged because {reasons}; {by} It counts for status again."]
    elif value.verdict is Verdict.WRONG:
        line = [_icon(WRONG_ICON), html.Strong(f" Marked wrong: {what}"),
                f" — {by} Not used for status." + (f" (Flagged because {reasons}.)" if reasons else "")]
    else:
        line = [_icon(QUESTIONABLE_ICON), html.Strong(f" Questionable value: {what}"),
                f" — {reasons} — not used for status."]
    return html.Li([html.Span(line), form], className="quality-item")


def _review_form(metric_id: str, value: ValueRow, label: str, number: int, typed: dict[str, str]) -> html.Details:
    """Confirm the value (it counts again) or mark it wrong, with what was checked: admins only, audited.

    A refused review comes back open, with what was typed.
    """
    verdict_id, reason_id = f"review-verdict-{number}", f"review-reason-{number}"
    period, place = f"{value.grain}:{value.period_start}", f"{value.geography}:{value.geo_key}"
    again = typed if typed.get("period") == period and typed.get("place") == place else {}
    return html.Details([
        html.Summary(f"Review {label}"),
        html.Form([
            csrf_field(),
            dcc.Input(type="hidden", name="period", value=period),
            dcc.Input(type="hidden", name="place", value=place),
            dbc.Row([
                dbc.Col([dbc.Label("Verdict", html_for=verdict_id),
                         dbc.Select(id=verdict_id, name="verdict", required=True, value=again.get("verdict", ""),
                                    options=[{"label": "Choose…", "value": ""},
                                             {"label": "Correct as reported: use it", "value": Verdict.CONFIRMED.value},
                                             {"label": "Wrong: keep it out", "value": Verdict.WRONG.value}])], md=4),
                dbc.Col([dbc.Label(["What was checked, and with whom",
                                    html.Span(" (residents read it on this page; your name is not shown)",
                                              className="form-text")], html_for=reason_id),
                         dbc.Input(id=reason_id, name="reason", required=True, maxLength=1000,
                                   value=again.get("reason", ""),
                                   placeholder="e.g. Confirmed with the agency's data lead on the phone")], md=8),
            ], className="g-2"),
            dbc.Button("Save review", type="submit", color="primary", size="sm", className="mt-2"),
        ], action=f"/metrics/{metric_id}/reviews", method="post", className="review-form"),
    ], className="review", open=bool(again))
