"""HTTP routes for the base map layers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from commandpost.basemap import service
from commandpost.basemap.schemas import BaseMap, MapLayer, map_feature
from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.web import GeoJSONResponse, SessionDep

router = APIRouter(prefix="/basemap", tags=["base map"], responses=PROBLEM_RESPONSES)


@router.get("", summary="The base map's layers and the district's extent", response_model=BaseMap)
def list_layers(db: SessionDep) -> dict[str, Any]:
    return {"layers": service.layers(db), "bbox": service.district_bounds(db)}


@router.get(
    "/{layer}",
    summary="One base layer (boundary, towns, park, water) as GeoJSON",
    response_model=MapLayer,
    response_class=GeoJSONResponse,
)
def get_layer(layer: str, db: SessionDep) -> Response:
    rows = service.features(db, layer=layer)
    return GeoJSONResponse({"type": "FeatureCollection", "features": [map_feature(r) for r in rows]})
