"""Long-lived work that runs beside the HTTP app (event relay, sweeps…), started and stopped in lifespan.

Each entry is an async context manager factory taking the app: it starts its work on enter and
stops it on exit. Add one line per job to `jobs()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress

from fastapi import FastAPI

from commandpost.clock import FrozenClock

Job = Callable[[FastAPI], AbstractAsyncContextManager[None]]

log = logging.getLogger(__name__)


@asynccontextmanager
async def repeating(
    app: FastAPI, name: str, every: float, work: Callable[[], Awaitable[object]]
) -> AsyncIterator[None]:
    """Await `work` every `every` seconds beside the app; a failure is logged, the next pass retries.

    Not with a FrozenClock: such a clock moves only when a test moves it, and that test runs the
    work itself.
    """
    if isinstance(app.state.clock, FrozenClock):
        yield
        return

    async def loop() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await work()
            except Exception:  # the job must go on
                log.exception("%s failed", name)

    task = asyncio.create_task(loop(), name=name)
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


def jobs() -> list[Job]:
    """Every background job, in start order (stopped in reverse)."""
    from commandpost.events import relay
    from commandpost.idempotency import forget_job
    from commandpost.routing.warmup import road_graph
    from commandpost.sensors.alarms import sweep_job

    return [relay.running, sweep_job, road_graph, forget_job]
