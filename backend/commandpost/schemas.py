"""Pydantic pieces shared by every domain: validated GeoJSON geometries, pages, problems."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from geojson_pydantic import Feature, FeatureCollection, LineString, MultiPolygon, Point, Polygon
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from commandpost import geo
from commandpost.errors import InvalidGeometry


def _valid(allowed: tuple[str, ...]) -> AfterValidator:
    def check(value: Any) -> Any:
        try:
            geo.parse_geojson(value, allowed=allowed)
        except InvalidGeometry as exc:
            raise ValueError(exc.detail) from exc
        return value

    return AfterValidator(check)


PointIn = Annotated[Point, _valid(("Point",))]
AreaIn = Annotated[Polygon | MultiPolygon, _valid(("Polygon", "MultiPolygon"))]
SiteIn = Annotated[Point | Polygon | MultiPolygon, _valid(("Point", "Polygon", "MultiPolygon"))]
LineIn = Annotated[LineString, _valid(("LineString",))]


class InModel(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def not_null(value: Any) -> Any:
    """For partial updates: a field may be left out, but a required one may not be set to null."""
    # Defaults are not validated, so this only sees an explicit null.
    if value is None:
        raise ValueError("may be left out or changed, but not set to null")
    return value


class UpdateModel(InModel):
    """A partial update; `version` is the version the editor read (or send `If-Match`)."""

    version: int | None = Field(default=None, ge=1, description="the version you read; a stale one gets 409")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = None
    current: dict[str, Any] | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}, "description": text}
    for code, text in {
        400: "Malformed request",
        404: "Not found",
        409: "Conflict: stale version or a rule refused the change",
        422: "Validation failed; `field` names the offending field",
        428: "Version required: send If-Match or `version`",
    }.items()
}


def feature_collection_schema(name: str) -> dict[str, Any]:
    """OpenAPI example of a paged layer."""
    return {
        "type": "FeatureCollection",
        "features": [],
        "numberMatched": 0,
        "numberReturned": 0,
        "links": [],
        "name": name,
    }


# --- what comes back: pages of layers and lists ------------------------------------------

Feat = TypeVar("Feat", bound=Feature[Any, Any])
Item = TypeVar("Item")


class Link(BaseModel):
    rel: str = Field(examples=["next"])
    type: str = Field(examples=["application/geo+json"])
    href: str


class LayerPage(FeatureCollection[Feat], Generic[Feat]):
    """A page of a layer: an RFC 7946 FeatureCollection with OGC API-style counts and links."""

    numberMatched: int = Field(description="features matching the query, all pages")
    numberReturned: int = Field(description="features on this page")
    links: list[Link]


class ListPage(BaseModel, Generic[Item]):
    """A page of non-spatial entities, shaped like a layer page but with `items`."""

    items: list[Item]
    numberMatched: int
    numberReturned: int
    links: list[Link]


class Status(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(examples=["ready", "unavailable"])
    checks: dict[str, str] = Field(
        description="each dependency: `ok` or what is wrong", examples=[{"database": "ok"}]
    )
