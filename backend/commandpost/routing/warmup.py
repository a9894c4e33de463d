"""Background job: give the app its road router at start-up and build the graph off the event loop,
so the first recommendation does not pay for it. Later changes (closures, road imports) are picked
up by the router itself on its next use."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from commandpost.routing.service import Router

log = logging.getLogger(__name__)


@asynccontextmanager
async def road_graph(app: FastAPI) -> AsyncIterator[None]:
    router: Router | None = getattr(app.state, "router", None)
    if router is None:
        settings = getattr(app.state, "settings", None)
        router = Router(max_off_road_m=settings.route_max_off_road_m) if settings else Router()
        app.state.router = router

    def build() -> None:
        try:
            with app.state.read_sessions() as session:
                net = router.network(session)
            log.info("road graph ready: %d nodes, %d edges", net.graph.n_nodes, net.edges)
        except Exception:  # the router retries on first use; a start-up without roads is fine
            log.warning("road graph not built at start-up", exc_info=True)

    task = asyncio.create_task(asyncio.to_thread(build))
    try:
        yield
    finally:
        await task
