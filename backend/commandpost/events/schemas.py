"""The live stream's words: the layers it serves, the client's request, and the JSON messages it is sent.

Every message is a JSON text frame with a `type` and an event `id`:
- `snapshot`  the current picture of the requested layers, reflecting every event up to `id`;
- `resumed`   instead of a snapshot, when the client's `since` is still in retention;
- `event`     one committed change, in id order; apply it by upserting `payload.feature`;
- `heartbeat` nothing new; `id` is the event the client is up to date with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from commandpost import geo
from commandpost.errors import InvalidInput
from commandpost.events.models import Event
from commandpost.events.service import Recorded
from commandpost.jsontext import dumps_text

SnapshotReason = Literal["connect", "expired", "overflow"]

# One layer's current features: (session, layer name, bbox, exercise id) → GeoJSON Features.
LayerReader = Callable[[Session, str, geo.BBox | None, int | None], list[dict[str, Any]]]


@dataclass(frozen=True)
class StreamLayers:
    """The map's live layers as the stream sees them (the registry in `commandpost.layers` gives them)."""

    # Layer name on the wire → the entity type its events carry.
    entity_of: Mapping[str, str]
    read: LayerReader

    @property
    def entity_types(self) -> frozenset[str]:
        """Entity types that belong to some layer: their events go only to clients showing it."""
        return frozenset(self.entity_of.values())


@dataclass(frozen=True)
class StreamRequest:
    """What a client asked for in its query string."""

    layers: tuple[str, ...]
    # The entity types of `layers`.
    entity_types: frozenset[str]
    since: int | None = None
    bbox: geo.BBox | None = None
    exercise_id: int | None = None


def _int(value: str | None, *, field: str, minimum: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError as exc:
        raise InvalidInput(f"{field} must be a whole number, got {value!r}", field=field) from exc
    if number < minimum:
        raise InvalidInput(f"{field} must be at least {minimum}", field=field)
    return number


def parse_request(query: dict[str, str], known: StreamLayers) -> StreamRequest:
    """The client's `since`, `layers`, `bbox` and `exercise_id`, or `InvalidInput` naming the field."""
    layers = tuple(known.entity_of)
    if query.get("layers"):
        asked = [name.strip() for name in query["layers"].split(",") if name.strip()]
        unknown = [name for name in asked if name not in known.entity_of]
        if unknown:
            raise InvalidInput(
                f"unknown layer {unknown[0]!r}; layers are: {', '.join(known.entity_of)}", field="layers"
            )
        layers = tuple(dict.fromkeys(asked))
    return StreamRequest(
        entity_types=frozenset(known.entity_of[name] for name in layers),
        since=_int(query.get("since"), field="since", minimum=0),
        layers=layers,
        bbox=geo.parse_bbox(query.get("bbox")),
        exercise_id=_int(query.get("exercise_id"), field="exercise_id", minimum=1),
    )


def encode(message: dict[str, Any]) -> str:
    """Compact JSON, Chinese kept as is."""
    return dumps_text(message)


def event_message(event: Event | Recorded, *, payload: dict[str, Any] | None) -> dict[str, Any]:
    """The stream's message for `event`; without `payload` when the caller adds it as JSON text."""
    message = {
        "type": "event",
        "id": event.id,
        "at": event.at.isoformat(),
        "event": event.type,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "actor": event.actor,
        "exercise_id": event.exercise_id,
    }
    if payload is not None:
        message["payload"] = payload
    return message


def snapshot_message(*, id: int, reason: SnapshotReason, layers: dict[str, Any]) -> dict[str, Any]:
    return {"type": "snapshot", "id": id, "reason": reason, "layers": layers}


def resumed_message(*, since: int) -> dict[str, Any]:
    return {"type": "resumed", "id": since}


def heartbeat_message(*, id: int, at: datetime) -> dict[str, Any]:
    return {"type": "heartbeat", "id": id, "at": at.isoformat()}
