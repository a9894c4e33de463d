"""dispatch: road closures, response plans and checklists, assignments, material requests, idempotency keys

Revision ID: 20261122_1110
Revises: 20261122_1023
Create Date: 2026-11-22 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

import commandpost.db

revision: str = "20261122_1110"
down_revision: str | None = "20261122_1023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=200), nullable=False, comment='method and path the key was first used on'),
    sa.Column('fingerprint', sa.String(length=64), nullable=False, comment='sha256 of the request body'),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('body', sa.JSON(), nullable=True),
    sa.Column('location', sa.String(length=300), nullable=True),
    sa.Column('created_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('response_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_type', sa.Enum('leak', 'fire', 'explosion', 'hazmat_transport', 'forest_fire', 'flood', 'typhoon', 'traffic', 'other', name='incidenttype', native_enum=False, length=32), nullable=False),
    sa.Column('response_level', sa.Enum('I', 'II', 'III', 'IV', name='responselevel', native_enum=False, length=32), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('needs', sa.JSON(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('updated_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_type', 'response_level')
    )
    op.create_geospatial_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('need', sa.String(length=60), nullable=True, comment="the plan's need this team fills"),
    sa.Column('status', sa.Enum('dispatched', 'en_route', 'on_scene', 'returning', 'completed', 'cancelled', name='assignmentstatus', native_enum=False, length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('eta_s', sa.Double(), nullable=True),
    sa.Column('distance_m', sa.Double(), nullable=True),
    sa.Column('route', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('legs', sa.JSON(), nullable=False),
    sa.Column('assigned_by', sa.String(length=100), nullable=True),
    sa.Column('assigned_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', commandpost.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('exercise_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_exercise_id'), ['exercise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_team_id'), ['team_id'], unique=False)
        batch_op.create_index('uq_assignments_active_team', ['team_id'], unique=True, postgresql_where=sa.text('active'), sqlite_where=sa.text('active = 1'))

    op.create_table('checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('response_level', sa.Enum('I', 'II', 'III', 'IV', name='responselevel', native_enum=False, length=32), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=60), nullable=False),
    sa.Column('opened_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', commandpost.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=100), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'code')
    )
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_items_incident_id'), ['incident_id'], unique=False)

    op.create_table('material_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('created_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('material_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_requests_exercise_id'), ['exercise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_requests_incident_id'), ['incident_id'], unique=False)

    op.create_geospatial_table('road_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('road', 'area', 'danger_zone', name='closurekind', native_enum=False, length=32), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=True, comment='the closed road segment (kind road)'),
    sa.Column('geom', Geometry(srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', commandpost.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lifted_by', sa.String(length=100), nullable=True),
    sa.Column('exercise_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('road_closures', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_road_closures_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_road_closures_active'), ['active'], unique=False)
        batch_op.create_index(batch_op.f('ix_road_closures_exercise_id'), ['exercise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_road_closures_incident_id'), ['incident_id'], unique=False)

    op.create_table('material_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('material_code', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=14, scale=3, asdecimal=False), nullable=False),
    sa.Column('status', sa.Enum('reserved', 'dispatched', 'delivered', 'cancelled', name='allocationstatus', native_enum=False, length=32), nullable=False),
    sa.Column('eta_s', sa.Double(), nullable=True),
    sa.Column('distance_m', sa.Double(), nullable=True),
    sa.Column('reserved_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', commandpost.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', commandpost.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', commandpost.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('exercise_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', commandpost.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['depot_id'], ['depots.id'], ),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['material_code'], ['materials.code'], ),
    sa.ForeignKeyConstraint(['request_id'], ['material_requests.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('material_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_allocations_depot_id'), ['depot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_allocations_exercise_id'), ['exercise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_allocations_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_allocations_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("material_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_allocations_request_id"))
        batch_op.drop_index(batch_op.f("ix_material_allocations_incident_id"))
        batch_op.drop_index(batch_op.f("ix_material_allocations_exercise_id"))
        batch_op.drop_index(batch_op.f("ix_material_allocations_depot_id"))
    op.drop_table("material_allocations")
    with op.batch_alter_table("road_closures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_road_closures_incident_id"))
        batch_op.drop_index(batch_op.f("ix_road_closures_exercise_id"))
        batch_op.drop_index(batch_op.f("ix_road_closures_active"))
        batch_op.drop_geospatial_index("idx_road_closures_geom", postgresql_using="gist", column_name="geom")
    op.drop_geospatial_table("road_closures")
    with op.batch_alter_table("material_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_requests_incident_id"))
        batch_op.drop_index(batch_op.f("ix_material_requests_exercise_id"))
    op.drop_table("material_requests")
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checklist_items_incident_id"))
    op.drop_table("checklist_items")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("uq_assignments_active_team", postgresql_where=sa.text("active"), sqlite_where=sa.text("active = 1"))
        batch_op.drop_index(batch_op.f("ix_assignments_team_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_incident_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_exercise_id"))
    op.drop_geospatial_table("assignments")
    op.drop_table("response_plans")
    op.drop_table("idempotency_keys")
