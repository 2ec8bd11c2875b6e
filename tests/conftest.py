"""Shared fixtures: a fresh, migrated value store on SQLite and on PostgreSQL, and the registries."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.config import Config

from data.access import Gate
from data.config import PROJECT_ROOT
from data.db import dispose_engines
from data.users import add_user
from metrics.publishable import load_registry
from metrics.registry import Registry
from tests.helpers import ADMIN, PUBLIC_WORKS, put_months

FIXTURES = Path(__file__).parent / "fixtures"
os.environ.setdefault("APP_ENV", "development")  # a built-in secret key and plain-HTTP cookies for tests
POSTGRES_DSN = os.environ.get("TEST_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")


def postgres_available() -> bool:
    try:
        psycopg.connect(POSTGRES_DSN, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def migrate(url: str) -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "data" / "migrations"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def fresh_store(backend: str, folder: Path) -> Iterator[str]:
    """A migrated, empty value store on ``backend``; ``DATABASE_URL`` points at it inside the block."""
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'store.db'}"
    else:
        if not postgres_available():
            if os.environ.get("CI") == "true":
                pytest.fail(f"PostgreSQL is required under CI=true and is not reachable ({POSTGRES_DSN})")
            pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    dispose_engines()
    try:
        migrate(url)
        yield url
    finally:
        dispose_engines()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        if schema:
            with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty value store for one test, on SQLite and on PostgreSQL."""
    with fresh_store(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def test_registry() -> Registry:
    return load_registry(FIXTURES / "registry")


@pytest.fixture(scope="session")
def baltimore_registry() -> Registry:
    return load_registry(PROJECT_ROOT / "cities" / "baltimore")


@pytest.fixture
def gate(database: str, test_registry: Registry) -> Gate:
    """The read gate over July–October 2025 of events_count, with the CitiStat tests' accounts."""
    put_months([8, 9, 14, 15])
    for viewer in (ADMIN, PUBLIC_WORKS):  # the accounts behind the viewers (authors' roles are read from them)
        add_user(str(viewer.user_id), "a-long-test-password", viewer.role, viewer.agencies, actor="test",
                 known_agencies=frozenset(test_registry.agencies))
    return Gate(test_registry)
