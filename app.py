"""The Dash app: ``create_app()`` builds it on a validated registry; ``python app.py`` serves it."""

from __future__ import annotations

import functools
import gc
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import plotly.io as pio
from dash import Dash
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import auth, callback_guard, embeds, entry_form, maps, plotly_bundle, unavailable, workbook_upload
from dashboard.api import routes as api_routes
from dashboard.citistat_routes import register_citistat_routes
from dashboard.context import current_viewer, gate, page_versions, set_gate
from dashboard.data_call_routes import register_data_call_routes
from dashboard.page_cache import PageCache
from dashboard.page_table import page_title
from dashboard.routes import register_routes
from dashboard.shell import INDEX_STRING, shell
from dashboard.warmer import keep_warm
from data.access import Gate
from data.config import Settings, SettingsError
from data.db import dispose_engines
from data.registry_cache import cached_registry
from metrics.issues import RegistryError
from metrics.registry import Registry

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1_000_000  # a form or a callback is a few kilobytes
COMPRESSED = ["text/html", "text/css", "text/plain", "text/csv", "text/javascript", "application/javascript",
              "application/json", "application/problem+json", "image/svg+xml"]


def create_app(registry: Registry | None = None, settings: Settings | None = None) -> Dash:
    """Build the app. Raises :class:`RegistryError` when a registry file or ``city.yaml`` is broken; objects with
    errors of their own are set aside (logged, and listed on data health) and the rest is served."""
    with _collector_paused():
        return _build(registry, settings)


def _build(registry: Registry | None, settings: Settings | None) -> Dash:
    settings = settings or Settings.from_env()
    registry = registry or cached_registry(settings.registry_dir, settings.cache_dir)
    for issue in registry.set_aside:
        logger.warning("set aside until fixed (not published): %s", issue)
    pio.templates.default = "plotly_white"
    server = Flask(__name__)
    server.config["COMPRESS_MIMETYPES"] = COMPRESSED
    app = Dash(
        __name__,
        server=server,  # type: ignore[arg-type]  # Dash's hint omits a Flask app, which it takes
        use_pages=True,
        pages_folder="dashboard/pages",
        assets_ignore=r"\.min\.(css|js)$",  # vendored libraries: linked where needed, never on every page
        external_stylesheets=["/assets/vendor/bootstrap.min.css"],
        title=f"{registry.city.name} Performance",
        update_title="",
        suppress_callback_exceptions=True,
        compress=True,  # gzip or brotli for every text response the browser accepts it for
    )
    app.index_string = INDEX_STRING
    app.interpolate_index = functools.partial(_with_page_title, app.interpolate_index)  # type: ignore[method-assign]
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES  # larger bodies are refused with 413
    register_routes(app)
    register_citistat_routes(app)
    register_data_call_routes(app)
    api_routes.install(app.server, settings)
    embeds.install(app.server)
    plotly_bundle.install(app)
    callback_guard.install(app)
    unavailable.install(app)
    maps.install(app)
    entry_form.install(app)
    workbook_upload.install(app)
    reads = Gate(registry)
    set_gate(reads)
    app.server.before_request(lambda: reads.serve(lambda: not current_viewer().internal))  # first: pages read it
    PageCache(page_versions).install(app)
    app.layout = functools.partial(shell, registry.city)
    auth.install(app, settings)
    if settings.trusted_proxy_hops:  # the client address and scheme as the trusted proxies saw them
        hops = settings.trusted_proxy_hops
        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=hops, x_proto=hops)
    if settings.run_scheduler:
        from pipeline.scheduler import start_in_process

        start_in_process(registry)
    return app


def wsgi() -> Flask:
    """For production servers: ``gunicorn "app:wsgi()"``. Each worker process keeps its page data warm, from its
    first request on (a thread started before ``--preload`` forks would not survive the fork)."""
    app = create_app()
    warmed: set[int] = set()
    lock = threading.Lock()

    def warm_this_process() -> None:
        if os.getpid() not in warmed:
            with lock:
                if os.getpid() not in warmed:
                    keep_warm(gate())
                    warmed.add(os.getpid())

    app.server.before_request(warm_this_process)
    return app.server


def build_before_fork() -> None:
    """In gunicorn's master, after the app is loaded (``gunicorn.conf.py``): build every metric's page data, so
    each worker forks with it, then drop the master's database connections (workers open their own).

    What the master has made by then lives as long as the workers: it is frozen out of the cyclic collector (as
    Python's ``gc.freeze`` advises before a fork), so no worker's collection touches, and copies, those pages."""
    reads = gate()
    with _collector_paused():
        try:
            reads.publish(reads.latest_version(), reads.today())
        except Exception:  # the database away: workers build on request
            logger.warning("page data not built before the workers start", exc_info=True)
    dispose_engines()
    gc.freeze()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Start-up makes about a million objects that live as long as the process (the registry, every page's
    layout, the page data). Python's cyclic collector would scan them again and again while they are made: at
    5,000 metrics that was a third of start-up. It is paused until they are all made."""
    was_collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_collecting:
            gc.enable()


def _with_page_title(interpolate: Callable[..., str], **parts: str) -> str:
    """The served document's ``<title>`` is the page's own (Dash would put the app's until scripts run)."""
    from flask import request

    return interpolate(**{**parts, "title": page_title(request.path)})


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app()
    except RegistryError as exc:
        sys.stderr.write(f"Refusing to start: {exc}\nRun `python -m pipeline validate` for the full list.\n")
        return 1
    except (auth.ConfigurationError, SettingsError) as exc:
        sys.stderr.write(f"Refusing to start: {exc}\n")
        return 1
    keep_warm(gate())
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8050"))
    app.run(host=host, port=port, debug=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())


