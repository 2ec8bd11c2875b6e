"""Action Plan ``/action-plan``: every pillar's goals, with their initiatives and how their measures stand."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components import breadcrumb
from dashboard.context import current_viewer, gate, today
from dashboard.index_views import entry, group
from dashboard.page import guarded
from dashboard.page_table import dash_page
from dashboard.page_titles import plan_title
from metrics.scores import Level

dash.register_page(__name__, **dash_page(__name__))


@guarded
def layout() -> html.Div:
    reads, viewer = gate(), current_viewer()
    registry = reads.registry
    summaries = reads.summaries(viewer, today(), Level.GOAL)
    sections = []
    for pillar in sorted(registry.pillars.values(), key=lambda p: p.sort_order):
        goals = sorted((g for g in registry.goals.values() if g.pillar == pillar.id), key=lambda g: g.sort_order)
        sections.append(group(f"Pillar {pillar.id}: {pillar.name}", [
            entry(f"{g.id} {g.title}", f"/goals/{g.id}", summaries.get(g.id),
                  f" · {len(g.initiatives)} initiative{'s' if len(g.initiatives) != 1 else ''}" if g.initiatives
                  else "") for g in goals], f"pillar-{pillar.id}"))
    initiatives = sum(len(g.initiatives) for g in registry.goals.values())
    return html.Div([
        breadcrumb([("Overview", "/"), (plan_title(), None)]),
        html.H1(plan_title()),
        html.P(f"{len(registry.pillars)} pillars, {len(registry.goals)} goals and {initiatives} initiatives. Each "
               "goal's page lists its initiatives, its lead and the measures that track it.", className="lead"),
        *sections,
    ])
