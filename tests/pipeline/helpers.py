"""Helpers of the scheduler tests: scheduler processes on the fixture registry, a leader and a standby."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from data.config import PROJECT_ROOT
from tests.conftest import FIXTURES


def start_scheduler(log: Path, database_url: str | None = None, *, args: tuple[str, ...] = ("--every", "0.5"),
                    environment: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``python -m pipeline scheduler`` on the fixture registry, its output in ``log``."""
    env = os.environ | {"REGISTRY_DIR": str(FIXTURES / "registry"), "PYTHONUNBUFFERED": "1"} | (environment or {})
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.Popen([sys.executable, "-m", "pipeline", "scheduler", *args, "--poll", "0.5"],
                            cwd=PROJECT_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def wait_for(log: Path, text: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in log.read_text():
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in {log}: {log.read_text()[-2000:]}")


@dataclass(frozen=True)
class Pair:
    leader: subprocess.Popen[bytes]
    standby: subprocess.Popen[bytes]
    leader_log: Path
    standby_log: Path


@contextmanager
def leader_and_standby(tmp_path: Path, leader_url: str | None = None, *, args: tuple[str, ...] = ("--every", "0.5"),
                       environment: dict[str, str] | None = None) -> Iterator[Pair]:
    """A scheduler that has taken the leader lock (connecting through ``leader_url``) and one standing by; both
    are stopped with SIGTERM at the end."""
    leader_log, standby_log = tmp_path / "first.log", tmp_path / "second.log"
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(start_scheduler(leader_log, leader_url, args=args, environment=environment))
        wait_for(leader_log, "Leader lock taken")
        started.append(start_scheduler(standby_log, args=args, environment=environment))
        wait_for(standby_log, "standing by")
        yield Pair(*started, leader_log, standby_log)
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(15)
