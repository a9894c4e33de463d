"""threat zones saved against incidents

Revision ID: 20261204_1800_threat_zones
Revises: 20261204_1730_hazard_grading
Create Date: 2026-12-04 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

import commandpost.db

revision: str = "20261204_1800_threat_zones"
down_revision: str | Sequence[str] | None = "20261204_1730_hazard_grading"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table(
        "threat_zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("threshold_unit", sa.String(length=16), nullable=True),
        sa.Column("basis", sa.Text(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("at_least", sa.Boolean(), nullable=False),
        sa.Column(
            "area",
            Geometry(srid=4326, dimension=2, spatial_index=False, from_text="ST_GeomFromEWKT", name="geometry", nullable=False),
            nullable=False,
        ),
        sa.Column(
            "source",
            Geometry(geometry_type="POINT", srid=4326, dimension=2, spatial_index=False, from_text="ST_GeomFromEWKT", name="geometry", nullable=False),
            nullable=False,
        ),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("status", sa.Enum("active", "cleared", name="zonestatus", native_enum=False, length=32), nullable=False),
        sa.Column("created_at", commandpost.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("cleared_at", commandpost.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=100), nullable=True),
        sa.Column("exercise_id", sa.Integer(), nullable=True, comment="set for a drill incident's zones"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("threat_zones", schema=None) as batch_op:
        batch_op.create_geospatial_index("idx_threat_zones_area", ["area"], unique=False, postgresql_using="gist", postgresql_ops={})
        batch_op.create_index(batch_op.f("ix_threat_zones_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_threat_zones_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_threat_zones_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_threat_zones_exercise_id"), ["exercise_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("threat_zones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_threat_zones_exercise_id"))
        batch_op.drop_index(batch_op.f("ix_threat_zones_status"))
        batch_op.drop_index(batch_op.f("ix_threat_zones_run_id"))
        batch_op.drop_index(batch_op.f("ix_threat_zones_incident_id"))
        batch_op.drop_geospatial_index("idx_threat_zones_area", postgresql_using="gist", column_name="area")
    op.drop_geospatial_table("threat_zones")
