"""CitiStat's tables: sessions, their agendas and decisions, follow-ups, commentary, and the e-mails sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, Text, false
from sqlmodel import Field, SQLModel

from data.models import utcnow


class CitiStatSession(SQLModel, table=True):
    """One CitiStat meeting about an agency, a pillar or a council district.

    Its values are read as they stood at ``frozen_at`` and only for periods ending by ``data_cutoff``, so the
    session looks the same later as it did in the room, whatever was restated since.
    """

    __tablename__ = "citistat_session"

    id: int | None = Field(default=None, primary_key=True)
    subject_kind: str = Field(max_length=20)  # metrics.subjects.SubjectKind
    subject_id: str = Field(max_length=80)
    meets_on: dt.date = Field(index=True)
    data_cutoff: dt.date
    frozen_at: dt.datetime = Field(default_factory=utcnow)
    attendees: str = Field(default="", sa_column=Column(Text, nullable=False))  # "Role: Name <e-mail>" per line
    created_by: str = Field(max_length=80)
    created_at: dt.datetime = Field(default_factory=utcnow)
    # how many of the ranked suggestions the agenda proposes; the rest are "also considered"
    agenda_size: int = Field(default=8, sa_column_kwargs={"server_default": "8"})
    # no agenda reason rests on a period that ended more than this before the cutoff
    window_months: int = Field(default=18, sa_column_kwargs={"server_default": "18"})
    cancelled_at: dt.datetime | None = None
    cancel_reason: str | None = Field(default=None, sa_column=Column(Text))


class AgendaItem(SQLModel, table=True):
    """A measure on a session's agenda: suggested by the escalation rule or added by the analyst.

    Removing keeps the row (``removed``) with the analyst's reason, so a suggestion never silently disappears.
    """

    __tablename__ = "agenda_item"
    __table_args__ = (Index("uq_agenda_item", "session_id", "metric_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="citistat_session.id", index=True)
    metric_id: str = Field(max_length=80)
    position: int
    origin: str = Field(max_length=20)  # "rule" or "analyst"
    reasons: str = Field(default="", max_length=200)  # comma-separated metrics.escalation.Reason values
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False))
    removed: bool = False
    # ranked below the agenda's size: listed as "also considered", not discussed
    considered: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    severity: float | None = None  # metrics.severity at the snapshot (rule suggestions)
    severity_words: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    analyst_note: str | None = Field(default=None, sa_column=Column(Text))  # why added or removed
    updated_by: str = Field(max_length=80)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class FollowUp(SQLModel, table=True):
    """A commitment made in a session: an owner, a due date, a deliverable, and the evidence that closes it."""

    __tablename__ = "follow_up"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="citistat_session.id", index=True)
    request: str = Field(sa_column=Column(Text, nullable=False))
    owner_role: str = Field(max_length=120)
    owner_agency: str = Field(max_length=80, index=True)
    due_on: dt.date = Field(index=True)
    deliverable: str = Field(max_length=40)  # metrics.followups.Deliverable
    metric_ids: str = Field(default="", max_length=2000)  # comma-separated linked measures
    evidence: str | None = Field(default=None, sa_column=Column(Text))
    evidence_link: str | None = Field(default=None, max_length=500)
    started_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    created_by: str = Field(max_length=80)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class Commentary(SQLModel, table=True):
    """A note on a metric's value for one period, public (residents see it) or internal.

    A withdrawn comment keeps its row (``withdrawn_at``), so what was said stays on record.
    """

    __tablename__ = "commentary"

    id: int | None = Field(default=None, primary_key=True)
    metric_id: str = Field(max_length=80, index=True)
    grain: str = Field(max_length=20)
    period_start: dt.date
    visibility: str = Field(max_length=20)  # metrics.spec.Visibility
    body: str = Field(sa_column=Column(Text, nullable=False))
    author: str = Field(max_length=80)
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    withdrawn_at: dt.datetime | None = None


class SessionDecision(SQLModel, table=True):
    """A decision taken in a CitiStat meeting, recorded during it or right after; the commitments are follow-ups."""

    __tablename__ = "session_decision"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="citistat_session.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    metric_id: str | None = Field(default=None, max_length=80)  # the agenda measure it is about, if one
    recorded_by: str = Field(max_length=80)
    recorded_at: dt.datetime = Field(default_factory=utcnow)
    withdrawn_at: dt.datetime | None = None


class SentMessage(SQLModel, table=True):
    """An e-mail the reminders sent (or are sending): one row per message, unique on its key, so each goes once
    whatever number of schedulers run."""

    __tablename__ = "sent_message"
    __table_args__ = (Index("uq_sent_message_key", "key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300)  # kind:object:occasion:recipient
    kind: str = Field(max_length=40)
    recipient: str = Field(max_length=320)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    claimed_at: dt.datetime = Field(default_factory=utcnow)
    sent_at: dt.datetime | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
