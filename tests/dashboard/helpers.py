"""Helpers the dashboard tests share: a browser page with its console errors, axe, HTTP status, the page router
through a Flask test client, form tokens and signing in."""

from __future__ import annotations

import http.cookiejar
import json
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dash import Dash
from werkzeug.serving import make_server

from data.config import PROJECT_ROOT

SCREENSHOTS = PROJECT_ROOT / "tests" / "screenshots"
PASSWORD = "correct-horse-battery"  # of every staff account the tests add
ROUTER = ".._pages_content.children..._pages_store.data.."


@contextmanager
def serving(app: Dash) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()


def open_page(browser: Any, url: str, width: int = 1366, height: int = 900) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: problems.append(f"external request {r.url}")
            if not r.url.startswith(("http://127.0.0.1", "data:")) else None)
    page.goto(url)
    page.wait_for_selector("#main h1")
    page.wait_for_load_state("networkidle")
    return page, problems


def assert_accessible(page: Any, screenshot: str | None = None) -> None:
    """Axe finds no WCAG 2.1 AA violation on ``page``; with a name, the full page is saved as a screenshot first."""
    from axe_playwright_python.sync_playwright import Axe

    if screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{screenshot}.png"), full_page=True)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:  # noqa: S310 - loopback test server
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def route(client: Any, path: Any, outputs: Any = None, search: str = "") -> Any:
    """Ask the page router (as the browser does) for ``path``'s page, through a Flask test client."""
    payload = {
        "output": ROUTER,
        "outputs": outputs if outputs is not None else [{"id": "_pages_content", "property": "children"},
                                                        {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    }
    return client.post("/_dash-update-component", json=payload)


def form_token(node: Any) -> str | None:
    """The CSRF token in a rendered page's form."""
    if isinstance(node, dict):
        if node.get("name") == "csrf" and isinstance(node.get("value"), str):
            return str(node["value"])
        node = list(node.values())
    if isinstance(node, list):
        return next((token for child in node if (token := form_token(child))), None)
    return None


def signed_in(app: Any, username: str, password: str) -> Any:
    """A Flask test client with ``username`` signed in through the sign-in form."""
    client = app.server.test_client()
    token = form_token(route(client, "/sign-in").get_json())
    reply = client.post("/auth/sign-in", data={"username": username, "password": password, "csrf": token})
    assert reply.status_code == 302 and "error" not in reply.headers["Location"], reply.headers["Location"]
    return client


def signed_in_page(browser: Any, base: str, username: str, password: str) -> Any:
    """A browser page signed in through the sign-in form; ``page.problems`` collects its console errors."""
    page, problems = open_page(browser, base + "/sign-in")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(f"text=Sign out ({username})")
    page.wait_for_load_state("networkidle")
    page.problems = problems
    return page


def go(page: Any, url: str) -> None:
    """Open ``url`` in ``page`` and wait until its content is drawn."""
    page.goto(url)
    page.wait_for_selector("#main h1")
    page.wait_for_load_state("networkidle")


def session_of(app: Any, username: str | None, password: str, form_page: str) -> tuple[str | None, str | None]:
    """(session cookie, form token) of ``username`` signed in (or of an anonymous visitor), through a test client;
    the token is the one ``form_page`` puts in its form."""
    client = app.server.test_client()
    token = form_token(route(client, "/sign-in").get_json())
    if username:
        client.post("/auth/sign-in", data={"username": username, "password": password, "csrf": token})
        token = form_token(route(client, form_page).get_json())
    cookie = client.get_cookie("citistat_session")
    return (cookie.value if cookie else None), token


def render(app: Dash, path: str) -> str:
    payload = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    }
    response = app.server.test_client().post("/_dash-update-component", json=payload)
    assert response.status_code == 200
    return json.dumps(response.get_json())


@dataclass
class Reply:
    status: int
    body: str
    headers: Any


class Client:
    """A browser-like HTTP client: cookies kept, redirects not followed; ``headers`` go with every request."""

    def __init__(self, base: str, **headers: str) -> None:
        self.base = base
        self.headers = {name.replace("_", "-"): value for name, value in headers.items()}
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any) -> None:
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path: str, data: bytes | None = None, content_type: str | None = None) -> Reply:
        headers = {**self.headers, **({"Content-Type": content_type} if content_type else {})}
        req = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as response:
                return Reply(response.status, response.read().decode("utf-8", "replace"), response.headers)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode("utf-8", "replace"), error.headers)

    def page(self, path: str, search: str = "") -> Reply:
        return self.callback({"output": ".._pages_content.children..._pages_store.data..",
                              "outputs": [{"id": "_pages_content", "property": "children"},
                                          {"id": "_pages_store", "property": "data"}],
                              "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                                         {"id": "_pages_location", "property": "search", "value": search}],
                              "changedPropIds": ["_pages_location.pathname"], "state": []})

    def callback(self, payload: Any) -> Reply:
        return self.request("/_dash-update-component", json.dumps(payload).encode(), "application/json")

    def sign_in(self, username: str, password: str = PASSWORD, next_path: str = "/") -> Reply:
        self.page("/sign-in")
        form = urllib.parse.urlencode({"username": username, "password": password, "next": next_path,
                                       "csrf": self.cookie_csrf()}).encode()
        return self.request("/auth/sign-in", form, "application/x-www-form-urlencoded")

    def cookie_csrf(self, form_page: str = "/sign-in") -> str:
        """The CSRF token ``form_page`` puts in its form (tied to this client's session)."""

        def find(node: Any) -> str | None:
            if isinstance(node, dict):
                if node.get("name") == "csrf" and isinstance(node.get("value"), str):
                    return str(node["value"])
                return next((t for t in map(find, node.values()) if t), None)
            if isinstance(node, list):
                return next((t for t in map(find, node) if t), None)
            return None

        return find(json.loads(self.page(form_page).body)) or ""

    @property
    def session_cookie(self) -> str | None:
        return next((c.value for c in self.jar if c.name == "citistat_session"), None)

    def set_session_cookie(self, value: str) -> None:
        self.jar.clear()
        self.jar.set_cookie(http.cookiejar.Cookie(
            0, "citistat_session", value, None, False, "127.0.0.1", False, False, "/", True, False, None, False,
            None, None, {}))
