"""The live stream's route; the protocol is in `stream` and README.md ("Live stream")."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from commandpost.context import context_of
from commandpost.events import stream

router = APIRouter(tags=["live stream"])


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    """No Origin (a device or script, not a browser), the platform's own origin, or a configured one."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    host = websocket.headers.get("host", "")
    own = {f"http://{host}", f"https://{host}"}
    return origin in own or origin in allowed


@router.websocket("/stream")
async def live_stream(websocket: WebSocket) -> None:
    """Snapshot (or resume from `since`), then every committed event in id order, then heartbeats.

    Query: since=<event id>, layers=teams,incidents,…, bbox=minLon,minLat,maxLon,maxLat, exercise_id=<id>.
    """
    context = context_of(websocket.app)
    if not origin_allowed(websocket, context.settings.allowed_origins):
        # Browsers send any page's Origin; a foreign page must not read the live picture.
        await websocket.close(code=1008, reason="origin not allowed")
        return
    await stream.serve(
        websocket,
        context.hub,
        sessions=context.read_sessions,
        clock=context.clock,
        settings=context.settings,
    )
