"""What every route shares: request dependencies, paging and bbox parameters, GeoJSON responses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Header, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from commandpost import geo
from commandpost.clock import Clock
from commandpost.config import Settings
from commandpost.context import AppContext, context_of
from commandpost.errors import InvalidInput
from commandpost.jsontext import dumps
from commandpost.resources import Page


def _context(request: Request) -> AppContext:
    return context_of(request.app)


ContextDep = Annotated[AppContext, Depends(_context)]


def _session(context: ContextDep, request: Request) -> Iterator[Session]:
    reading = request.method in ("GET", "HEAD")
    factory = context.read_sessions if reading else context.sessions
    with factory() as session:
        yield session


def _clock(context: ContextDep) -> Clock:
    return context.clock


def _settings(context: ContextDep) -> Settings:
    return context.settings


def _query_names(route: APIRoute) -> frozenset[str]:
    """The query parameters a route takes, its dependencies' included (`from`, not `from_`)."""
    names: set[str] = set()
    todo: list[Dependant] = [route.dependant]
    while todo:
        dependant = todo.pop()
        names.update(param.alias for param in dependant.query_params)
        todo.extend(dependant.dependencies)
    return frozenset(names)


def refuse_unknown_query(connection: HTTPConnection) -> None:
    """A query parameter the route does not take is refused, naming it: silently ignoring
    `?capability=foam` would show a dispatcher every team while they believe the list is filtered."""
    route = connection.scope.get("route")
    if connection.scope["type"] != "http" or not isinstance(route, APIRoute):
        return  # the stream's websocket reads and checks its own query
    known = _query_names(route)
    unknown = [name for name in dict.fromkeys(connection.query_params) if name not in known]
    if unknown:
        takes = ", ".join(sorted(known)) or "no query parameters"
        raise InvalidInput(
            f"unknown query parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"{connection.url.path} takes {takes}",
            field=f"query.{unknown[0]}",
            extra={"unknown": unknown, "allowed": sorted(known)},
        )


SessionDep = Annotated[Session, Depends(_session)]
ClockDep = Annotated[Clock, Depends(_clock)]
SettingsDep = Annotated[Settings, Depends(_settings)]


class Paging:
    def __init__(
        self,
        settings: SettingsDep,
        limit: Annotated[int | None, Query(ge=1, description="features per page")] = None,
        offset: Annotated[int, Query(ge=0, description="features to skip")] = 0,
    ) -> None:
        if limit is not None and limit > settings.page_size_max:
            raise InvalidInput(f"limit may be at most {settings.page_size_max}", field="limit")
        self.limit = limit or settings.page_size_default
        self.offset = offset


PagingDep = Annotated[Paging, Depends()]


def _bbox(
    bbox: Annotated[
        str | None,
        Query(description="minLon,minLat,maxLon,maxLat (WGS 84)", examples=["118.85,25.05,119.0,25.2"]),
    ] = None,
) -> geo.BBox | None:
    return geo.parse_bbox(bbox)


BBoxDep = Annotated[geo.BBox | None, Depends(_bbox)]


def _if_match(
    if_match: Annotated[str | None, Header(description='the ETag you read, e.g. "3"')] = None,
) -> int | None:
    if if_match is None:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    try:
        return int(tag)
    except ValueError as exc:
        raise InvalidInput(
            f'If-Match must be an ETag this API issued, like "3"; got {if_match}', field="If-Match"
        ) from exc


IfMatchDep = Annotated[int | None, Depends(_if_match)]


def expected_version(body_version: int | None, if_match: int | None) -> int | None:
    """The version the editor read, from the body or the If-Match header (they must agree)."""
    if body_version is not None and if_match is not None and body_version != if_match:
        raise InvalidInput("`version` and If-Match disagree", field="version")
    return body_version if body_version is not None else if_match


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


class PlainJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return dumps(content)


def feature_response(
    feature: dict[str, Any], *, status_code: int = 200, location: str | None = None
) -> GeoJSONResponse:
    """One feature, with its version as the ETag."""
    headers = {"ETag": f'"{feature["properties"]["version"]}"'}
    if location:
        headers["Location"] = location
    return GeoJSONResponse(feature, status_code=status_code, headers=headers)


def entity_response(
    entity: dict[str, Any], *, status_code: int = 200, location: str | None = None
) -> PlainJSONResponse:
    headers = {"ETag": f'"{entity["version"]}"'} if "version" in entity else {}
    if location:
        headers["Location"] = location
    return PlainJSONResponse(entity, status_code=status_code, headers=headers)


def _links(request: Request, page: Page[Any]) -> list[dict[str, str]]:
    links = [{"rel": "self", "type": "application/geo+json", "href": str(request.url)}]
    if page.offset + page.limit < page.total:
        nxt = request.url.include_query_params(offset=page.offset + page.limit, limit=page.limit)
        links.append({"rel": "next", "type": "application/geo+json", "href": str(nxt)})
    if page.offset > 0:
        prev = request.url.include_query_params(offset=max(0, page.offset - page.limit), limit=page.limit)
        links.append({"rel": "prev", "type": "application/geo+json", "href": str(prev)})
    return links


def layer_response(
    request: Request, page: Page[Any], to_feature: Callable[[Any], dict[str, Any]]
) -> GeoJSONResponse:
    """A page of a layer as an RFC 7946 FeatureCollection, with OGC API-style counts and links."""
    features = [to_feature(item) for item in page.items]
    return GeoJSONResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": page.total,
            "numberReturned": len(features),
            "links": _links(request, page),
        }
    )


def list_response(
    request: Request, page: Page[Any], to_entity: Callable[[Any], dict[str, Any]]
) -> PlainJSONResponse:
    """A page of non-spatial entities, shaped like a layer page but with `items`."""
    items = [to_entity(item) for item in page.items]
    return PlainJSONResponse(
        {
            "items": items,
            "numberMatched": page.total,
            "numberReturned": len(items),
            "links": _links(request, page),
        }
    )


T = TypeVar("T")


async def in_bulk_lane(context: AppContext, work: Callable[[], T]) -> T:
    """Run a bulk write (a gateway's batch) in a worker thread, a few at a time per process.

    Gateway floods then queue here, in arrival order, instead of filling the shared thread pool and
    fighting over the GIL and the database's locks: reads, the relay and the stream stay
    responsive. Four at a time on PostGIS (enough to overlap database round trips), one on
    SQLite (it has one writer anyway).
    """
    return await anyio.to_thread.run_sync(work, limiter=context.bulk_lane)
