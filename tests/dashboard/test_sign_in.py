"""Sign-in over HTTP against the running app: guessing is stopped without locking out the owner, client
addresses come from trusted proxies only, and a session is bound to its browser and ended by sign-out."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable

from tests.dashboard.helpers import PASSWORD, Client

WRONG = "wrong-password-123"


def signed_in(client: Client) -> bool:
    return "Sign-in required" not in client.page("/data-health").body


def at(base: str, address: str, agent: str = "Mozilla/5.0 (X11; Linux) Firefox/128.0") -> Client:
    """A browser at ``address`` (seen through the one trusted proxy of ``serve(TRUSTED_PROXY_HOPS="1")``)."""
    return Client(base, X_Forwarded_For=address, User_Agent=agent)


def outcome(reply_location: str) -> str:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(reply_location).query)
    return query.get("error", ["signed in"])[0]


def test_failures_from_one_address_do_not_lock_the_owner_out_elsewhere(serve: Callable[..., str]) -> None:
    base = serve(TRUSTED_PROXY_HOPS="1")
    guesser = at(base, "203.0.113.5")
    for _ in range(5):
        assert outcome(guesser.sign_in("admin", WRONG).headers["Location"]) == "invalid"
    assert outcome(guesser.sign_in("admin").headers["Location"]) == "wait"  # guessing from there is stopped
    owner = at(base, "198.51.100.7")
    assert outcome(owner.sign_in("admin").headers["Location"]) == "signed in" and signed_in(owner)


def test_many_failures_everywhere_never_make_the_owner_wait(serve: Callable[..., str]) -> None:
    base = serve(TRUSTED_PROXY_HOPS="1")
    office = at(base, "198.51.100.7")
    assert outcome(office.sign_in("admin").headers["Location"]) == "signed in"  # the owner's usual address
    for n in range(12):  # a distributed guess: 12 failures in seconds from 12 addresses
        reply = at(base, f"203.0.113.{n + 1}").sign_in("admin", WRONG)
        assert outcome(reply.headers["Location"]) == "invalid"
    assert outcome(at(base, "198.51.100.7").sign_in("admin").headers["Location"]) == "signed in"
    travelling = at(base, "192.0.2.44")  # a new address: the right password on the first try is in at once
    assert outcome(travelling.sign_in("admin").headers["Location"]) == "signed in" and signed_in(travelling)
    hotel = at(base, "192.0.2.45")  # the slower path: a new address gets one free failure, then short waits
    assert outcome(hotel.sign_in("admin", WRONG).headers["Location"]) == "invalid"
    location = hotel.sign_in("admin").headers["Location"]
    assert outcome(location) == "wait" and "retry=2" in location


def test_failures_for_unknown_names_do_not_lock_out_the_address(serve: Callable[..., str]) -> None:
    base = serve(TRUSTED_PROXY_HOPS="1")
    colleague = at(base, "198.51.100.20")
    assert outcome(colleague.sign_in("works").headers["Location"]) == "signed in"  # known at the office
    sprayer = at(base, "198.51.100.20")  # the same office address (NAT)
    for n in range(5):
        assert outcome(sprayer.sign_in(f"nobody{n}", WRONG).headers["Location"]) == "invalid"
    assert outcome(at(base, "198.51.100.20").sign_in("police").headers["Location"]) == "signed in"
    for n in range(5, 20):  # spraying goes on: at 20 failures the address must wait, for new names
        assert outcome(sprayer.sign_in(f"nobody{n}", WRONG).headers["Location"]) == "invalid"
    location = sprayer.sign_in("admin").headers["Location"]
    assert outcome(location) == "wait" and "retry=2" in location
    assert outcome(at(base, "198.51.100.20").sign_in("works").headers["Location"]) == "signed in"  # known here
    assert outcome(at(base, "192.0.2.9").sign_in("admin").headers["Location"]) == "signed in"  # elsewhere


def test_forwarded_addresses_count_only_from_trusted_proxies(serve: Callable[..., str]) -> None:
    direct = serve()  # no proxy configured: X-Forwarded-For is the client's own invention and is ignored
    for n in range(5):
        assert outcome(at(direct, f"10.0.0.{n}").sign_in("admin", WRONG).headers["Location"]) == "invalid"
    assert outcome(at(direct, "10.0.0.99").sign_in("admin").headers["Location"]) == "wait"  # one address
    proxied = serve(TRUSTED_PROXY_HOPS="1")  # one proxy: the address it appended counts, not the client's
    for _ in range(5):
        forged = at(proxied, "10.9.9.9, 203.0.113.77").sign_in("admin", WRONG)
        assert outcome(forged.headers["Location"]) == "invalid"
    assert outcome(at(proxied, "10.9.9.10, 203.0.113.77").sign_in("admin").headers["Location"]) == "wait"
    assert outcome(at(proxied, "203.0.113.78").sign_in("admin").headers["Location"]) == "signed in"


def test_a_session_is_bound_to_its_browser_and_ended_by_sign_out(serve: Callable[..., str]) -> None:
    base = serve(TRUSTED_PROXY_HOPS="1")
    victim = at(base, "198.51.100.7", agent="Mozilla/5.0 (Windows NT 10.0) Chrome/126.0")
    assert outcome(victim.sign_in("police").headers["Location"]) == "signed in"
    stolen = victim.session_cookie or ""
    elsewhere = at(base, "203.0.113.5", agent="curl/8.5.0")  # replayed from another browser and address
    elsewhere.set_session_cookie(stolen)
    assert not signed_in(elsewhere)
    assert "Patrol overtime" not in elsewhere.page("/metrics/patrol_spend").body
    moved = at(base, "192.0.2.60", agent="Mozilla/5.0 (Windows NT 10.0) Chrome/126.0")  # same browser, new network
    moved.set_session_cookie(stolen)
    assert signed_in(moved)  # sessions are not bound to the address: phones and laptops change networks
    assert signed_in(victim)  # the refused replay did not end the owner's session
    token = urllib.parse.urlencode({"csrf": victim.cookie_csrf("/sign-out")}).encode()
    assert victim.request("/auth/sign-out", token, "application/x-www-form-urlencoded").status == 302
    assert not signed_in(victim)
    assert not signed_in(moved)  # signing out ended the session on the server: the copy is useless
    again = at(base, "198.51.100.7", agent="Mozilla/5.0 (Windows NT 10.0) Chrome/126.0")
    assert outcome(again.sign_in("police", PASSWORD).headers["Location"]) == "signed in" and signed_in(again)
