"""gunicorn's settings for the app, read from the working directory: the app (imports, registry, every metric's
page data) is loaded once in the master, before the workers fork, so a worker starts in milliseconds with warm
pages, and a worker that is restarted comes back as fast."""

from __future__ import annotations

from typing import Any

wsgi_app = "app:wsgi()"
preload_app = True


def when_ready(_server: Any) -> None:
    """The master, once the app is loaded and before the first worker forks."""
    import app

    app.build_before_fork()


def post_fork(_server: Any, _worker: Any) -> None:
    """A new worker opens its own database connections: a pooled one shared with the master would mix both
    processes' traffic on one socket."""
    from data.db import dispose_engines

    dispose_engines(close=False)
