"""HTTP routes for closures and point-to-point routes; the rules are in `service`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from shapely.geometry.base import BaseGeometry

from commandpost import geo
from commandpost.dispatch.http import RouterDep
from commandpost.errors import InvalidGeometry
from commandpost.idempotency import IdempotencyKeyDep, Outcome, run_idempotent
from commandpost.routing import flows, service
from commandpost.routing.schemas import (
    ClosureChange,
    ClosureCreate,
    ClosureFeature,
    ClosureLayer,
    RouteFeature,
    closure_feature,
)
from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.web import (
    BBoxDep,
    ClockDep,
    GeoJSONResponse,
    PagingDep,
    PlainJSONResponse,
    SessionDep,
    feature_response,
    layer_response,
)

router = APIRouter(prefix="/closures", tags=["routing"], responses=PROBLEM_RESPONSES)
routes = APIRouter(prefix="/route", tags=["routing"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    summary="Road closures and danger zones layer (GeoJSON FeatureCollection; active ones by default)",
    response_model=ClosureLayer,
    response_class=GeoJSONResponse,
)
def list_closures(
    request: Request,
    db: SessionDep,
    paging: PagingDep,
    bbox: BBoxDep,
    active: Annotated[bool | None, Query(description="true: in force (default); false: lifted")] = True,
    incident_id: int | None = None,
) -> Response:
    page = service.list_closures(
        db, bbox=bbox, active=active, incident_id=incident_id, limit=paging.limit, offset=paging.offset
    )
    return layer_response(request, page, closure_feature)


@router.get(
    "/{closure_id}",
    summary="One closure (GeoJSON Feature; ETag = version)",
    response_model=ClosureFeature,
    response_class=GeoJSONResponse,
)
def get_closure(closure_id: int, db: SessionDep) -> Response:
    return feature_response(closure_feature(service.get(db, closure_id=closure_id)))


@router.post(
    "",
    status_code=201,
    summary="Close a road segment, an area or a danger zone; teams on their way are re-routed",
    response_model=ClosureChange,
    response_class=GeoJSONResponse,
)
def create_closure(
    request: Request,
    body: ClosureCreate,
    db: SessionDep,
    clock: ClockDep,
    road_router: RouterDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    def command() -> Outcome:
        closure, rerouted = flows.close(db, data=body, router=road_router, clock=clock)
        feature = closure_feature(closure)
        feature["properties"]["rerouted_assignments"] = rerouted
        return 201, feature, f"/api/v1/closures/{closure.id}"

    return run_idempotent(request, db, clock, idempotency_key, body.model_dump(mode="json"), command)


@router.delete(
    "/{closure_id}",
    summary="Lift a closure (reopen its roads); teams on their way are re-routed",
    response_model=ClosureChange,
    response_class=GeoJSONResponse,
)
def lift_closure(
    closure_id: int,
    db: SessionDep,
    clock: ClockDep,
    road_router: RouterDep,
    by: Annotated[str | None, Query(max_length=100, description="who lifts it")] = None,
) -> Response:
    closure, rerouted = flows.lift(db, closure_id=closure_id, router=road_router, clock=clock, actor=by)
    db.commit()
    feature = closure_feature(closure)
    feature["properties"]["rerouted_assignments"] = rerouted
    return feature_response(feature)


def _lonlat(text: str, field: str) -> BaseGeometry:
    parts = text.split(",")
    try:
        lon, lat = (float(p) for p in parts)
    except ValueError as exc:
        raise InvalidGeometry(f"{field} must be lon,lat", field=field) from exc
    return geo.point(lon, lat, field=field)


@routes.get(
    "",
    summary="Fastest open route between two points (GeoJSON LineString with per-leg times)",
    response_model=RouteFeature,
    response_class=GeoJSONResponse,
)
def route(
    db: SessionDep,
    road_router: RouterDep,
    start: Annotated[str, Query(alias="from", description="lon,lat", examples=["118.90,25.12"])],
    end: Annotated[str, Query(alias="to", description="lon,lat", examples=["118.93,25.13"])],
) -> Response:
    feature = service.route_between(
        db, router=road_router, start=_lonlat(start, "from"), end=_lonlat(end, "to")
    )
    return PlainJSONResponse(feature, media_type="application/geo+json")
