"""The value store's engines: errors that reach pages and logs never carry the statement's values."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from data.db import get_engine


def test_database_errors_never_carry_the_statements_values(database: str) -> None:
    with pytest.raises(DBAPIError) as failure, get_engine().begin() as conn:
        conn.execute(text("INSERT INTO no_such_table VALUES (:secret)"), {"secret": "an internal value 42"})
    assert "an internal value 42" not in str(failure.value)
    assert "hidden due to hide_parameters" in str(failure.value)


def test_the_migrations_build_the_tables_the_models_declare(database: str) -> None:
    """A model changed without its migration (or the reverse) would differ here, on SQLite and PostgreSQL."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import data.citistat_models  # noqa: F401  (every module declaring tables, as the migrations' env.py)
    import data.data_call_models  # noqa: F401
    import data.models  # noqa: F401

    with get_engine().connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert differences == []
