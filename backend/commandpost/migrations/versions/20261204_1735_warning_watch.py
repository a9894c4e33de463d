"""warnings say whom the duty roster called and which of their detectors are blind

Revision ID: 20261204_warning_watch
Revises: 20261122_1220
Create Date: 2026-12-04 17:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_warning_watch"
down_revision: str | None = "20261122_1220"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("warnings", sa.Column("roster_calls", sa.JSON(), nullable=True))
    op.add_column("warnings", sa.Column("blind_detectors", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite ≥ 3.35): a batch copy would rebuild the table's SpatiaLite geometry.
    op.drop_column("warnings", "blind_detectors")
    op.drop_column("warnings", "roster_calls")
