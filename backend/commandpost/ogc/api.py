"""HTTP routes of the OGC API – Features service; the reading is in `service`, the documents in `schemas`.

JSON by default; the landing page, conformance and collections also as HTML (`?f=html`, or a browser's
`Accept: text/html`). Parameter errors are 400, as the standard asks.
"""

from __future__ import annotations

import html
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.requests import HTTPConnection

from commandpost import __version__
from commandpost.errors import DomainError, InvalidInput
from commandpost.layers import Layer
from commandpost.ogc import service
from commandpost.ogc.schemas import (
    CollectionOut,
    Collections,
    Conformance,
    Extent,
    Item,
    Items,
    LandingPage,
    OgcLink,
    SpatialExtent,
    TemporalExtent,
)
from commandpost.web import ClockDep, GeoJSONResponse, SessionDep, SettingsDep, refuse_unknown_query

# Only the classes this service passes: Part 1 Core and GeoJSON (HTML is offered for the landing
# page and collections but not for features, so the HTML class is not claimed; the API document is
# OpenAPI 3.1, so neither is OpenAPI 3.0).
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.1"


def _refuse_unknown_query(connection: HTTPConnection) -> None:
    """An unknown query parameter is refused by name, with 400 as OGC API – Features asks."""
    try:
        refuse_unknown_query(connection)
    except InvalidInput as exc:
        raise DomainError(exc.detail, field=exc.field, extra=exc.extra) from exc


router = APIRouter(prefix="/ogc", tags=["OGC API – Features"], dependencies=[Depends(_refuse_unknown_query)])

FormatParam = Annotated[str | None, Query(description="json or html (default: by Accept, else json)")]


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _wants_html(request: Request, f: str | None) -> bool:
    if f is not None:
        if f not in ("json", "html"):
            raise DomainError(f"f must be json or html, not {f!r}", field="f")
        return f == "html"
    return request.headers.get("accept", "").split(",")[0].strip().startswith(HTML)


def _alternates(href: str, *, json_type: str = JSON) -> list[OgcLink]:
    return [
        OgcLink(href=href, rel="self", type=json_type, title="this document"),
        OgcLink(href=f"{href}?f=html", rel="alternate", type=HTML, title="this document as HTML"),
    ]


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>body{{font:15px/1.5 system-ui,sans-serif;margin:2em;max-width:60em}}"
        f"td,th{{padding:.2em .8em;text-align:left}}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _link_list(links: list[OgcLink]) -> str:
    items = "".join(
        f'<li><a href="{html.escape(link.href)}">{html.escape(link.title or link.rel)}</a> '
        f"<small>({html.escape(link.rel)}, {html.escape(link.type or '')})</small></li>"
        for link in links
    )
    return f"<ul>{items}</ul>"


@router.get("", summary="Landing page", response_model=LandingPage)
def landing_page(request: Request, f: FormatParam = None) -> Any:
    root = _root(request)
    page = LandingPage(
        title="Command Post",
        description="The live layers of the emergency command platform (rescue teams, supply depots, major "
        "hazard sources, gas detectors, shelters, incidents, warnings, roads) as OGC API – Features.",
        links=[
            *_alternates(root),
            OgcLink(href=f"{root}/api", rel="service-desc", type=OPENAPI, title="the API definition"),
            OgcLink(href=f"{root}/conformance", rel="conformance", type=JSON, title="conformance classes"),
            OgcLink(href=f"{root}/collections", rel="data", type=JSON, title="the collections"),
        ],
    )
    if _wants_html(request, f):
        return _page(page.title, f"<p>{html.escape(page.description)}</p>{_link_list(page.links)}")
    return page


@router.get("/conformance", summary="The conformance classes this service passes", response_model=Conformance)
def conformance(request: Request, f: FormatParam = None) -> Any:
    if _wants_html(request, f):
        return _page("Conformance", _link_list([OgcLink(href=c, rel="conformance") for c in CONFORMANCE]))
    return Conformance(conformsTo=CONFORMANCE)


@router.get(
    "/api",
    summary="The API definition (OpenAPI)",
    response_class=JSONResponse,
    responses={
        200: {"content": {OPENAPI: {"schema": {"type": "object"}}}, "description": "OpenAPI document"}
    },
)
def api_definition(request: Request) -> JSONResponse:
    document = get_openapi(
        title="Command Post – OGC API – Features",
        version=__version__,
        routes=router.routes,
        servers=[{"url": str(request.base_url).rstrip("/")}],
    )
    return JSONResponse(document, media_type=OPENAPI)


def _collection(request: Request, db: SessionDep, found: Layer) -> CollectionOut:
    href = f"{_root(request)}/collections/{found.name}"
    bbox, span = service.extent(db, found)
    return CollectionOut(
        id=found.name,
        title=found.title_en,
        description=f"{found.title_en} ({found.title_zh}): live features, {found.geometry} geometry",
        links=[
            *_alternates(href),
            OgcLink(href=f"{href}/items", rel="items", type=GEOJSON, title=f"{found.title_en} as GeoJSON"),
        ],
        extent=Extent(
            spatial=SpatialExtent(bbox=[bbox or [-180.0, -90.0, 180.0, 90.0]]),
            temporal=None if span is None else TemporalExtent(interval=[span]),
        ),
    )


def _collection_html(out: CollectionOut) -> str:
    bbox = ", ".join(f"{v:.5f}" for v in out.extent.spatial.bbox[0])
    return f"<p>{html.escape(out.description)}</p><p>extent: {bbox}</p>{_link_list(out.links)}"


@router.get("/collections", summary="The collections: one per layer", response_model=Collections)
def list_collections(request: Request, db: SessionDep, f: FormatParam = None) -> Any:
    href = f"{_root(request)}/collections"
    out = Collections(
        links=_alternates(href),
        collections=[_collection(request, db, found) for found in service.collections()],
    )
    if _wants_html(request, f):
        rows = "".join(
            f'<tr><td><a href="{html.escape(c.links[0].href)}?f=html">{html.escape(c.id)}</a></td>'
            f"<td>{html.escape(c.title)}</td>"
            f'<td><a href="{html.escape(c.links[2].href)}">items</a></td></tr>'
            for c in out.collections
        )
        return _page("Collections", f"<table><tr><th>id</th><th>title</th><th></th></tr>{rows}</table>")
    return out


@router.get("/collections/{collectionId}", summary="One collection", response_model=CollectionOut)
def get_collection(
    request: Request,
    db: SessionDep,
    collection_id: Annotated[str, Path(alias="collectionId")],
    f: FormatParam = None,
) -> Any:
    out = _collection(request, db, service.collection(collection_id))
    if _wants_html(request, f):
        return _page(out.title, _collection_html(out))
    return out


@router.get(
    "/collections/{collectionId}/items",
    summary="A page of a collection's features (GeoJSON), with next/prev links",
    response_model=Items,
    response_class=GeoJSONResponse,
)
def get_items(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    collection_id: Annotated[str, Path(alias="collectionId")],
    limit: Annotated[int | None, Query(description="features per page (at most PAGE_SIZE_MAX)")] = None,
    offset: Annotated[int, Query(description="features to skip")] = 0,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (CRS84)")] = None,
    datetime: Annotated[
        str | None, Query(description="an instant or interval (RFC 3339; `..` for an open end)")
    ] = None,
    f: Annotated[str | None, Query(description="json (GeoJSON)")] = None,
) -> GeoJSONResponse:
    if f not in (None, "json", "geojson"):
        raise DomainError("features are served as GeoJSON only: f=json", field="f")
    if limit is not None and limit < 1:
        raise DomainError("limit must be at least 1", field="limit")
    if offset < 0:
        raise DomainError("offset must not be negative", field="offset")
    # A limit above the maximum is served at the maximum, as the standard asks (not refused).
    size = min(limit or settings.page_size_default, settings.page_size_max)
    page = service.read_items(
        db,
        collection_id=collection_id,
        bbox=service.parse_bbox(bbox),
        interval=service.parse_datetime(datetime),
        limit=size,
        offset=offset,
    )
    links = [OgcLink(href=str(request.url), rel="self", type=GEOJSON, title="this page")]
    if offset + size < page.matched:
        nxt = request.url.include_query_params(offset=offset + size, limit=size)
        links.append(OgcLink(href=str(nxt), rel="next", type=GEOJSON, title="next page"))
    if offset > 0:
        prev = request.url.include_query_params(offset=max(0, offset - size), limit=size)
        links.append(OgcLink(href=str(prev), rel="prev", type=GEOJSON, title="previous page"))
    links.append(
        OgcLink(
            href=f"{_root(request)}/collections/{collection_id}",
            rel="collection",
            type=JSON,
            title="collection",
        )
    )
    return GeoJSONResponse(
        {
            "type": "FeatureCollection",
            "features": page.features,
            "numberMatched": page.matched,
            "numberReturned": len(page.features),
            "timeStamp": clock.now().astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "links": [link.model_dump(exclude_none=True) for link in links],
        }
    )


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    summary="One feature (GeoJSON)",
    response_model=Item,
    response_class=GeoJSONResponse,
)
def get_item(
    request: Request,
    db: SessionDep,
    collection_id: Annotated[str, Path(alias="collectionId")],
    feature_id: Annotated[str, Path(alias="featureId")],
    f: Annotated[str | None, Query(description="json (GeoJSON)")] = None,
) -> GeoJSONResponse:
    if f not in (None, "json", "geojson"):
        raise DomainError("features are served as GeoJSON only: f=json", field="f")
    feature = service.read_item(db, collection_id=collection_id, feature_id=feature_id)
    href = f"{_root(request)}/collections/{collection_id}"
    feature = {
        **feature,
        "links": [
            {"href": f"{href}/items/{feature_id}", "rel": "self", "type": GEOJSON},
            {"href": href, "rel": "collection", "type": JSON},
        ],
    }
    return GeoJSONResponse(feature)
