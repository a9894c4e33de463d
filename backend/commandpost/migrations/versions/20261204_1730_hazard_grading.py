"""GB 18218 grading computed: S value, an officer's colour override with its reason, chemical categories

Revision ID: 20261204_1730_hazard_grading
Revises: 20261122_1220
Create Date: 2026-12-04 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_1730_hazard_grading"
down_revision: str | Sequence[str] | None = "20261122_1220"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: a batch copy of a SpatiaLite table would drop its geometry registration.
    op.add_column("hazard_sources", sa.Column("s_value", sa.Numeric(14, 4, asdecimal=False), nullable=True))
    op.add_column("hazard_sources", sa.Column("risk_colour_reason", sa.Text(), nullable=True))
    op.add_column(
        "stored_chemicals",
        sa.Column("category", sa.String(8), nullable=True, comment="GB 18218-2018 table 2 symbol, e.g. W2"),
    )


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place, as PostgreSQL does.
    op.drop_column("stored_chemicals", "category")
    op.drop_column("hazard_sources", "risk_colour_reason")
    op.drop_column("hazard_sources", "s_value")
