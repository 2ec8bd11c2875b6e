"""Page data cached per data version: one build per key and version however many requests ask at once, and only
the versions still in use kept."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Hashable
from typing import TypeVar

T = TypeVar("T")


class VersionedCache:
    def __init__(self) -> None:
        self._entries: dict[tuple[Hashable, ...], object] = {}
        self._building: dict[tuple[Hashable, ...], threading.Lock] = {}  # one lock per key being built
        self._lock = threading.Lock()

    def get(self, key: tuple[Hashable, ...], version: Hashable, build: Callable[[], T],
            keep: Collection[Hashable] = ()) -> T:
        """``build()``'s result for ``key`` at ``version``. Requests asking for it at once wait for the one build
        (twenty visitors right after a refresh would otherwise build it twenty times over). Storing it drops the
        entries of versions other than this one and those in ``keep``."""
        full = (*key, version)
        with self._lock:
            if full in self._entries:
                return self._entries[full]  # type: ignore[return-value]
            building = self._building.setdefault(full, threading.Lock())
        with building:
            with self._lock:
                if full in self._entries:
                    return self._entries[full]  # type: ignore[return-value]
            value = build()
            with self._lock:
                live = {version, *keep}
                self._entries = {k: v for k, v in self._entries.items() if k[-1] in live}
                self._entries[full] = value
                self._building = {k: v for k, v in self._building.items() if k[-1] in live}
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
