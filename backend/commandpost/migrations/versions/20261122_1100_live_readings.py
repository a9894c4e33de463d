"""sensor readings time series

Revision ID: 20261122_1100
Revises: 20261122_1023
Create Date: 2026-11-22 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import commandpost.db

revision: str = "20261122_1100"
down_revision: str | None = "20261122_1023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The primary key (sensor_id, at) is the (sensor, time) index trend charts and retention use,
    # and makes a re-sent batch store nothing twice.
    op.create_table(
        "sensor_readings",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("at", commandpost.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["sensor_id"], ["sensors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sensor_id", "at"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Every batch of readings rewrites its sensors' last value and time. Room left on each page
        # lets PostgreSQL update in place (HOT), without touching the sensors' four indexes.
        op.execute("ALTER TABLE sensors SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE sensors RESET (fillfactor)")
    op.drop_table("sensor_readings")
