"""Alembic environment: migrates the value store named by $DATABASE_URL (SQLite or PostgreSQL)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import data.citistat_models  # noqa: F401  (registers the tables on SQLModel.metadata)
import data.data_call_models  # noqa: F401
import data.models  # noqa: F401
from data.db import get_engine

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    url = context.config.attributes.get("database_url")
    engine = get_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=engine.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
