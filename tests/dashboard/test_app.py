"""The app refuses to start only on a broken registry file, and says why; an invalid metric is set aside."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from data.config import PROJECT_ROOT
from tests.conftest import FIXTURES, fresh_store


def _registry_with(tmp_path: Path, file: str, old: str, new: str) -> Path:
    registry = tmp_path / "registry"
    shutil.copytree(FIXTURES / "registry", registry)
    path = registry / file
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    return registry


def test_app_refuses_to_start_on_a_broken_registry_file(tmp_path: Path) -> None:
    registry = _registry_with(tmp_path, "pillars.yaml", '  - {id: "2"', '  - {id: "2"]')
    run = subprocess.run([sys.executable, "app.py"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
                         env=os.environ | {"REGISTRY_DIR": str(registry), "PORT": "0"}, check=False)
    assert run.returncode == 1
    assert "Refusing to start" in run.stderr
    assert "pillars.yaml:3: error[yaml]: cannot parse YAML" in run.stderr


def test_an_invalid_metric_is_set_aside_and_the_app_serves_the_rest(tmp_path: Path) -> None:
    registry = _registry_with(tmp_path, "measures/AG1-public-works.yaml", "    agency: AG1\n", "    agency: AG9\n")
    with fresh_store("sqlite", tmp_path), socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        server = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True,
                                  env=os.environ | {"REGISTRY_DIR": str(registry), "PORT": str(port)})
        try:
            statuses = {path: _status(f"http://127.0.0.1:{port}{path}") for path in
                        ("/", "/metrics/events_count", "/metrics/closed_on_time")}
        finally:
            server.terminate()
            _, log = server.communicate(timeout=30)
    assert statuses == {"/": 200, "/metrics/events_count": 404, "/metrics/closed_on_time": 200}
    assert "set aside until fixed (not published)" in log and "error[unknown-agency]" in log


def test_gunicorn_as_the_readme_starts_it_serves_from_workers_forked_warm(database: str, tmp_path: Path) -> None:
    """``gunicorn.conf.py`` loads the app and builds page data in the master; workers fork and serve at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "--threads", "4", "-b",
                               f"127.0.0.1:{port}", "--error-logfile", str(log)], cwd=PROJECT_ROOT,
                              env=os.environ | {"REGISTRY_DIR": str(FIXTURES / "registry"), "APP_ENV": "development",
                                                "CACHE_DIR": str(tmp_path / "cache")})
    try:
        with ThreadPoolExecutor(8) as pool:
            statuses = set(pool.map(_status, [f"http://127.0.0.1:{port}{path}" for path in
                                              ("/", "/metrics/closed_on_time", "/pillars/2", "/agencies/AG1") * 6]))
    finally:
        server.terminate()
        server.wait(30)
    text = log.read_text()
    assert statuses == {200}
    assert text.count("Booting worker") == 2 and "Traceback" not in text and "not built" not in text


def _status(url: str) -> int:
    for _ in range(120):
        try:
            with urllib.request.urlopen(url, timeout=10) as reply:
                return int(reply.status)
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer")
