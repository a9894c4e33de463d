"""The live stream's words: layer names, the client's request, and the JSON messages it is sent.

Every message is a JSON text frame with a `type` and an event `id`:
- `snapshot`  the current picture of the requested layers, reflecting every event up to `id`;
- `resumed`   instead of a snapshot, when the client's `since` is still in retention;
- `event`     one committed change, in id order; apply it by upserting `payload.feature`;
- `heartbeat` nothing new; `id` is the event the client is up to date with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from commandpost import geo
from commandpost.errors import InvalidInput
from commandpost.events.models import Event
from commandpost.events.service import Recorded
from commandpost.jsontext import dumps_text

# Layer name on the wire ↔ the entity type its events carry.
LAYER_ENTITY: dict[str, str] = {
    "teams": "team",
    "depots": "depot",
    "hazard-sources": "hazard_source",
    "sensors": "sensor",
    "incidents": "incident",
    "warnings": "warning",
    "shelters": "shelter",
}
ENTITY_LAYER: dict[str, str] = {entity: layer for layer, entity in LAYER_ENTITY.items()}

SnapshotReason = Literal["connect", "expired", "overflow"]


@dataclass(frozen=True)
class StreamRequest:
    """What a client asked for in its query string."""

    since: int | None = None
    layers: tuple[str, ...] = tuple(LAYER_ENTITY)
    bbox: geo.BBox | None = None
    exercise_id: int | None = None

    @property
    def entity_types(self) -> frozenset[str]:
        return frozenset(LAYER_ENTITY[name] for name in self.layers)


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


def parse_request(query: dict[str, str]) -> StreamRequest:
    """The client's `since`, `layers`, `bbox` and `exercise_id`, or `InvalidInput` naming the field."""
    layers = tuple(LAYER_ENTITY)
    if query.get("layers"):
        asked = [name.strip() for name in query["layers"].split(",") if name.strip()]
        unknown = [name for name in asked if name not in LAYER_ENTITY]
        if unknown:
            raise InvalidInput(
                f"unknown layer {unknown[0]!r}; layers are: {', '.join(LAYER_ENTITY)}", field="layers"
            )
        layers = tuple(dict.fromkeys(asked))
    return StreamRequest(
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


# The messages as models, for documentation and for clients that validate what they read.
class SnapshotMessage(BaseModel):
    type: Literal["snapshot"]
    id: int = Field(description="every event up to this id is reflected in the layers")
    reason: SnapshotReason
    layers: dict[str, dict[str, Any]] = Field(description="layer name → GeoJSON FeatureCollection")


class ResumedMessage(BaseModel):
    type: Literal["resumed"]
    id: int = Field(description="the `since` the client sent; the events after it follow")


class EventMessage(BaseModel):
    type: Literal["event"]
    id: int
    at: datetime
    event: str = Field(examples=["team.updated"])
    entity_type: str
    entity_id: int | None
    actor: str | None
    exercise_id: int | None
    payload: dict[str, Any] = Field(description="what happened; `feature` is the entity after the change")


class HeartbeatMessage(BaseModel):
    type: Literal["heartbeat"]
    id: int = Field(description="the client has everything it asked for up to this event id")
    at: datetime
