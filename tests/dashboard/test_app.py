"""The app refuses to start on an invalid registry, and says why."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from data.config import PROJECT_ROOT
from tests.conftest import FIXTURES


def test_app_refuses_to_start_on_an_invalid_registry(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    shutil.copytree(FIXTURES / "registry", registry)
    path = registry / "measures" / "AG1-public-works.yaml"
    path.write_text(path.read_text().replace("    agency: AG1\n", "    agency: AG9\n", 1))
    run = subprocess.run([sys.executable, "app.py"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
                         env=os.environ | {"REGISTRY_DIR": str(registry), "PORT": "0"}, check=False)
    assert run.returncode == 1
    assert "Refusing to start" in run.stderr
    assert "measures/AG1-public-works.yaml:7: error[unknown-agency]" in run.stderr
