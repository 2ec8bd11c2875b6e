"""Reminders by e-mail, sent by the scheduler's leader: the CitiStat pre-read to a session's attendees from 48 hours
before the meeting, follow-ups due within 3 days and overdue to the owning agency, and a data call's due and
overdue notices to each agency with figures still to report. Off until SMTP settings are given.

Each message has a key (what, which object, which occasion, to whom); it is claimed in the store before it is
sent, so it goes once, whichever scheduler sends it. A due date moved later makes a new occasion.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections import defaultdict
from dataclasses import dataclass
from email.message import EmailMessage

from data import data_calls, mail_store
from data.access import Gate
from data.config import Settings, SmtpSettings
from data.errors import describe
from data.followup_store import follow_ups
from data.frozen import frozen_view
from data.models import Role
from data.policy import Viewer
from data.sessions import Session, agenda, sessions
from data.users import reminder_addresses
from metrics.formatting import format_value
from metrics.reporting import OUTSTANDING
from metrics.status import Status

logger = logging.getLogger(__name__)

SYSTEM = Viewer(Role.ADMIN, "reminders")  # reads what every reminder is about
PRE_READ_DAYS = 2
DUE_SOON_DAYS = 3


@dataclass(frozen=True)
class Message:
    key: str
    kind: str
    to: str
    subject: str
    body: str


def due_messages(gate: Gate, today: dt.date, site_url: str = "") -> list[Message]:
    """Every reminder due on ``today`` (sent or not: the store says which went)."""
    return [*_pre_reads(gate, today, site_url), *_follow_ups(gate, today, site_url),
            *_data_calls(gate, today, site_url)]


def send_due(gate: Gate, settings: Settings, *, lease: int | None = None) -> int:
    """Send every due reminder not sent yet; returns how many went. A refused or unreachable mail server leaves the
    message for the next run."""
    if settings.smtp is None:
        return 0
    count = 0
    for message in due_messages(gate, gate.today(), settings.site_url):
        if not mail_store.claim(message.key, message.kind, message.to, message.subject, lease=lease):
            continue
        try:
            _deliver(settings.smtp, message)
        except (OSError, smtplib.SMTPException) as exc:
            mail_store.release(message.key)
            logger.warning("reminder %s to %s not sent: %s", message.kind, message.to, describe(exc))
            continue
        mail_store.sent(message.key)
        count += 1
    return count


def _deliver(smtp: SmtpSettings, message: Message) -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = smtp.sender, message.to, message.subject
    mail.set_content(message.body)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=20) as server:
        if smtp.starttls:
            server.starttls()
        if smtp.user:
            server.login(smtp.user, smtp.password or "")
        server.send_message(mail)


def _pre_reads(gate: Gate, today: dt.date, site_url: str) -> list[Message]:
    out = []
    for s in sessions(SYSTEM):
        if s.cancelled is not None or not today <= s.meets_on <= today + dt.timedelta(days=PRE_READ_DAYS):
            continue
        body = _pre_read(gate, s, site_url)
        subject = f"CitiStat pre-read: {s.subject.label(gate.registry)}, {s.meets_on:%A, %B %-d}"
        out += [Message(f"pre-read:{s.id}:{a.email}", "pre-read", a.email, subject, body)
                for a in s.attendees if a.email]
    return out


def _pre_read(gate: Gate, s: Session, site_url: str) -> str:
    view = frozen_view(gate, SYSTEM, s.subject, s.frozen_at, s.data_cutoff)
    lines = []
    for number, item in enumerate((e for e in agenda(SYSTEM, s.id) if not e.removed and not e.considered), 1):
        metric, assessment = view.metrics.get(item.metric_id), view.assessments.get(item.metric_id)
        if metric is None or assessment is None:
            continue
        status = f"{assessment.judged_as.label} (stale)" if assessment.status is Status.STALE and \
            assessment.judged_as else assessment.status.label
        value = format_value(assessment.value, metric.format, metric.unit)
        lines.append(f"{number}. {metric.title}: {status}, {value}. {item.severity_words or item.analyst_note}")
    link = f"{site_url}/download/citistat/{s.id}-brief.pdf" if site_url else f"/download/citistat/{s.id}-brief.pdf"
    agenda_text = "\n".join(lines) or "Nothing on the agenda yet."
    return (f"CitiStat on {s.subject.label(gate.registry)} meets on {s.meets_on:%A, %B %-d, %Y}.\n"
            f"{s.summary}.\n\nThe agenda, most severe first:\n{agenda_text}\n\n"
            f"The brief (sign in with your City account): {link}\n")


def _follow_ups(gate: Gate, today: dt.date, site_url: str) -> list[Message]:
    out = []
    for f in follow_ups(gate, SYSTEM):
        if not f.is_open_on(today):
            continue
        if f.due_on < today:
            kind, when = "follow-up-overdue", f"was due on {f.due_on:%B %-d, %Y} and is overdue"
        elif f.due_on <= today + dt.timedelta(days=DUE_SOON_DAYS):
            kind, when = "follow-up-due", f"is due on {f.due_on:%A, %B %-d, %Y}"
        else:
            continue
        body = (f"A CitiStat follow-up your agency owes {when}:\n\n{f.request}\nOwner: {f.owner_role}\n"
                f"Deliverable: {f.deliverable.label}\n\nReport progress and evidence: "
                f"{site_url}/follow-ups/{f.id}\n")
        out += [Message(f"{kind}:{f.id}:{f.due_on}:{address}", kind, address,
                        f"CitiStat follow-up {'overdue' if kind.endswith('overdue') else 'due soon'}: "
                        f"{f.request[:80]}", body) for address in reminder_addresses(f.owner_agency)]
    return out


def _data_calls(gate: Gate, today: dt.date, site_url: str) -> list[Message]:
    out = []
    for call in data_calls.calls(gate, SYSTEM):
        if call.cancelled is not None or call.due_on > today + dt.timedelta(days=DUE_SOON_DAYS):
            continue
        outstanding: dict[str, int] = defaultdict(int)
        for e in data_calls.entries(gate, SYSTEM, call.id):
            outstanding[e.agency] += e.state in OUTSTANDING
        overdue = call.overdue_on(today)
        kind = "data-call-overdue" if overdue else "data-call-due"
        for agency, count in outstanding.items():
            if not count:
                continue
            name = gate.registry.agencies[agency].name if agency in gate.registry.agencies else agency
            when = f"were due on {call.due_on:%B %-d, %Y}" if overdue else f"are due on {call.due_on:%A, %B %-d}"
            body = (f"{count} of {name}'s {call.period.label} figures {when}.\n\nEnter them, or upload the "
                    f"workbook: {site_url}/data-calls/{call.id}?agency={agency}\n")
            out += [Message(f"{kind}:{call.id}:{agency}:{address}", kind, address,
                            f"{call.period.label} data call: {count} figures {'overdue' if overdue else 'due soon'}",
                            body) for address in reminder_addresses(agency)]
    return out
