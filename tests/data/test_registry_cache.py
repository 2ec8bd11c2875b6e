"""The registry cache: a second start reads the cached registry; an edited file, a removed data file or a broken
cache reads the files afresh; a whole-file error is never cached."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from data.registry_cache import cached_registry
from metrics.issues import RegistryError

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "riverton"


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "riverton"))


def test_a_second_start_reads_the_cache_and_an_edit_reads_afresh(registry_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = cached_registry(registry_dir, cache)
    [stored] = list(cache.glob("registry-*.pickle"))
    assert cached_registry(registry_dir, cache) == first and list(cache.glob("registry-*.pickle")) == [stored]

    city = registry_dir / "city.yaml"
    city.write_text(city.read_text().replace(f"name: {first.city.name}", "name: Riverton Falls"))
    edited = cached_registry(registry_dir, cache)
    assert edited.city.name == "Riverton Falls"
    assert [p.name for p in cache.glob("registry-*.pickle")] != [stored.name]  # the old entry is removed
    assert len(list(cache.glob("registry-*.pickle"))) == 1


def test_a_removed_data_file_is_seen(registry_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = cached_registry(registry_dir, cache)
    [stored] = list(cache.glob("registry-*.pickle"))
    source = next(s for s in before.sources.values() if s.load)
    assert source.load is not None
    source.load.path.unlink()
    cached_registry(registry_dir, cache)
    assert [p.name for p in cache.glob("registry-*.pickle")] != [stored.name]  # validated again


def test_a_broken_cache_reads_the_files_and_a_broken_registry_is_not_cached(registry_dir: Path,
                                                                           tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = cached_registry(registry_dir, cache)
    [stored] = list(cache.glob("registry-*.pickle"))
    stored.write_bytes(b"not a pickle")
    assert cached_registry(registry_dir, cache) == first
    (registry_dir / "city.yaml").write_text("name: [unclosed\n")
    with pytest.raises(RegistryError):
        cached_registry(registry_dir, cache)
