"""merge the live readings and dispatch branches

Revision ID: 20261122_1220
Revises: 20261122_1100, 20261122_1110
Create Date: 2026-11-22 12:20:00
"""

from collections.abc import Sequence

revision: str = "20261122_1220"
down_revision: str | Sequence[str] | None = ("20261122_1100", "20261122_1110")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
