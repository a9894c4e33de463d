"""Rules for rescue teams: register, edit under optimistic versions, move through allowed statuses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.errors import InvalidTransition
from commandpost.resources import Page
from commandpost.teams.models import STATUS_TRANSITIONS, Team, TeamKind, TeamStatus, TeamTier
from commandpost.teams.schemas import TeamCreate, TeamUpdate, team_feature

WHAT = "team"


def list_teams(
    session: Session,
    *,
    bbox: geo.BBox | None = None,
    status: TeamStatus | None = None,
    kind: TeamKind | None = None,
    tier: TeamTier | None = None,
    limit: int,
    offset: int = 0,
) -> Page[Team]:
    """Teams in the box with the given status/kind/tier, in id order."""
    stmt = select(Team).order_by(Team.id)
    if bbox is not None:
        stmt = stmt.where(db.bbox_filter(session, Team.__table__.c.position, bbox))
    if status is not None:
        stmt = stmt.where(Team.status == status)
    if kind is not None:
        stmt = stmt.where(Team.kind == kind)
    if tier is not None:
        stmt = stmt.where(Team.tier == tier)
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
    if "position" in values:
        values["position_at"] = clock.now()
    values["updated_at"] = clock.now()
    resources.update_versioned(
        session, team, changes=values, expected_version=expected_version, snapshot=team_feature, what=WHAT
    )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=team,
        action="updated",
        feature=team_feature(team),
        clock=clock,
        actor=actor,
    )
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
