"""Rules for rescue teams: register, edit under optimistic versions, move through allowed statuses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ARRAY, Float, Integer, String, Table, bindparam, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.db import UTCDateTime, pg_array
from commandpost.errors import InvalidInput, InvalidTransition
from commandpost.events import service as events
from commandpost.resources import Page
from commandpost.teams.models import (
    STATUS_TRANSITIONS,
    Capability,
    Team,
    TeamKind,
    TeamStatus,
    TeamTier,
)
from commandpost.teams.schemas import PositionReport, TeamCreate, TeamUpdate, UnitPosition, team_feature
from commandpost.zones import geofence

WHAT = "team"


def list_teams(
    session: Session,
    *,
    bbox: geo.BBox | None = None,
    status: TeamStatus | None = None,
    kind: TeamKind | None = None,
    tier: TeamTier | None = None,
    capabilities: Sequence[Capability] = (),
    limit: int,
    offset: int = 0,
) -> Page[Team]:
    """Teams in the box with the given status/kind/tier and every one of `capabilities`, in id order."""
    stmt = select(Team).order_by(Team.id)
    if bbox is not None:
        stmt = stmt.where(db.bbox_filter(session, Team.__table__.c.position, bbox))
    if status is not None:
        stmt = stmt.where(Team.status == status)
    if kind is not None:
        stmt = stmt.where(Team.kind == kind)
    if tier is not None:
        stmt = stmt.where(Team.tier == tier)
    for capability in capabilities:
        stmt = stmt.where(db.json_list_has(Team.capabilities, capability.value))
    return resources.page(session, stmt, limit=limit, offset=offset)


def get(session: Session, *, team_id: int) -> Team:
    """One team, or NotFound."""
    return resources.fetch(session, Team, team_id, what=WHAT)


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    """Schema fields as column values: geometry to WKB, vehicles to plain dicts."""
    out = dict(data)
    for name in ("base", "position"):
        if out.get(name) is not None:
            out[name] = geo.to_db(geo.parse_geojson(out[name], field=name, allowed=("Point",)))
    return out


def create(session: Session, *, data: TeamCreate, clock: Clock, actor: str | None = None) -> Team:
    """Register a team; it starts at its base unless a position is given."""
    values = _columns(data.model_dump(mode="json"))
    if values.get("position") is None:
        values["position"] = values["base"]
    team = Team(**values, updated_at=clock.now())
    session.add(team)
    session.flush()
    resources.record_change(
        session,
        entity_type=WHAT,
        row=team,
        action="created",
        feature=team_feature(team),
        clock=clock,
        actor=actor,
    )
    return team


def update(
    session: Session,
    *,
    team_id: int,
    changes: TeamUpdate,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> Team:
    """Edit a team's record, refusing an edit made on a stale version."""
    team = get(session, team_id=team_id)
    values = _columns(changes.model_dump(mode="json", exclude_unset=True, exclude={"version"}))
    was = geo.wkb_point(team.position.data) if team.position is not None else None
    if "position" in values:
        values["position_at"] = clock.now()
    values["updated_at"] = clock.now()
    resources.update_versioned(
        session, team, changes=values, expected_version=expected_version, snapshot=team_feature, what=WHAT
    )
    feature = team_feature(team)
    resources.record_change(
        session, entity_type=WHAT, row=team, action="updated", feature=feature, clock=clock, actor=actor
    )
    now_at = geo.wkb_point(values["position"].data) if values.get("position") is not None else None
    if now_at is not None:
        # A dispatcher placing a team inside an active zone warns it too.
        moved = geofence.Moved(team_id=team.id, before=was, after=now_at, feature=feature)
        geofence.warn_entering(session, moved=[moved], clock=clock, actor=actor)
    return team


def change_status(
    session: Session,
    *,
    team_id: int,
    status: TeamStatus,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> Team:
    """Move a team to `status` if the status it is in allows it (available → dispatched → en route → …)."""
    team = get(session, team_id=team_id)
    if status != team.status and status not in STATUS_TRANSITIONS[team.status]:
        allowed = ", ".join(sorted(s.value for s in STATUS_TRANSITIONS[team.status]))
        raise InvalidTransition(
            f"a team that is {team.status.value} cannot become {status.value}; it can become: {allowed}",
            field="status",
        )
    before = team.status
    if expected_version is not None:
        resources.update_versioned(
            session, team, changes={}, expected_version=expected_version, snapshot=team_feature, what=WHAT
        )
    team.status = status
    team.updated_at = clock.now()
    resources.record_change(
        session,
        entity_type=WHAT,
        row=team,
        action="status_changed",
        feature=team_feature(team),
        payload={"from": before.value, "to": status.value},
        clock=clock,
        actor=actor,
    )
    return team


SUPERSEDED = "superseded by a newer report in this batch"


@dataclass(frozen=True)
class Moves:
    """What a batch of position reports did: the moved teams' features, and the reports not
    applied and why."""

    moved: list[dict[str, Any]]
    ignored: list[dict[str, Any]]


@dataclass(frozen=True)
class _Fix:
    index: int
    team_id: int
    at: datetime
    report: PositionReport


def report_position(
    session: Session,
    *,
    team_id: int,
    report: PositionReport,
    clock: Clock,
    max_ahead: timedelta,
    actor: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Move one team to a reported position unless the report is older than the one stored.

    Returns the team's feature as stored and whether the report was applied.
    """
    team = get(session, team_id=team_id)
    at = _when(report, index=None, now=clock.now(), max_ahead=max_ahead)
    moves = _apply(session, [_Fix(0, team.id, at, report)], clock=clock, actor=actor)
    if moves.moved:
        return moves.moved[0], True
    return team_feature(team), False


def report_positions(
    session: Session,
    *,
    reports: Sequence[UnitPosition],
    clock: Clock,
    max_ahead: timedelta,
    actor: str | None = None,
) -> Moves:
    """Move many teams at once (a fleet gateway's batch); all or nothing on bad input.

    A report older than (or as old as) the team's stored position is ignored, never applied
    backwards; of several reports for one team in the batch only the newest counts. One
    `team.moved` event per team moved, carrying its feature. Positions are telemetry: they
    do not bump the team's version, so a dispatcher's edit is not refused because a team moved.
    """
    now = clock.now()
    refs = {r.team for r in reports if isinstance(r.team, str)}
    by_ref: dict[str, int] = {}
    if refs:
        found = session.execute(select(Team.ref, Team.id).where(Team.ref.in_(refs)))
        by_ref = {ref: tid for ref, tid in found if ref is not None}
    fixes: list[_Fix] = []
    for i, r in enumerate(reports):
        tid = by_ref.get(r.team) if isinstance(r.team, str) else r.team
        if tid is None:
            raise InvalidInput(
                f"positions.{i}.team: team '{r.team}' does not exist; nothing was stored",
                field=f"positions.{i}.team",
            )
        fixes.append(_Fix(i, tid, _when(r, index=i, now=now, max_ahead=max_ahead), r))
    return _apply(session, fixes, clock=clock, actor=actor)


def _when(report: PositionReport, *, index: int | None, now: datetime, max_ahead: timedelta) -> datetime:
    """When the fix was taken; a time too far ahead is refused: it would make every later report stale."""
    at = now if report.at is None else report.at.astimezone(UTC)
    if at > now + max_ahead:
        field = "at" if index is None else f"positions.{index}.at"
        raise InvalidInput(
            f"{field}: {at.isoformat()} is more than {max_ahead.total_seconds():.0f} s in the future "
            "(is the unit's clock right?); nothing was stored",
            field=field,
        )
    return at


# Built once: SQLAlchemy adapts each type object to the dialect on first use.
_TEXT, _INTS, _FLOATS, _TIMES = String(), ARRAY(Integer()), ARRAY(Float()), ARRAY(UTCDateTime())


def _apply(session: Session, fixes: list[_Fix], *, clock: Clock, actor: str | None) -> Moves:
    ignored: list[dict[str, Any]] = []
    newest: dict[int, _Fix] = {}
    for fix in fixes:
        held = newest.get(fix.team_id)
        if held is None or fix.at >= held.at:
            if held is not None:
                ignored.append({"index": held.index, "team": held.team_id, "reason": SUPERSEDED})
            newest[fix.team_id] = fix
        else:
            ignored.append({"index": fix.index, "team": fix.team_id, "reason": SUPERSEDED})
    ids = sorted(newest)
    # Row locks in id order: two gateways reporting one unit apply one after the other.
    stmt = (
        select(Team.id, Team.position_at, Team.position)
        .where(db.id_in(session, Team.id, ids))
        .order_by(Team.id)
    )
    rows_before = session.execute(stmt.with_for_update()).all()
    stored = {r.id: r.position_at for r in rows_before}
    were = {r.id: geo.wkb_point(r.position.data) if r.position is not None else None for r in rows_before}
    missing = next((f for f in fixes if f.team_id not in stored), None)
    if missing is not None:
        raise InvalidInput(
            f"positions.{missing.index}.team: team {missing.team_id} does not exist; nothing was stored",
            field=f"positions.{missing.index}.team",
        )
    fresh: list[_Fix] = []
    for tid in ids:
        fix, held_at = newest[tid], stored[tid]
        if held_at is not None and fix.at <= held_at:
            reason = f"stale: not newer than the stored position of {held_at.isoformat()}"
            ignored.append({"index": fix.index, "team": tid, "reason": reason})
        else:
            fresh.append(fix)
    ignored.sort(key=lambda i: i["index"])
    if not fresh:
        return Moves(moved=[], ignored=ignored)
    rows = {r.id: r for r in _move(session, fresh)}
    moved = []
    entries: list[tuple[int | None, dict[str, Any]]] = []
    crossings: list[geofence.Moved] = []
    for fix in fresh:
        # A row has the Team's attribute names, which is all team_feature reads.
        feature = team_feature(cast(Team, rows[fix.team_id]))
        extra = {"heading": fix.report.heading, "speed": fix.report.speed}
        payload = {
            "at": fix.at.isoformat(),
            **{k: v for k, v in extra.items() if v is not None},
            "feature": feature,
        }
        entries.append((fix.team_id, payload))
        moved.append(feature)
        crossings.append(
            geofence.Moved(
                team_id=fix.team_id,
                before=were.get(fix.team_id),
                after=(fix.report.lon, fix.report.lat),
                feature=feature,
            )
        )
    events.record_many(
        session, type=f"{WHAT}.moved", entity_type=WHAT, entries=entries, clock=clock, actor=actor
    )
    # A team reporting itself inside an active threat zone is warned at once, in the same commit.
    geofence.warn_entering(session, moved=crossings, clock=clock, actor=actor)
    return Moves(moved=moved, ignored=ignored)


def _move(session: Session, fresh: list[_Fix]) -> Sequence[Any]:
    """One bulk UPDATE of the positions; the teams' rows as they are after it."""
    table = cast(Table, Team.__table__)
    if db.is_postgres(session):
        v = (
            func.unnest(
                sql_cast(bindparam("ids", pg_array(f.team_id for f in fresh), type_=_TEXT), _INTS),
                sql_cast(bindparam("lons", pg_array(f.report.lon for f in fresh), type_=_TEXT), _FLOATS),
                sql_cast(bindparam("lats", pg_array(f.report.lat for f in fresh), type_=_TEXT), _FLOATS),
                sql_cast(bindparam("ats", pg_array(f.at for f in fresh), type_=_TEXT), _TIMES),
            )
            .table_valued("id", "lon", "lat", "at")
            .render_derived()
        )
        stmt = (
            sql_update(table)
            .where(table.c.id == v.c.id)
            .values(
                position=func.ST_SetSRID(func.ST_MakePoint(v.c.lon, v.c.lat), geo.WGS84), position_at=v.c.at
            )
            .returning(*table.c)
        )
        return session.execute(stmt).all()
    lon, lat = bindparam("b_lon", type_=Float()), bindparam("b_lat", type_=Float())
    each = (
        sql_update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(position=func.MakePoint(lon, lat, geo.WGS84), position_at=bindparam("b_at"))
    )
    session.connection().execute(
        each, [{"b_id": f.team_id, "b_lon": f.report.lon, "b_lat": f.report.lat, "b_at": f.at} for f in fresh]
    )
    return session.execute(select(*table.c).where(table.c.id.in_([f.team_id for f in fresh]))).all()
