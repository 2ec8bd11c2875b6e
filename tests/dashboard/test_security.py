"""Attack tests over HTTP against the running app: no internal data for anonymous or out-of-scope users,
sessions that cannot be fixed, forged or outlived, throttled guessing, and no 500 under fuzzing."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.config import Settings
from data.models import Role
from data.users import set_disabled
from metrics.registry import Registry
from tests.dashboard.helpers import PASSWORD, Client, Reply

SECRETS = ("Patrol overtime", "Overtime dollars", "patrol_spend", "987654")  # the internal metric of AG2


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s.lower() in text.lower()]


INTERNAL_PATHS = ["/metrics/patrol_spend", "/metrics/patrol_spend/", "//metrics/patrol_spend",
                  "/metrics/./patrol_spend", "/metrics/PATROL_SPEND", "/metrics/patrol_spend%00", "/data-health",
                  "/admin/audit", "/pillars/1", "/goals/1.1", "/agencies/AG2", "/services/SV2", "/districts/1",
                  "/search", "/areas", "/areas/district", "/areas/district/1", "/areas/district/1%2Fx"]


def test_anonymous_callbacks_return_nothing_internal(serve: Callable[..., str]) -> None:
    client = Client(serve())
    dependencies = json.loads(client.request("/_dash-dependencies").body)
    server_callbacks = [d for d in dependencies if not d.get("clientside_function")]
    assert sorted(d["output"] for d in server_callbacks) == [  # the router, and the data call's check and upload
        ".._pages_content.children..._pages_store.data..", "..workbook-go.href...workbook-result.children..",
        "entry-check.children"]
    for path in INTERNAL_PATHS:
        for search in ("", "?grain=month", "?q=patrol", "?q=overtime"):
            reply = client.page(path, search)
            assert reply.status == 200 and leaks(reply.body) == [], (path, search, leaks(reply.body))
    forged = {"output": ".._pages_content.children..._pages_store.data..",
              "outputs": [{"id": "_pages_content", "property": "children"},
                          {"id": "_pages_store", "property": "data"}],
              "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"},
                         {"id": "_pages_location", "property": "search", "value": ""},
                         {"id": "_pages_location", "property": "pathname", "value": "/metrics/patrol_spend"},
                         {"id": "viewer", "property": "role", "value": "admin"}],
              "changedPropIds": ["_pages_location.pathname"], "state": [{"id": "user", "property": "data",
                                                                          "value": {"role": "admin"}}]}
    reply = client.callback(forged)
    assert reply.status == 400 and leaks(reply.body) == []


def test_layout_dependencies_downloads_and_search_leak_nothing(serve: Callable[..., str]) -> None:
    client = Client(serve())
    for path in ("/_dash-layout", "/_dash-dependencies", "/", "/metrics/patrol_spend",
                 "/download/metrics/patrol_spend.csv", "/download/metrics/patrol_spend.csv?grain=month"):
        reply = client.request(path)
        echoed = reply.body.replace(path.split("?")[0], "")  # Dash pages echo the visitor's own URL in meta tags
        assert leaks(echoed) == [], (path, leaks(echoed))
    assert client.request("/download/metrics/patrol_spend.csv").status == 404
    assert client.request("/metrics/patrol_spend").status == 404
    assert client.request("/data-health").status == 401
    assert "events_count" in client.request("/download/metrics/events_count.csv").body  # a public one works


def test_agency_users_see_only_their_own_internal_metrics(serve: Callable[..., str]) -> None:
    base = serve()
    works, police = Client(base), Client(base)
    assert works.sign_in("works").status == 302 and police.sign_in("police").status == 302
    assert leaks(works.page("/metrics/patrol_spend").body) == []
    assert "Not available to your account" in works.page("/metrics/patrol_spend").body
    assert works.request("/metrics/patrol_spend").status == 403
    assert works.request("/download/metrics/patrol_spend.csv").status == 403
    assert leaks(works.page("/data-health").body) == []
    assert leaks(works.page("/search", "?q=patrol").body) == []
    assert "Patrol overtime" in police.page("/metrics/patrol_spend").body
    assert "987654" in police.request("/download/metrics/patrol_spend.csv").body
    assert "Not available to your account" in works.page("/admin/audit").body
    assert "Sign-in required" in Client(base).page("/admin/audit").body
    admin = Client(base)
    admin.sign_in("admin")
    assert "user.add" in admin.page("/admin/audit").body


def test_citistat_writes_follow_the_roles_and_need_the_token(serve: Callable[..., str],
                                                           test_registry: Registry) -> None:
    from data.access import Gate
    from data.policy import Viewer
    from data.session_changes import create_session
    from data.sessions import sessions

    base = serve()
    police_session = create_session(Gate(test_registry), Viewer(Role.ADMIN, "admin"), subject="agency:AG2",
                                    meets_on="2025-09-10", data_cutoff="2025-08-31", attendees="")
    works, anonymous, admin = Client(base), Client(base), Client(base)
    works.sign_in("works")
    admin.sign_in("admin")
    for client, status in ((anonymous, 401), (works, 404)):
        assert client.request(f"/citistat/{police_session}").status == status
        for document in ("brief", "commitments"):
            for kind in ("html", "pdf"):
                reply = client.request(f"/download/citistat/{police_session}-{document}.{kind}")
                assert reply.status == status and leaks(reply.body) == []

    def post(client: Client, path: str, **form: str) -> Reply:
        fields = {"csrf": client.cookie_csrf("/metrics/events_count"), **form}  # a page with a comment form
        return client.request(path, urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded")

    new = {"subject": "agency:AG1", "meets_on": "2025-09-10", "data_cutoff": "2025-08-31", "attendees": ""}
    assert post(works, "/citistat", **new).status == 403  # agency users do not create sessions
    assert post(works, f"/citistat/{police_session}/follow-ups", request="x", owner_role="x", owner_agency="AG1",
                due_on="2025-10-01", deliverable="memo").status in (403, 404)
    forged = urllib.parse.urlencode({**new, "csrf": "forged"}).encode()
    assert admin.request("/citistat", forged, "application/x-www-form-urlencoded").status == 302  # refused
    assert post(anonymous, "/citistat", **new).status == 401  # with a link to the sign-in page
    assert [s.id for s in sessions(Viewer(Role.ADMIN, "admin"))] == [police_session]
    assert post(admin, "/citistat", **new).status == 302
    assert len(sessions(Viewer(Role.ADMIN, "admin"))) == 2


def test_session_fixation_tampering_and_csrf(serve: Callable[..., str]) -> None:
    base = serve()
    victim = Client(base)
    victim.page("/sign-in")
    planted = victim.session_cookie
    assert planted
    assert victim.sign_in("police").status == 302
    assert victim.session_cookie != planted
    attacker = Client(base)
    attacker.set_session_cookie(planted)
    assert "Sign-in required" in attacker.page("/data-health").body

    stolen = victim.session_cookie or ""
    tampered = stolen[:-3] + ("A" if stolen[-3] != "A" else "B") + stolen[-2:]
    forger = Client(base)
    forger.set_session_cookie(tampered)
    assert "Sign-in required" in forger.page("/data-health").body

    no_token = Client(base)
    form = urllib.parse.urlencode({"username": "police", "password": PASSWORD}).encode()
    reply = no_token.request("/auth/sign-in", form, "application/x-www-form-urlencoded")
    assert reply.headers["Location"].endswith("/sign-in?error=expired")
    assert "Sign-in required" in no_token.page("/data-health").body
    landing = Client(base).sign_in("police", next_path="//evil.example/x").headers["Location"]
    assert landing in ("/my-agency", f"{base}/my-agency")  # an agency user's own page, never another site


def test_expired_and_disabled_sessions_are_refused(serve: Callable[..., str]) -> None:
    base = serve(CITISTAT_SESSION_ABSOLUTE="1")
    client = Client(base)
    client.sign_in("police")
    assert "Patrol overtime" in client.page("/metrics/patrol_spend").body
    time.sleep(1.5)
    assert "Patrol overtime" not in client.page("/metrics/patrol_spend").body

    other = Client(serve())
    other.sign_in("police")
    assert "Patrol overtime" in other.page("/metrics/patrol_spend").body
    set_disabled("police", True, actor="test")
    assert "Patrol overtime" not in other.page("/metrics/patrol_spend").body
    assert other.sign_in("police").headers["Location"].startswith("/sign-in?error=invalid")


def test_repeated_failures_are_slowed_down_and_logged(serve: Callable[..., str],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    base = serve(TRUSTED_PROXY_HOPS="1")  # addresses from X-Forwarded-For, as behind one proxy
    guesser, owner = Client(base, X_Forwarded_For="203.0.113.9"), Client(base, X_Forwarded_For="198.51.100.7")
    with caplog.at_level(logging.WARNING, logger="data.users"):
        for _ in range(5):
            assert "error=invalid" in guesser.sign_in("admin", "wrong-password-123").headers["Location"]
        refused = guesser.sign_in("admin").headers["Location"]  # from there even the right password waits
        assert "error=wait" in refused and "retry=2" in refused
        assert "Try again in 2 seconds" in guesser.page("/sign-in", "?error=wait&retry=2").body
        assert owner.sign_in("admin").headers["Location"] in ("/", f"{base}/")  # the owner, elsewhere, is in
    failed = [r.getMessage() for r in caplog.records if "failed sign-in for 'admin'" in r.getMessage()]
    assert len(failed) == 5 and all("from 203.0.113.9" in m for m in failed)
    assert any("refused: too many failures" in r.getMessage() for r in caplog.records)


def test_cookie_flags_and_secret_key(serve: Callable[..., str], test_registry: Registry,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from app import create_app
    from dashboard.auth import ConfigurationError

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app(test_registry, Settings.from_env())
    base = serve(APP_ENV="production", SECRET_KEY="a-long-random-production-secret")
    reply = Client(base).page("/sign-in")
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_public_site_ignores_sessions_and_internal_site_needs_one(serve: Callable[..., str]) -> None:
    shared = {"SECRET_KEY": "shared-secret-of-both-sites"}
    internal = serve(SITE="internal", **shared)
    staff = Client(internal)
    assert Client(internal).request("/").status == 401
    assert "Sign-in required" in Client(internal).page("/").body
    assert Client(internal).request("/download/metrics/events_count.csv").status == 401
    staff.sign_in("police")
    assert "Patrol overtime" in staff.page("/metrics/patrol_spend").body
    public = serve(SITE="public", **shared)
    carried = Client(public)
    carried.set_session_cookie(staff.session_cookie or "")
    assert leaks(carried.page("/metrics/patrol_spend").body) == []
    assert carried.request("/auth/sign-in", b"username=police", "application/x-www-form-urlencoded").status in (
        404, 405)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
       query=st.dictionaries(st.sampled_from(["status", "agency", "sort", "grain", "q", "next", "x", "error"]),
                             st.text(max_size=20), max_size=3),
       junk=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                         lambda children: st.lists(children, max_size=3)
                         | st.dictionaries(st.text(max_size=5), children, max_size=3), max_leaves=8))
def test_fuzzed_paths_queries_and_payloads_never_500(fuzz_client: Client, path: str, query: dict[str, str],
                                                      junk: Any) -> None:
    address = "/" + urllib.parse.quote(path, safe="/")
    search = "?" + urllib.parse.urlencode(query) if query else ""
    for reply in (fuzz_client.request(address + search), fuzz_client.page("/" + path, search),
                  fuzz_client.callback(junk), fuzz_client.callback({"output": junk, "inputs": junk})):
        assert reply.status < 500, (address, search, reply.body[:300])
        assert "Traceback" not in reply.body
        assert leaks(reply.body) == []


@pytest.fixture
def fuzz_client(serve: Callable[..., str]) -> Client:
    return Client(serve())
