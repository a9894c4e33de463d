"""Pydantic pieces shared by every domain: validated GeoJSON geometries, pages, problems."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from geojson_pydantic import Feature, FeatureCollection, LineString, MultiPolygon, Point, Polygon
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, model_validator

from commandpost import geo
from commandpost.errors import InvalidGeometry, InvalidInput

# A geometry drawn by hand or by a tool has hundreds of vertices; more is a flood, not a closure.
MAX_VERTICES = 10_000


def _positions(coordinates: Any, count: list[int]) -> None:
    """Each position is exactly [lon, lat] of JSON numbers; counts them on the way."""
    if isinstance(coordinates, list | tuple) and coordinates and not isinstance(coordinates[0], list | tuple):
        if len(coordinates) != 2:
            raise ValueError(f"a position is [lon, lat]; got {len(coordinates)} values")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in coordinates):
            raise ValueError("coordinates must be JSON numbers, not strings or booleans")
        count[0] += 1
        if count[0] > MAX_VERTICES:
            raise ValueError(f"more than {MAX_VERTICES} vertices")
        return
    if isinstance(coordinates, list | tuple):
        for part in coordinates:
            _positions(part, count)


def _strict_positions(value: Any) -> Any:
    if isinstance(value, dict) and "coordinates" in value:
        _positions(value["coordinates"], [0])
    return value


_STRICT = BeforeValidator(_strict_positions)


def _valid(allowed: tuple[str, ...]) -> AfterValidator:
    def check(value: Any) -> Any:
        try:
            geo.parse_geojson(value, allowed=allowed)
        except InvalidGeometry as exc:
            raise ValueError(exc.detail) from exc
        return value

    return AfterValidator(check)


PointIn = Annotated[Point, _valid(("Point",)), _STRICT]
AreaIn = Annotated[Polygon | MultiPolygon, _valid(("Polygon", "MultiPolygon")), _STRICT]
SiteIn = Annotated[Point | Polygon | MultiPolygon, _valid(("Point", "Polygon", "MultiPolygon")), _STRICT]
LineIn = Annotated[LineString, _valid(("LineString",)), _STRICT]


class InModel(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Number fields are strict: `"118.9"` or `true` is a client bug, not a value (an int still
        fits a float field)."""
        super().__pydantic_init_subclass__(**kwargs)
        changed = False
        for info in cls.model_fields.values():
            if _is_number(info.annotation) and not any(isinstance(m, Strict) for m in info.metadata):
                info.metadata.append(Strict())
                changed = True
        if changed:
            cls.model_rebuild(force=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        """PostgreSQL text cannot hold NUL, and no name or note needs one: refused on both backends."""
        if isinstance(data, dict):
            for name, info in cls.model_fields.items():
                if _has_nul(data.get(info.alias or name)):
                    raise InvalidInput(
                        f"{info.alias or name}: text may not contain NUL characters", field=info.alias or name
                    )
        return data


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(isinstance(v, str) and "\x00" in v for v in value)
    return False


def _is_number(annotation: Any) -> bool:
    from types import NoneType, UnionType
    from typing import Union, get_args, get_origin

    if annotation in (int, float):
        return True
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not NoneType]
        return bool(args) and all(a in (int, float) for a in args)
    return False


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
