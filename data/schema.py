"""Whether the value store has the schema this code expects (its Alembic revision), in words for a command."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from data.config import PROJECT_ROOT, Settings
from data.db import get_engine

UPGRADE = "run `alembic upgrade head` (`make demo` does, and loads the demo data)"


def schema_problem() -> str | None:
    """What keeps the value store from being used, or none: it does not exist, has no tables, or is behind this
    code's migrations. A SQLite file that does not exist is not created by asking."""
    url = make_url(Settings.from_env().database_url)
    where = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not Path(url.database).exists():
        return f"The value store {where} does not exist: {UPGRADE}."
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "data" / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    with get_engine().connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == head:
        return None
    state = "has no tables" if current is None else f"is at migration {current}, and this code needs {head}"
    return f"The value store {where} {state}: {UPGRADE}."
