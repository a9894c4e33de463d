"""threat zones close roads: each zone remembers the danger-zone closure drawn with it

Revision ID: 20261204_1830_zone_geofence
Revises: 20261204_1800_threat_zones
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

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


def downgrade() -> None:
    op.drop_column("threat_zones", "closure_id")
