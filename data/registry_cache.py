"""The published registry for web workers, cached on disk under a hash of every registry file and of the code
that reads them: a worker starts without parsing YAML or validating, and any edit or upgrade reads afresh."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

from metrics.publishable import load_registry
from metrics.registry import Registry

logger = logging.getLogger(__name__)

CODE = Path(__file__).resolve().parent.parent / "metrics"  # the models, validation and publishing rules


def cached_registry(root: Path, cache_dir: Path) -> Registry:
    """The registry at ``root``, from the cache when its files and the code are unchanged; read, validated and
    cached otherwise. A cache that cannot be read or written only costs the reading (it is logged)."""
    path = cache_dir / f"registry-{_key(root)}.pickle"
    try:
        found = pickle.loads(path.read_bytes())  # noqa: S301 - written by this function into our own folder
        if isinstance(found, Registry):
            return found
    except FileNotFoundError:
        pass
    except Exception as exc:  # a truncated or foreign file: read the registry instead
        logger.warning("registry cache %s unreadable (%s); reading the registry", path, exc)
    registry = load_registry(root)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache_dir, prefix=".registry-", delete=False) as out:
            out.write(pickle.dumps(registry, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(out.name, path)  # atomic: another worker reads the old file or the whole new one
        for old in cache_dir.glob("registry-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("registry cache not written to %s: %s", cache_dir, exc)
    return registry


def _key(root: Path) -> str:
    """The registry files' and the code's contents, and which data and boundary files exist (validation checks
    that they do): their names, sizes and times, not their bytes."""
    hashed = hashlib.sha256(str(root.resolve()).encode())
    files = [(root, f) for f in root.rglob("*") if f.is_file()] + [(CODE, f) for f in CODE.glob("*.py")]
    for base, file in sorted(files):
        hashed.update(str(file.relative_to(base)).encode())
        if file.suffix in (".yaml", ".yml", ".py"):
            hashed.update(file.read_bytes())
        else:
            stat = file.stat()
            hashed.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return hashed.hexdigest()[:32]
