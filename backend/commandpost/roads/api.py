"""HTTP routes for the road layer (read-only); the rules are in `service`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from commandpost.roads import service
from commandpost.roads.osm import RoadClass
from commandpost.roads.schemas import RoadLayer, road_feature
from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.web import BBoxDep, GeoJSONResponse, PagingDep, SessionDep, layer_response

router = APIRouter(prefix="/roads", tags=["roads"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    summary="Road layer (GeoJSON FeatureCollection of drivable segments, drawn in driving direction)",
    response_model=RoadLayer,
    response_class=GeoJSONResponse,
)
def list_roads(
    request: Request,
    db: SessionDep,
    paging: PagingDep,
    bbox: BBoxDep,
    road_class: Annotated[
        list[RoadClass] | None,
        Query(description="only these classes; repeat the parameter for several", examples=[["primary"]]),
    ] = None,
) -> Response:
    page = service.list_roads(db, bbox=bbox, road_class=road_class, limit=paging.limit, offset=paging.offset)
    return layer_response(request, page, road_feature)
