"""The live stream's route; the protocol is in `stream` and README.md ("Live stream")."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from commandpost.context import context_of
from commandpost.events import stream

router = APIRouter(tags=["live stream"])


@router.websocket("/stream")
async def live_stream(websocket: WebSocket) -> None:
    """Snapshot (or resume from `since`), then every committed event in id order, then heartbeats.

    Query: since=<event id>, layers=teams,incidents,…, bbox=minLon,minLat,maxLon,maxLat, exercise_id=<id>.
    """
    context = context_of(websocket.app)
    await stream.serve(
        websocket,
        context.hub,
        sessions=context.read_sessions,
        clock=context.clock,
        settings=context.settings,
    )
