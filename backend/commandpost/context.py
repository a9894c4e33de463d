"""What the running app holds for its routes and jobs, in one typed object (not FastAPI's `app.state`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp

from commandpost.clock import Clock
from commandpost.config import Settings
from commandpost.events.stream import Hub

if TYPE_CHECKING:
    from commandpost.routing.service import Router


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    clock: Clock
    engine: Engine
    # Sessions for commands, and for reads (which on SQLite take no write lock).
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    # This process's live stream clients.
    hub: Hub
    # This process's road network.
    router: Router
    # Bulk writes (a gateway's batch) queue here, a few at a time: see `web.in_bulk_lane`.
    bulk_lane: anyio.CapacityLimiter


def context_of(app: ASGIApp) -> AppContext:
    """The context the app's lifespan made (routes and websockets run only while it is there)."""
    context = getattr(getattr(app, "state", None), "context", None)
    if not isinstance(context, AppContext):
        raise RuntimeError("the app is not started: its lifespan makes the context")
    return context
