"""drill exercises: their clock, planned injects, detectors' drill states, evaluators' observations
and improvement items

Revision ID: 20261204_1830_drills
Revises: 20261204_1800_threat_zones
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from commandpost.db import UTCDateTime

revision: str = "20261204_1830_drills"
down_revision: str | Sequence[str] | None = "20261204_1800_threat_zones"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exercises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scenario_id", sa.String(80), nullable=False, comment="the scenario file's id"),
        sa.Column("scenario", sa.JSON(), nullable=False, comment="the scenario as parsed"),
        sa.Column(
            "status",
            sa.Enum("ready", "running", "paused", "finished", name="exercisestatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("speed", sa.Float(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False, comment="exercise time when the drill begins"),
        sa.Column("anchor_wall", UTCDateTime(), nullable=True),
        sa.Column("anchor_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True, comment="wall time the director started it"),
        sa.Column("finished_at", UTCDateTime(), nullable=True, comment="exercise time it was stopped"),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("refs", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_exercises_status", "exercises", ["status"])
    op.create_table(
        "exercise_injects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), sa.ForeignKey("exercises.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False, comment="order in the plan"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(80), nullable=True, comment="the scenario's name for it, if any"),
        sa.Column("offset_s", sa.Float(), nullable=False, comment="seconds after the drill begins"),
        sa.Column("due_at", UTCDateTime(), nullable=False, comment="exercise time it is due"),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("fired_at", UTCDateTime(), nullable=True, comment="exercise time it was played"),
        sa.Column("fired_wall", UTCDateTime(), nullable=True, comment="wall time it was played"),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_exercise_injects_exercise_id", "exercise_injects", ["exercise_id"])
    op.create_table(
        "exercise_sensor_states",
        sa.Column("exercise_id", sa.Integer(), sa.ForeignKey("exercises.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sensor_id", sa.Integer(), sa.ForeignKey("sensors.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "normal", "alarm_1", "alarm_2", "fault", "offline", name="sensorstate", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_reading_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("exercise_id", "sensor_id"),
    )
    op.create_table(
        "exercise_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), sa.ForeignKey("exercises.id", ondelete="CASCADE"), nullable=False),
        sa.Column("objective_id", sa.String(80), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False, comment="exercise time it was seen"),
        sa.Column("evaluator", sa.String(100), nullable=False),
        sa.Column("rating", sa.Enum("P", "S", "M", "U", name="rating", native_enum=False, length=32), nullable=False),
        sa.Column("text", sa.String(4000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_exercise_observations_exercise_id", "exercise_observations", ["exercise_id"])
    op.create_table(
        "improvement_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), sa.ForeignKey("exercises.id", ondelete="CASCADE"), nullable=False),
        sa.Column("objective_id", sa.String(80), nullable=True),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("done_by", sa.String(100), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_improvement_items_exercise_id", "improvement_items", ["exercise_id"])


def downgrade() -> None:
    op.drop_index("ix_improvement_items_exercise_id", table_name="improvement_items")
    op.drop_table("improvement_items")
    op.drop_index("ix_exercise_observations_exercise_id", table_name="exercise_observations")
    op.drop_table("exercise_observations")
    op.drop_table("exercise_sensor_states")
    op.drop_index("ix_exercise_injects_exercise_id", table_name="exercise_injects")
    op.drop_table("exercise_injects")
    op.drop_index("ix_exercises_status", table_name="exercises")
    op.drop_table("exercises")
