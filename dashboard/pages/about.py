"""About ``/about``: how status and scores are computed, and where the data comes from."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.context import gate
from dashboard.page import guarded
from dashboard.page_table import dash_page
from metrics.periods import fiscal_year_end, fiscal_year_start
from metrics.status import MIN_DENOMINATOR, NEAR_PERCENT_POINTS, NEAR_RELATIVE, SCORE_CAP

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout() -> html.Div:
    registry = gate().registry
    city = registry.city
    first = fiscal_year_start(2026, city.fiscal_year_start_month)
    last = fiscal_year_end(2026, city.fiscal_year_start_month)
    lags = ", ".join(f"{days} days for {freq.value} measures" for freq, days in city.reporting_lag_days.items())
    sources = [html.Li([html.Strong(s.title), f". {s.attribution}." if s.attribution else ""])
               for s in registry.sources.values()]
    return html.Div([
        html.H1("About the data and methods"),
        html.P(f"This site tracks {city.name}'s performance measures: {city.plan} and the measures of "
               "each budget service. Every measure has a plain-language definition, a direction (is higher or "
               "lower better?), targets per fiscal year, and a status that explains itself.", className="lead"),
        html.H2("Fiscal years", className="h4 mt-4"),
        html.P(f"{city.name}'s fiscal year starts in {first:%B} and is named by the year it ends in: FY2026 runs "
               f"from {first:%B %Y} to {last:%B %Y}. Percentages are stored as fractions and shown with the counts "
               "behind them where we have them."),
        html.H2("How status is decided", className="h4 mt-4"),
        html.Ol([
            html.Li([html.Strong("No data: "), "the measure has no values yet."]),
            html.Li([html.Strong("Stale: "), f"the last refresh failed, or newer data is overdue ({lags}). "
                     "The last reading is still shown, with its status."]),
            html.Li([html.Strong("Informational: "), "the measure has no direction or no target for the year, "
                     f"or a rate rests on fewer than {MIN_DENOMINATOR} cases."]),
            html.Li([html.Strong("Not judged: "), "every value of the measure is questionable or from a sample "
                     "(see below)."]),
            html.Li([html.Strong("On track, near target, off track: "), "the fiscal year so far is compared "
                     "with that year's target. Measures that add up over the year (such as requests handled) are "
                     "compared with the share of the target expected by now. Near target means within "
                     f"{NEAR_PERCENT_POINTS * 100:.0f} percentage points for percentages, or within "
                     f"{NEAR_RELATIVE:.0%} otherwise."]),
        ]),
        html.H2("Values we do not vouch for", className="h4 mt-4"),
        html.P("Before any value is used, a quality gate checks it. A value that is implausible is shown, marked "
               "“Questionable value” with the reason, and kept out of every status, score, projection and CitiStat "
               "agenda until the performance team has checked it with the agency (a value it confirms counts "
               "again, marked “Confirmed correct”):"),
        html.Ul([
            html.Li([html.Strong("Wrong scale: "), "a percentage outside 0–100%; a reported figure a hundred times "
                     "or more off the measure's usual size (a count where millions were meant); or a target or "
                     "baseline on another scale than the values (such a target or baseline is not used)."]),
            html.Li([html.Strong("Impossible value: "), "not a number, infinite, or a negative count."]),
            html.Li([html.Strong("Likely not reported: "), "a quarter of exactly zero after a run of reported "
                     "figures that were not zero. A year the agency reports as zero, and zeros lasting more than a "
                     "year, are taken as reported and judged."]),
            html.Li([html.Strong("Outlier: "), "a sudden jump to five or more times the values around it, far "
                     "beyond their usual spread, unless the same season a year apart or the agency's own annual "
                     "total confirms it."]),
            html.Li([html.Strong("Sample: "), "figures computed from a sample of records describe the sample, "
                     "not the city; they are labelled and not judged."]),
            html.Li([html.Strong("Partial period: "), "when the data ends before a period does, the period is "
                     "labelled partial; a measure that adds up over time is compared with its target pro-rated to "
                     "the days covered."]),
            html.Li([html.Strong("Before the data begins: "), "when a source's records begin after a period "
                     "does, that period holds only part of its records (a year whose first months are missing "
                     "would read as a fall); it is shown with the reason and not used."]),
        ]),
        html.H2("Scores", className="h4 mt-4"),
        html.P("A measure's score is its value divided by its target (turned around when lower is better), "
               f"capped at {SCORE_CAP}. A pillar's, goal's or agency's score is the average of its measures' "
               "scores; 1.00 means at target."),
        html.H2("Sources", className="h4 mt-4"),
        html.Ul(sources),
        html.P(["Targets marked illustrative were set by this project to demonstrate the method; they are not "
                "adopted by the City. ", dcc.Link("Back to the overview", href="/"), "."]),
    ])
