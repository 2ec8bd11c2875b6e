"""Benchmark: server time of each page on the Baltimore data, at 1 and 20 concurrent clients, beside the SQL
the page needs.

Serves the app with gunicorn (2 workers × 4 threads) on loopback, posts each page's render callback (Dash's
page router) like a browser does, and reports p50 and p95 round-trip times. The SQL columns come from
rendering the same pages in-process while timing every statement: *cold* is the reads a page needs with an
empty cache (right after a refresh lands), *warm* what it runs per request once cached.

    python bench/pages.py                    # builds bench/results/pages.db from the demo data first
    python bench/pages.py --requests 100

Then the staff pages, as a signed-in admin, at 1 and 20 clients (goal: p95 under 300 ms at 20).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = {
    "overview": "/",
    "pillar": "/pillars/3",
    "pillar, filtered": "/pillars/3?status=off_track&sort=title",
    "goal": "/goals/5.5",
    "metric (computed)": "/metrics/illegal_dumping_requests",
    "metric (reported)": "/metrics/pm_2",
    "agency": "/agencies/AGC3100",
    "service": "/services/SRV0745",
    "district": "/districts/7",
    "search": "/search?q=vacant",
    "about": "/about",
}
STAFF_PAGES = {
    "data health": "/data-health",
    "CitiStat sessions": "/citistat",
    "follow-ups": "/follow-ups",
    "audit log": "/admin/audit",
    "pillar": "/pillars/3",
    "metric (computed)": "/metrics/illegal_dumping_requests",
    "metric (reported)": "/metrics/pm_2",
}
GOAL_P95_MS = 150.0
STAFF_GOAL_P95_MS = 300.0
STAFF_USER, STAFF_PASSWORD = "bench-admin", "bench-admin-password"


def body(url: str) -> bytes:
    path, _, query = url.partition("?")
    return json.dumps({
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": f"?{query}" if query else ""}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    }).encode()


def prepare(database: Path) -> str:
    url = f"sqlite:///{database}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("APP_ENV", "development")  # a local run: the built-in secret key, plain-HTTP cookies
    if not database.exists():
        build(database, url)
    from data.models import Role
    from data.users import UserError, add_user

    try:
        add_user(STAFF_USER, STAFF_PASSWORD, Role.ADMIN, frozenset(), actor="bench", known_agencies=frozenset())
    except UserError:
        pass  # added by an earlier run
    return url


def build(database: Path, url: str) -> None:
    database.parent.mkdir(exist_ok=True)
    env = os.environ | {"DATABASE_URL": url}
    print(f"Building {database.name} from the Baltimore demo data …", flush=True)
    for command in (["alembic", "upgrade", "head"], ["-m", "pipeline", "load"], ["-m", "pipeline", "refresh"]):
        program = [str(Path(sys.executable).parent / "alembic"), *command[1:]] if command[0] == "alembic" \
            else [sys.executable, *command]
        subprocess.run(program, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def serve(url: str) -> tuple[subprocess.Popen[bytes], int]:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return launch(lambda port: [gunicorn, "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}", "app:wsgi()"],
                  url, "gunicorn")


def launch(command: Callable[[int], list[str]], database_url: str, what: str) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``command(port)`` on a free loopback port over ``database_url``; wait until it listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(command(port), cwd=ROOT, env=os.environ | {"DATABASE_URL": database_url},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{what} did not start")


def post(conn: http.client.HTTPConnection, payload: bytes, cookie: str = "") -> float:
    start = time.perf_counter()
    headers = {"Content-Type": "application/json"} | ({"Cookie": cookie} if cookie else {})
    conn.request("POST", "/_dash-update-component", payload, headers)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}")
    return (time.perf_counter() - start) * 1000


def sign_in(port: int) -> str:
    """The session cookie of the bench's admin, signed in through the sign-in form like a browser."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/_dash-update-component", body("/sign-in"), {"Content-Type": "application/json"})
    response = conn.getresponse()
    token = _form_token(json.loads(response.read()))
    cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
    form = urllib.parse.urlencode({"username": STAFF_USER, "password": STAFF_PASSWORD, "next": "/",
                                   "csrf": token})
    conn.request("POST", "/auth/sign-in", form, {"Content-Type": "application/x-www-form-urlencoded",
                                                 "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    signed_in = (response.getheader("Set-Cookie") or "").split(";")[0]
    if response.status != 302 or "error" in (response.getheader("Location") or "") or not signed_in:
        raise RuntimeError("the bench admin could not sign in")
    return signed_in


def _form_token(node: Any) -> str:
    if isinstance(node, dict):
        if node.get("name") == "csrf":
            return str(node.get("value", ""))
        node = list(node.values())
    return next((t for t in map(_form_token, node) if t), "") if isinstance(node, list) else ""


def load(port: int, payload: bytes, clients: int, per_client: int, cookie: str = "") -> list[float]:
    """Each request's milliseconds; one that failed or took over 30 s counts as infinitely slow."""
    times: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        mine = []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(per_client):
            try:
                mine.append(post(conn, payload, cookie))
            except (OSError, RuntimeError, http.client.HTTPException):
                mine.append(math.inf)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def in_process() -> dict[str, tuple[float, float, float]]:
    """(cold SQL, warm SQL, cold render) milliseconds per page, rendering in-process.

    The SQL columns replay every statement the render issued, fetching all rows, so they measure the reads
    themselves; the render column is the whole page (reads, status, layout, JSON) with empty caches.
    """
    import dash
    import plotly.io as pio
    from sqlalchemy import event

    from app import create_app
    from dashboard.context import gate
    from data.db import get_engine

    app = create_app()
    engine = get_engine()
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    layouts = {page["path_template"] or page["path"]: page["layout"] for page in dash.page_registry.values()}

    def render(url: str) -> float:
        path, _, query = url.partition("?")
        params = dict(urllib.parse.parse_qsl(query))
        layout = next((lay, found) for template, lay in layouts.items()
                      if (found := _match(template, path)) is not None)
        start = time.perf_counter()
        with app.server.test_request_context(url):
            pio.to_json(layout[0](**layout[1], **params), validate=False)
        return (time.perf_counter() - start) * 1000

    def replay() -> float:
        statements = list(captured)
        start = time.perf_counter()
        with engine.connect() as conn:
            for statement, parameters in statements:
                conn.exec_driver_sql(statement, parameters).fetchall()
        return (time.perf_counter() - start) * 1000

    out = {}
    for name, url in PAGES.items():
        gate()._cache.clear()
        captured.clear()
        cold_render = render(url)
        cold_sql = replay()
        captured.clear()
        render(url)
        out[name] = (cold_sql, replay(), cold_render)
    event.remove(engine, "before_cursor_execute", capture)
    return out


def staff(port: int, public_p95: dict[str, float]) -> None:
    """Staff pages as a signed-in admin at 1 and 20 clients (cached per viewer scope), beside the same page for
    an anonymous visitor where there is one."""
    cookie = sign_in(port)
    for payload in (body(u) for u in STAFF_PAGES.values()):
        load(port, payload, 4, 3, cookie)
    print(f"\n{'staff page (admin)':<24}{'1 client p50/p95':>19}{'20 clients p50/p95':>21}{'vs visitor':>12}"
          f"{'p95<300':>9}")
    print("-" * 85)
    for name, page_url in STAFF_PAGES.items():
        payload = body(page_url)
        one = load(port, payload, 1, 30, cookie)
        twenty = load(port, payload, 20, 10, cookie)
        p95 = percentile(twenty, 0.95)
        ratio = f"{p95 / public_p95[page_url]:.1f}×" if page_url in public_p95 else "–"
        ok = "ok" if p95 < STAFF_GOAL_P95_MS else "MISSED"
        print(f"{name:<24}{percentile(one, 0.5):>10.1f} /{percentile(one, 0.95):>6.1f}ms"
              f"{percentile(twenty, 0.5):>12.1f} /{p95:>6.1f}ms{ratio:>12}{ok:>9}")


def _match(template: str, path: str) -> dict[str, str] | None:
    parts, given = template.strip("/").split("/"), path.strip("/").split("/")
    if len(parts) != len(given):
        return None
    variables = {}
    for part, value in zip(parts, given, strict=True):
        if part.startswith("<") and part.endswith(">"):
            variables[part[1:-1]] = value
        elif part != value:
            return None
    return variables


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=60, help="requests per page at 1 client (default 60)")
    parser.add_argument("--per-client", type=int, default=15, help="requests per client at 20 clients")
    parser.add_argument("--database", type=Path, default=ROOT / "bench" / "results" / "pages.db")
    args = parser.parse_args()
    url = prepare(args.database)
    measured = in_process()
    process, port = serve(url)
    try:
        for payload in (body(u) for u in PAGES.values()):  # warm both workers and their caches
            load(port, payload, 4, 3)
        print(f"\n{'page':<20}{'cold: SQL':>10}{'render':>9}{'warm: SQL':>10}{'1 client p50/p95':>19}"
              f"{'20 clients p50/p95':>21}{'p95<150':>9}")
        print("-" * 98)
        public_p95: dict[str, float] = {}
        for name, page_url in PAGES.items():
            payload = body(page_url)
            one = load(port, payload, 1, args.requests)
            twenty = load(port, payload, 20, args.per_client)
            cold_sql, warm_sql, cold_render = measured[name]
            public_p95[page_url] = percentile(twenty, 0.95)
            ok = "ok" if public_p95[page_url] < GOAL_P95_MS else "MISSED"
            print(f"{name:<20}{cold_sql:>8.1f}ms{cold_render:>7.1f}ms{warm_sql:>8.1f}ms"
                  f"{percentile(one, 0.5):>10.1f} /{percentile(one, 0.95):>6.1f}ms"
                  f"{percentile(twenty, 0.5):>12.1f} /{percentile(twenty, 0.95):>6.1f}ms{ok:>9}")
        staff(port, public_p95)
    finally:
        process.terminate()
        process.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())

