"""HTTP routes for major hazard sources; the rules are in `service`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from commandpost.hazards import service
from commandpost.hazards.models import HazardGrade, RiskColour
from commandpost.hazards.schemas import (
    HazardGrading,
    HazardSourceCreate,
    HazardSourceFeature,
    HazardSourceLayer,
    HazardSourceUpdate,
    RiskColourOverride,
)
from commandpost.schemas import PROBLEM_RESPONSES
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

router = APIRouter(prefix="/hazard-sources", tags=["major hazard sources"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    summary="Major hazard sources layer (GeoJSON FeatureCollection)",
    response_model=HazardSourceLayer,
    response_class=GeoJSONResponse,
)
def list_hazard_sources(
    request: Request,
    db: SessionDep,
    paging: PagingDep,
    bbox: BBoxDep,
    grade: HazardGrade | None = None,
    risk_colour: RiskColour | None = None,
) -> Response:
    page = service.list_sources(
        db, bbox=bbox, grade=grade, risk_colour=risk_colour, limit=paging.limit, offset=paging.offset
    )
    return layer_response(request, page, service.feature_maker(db, page))


@router.get(
    "/{source_id}",
    summary="One hazard source with its chemicals and sensors (Feature; ETag = version)",
    response_model=HazardSourceFeature,
    response_class=GeoJSONResponse,
)
def get_hazard_source(source_id: int, db: SessionDep) -> Response:
    return feature_response(service.feature(db, service.get(db, source_id=source_id)))


@router.post(
    "",
    status_code=201,
    summary="Register a major hazard source",
    response_model=HazardSourceFeature,
    response_class=GeoJSONResponse,
)
def create_hazard_source(body: HazardSourceCreate, db: SessionDep, clock: ClockDep) -> Response:
    source = service.create(db, data=body, clock=clock)
    feature = service.feature(db, source)
    db.commit()
    return feature_response(feature, status_code=201, location=f"/api/v1/hazard-sources/{source.id}")


@router.patch(
    "/{source_id}",
    summary="Edit a hazard source (send the version you read; chemicals replace the list)",
    response_model=HazardSourceFeature,
    response_class=GeoJSONResponse,
)
def update_hazard_source(
    source_id: int, body: HazardSourceUpdate, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    source = service.update(
        db,
        source_id=source_id,
        changes=body,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
    )
    feature = service.feature(db, source)
    db.commit()
    return feature_response(feature)


@router.get(
    "/{source_id}/grading",
    response_model=HazardGrading,
    summary="How the GB 18218-2018 grade was reached: each substance's q, Q, β and share; α and why; S and R",
)
def get_grading(source_id: int, db: SessionDep) -> HazardGrading:
    return service.grading_of(db, source_id=source_id)


@router.put(
    "/{source_id}/risk-colour",
    summary="An officer sets the risk colour instead of the grade's, with a reason (null: the grade's)",
    response_model=HazardSourceFeature,
    response_class=GeoJSONResponse,
)
def override_risk_colour(
    source_id: int, body: RiskColourOverride, db: SessionDep, clock: ClockDep
) -> Response:
    source = service.override_risk_colour(
        db, source_id=source_id, risk_colour=body.risk_colour, reason=body.reason, clock=clock, actor=body.by
    )
    feature = service.feature(db, source)
    db.commit()
    return feature_response(feature)
