"""HTTP routes for the material catalogue, supply depots and their stock; the rules are in `service`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from commandpost.depots import service
from commandpost.depots.schemas import (
    DepotCreate,
    DepotFeature,
    DepotLayer,
    DepotUpdate,
    MaterialCreate,
    MaterialOut,
    StockOut,
    StockSet,
    depot_feature,
    material_entity,
    stock_entity,
)
from commandpost.schemas import PROBLEM_RESPONSES, ListPage
from commandpost.web import (
    BBoxDep,
    ClockDep,
    GeoJSONResponse,
    IfMatchDep,
    PagingDep,
    SessionDep,
    entity_response,
    expected_version,
    feature_response,
    layer_response,
    list_response,
)

materials = APIRouter(prefix="/materials", tags=["materials"], responses=PROBLEM_RESPONSES)
router = APIRouter(prefix="/depots", tags=["supply depots"], responses=PROBLEM_RESPONSES)

MaterialPath = Annotated[str, Path(description="material code from the catalogue", examples=["foam_afff_3"])]


@materials.get("", summary="The emergency material catalogue", response_model=ListPage[MaterialOut])
def list_materials(request: Request, db: SessionDep, paging: PagingDep) -> Response:
    page = service.list_materials(db, limit=paging.limit, offset=paging.offset)
    return list_response(request, page, material_entity)


@materials.get("/{code}", summary="One catalogue entry", response_model=MaterialOut)
def get_material(code: MaterialPath, db: SessionDep) -> Response:
    return entity_response(material_entity(service.get_material(db, code=code)))


@materials.post(
    "",
    status_code=201,
    summary="Add a material to the catalogue (codes are unique)",
    response_model=MaterialOut,
)
def create_material(body: MaterialCreate, db: SessionDep, clock: ClockDep) -> Response:
    material = service.create_material(db, data=body, clock=clock)
    db.commit()
    return entity_response(
        material_entity(material), status_code=201, location=f"/api/v1/materials/{material.code}"
    )


@router.get(
    "",
    summary="Supply depots layer (GeoJSON FeatureCollection)",
    response_model=DepotLayer,
    response_class=GeoJSONResponse,
)
def list_depots(
    request: Request,
    db: SessionDep,
    paging: PagingDep,
    bbox: BBoxDep,
    material: Annotated[
        str | None,
        Query(description="only depots with some of this material available", examples=["sandbag"]),
    ] = None,
) -> Response:
    page = service.list_depots(db, bbox=bbox, material=material, limit=paging.limit, offset=paging.offset)
    return layer_response(request, page, depot_feature)


@router.get(
    "/{depot_id}",
    summary="One depot with its stock (GeoJSON Feature; ETag = version)",
    response_model=DepotFeature,
    response_class=GeoJSONResponse,
)
def get_depot(depot_id: int, db: SessionDep) -> Response:
    return feature_response(depot_feature(service.get(db, depot_id=depot_id)))


@router.post(
    "",
    status_code=201,
    summary="Register a depot, optionally with its initial stock",
    response_model=DepotFeature,
    response_class=GeoJSONResponse,
)
def create_depot(body: DepotCreate, db: SessionDep, clock: ClockDep) -> Response:
    depot = service.create(db, data=body, clock=clock)
    db.commit()
    return feature_response(depot_feature(depot), status_code=201, location=f"/api/v1/depots/{depot.id}")


@router.patch(
    "/{depot_id}",
    summary="Edit a depot's record (send the version you read)",
    response_model=DepotFeature,
    response_class=GeoJSONResponse,
)
def update_depot(
    depot_id: int, body: DepotUpdate, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    depot = service.update(
        db,
        depot_id=depot_id,
        changes=body,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
    )
    db.commit()
    return feature_response(depot_feature(depot))


@router.get(
    "/{depot_id}/stock/{material}",
    summary="One stock line (ETag = the line's version)",
    response_model=StockOut,
)
def get_stock(depot_id: int, material: MaterialPath, db: SessionDep) -> Response:
    return entity_response(stock_entity(service.get_stock(db, depot_id=depot_id, material_code=material)))


@router.put(
    "/{depot_id}/stock/{material}",
    summary="Set how much of a material a depot has on hand",
    description="Creates the line (201) if the depot never held the material; otherwise send the line's "
    "`version` or If-Match. On hand cannot go below what is reserved for dispatches (409).",
    responses={201: {"model": StockOut, "description": "line created"}},
    response_model=StockOut,
)
def set_stock(
    depot_id: int,
    material: MaterialPath,
    body: StockSet,
    db: SessionDep,
    clock: ClockDep,
    if_match: IfMatchDep,
) -> Response:
    line, created = service.set_stock(
        db,
        depot_id=depot_id,
        material_code=material,
        on_hand=body.on_hand,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
    )
    db.commit()
    return entity_response(
        stock_entity(line),
        status_code=201 if created else 200,
        location=f"/api/v1/depots/{depot_id}/stock/{material}" if created else None,
    )
