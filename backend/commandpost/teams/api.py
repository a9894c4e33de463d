"""HTTP routes for rescue teams; the rules are in `service`."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from commandpost import geo
from commandpost.config import Settings
from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.teams import service
from commandpost.teams.models import Capability, TeamKind, TeamStatus, TeamTier
from commandpost.teams.schemas import (
    PositionBatch,
    PositionReport,
    PositionsTaken,
    StatusChange,
    TeamCreate,
    TeamFeature,
    TeamLayer,
    TeamUpdate,
    team_feature,
)
from commandpost.web import (
    BBoxDep,
    ClockDep,
    ContextDep,
    GeoJSONResponse,
    IfMatchDep,
    PagingDep,
    SessionDep,
    SettingsDep,
    entity_response,
    expected_version,
    feature_response,
    in_bulk_lane,
    layer_response,
)

router = APIRouter(prefix="/teams", tags=["rescue teams"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    summary="Rescue teams layer (GeoJSON FeatureCollection)",
    response_model=TeamLayer,
    response_class=GeoJSONResponse,
)
def list_teams(
    request: Request,
    db: SessionDep,
    paging: PagingDep,
    bbox: BBoxDep,
    status: TeamStatus | None = None,
    kind: TeamKind | None = None,
    tier: TeamTier | None = None,
    capability: Annotated[
        list[Capability] | None,
        Query(description="teams that have this capability (repeat it for teams that have them all)"),
    ] = None,
) -> Response:
    page = service.list_teams(
        db,
        bbox=bbox,
        status=status,
        kind=kind,
        tier=tier,
        capabilities=capability or (),
        limit=paging.limit,
        offset=paging.offset,
    )
    return layer_response(request, page, team_feature)


@router.get(
    "/{team_id}",
    summary="One rescue team (GeoJSON Feature; ETag = version)",
    response_model=TeamFeature,
    response_class=GeoJSONResponse,
)
def get_team(team_id: int, db: SessionDep) -> Response:
    return feature_response(team_feature(service.get(db, team_id=team_id)))


@router.post(
    "",
    status_code=201,
    summary="Register a rescue team",
    response_model=TeamFeature,
    response_class=GeoJSONResponse,
)
def create_team(body: TeamCreate, db: SessionDep, clock: ClockDep) -> Response:
    team = service.create(db, data=body, clock=clock)
    db.commit()
    return feature_response(team_feature(team), status_code=201, location=f"/api/v1/teams/{team.id}")


@router.patch(
    "/{team_id}",
    summary="Edit a rescue team (send the version you read)",
    response_model=TeamFeature,
    response_class=GeoJSONResponse,
)
def update_team(
    team_id: int, body: TeamUpdate, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    team = service.update(
        db,
        team_id=team_id,
        changes=body,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
    )
    db.commit()
    return feature_response(team_feature(team))


@router.post(
    "/{team_id}/status",
    summary="Change a team's status (allowed transitions only)",
    response_model=TeamFeature,
    response_class=GeoJSONResponse,
)
def change_status(
    team_id: int, body: StatusChange, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    team = service.change_status(
        db,
        team_id=team_id,
        status=body.status,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
    )
    db.commit()
    return feature_response(team_feature(team))


@router.post(
    "/positions",
    summary="Report many units' positions at once (a fleet gateway); stale reports are ignored",
    response_model=PositionsTaken,
)
async def report_positions(
    context: ContextDep, body: PositionBatch, clock: ClockDep, settings: SettingsDep
) -> Response:
    for index, report in enumerate(body.positions):
        _in_area(report, settings, field=f"positions.{index}")

    def work() -> service.Moves:
        with context.sessions() as db:
            moves = service.report_positions(
                db,
                reports=body.positions,
                clock=clock,
                max_ahead=timedelta(seconds=settings.report_max_ahead_s),
            )
            db.commit()
            return moves

    moves = await in_bulk_lane(context, work)
    return entity_response(
        {"received": len(body.positions), "moved": len(moves.moved), "ignored": moves.ignored}
    )


def _in_area(report: PositionReport, settings: Settings, *, field: str) -> None:
    geo.check_operating_area(geo.point(report.lon, report.lat), settings.operating_area, field=field)


@router.post(
    "/{team_id}/position",
    summary="Report one unit's position (returns the team; a report older than the stored one is ignored)",
    response_model=TeamFeature,
    response_class=GeoJSONResponse,
)
def report_position(
    team_id: int, body: PositionReport, db: SessionDep, clock: ClockDep, settings: SettingsDep
) -> Response:
    _in_area(body, settings, field="lon")
    feature, applied = service.report_position(
        db,
        team_id=team_id,
        report=body,
        clock=clock,
        max_ahead=timedelta(seconds=settings.report_max_ahead_s),
    )
    db.commit()
    response = feature_response(feature)
    response.headers["Position-Applied"] = "true" if applied else "false"
    return response
