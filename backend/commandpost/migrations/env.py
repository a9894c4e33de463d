"""Alembic environment: runs on the engine the caller hands over (SpatiaLite or PostGIS)."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

import commandpost.models  # noqa: F401 - registers every table
from commandpost.db import Base


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Compare only our own tables: SpatiaLite's and PostGIS's internal tables are not ours to drop."""
    if type_ == "table" and reflected and compare_to is None:
        return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))  # type: ignore[no-untyped-call]


config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    if connection.dialect.name == "postgresql":
        # PostGIS is part of the schema; creating it needs a role allowed to (a DBA, or trust in CI).
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
