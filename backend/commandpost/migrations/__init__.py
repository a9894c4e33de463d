"""Schema migrations (Alembic), run the same way on SpatiaLite and PostGIS."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

HERE = Path(__file__).resolve().parent


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to `revision` (default: every newest revision, branches included)."""
    command.upgrade(alembic_config(engine), revision)


def current(engine: Engine) -> set[str]:
    """The revisions the database is at (one per branch)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def heads() -> set[str]:
    """The newest revision of each branch in the code."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config_without_engine()).get_heads())


def alembic_config_without_engine() -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return config
