"""threat zones close roads (each zone remembers its danger-zone closure); weather stations report
the wind direction; an officer may type an incident's wind

Revision ID: 20261204_1830_zone_geofence
Revises: 20261204_1800_threat_zones
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import commandpost.db

revision: str = "20261204_1830_zone_geofence"
down_revision: str | Sequence[str] | None = "20261204_1800_threat_zones"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain column, no foreign key: SQLite can neither add a constraint nor rebuild a spatial table
    # in a batch. Closures are never deleted (they are lifted), so the id always resolves.
    op.add_column(
        "threat_zones",
        sa.Column(
            "closure_id",
            sa.Integer(),
            nullable=True,
            comment="the danger-zone closure that keeps routes out while the zone is active",
        ),
    )

    op.add_column(
        "sensors",
        sa.Column("last_direction_deg", sa.Float(), nullable=True, comment="weather station: wind from, °"),
    )
    op.add_column("incidents", sa.Column("wind_speed_ms", sa.Float(), nullable=True))
    op.add_column("incidents", sa.Column("wind_from_deg", sa.Float(), nullable=True))
    op.add_column("incidents", sa.Column("wind_set_by", sa.String(length=100), nullable=True))
    op.add_column(
        "incidents", sa.Column("wind_set_at", commandpost.db.UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    for table, column in (
        ("incidents", "wind_set_at"),
        ("incidents", "wind_set_by"),
        ("incidents", "wind_from_deg"),
        ("incidents", "wind_speed_ms"),
        ("sensors", "last_direction_deg"),
        ("threat_zones", "closure_id"),
    ):
        op.drop_column(table, column)
