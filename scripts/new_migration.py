"""Autogenerate a migration against an empty SpatiaLite database migrated to head.

Usage: python scripts/new_migration.py "what changed"
Migrations are named by date (YYYYMMDD_HHMM_slug) and must run on SpatiaLite and PostGIS alike.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from alembic import command

from commandpost import db, migrations
from commandpost.config import Settings


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "schema change"
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(Settings(database_url=f"sqlite:///{Path(tmp) / 'gen.sqlite'}"))
        config = migrations.alembic_config(engine)
        command.upgrade(config, "head")
        stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M")
        command.revision(config, message=message, autogenerate=True, rev_id=stamp)
        engine.dispose()


if __name__ == "__main__":
    main()
