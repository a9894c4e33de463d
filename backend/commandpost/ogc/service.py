"""Collections and their items, one per layer of the registry (`commandpost.layers`): live features only.

A drill is played against the real map, but its incidents, warnings and routes are never served
here: every read asks the registry for the live layer (no exercise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shapely.geometry import shape
from sqlalchemy.orm import Session

from commandpost import geo
from commandpost.errors import DomainError, NotFound
from commandpost.layers import LAYERS, REFERENCE_LAYERS, Layer

# An OGC `datetime`: a closed or half-open interval (None = open end).
Interval = tuple[datetime | None, datetime | None]


@dataclass(frozen=True)
class ItemsPage:
    features: list[dict[str, Any]]
    matched: int
    limit: int
    offset: int


def collections() -> list[Layer]:
    """One collection per layer of the registry: the live layers, then the reference ones (roads)."""
    return [*LAYERS, *REFERENCE_LAYERS]


def collection(collection_id: str) -> Layer:
    """One collection, or `NotFound` listing them."""
    for found in collections():
        if found.name == collection_id:
            return found
    raise NotFound(
        f"there is no collection {collection_id!r}; collections: {', '.join(c.name for c in collections())}",
        field="collectionId",
    )


def _live_rows(layer: Layer, session: Session, bbox: geo.BBox | None) -> Sequence[Any]:
    # No exercise: a drill's features are never served.
    return layer.rows(session, bbox, None)


def parse_bbox(text: str | None) -> geo.BBox | None:
    """The `bbox` of a request (four numbers, CRS84), or a 400 saying why (OGC wants 400, not 422)."""
    try:
        return geo.parse_bbox(text)
    except DomainError as exc:
        raise DomainError(exc.detail, field="bbox") from exc


def _instant(text: str, field: str) -> datetime | None:
    if text in ("", ".."):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise DomainError(f"{text!r} is not an RFC 3339 date-time", field=field) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_datetime(text: str | None) -> Interval | None:
    """An instant (`2026-11-22T10:00:00Z`) or interval (`a/b`, either end `..` or empty for open)."""
    if text is None:
        return None
    if "/" in text:
        start_text, _, end_text = text.partition("/")
        start, end = _instant(start_text, "datetime"), _instant(end_text, "datetime")
        if start is not None and end is not None and end < start:
            raise DomainError("datetime interval ends before it starts", field="datetime")
        return (start, end)
    moment = _instant(text, "datetime")
    if moment is None:
        raise DomainError("datetime needs an instant or an interval", field="datetime")
    return (moment, moment)


def _when(row: Any, name: str) -> datetime | None:
    value = getattr(row, name, None)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _within(moment: datetime | None, interval: Interval) -> bool:
    if moment is None:
        return False
    start, end = interval
    return (start is None or moment >= start) and (end is None or moment <= end)


def read_items(
    session: Session,
    *,
    collection_id: str,
    bbox: geo.BBox | None,
    interval: Interval | None,
    limit: int,
    offset: int,
) -> ItemsPage:
    """One page of a collection's live features in the box and time interval, with the number matched."""
    found = collection(collection_id)
    if interval is not None and found.time is None:
        raise DomainError(f"{found.name} has no time to filter on", field="datetime")
    rows = _live_rows(found, session, bbox)
    if interval is not None and found.time is not None:
        rows = [row for row in rows if _within(_when(row, found.time), interval)]
    page = rows[offset : offset + limit]
    return ItemsPage(features=found.features(session, page), matched=len(rows), limit=limit, offset=offset)


def read_item(session: Session, *, collection_id: str, feature_id: str) -> dict[str, Any]:
    """One live feature of a collection, or `NotFound`."""
    found = collection(collection_id)
    rows = [row for row in _live_rows(found, session, None) if str(row.id) == feature_id]
    if not rows:
        raise NotFound(f"{found.name} has no feature {feature_id}", field="featureId")
    return found.features(session, rows)[0]


def extent(session: Session, found: Layer) -> tuple[list[float] | None, list[str | None] | None]:
    """The collection's bounding box (CRS84) and time span, from what it holds now."""
    rows = _live_rows(found, session, None)
    features = found.features(session, rows)
    # Stored geometries are valid already: read, not validated again.
    bounds = geo.bounds_of(shape(f["geometry"]) for f in features if f.get("geometry") is not None)
    span: list[str | None] | None = None
    if found.time is not None:
        moments = sorted(m for m in (_when(row, found.time) for row in rows) if m is not None)
        span = [moments[0].isoformat(), moments[-1].isoformat()] if moments else [None, None]
    return (list(bounds) if bounds else None), span
