"""Benchmark: what a first visit to each public page costs a phone, bytes transferred and time until the page and
its charts are drawn, in Debian's Chromium throttled to 9 Mbit/s (Chrome's "Fast 4G": 1.5 Mbit/s up, 60 ms)
and to 1.6 Mbit/s ("Slow 4G": 750 kbit/s up, 150 ms), side by side for two servers of the same app and data:

    before  responses uncompressed, Dash's full plotly.js bundle (as the site served when issue 15 was filed)
    now     as served today: compressed responses, the partial plotly.js bundle, vendored files loaded once

    python bench/weight.py                    # builds bench/results/pages.db from the demo data first
    python bench/weight.py --runs 5 --no-slow

Every load is a fresh browser context with the cache off (a first visit). Goals: the overview within 500 KB,
a metric page drawn within 3 s at 9 Mbit/s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = {
    "overview": "/",
    "Action Plan": "/action-plan",
    "pillar": "/pillars/3",
    "metric (computed)": "/metrics/illegal_dumping_requests",
    "metric (reported)": "/metrics/pm_2",
    "districts": "/districts",
    "district": "/districts/7",
    "about": "/about",
}
NETWORKS = {"9 Mbit/s": (9_000_000, 1_500_000, 60), "1.6 Mbit/s": (1_600_000, 750_000, 150)}
VARIANTS = ("before", "now")
OVERVIEW_GOAL_KB, METRIC_GOAL_S = 500, 3.0
CHROMIUM = "/usr/bin/chromium"

# Drawn: the page's content is in, nothing is loading, and every chart has its SVG.
DRAWN = """() => {
    const content = document.querySelector('#_pages_content');
    if (!content || !content.children.length || document.querySelector('[data-dash-is-loading="true"]')) {
        return false;
    }
    return [...document.querySelectorAll('.dash-graph')].every(g => g.querySelector('.main-svg'));
}"""


@dataclass(frozen=True)
class Load:
    kilobytes: float
    seconds: float


def serve_variant(variant: str, port: int) -> None:
    """Serve the app on ``port``; ``before`` takes out compression and serves the full plotly.js bundle."""
    from flask import Response
    from flask_compress import Compress
    from plotly.offline import get_plotlyjs
    from werkzeug.serving import make_server

    from app import create_app

    server = create_app().server
    if variant == "before":
        hooks = server.after_request_funcs[None]
        hooks[:] = [hook for hook in hooks if not isinstance(getattr(hook, "__self__", None), Compress)]
        full = get_plotlyjs().encode()
        server.view_functions["plotly_js"] = lambda: Response(full, mimetype="application/javascript")
    make_server("127.0.0.1", port, server, threaded=True).serve_forever()


def start(variant: str, database_url: str) -> tuple[subprocess.Popen[bytes], int]:
    from pages import launch

    return launch(lambda port: [sys.executable, __file__, "--serve", variant, "--port", str(port)], database_url,
                  f"the {variant} server")


def visit(browser: object, url: str, network: tuple[int, int, int]) -> Load:
    down, up, latency = network
    context = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency,
                                                  "downloadThroughput": down / 8, "uploadThroughput": up / 8})
    received: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda event: received.__setitem__(event["requestId"],
                                                                         event["encodedDataLength"]))
    page.goto(url, wait_until="commit", timeout=180_000)
    page.wait_for_function(DRAWN, timeout=180_000, polling=50)
    seconds = page.evaluate("performance.now()") / 1000
    page.wait_for_load_state("networkidle", timeout=180_000)
    context.close()
    return Load(sum(received.values()) / 1024, seconds)


def measure(ports: dict[str, int], runs: int, networks: dict[str, tuple[int, int, int]]) -> dict[tuple[str, str, str],
                                                                                                  Load]:
    from playwright.sync_api import sync_playwright

    out: dict[tuple[str, str, str], Load] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for port in ports.values():  # each page rendered once, so the timings are the network's, not a cold cache
            for path in PAGES.values():
                visit(browser, f"http://127.0.0.1:{port}{path}", (10**9, 10**9, 0))
        for network_name, network in networks.items():
            repeat = runs if network_name == "9 Mbit/s" else 1
            print(f"  {network_name}: {len(PAGES)} pages × {len(ports)} servers × {repeat} …", flush=True)
            for name, path in PAGES.items():
                for variant, port in ports.items():
                    loads = [visit(browser, f"http://127.0.0.1:{port}{path}", network) for _ in range(repeat)]
                    out[(name, variant, network_name)] = Load(statistics.median(x.kilobytes for x in loads),
                                                              statistics.median(x.seconds for x in loads))
        browser.close()
    return out


def report(results: dict[tuple[str, str, str], Load], networks: list[str]) -> None:
    groups = ["transferred (KB)", *(f"drawn at {network} (s)" for network in networks)]
    print("\n" + " " * 20 + "".join(f"{group:^26}" for group in groups))
    print(f"{'page':<20}" + f"{'before':>10}{'now':>9}{'ratio':>7}" * len(groups))
    print("-" * (20 + 26 * len(groups)))
    for name in PAGES:
        before, now = results[(name, "before", networks[0])], results[(name, "now", networks[0])]
        cells = [(before.kilobytes, now.kilobytes, ",.0f")]
        cells += [(results[(name, "before", n)].seconds, results[(name, "now", n)].seconds, ".2f") for n in networks]
        print(f"{name:<20}" + "".join(f"{b:>10{f}}{n:>9{f}}{b / n:>6.1f}×" for b, n, f in cells))
    overview = results[("overview", "now", networks[0])].kilobytes
    metric = max(results[(name, "now", "9 Mbit/s")].seconds for name in PAGES if name.startswith("metric"))
    print(f"\nGoals: overview {overview:,.0f} KB (≤ {OVERVIEW_GOAL_KB}: "
          f"{'ok' if overview <= OVERVIEW_GOAL_KB else 'MISSED'}); slowest metric page drawn in {metric:.2f} s at "
          f"9 Mbit/s (≤ {METRIC_GOAL_S:.0f} s: {'ok' if metric <= METRIC_GOAL_S else 'MISSED'})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="loads per page and server at 9 Mbit/s (median)")
    parser.add_argument("--no-slow", action="store_true", help="skip the 1.6 Mbit/s loads")
    parser.add_argument("--database", type=Path, default=ROOT / "bench" / "results" / "pages.db")
    parser.add_argument("--serve", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_variant(args.serve, args.port)
        return 0
    from pages import prepare  # the same demo database as bench/pages.py

    database_url = prepare(args.database)
    networks = {k: v for k, v in NETWORKS.items() if not (args.no_slow and k != "9 Mbit/s")}
    servers = {variant: start(variant, database_url) for variant in VARIANTS}
    try:
        results = measure({variant: port for variant, (_, port) in servers.items()}, args.runs, networks)
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(10)
    report(results, list(networks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
