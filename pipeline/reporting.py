"""The data call's steps that change published numbers: accepting a figure or approving a target publishes
what the publish gate no longer holds, and refreshes those measures at once so pages show them."""

from __future__ import annotations

from data import data_calls, publication, targets
from data.access import Gate
from data.policy import Viewer
from data.publication import Outcome
from pipeline.refresh import refresh_metric

TRIGGER = "data call"


def accept(gate: Gate, viewer: Viewer, call_id: int, metric_id: str, restatement_reason: str = "") -> Outcome:
    """Accept a submitted figure; publish and refresh it unless the publish gate holds it."""
    outcome = publication.accept(gate, viewer, call_id, metric_id, restatement_reason)
    if outcome.published:
        refresh_metric(gate.registry, metric_id, trigger=TRIGGER)
    return outcome


def decide_target(gate: Gate, viewer: Viewer, proposal_id: int, *, approve: bool, note: str) -> list[Outcome]:
    """Approve or decline a target; an approval publishes the measure's accepted figures it was holding."""
    decided = targets.decide(gate, viewer, proposal_id, approve=approve, note=note)
    if not approve:
        return []
    gate.data_version()  # the approved target takes the registry's place
    published = []
    for current in data_calls.calls(gate, viewer):
        published += [o for o in publication.publish_held(gate, viewer, current.id, {decided.metric.id})
                      if o.published]
    for outcome in published:
        refresh_metric(gate.registry, outcome.entry.metric.id, trigger=TRIGGER)
    return published
