"""HTTP glue the dispatch and routing routes share: the road router of the app."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from commandpost.routing.service import Router

_router_lock = threading.Lock()


def _router(request: Request) -> Router:
    """The app's road router (made on first use when no background job made it at start-up)."""
    router: Router | None = getattr(request.app.state, "router", None)
    if router is None:
        with _router_lock:
            router = getattr(request.app.state, "router", None)
            if router is None:
                settings = getattr(request.app.state, "settings", None)
                router = Router(max_off_road_m=settings.route_max_off_road_m) if settings else Router()
                request.app.state.router = router
    return router


RouterDep = Annotated[Router, Depends(_router)]
