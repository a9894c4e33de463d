"""HTTP routes for imports (the file is the request body) and exports (`?f=`); the rules are in `service`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from commandpost.interchange import formats, service
from commandpost.interchange.schemas import ImportReport
from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.web import ClockDep, SessionDep

router = APIRouter(tags=["imports and exports"], responses=PROBLEM_RESPONSES)

# A file's media type says its format when `format` is not given.
_MEDIA_FORMATS = {
    "text/csv": "csv",
    "application/geo+json": "geojson",
    "application/json": "geojson",
    "application/zip": "shapefile",
    "application/x-zip-compressed": "shapefile",
    "application/geopackage+sqlite3": "gpkg",
}


@router.post(
    "/imports/{kind}",
    summary="Import teams, depots, hazard sources, shelters or experts from a file (the request body)",
    response_model=ImportReport,
)
async def import_file(
    kind: str,
    request: Request,
    db: SessionDep,
    clock: ClockDep,
    format: Annotated[
        str | None, Query(description="geojson, csv, shapefile (zipped) or gpkg; default: from Content-Type")
    ] = None,
    crs: Annotated[
        str | None,
        Query(description="coordinate system: WGS84, CGCS2000, GCJ-02, BD-09 or EPSG:n; default: the file's"),
    ] = None,
    encoding: Annotated[str, Query(description="a CSV file's text encoding: utf-8 or gb18030")] = "utf-8",
    dry_run: Annotated[bool, Query(description="check every record and report; store nothing")] = False,
    filename: Annotated[str | None, Query(description="the file's name, for the report and events")] = None,
    content_type: Annotated[str | None, Header()] = None,
) -> ImportReport:
    data = await request.body()
    media = (content_type or "").split(";")[0].strip().lower()
    declared = format or _MEDIA_FORMATS.get(media)
    report = service.import_file(
        db,
        kind=kind,
        data=data,
        filename=filename or f"upload.{declared or 'bin'}",
        file_format=declared,
        crs=crs,
        encoding=encoding,
        dry_run=dry_run,
        clock=clock,
    )
    if dry_run:
        db.rollback()
    else:
        db.commit()
    return report


@router.get(
    "/exports/{layer}",
    summary="A layer as a GeoJSON, CSV, GeoPackage or KML file (live features only)",
    response_class=Response,
    responses={
        200: {
            "description": "the file",
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for _, media, _ in formats.WRITERS.values()
            },
        }
    },
)
def export_layer(
    layer: str,
    db: SessionDep,
    f: Annotated[str, Query(description="geojson, csv, gpkg or kml")] = "geojson",
) -> Response:
    content, media_type, name = service.export_layer(db, layer=layer, file_format=f)
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
