"""E-mail reminders against a real SMTP server started by the test (aiosmtpd): the pre-read, follow-ups due and
overdue, a data call's notices, each received exactly once, also with two scheduler processes and a takeover."""

from __future__ import annotations

import datetime as dt
import email
import signal
import socket
import time
from collections import Counter
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from data import data_calls, followup_store
from data.access import Gate
from data.config import Settings
from data.models import Role
from data.session_changes import create_session
from data.users import add_user
from metrics.periods import add_months, period_start
from metrics.registry import Registry
from metrics.reporting import ReportingPeriod
from metrics.spec import Grain
from pipeline.reminders import send_due
from tests.helpers import ADMIN, load_reported, new_session
from tests.pipeline.helpers import leader_and_standby, wait_for


class Inbox:
    """What the SMTP server received: one entry per recipient of each message."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        message = email.message_from_bytes(envelope.content)
        self.received += [(recipient, message) for recipient in envelope.rcpt_tos]
        return "250 Message accepted for delivery"

    def subjects(self) -> Counter[tuple[str, str]]:
        return Counter((to, str(m["Subject"])) for to, m in self.received)


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_FROM": "CitiStat <citistat@city.test>",
                       "SITE_URL": "https://staff.city.test"}.items():
        monkeypatch.setenv(key, value)
    try:
        yield received
    finally:
        controller.stop()


def _session_and_follow_ups(gate: Gate, test_registry: Registry) -> None:
    """A meeting tomorrow with two attendees who have addresses, and Public Works owing one follow-up due in two days
    and one overdue; Public Works has one staff address."""
    today = gate.today()
    add_user("works", "a-long-test-password", Role.AGENCY, frozenset({"AG1"}), actor="test",
             known_agencies=frozenset(test_registry.agencies), email="works@city.test")
    earlier = new_session(gate, meets_on=(today - dt.timedelta(days=20)).isoformat(), cutoff="2025-10-31")
    followup_store.assign(gate, ADMIN, earlier, request="Overdue plan", owner_role="Director", owner_agency="AG1",
                          due_on=(today - dt.timedelta(days=1)).isoformat(), deliverable="memo", metric_ids=[])
    followup_store.assign(gate, ADMIN, earlier, request="Route map", owner_role="Director", owner_agency="AG1",
                          due_on=(today + dt.timedelta(days=2)).isoformat(), deliverable="memo", metric_ids=[])
    create_session(gate, ADMIN, subject="agency:AG1", meets_on=(today + dt.timedelta(days=1)).isoformat(),
                   data_cutoff="2025-10-31", attendees="Director: Dana Reyes <dana@city.test>\n"
                   "City Administrator: Sam Lee <sam@city.test>\nAnalyst: No Address")


def expected(gate: Gate) -> Counter[tuple[str, str]]:
    meeting = gate.today() + dt.timedelta(days=1)
    pre_read = f"CitiStat pre-read: Public Works, {meeting:%A, %B %-d}"
    return Counter({("dana@city.test", pre_read): 1, ("sam@city.test", pre_read): 1,
                    ("works@city.test", "CitiStat follow-up overdue: Overdue plan"): 1,
                    ("works@city.test", "CitiStat follow-up due soon: Route map"): 1})


def test_each_reminder_is_received_once(gate: Gate, test_registry: Registry, inbox: Inbox) -> None:
    _session_and_follow_ups(gate, test_registry)
    settings = Settings.from_env()
    assert send_due(gate, settings) == 4
    assert send_due(gate, settings) == 0
    assert inbox.subjects() == expected(gate)
    pre_read = next(m for to, m in inbox.received if to == "dana@city.test")
    body = pre_read.get_payload(decode=True).decode()
    assert "https://staff.city.test/download/citistat/" in body and "The agenda, most severe first" in body


def test_nothing_is_sent_without_smtp_settings(gate: Gate, test_registry: Registry,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _session_and_follow_ups(gate, test_registry)
    monkeypatch.delenv("SMTP_HOST", raising=False)
    assert send_due(gate, Settings.from_env()) == 0


@pytest.mark.slow
def test_two_schedulers_send_each_reminder_once_even_across_a_takeover(gate: Gate, test_registry: Registry,
                                                                      inbox: Inbox, database: str,
                                                                      tmp_path: Path) -> None:
    _session_and_follow_ups(gate, test_registry)
    with leader_and_standby(tmp_path, args=("--reminders-every", "1")) as pair:
        deadline = time.monotonic() + 30
        while sum(inbox.subjects().values()) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        pair.leader.send_signal(signal.SIGKILL)
        pair.leader.wait(10)
        wait_for(pair.standby_log, "Leader lock taken")
        time.sleep(3)  # the new leader has looked for reminders at least twice
    assert inbox.subjects() == expected(gate)


def test_a_data_call_reminds_agencies_with_figures_to_report(database: str, baltimore_registry: Registry,
                                                             inbox: Inbox) -> None:
    load_reported(baltimore_registry)
    gate = Gate(baltimore_registry)
    today, fy_start = gate.today(), baltimore_registry.city.fiscal_year_start_month
    last_quarter = add_months(period_start(today, Grain.FISCAL_QUARTER, fy_start), -3)
    ended = ReportingPeriod.of(Grain.FISCAL_QUARTER, last_quarter, fy_start)
    data_calls.open_call(gate, ADMIN, period=ended.label, due_on=(today + dt.timedelta(days=2)).isoformat())
    data_calls.open_call(gate, ADMIN, period=ended.a_year_before().label,
                         due_on=(today - dt.timedelta(days=3)).isoformat())
    add_user("bmza", "a-long-test-password", Role.AGENCY, frozenset({"AGC7900"}), actor="test",
             known_agencies=frozenset(baltimore_registry.agencies), email="bmza@city.test")
    assert send_due(gate, Settings.from_env()) == 2
    assert inbox.subjects() == Counter({
        ("bmza@city.test", f"{ended.label} data call: 4 figures due soon"): 1,
        ("bmza@city.test", f"{ended.a_year_before().label} data call: 4 figures overdue"): 1})
    assert send_due(gate, Settings.from_env()) == 0

