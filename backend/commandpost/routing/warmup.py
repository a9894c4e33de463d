"""Background job: build the road router's graph at start-up, off the event loop,
so the first recommendation does not pay for it. Later changes (closures, road imports) are picked
up by the router itself on its next use."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.orm import Session, sessionmaker

from commandpost.routing.service import Router

log = logging.getLogger(__name__)


@asynccontextmanager
async def road_graph(router: Router, sessions: sessionmaker[Session]) -> AsyncIterator[None]:
    def build() -> None:
        try:
            with sessions() as session:
                net = router.network(session)
            log.info("road graph ready: %d nodes, %d edges", net.graph.n_nodes, net.edges)
        except Exception:  # the router retries on first use; a start-up without roads is fine
            log.warning("road graph not built at start-up", exc_info=True)

    task = asyncio.create_task(asyncio.to_thread(build))
    try:
        yield
    finally:
        await task
