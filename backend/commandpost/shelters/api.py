"""HTTP routes for emergency shelters; the rules are in `service`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.shelters import service
from commandpost.shelters.schemas import (
    ShelterCreate,
    ShelterFeature,
    ShelterLayer,
    ShelterUpdate,
    shelter_feature,
)
from commandpost.web import (
    BBoxDep,
    ClockDep,
    GeoJSONResponse,
    IfMatchDep,
    PagingDep,
    SessionDep,
    expected_version,
    feature_response,
    layer_response,
)

router = APIRouter(prefix="/shelters", tags=["emergency shelters"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    summary="Emergency shelters layer (GeoJSON FeatureCollection)",
    response_model=ShelterLayer,
    response_class=GeoJSONResponse,
)
def list_shelters(request: Request, db: SessionDep, paging: PagingDep, bbox: BBoxDep) -> Response:
    page = service.list_shelters(db, bbox=bbox, limit=paging.limit, offset=paging.offset)
    return layer_response(request, page, shelter_feature)


@router.get(
    "/{shelter_id}",
    summary="One shelter (GeoJSON Feature; ETag = version)",
    response_model=ShelterFeature,
    response_class=GeoJSONResponse,
)
def get_shelter(shelter_id: int, db: SessionDep) -> Response:
    return feature_response(shelter_feature(service.get(db, shelter_id=shelter_id)))


@router.post(
    "",
    status_code=201,
    summary="Register an emergency shelter",
    response_model=ShelterFeature,
    response_class=GeoJSONResponse,
)
def create_shelter(body: ShelterCreate, db: SessionDep, clock: ClockDep) -> Response:
    shelter = service.create(db, data=body, clock=clock)
    db.commit()
    return feature_response(
        shelter_feature(shelter), status_code=201, location=f"/api/v1/shelters/{shelter.id}"
    )


@router.patch(
    "/{shelter_id}",
    summary="Edit a shelter (send the version you read)",
    response_model=ShelterFeature,
    response_class=GeoJSONResponse,
)
def update_shelter(
    shelter_id: int, body: ShelterUpdate, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    shelter = service.update(
        db,
        shelter_id=shelter_id,
        changes=body,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
    )
    db.commit()
    return feature_response(shelter_feature(shelter))
