"""Follow-up colours from the CitiStat playbook: White not yet due, Yellow in progress, Green closed with
evidence, Red overdue (set automatically once the due date has passed without closure)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class Deliverable(StrEnum):
    """What the owner brings back."""

    MEMO = "memo"
    DATA = "data"
    ACTION_PLAN = "action_plan"
    BRIEFING = "briefing"
    SITE_VISIT = "site_visit"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"memo": "Memo", "data": "Data or analysis", "action_plan": "Action plan",
                "briefing": "Briefing at the next session", "site_visit": "Site visit", "other": "Other"}[self.value]


class FollowUpColour(StrEnum):
    WHITE = "white"  # assigned, not started, not yet due
    YELLOW = "yellow"  # in progress (or closed without evidence), not yet due
    GREEN = "green"  # closed with evidence
    RED = "red"  # past its due date and not closed with evidence

    @property
    def label(self) -> str:
        return {"white": "Not yet due", "yellow": "In progress", "green": "Closed with evidence",
                "red": "Overdue"}[self.value]


def colour(*, due: dt.date, today: dt.date, started: bool, closed: bool, evidence: str | None) -> FollowUpColour:
    if closed and evidence and evidence.strip():
        return FollowUpColour.GREEN
    if today > due:
        return FollowUpColour.RED
    if started or closed:
        return FollowUpColour.YELLOW
    return FollowUpColour.WHITE
