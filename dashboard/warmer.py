"""Keeps page data warm: when a refresh, a load or a review changes the data (or the day turns), each web worker
builds what pages read first for the new version in the background, then publishes it: visitors read the
version last published (``Gate.serve``), so the first visitor after a refresh gets a warm page, never a wait."""

from __future__ import annotations

import logging
import threading

from data.access import Gate

logger = logging.getLogger(__name__)

WARM_EVERY = 10.0  # seconds between looks at the data version (one small query)


def keep_warm(gate: Gate, every: float = WARM_EVERY, stop: threading.Event | None = None) -> threading.Thread:
    """Start the worker's warming thread; it ends when ``stop`` is set (or with the process)."""
    stop = stop or threading.Event()

    def loop() -> None:
        seen: object = None
        while True:
            try:
                now = (gate.latest_version(), gate.today())
                if now != seen:
                    gate.publish(*now)
                    seen = now
            except Exception:  # the database away, say: pages build what they need on request meanwhile
                logger.warning("warming page data failed; pages build it on request", exc_info=True)
            if stop.wait(every):
                return

    thread = threading.Thread(target=loop, name="warm-page-data", daemon=True)
    thread.start()
    return thread
