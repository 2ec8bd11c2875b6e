"""The brief and the commitments memo: one layout for the web and the PDF, page 1 the summary, numbered pages,
tagged for screen readers, the session page's status words, and staff text never read as markup."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from pypdf import PdfReader

from dashboard.briefing import briefing
from dashboard.components import status_words
from data import followup_store, session_changes
from data.access import Gate
from metrics.registry import Registry
from tests.dashboard.helpers import PASSWORD, route, signed_in
from tests.helpers import ADMIN, new_session


@pytest.fixture
def app(gate: Gate, test_registry: Registry) -> Any:
    from app import create_app
    from data.models import Role
    from data.users import add_user

    add_user("perf", PASSWORD, Role.ADMIN, frozenset(), actor="test", known_agencies=frozenset(test_registry.agencies))
    return create_app(test_registry)


def pages_of(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [" ".join(p.extract_text().split()) for p in reader.pages]


def _elements(node: Any, kind: str) -> list[Any]:
    """The structure elements of one kind under ``node`` in a tagged PDF's structure tree."""
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, list):
        return [e for child in node for e in _elements(child, kind)]
    if not isinstance(node, dict):
        return []
    found = [node] if node.get("/S") == kind else []
    return found + _elements(node.get("/K", []), kind)


def test_the_brief_leads_with_a_summary_page_and_says_the_pages_status_words(gate: Gate, app: Any) -> None:
    session_id = new_session(gate, meets_on=(gate.today() + dt.timedelta(days=2)).isoformat())
    session_changes.add_item(gate, ADMIN, session_id, "closed_on_time", "Council asked about it")
    client = signed_in(app, "perf", PASSWORD)
    page = json.dumps(route(client, f"/citistat/{session_id}").get_json(), ensure_ascii=False)
    words = [status_words(i.assessment) for i in briefing(gate, ADMIN, session_id).items]
    assert len(words) == 2 and all(f" {w.split(' · ')[0]}" in page for w in words)
    reply = client.get(f"/download/citistat/{session_id}-brief.pdf")
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    reader, pages = pages_of(reply.data)
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and "/MarkInfo" in root and root["/Lang"] == "en"
    figures = _elements(root["/StructTreeRoot"], "/Figure")
    assert len(figures) == 2 and all(str(f.get("/Alt", "")).strip() for f in figures)  # each chart described
    assert pages[0].startswith("INTERNAL") and "Summary" in pages[0] and f"Page 1 of {len(pages)}" in pages[0]
    assert all(f"Page {n} of {len(pages)}" in text for n, text in enumerate(pages, start=1))
    assert words and all(w in pages[0] for w in words)
    assert "Question to ask" not in pages[0] and "Question to ask" in " ".join(pages[1:])
    web = client.get(f"/download/citistat/{session_id}-brief.html").get_data(as_text=True)
    assert web.startswith("<!DOCTYPE html>") and '<html lang="en">' in web and "<main>" in web
    assert 'name="viewport"' in web
    assert all(w in web for w in words)


def test_the_commitments_memo_lists_decisions_and_who_owes_what(gate: Gate, app: Any) -> None:
    session_id = new_session(gate)
    session_changes.record_decision(gate, ADMIN, session_id, "Public Works to test </style><script>x</script>")
    followup_store.assign(gate, ADMIN, session_id, request="Route plan", owner_role="Chief of Staff",
                          owner_agency="AG1", due_on="2025-12-01", deliverable="memo", metric_ids=[])
    client = signed_in(app, "perf", PASSWORD)
    web = client.get(f"/download/citistat/{session_id}-commitments.html").get_data(as_text=True)
    assert "&lt;/style&gt;&lt;script&gt;" in web and "<script>x" not in web
    _, pages = pages_of(client.get(f"/download/citistat/{session_id}-commitments.pdf").data)
    memo = " ".join(pages)
    assert "Public Works to test </style><script>x</script>" in memo
    assert "Chief of Staff, Public Works Route plan Memo Monday, December 1, 2025" in memo


def test_documents_are_for_staff_who_may_see_the_session(gate: Gate, app: Any) -> None:
    session_id = new_session(gate)
    visitor = app.server.test_client()
    for kind in ("brief.html", "brief.pdf", "commitments.pdf"):
        assert visitor.get(f"/download/citistat/{session_id}-{kind}").status_code == 401
    assert signed_in(app, "perf", PASSWORD).get("/download/citistat/999-brief.pdf").status_code == 404
