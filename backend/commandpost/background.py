"""Long-lived work beside the HTTP app, all scheduled here: the event relay, the road graph, sweeps.

Each job is an async context manager: it starts its work on enter and stops it on exit. The jobs
take plain services (session factories, the clock, settings), never the app.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import timedelta
from enum import StrEnum

from sqlalchemy.orm import Session, sessionmaker

from commandpost import idempotency
from commandpost.clock import Clock
from commandpost.config import Settings
from commandpost.events import relay
from commandpost.events.stream import Hub
from commandpost.routing.service import Router
from commandpost.routing.warmup import road_graph
from commandpost.sensors import alarms

log = logging.getLogger(__name__)


class Jobs(StrEnum):
    """Which background jobs an app runs."""

    all = "all"
    # The stream and the road graph, but no timed sweeps: for a clock that moves only when a test
    # moves it (the test runs the timed work itself).
    untimed = "untimed"


# Retention is counted in days: deleting old readings every few minutes is often enough, and
# walking every sensor's readings on each pass would stall ingestion every few seconds.
PURGE_EVERY = timedelta(minutes=10)
FORGET_EVERY = timedelta(minutes=10)


@asynccontextmanager
async def repeating(name: str, every: float, work: Callable[[], Awaitable[object]]) -> AsyncIterator[None]:
    """Await `work` every `every` seconds; a failure is logged, the next pass retries."""

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


def _sensor_sweep(
    sessions: sessionmaker[Session], clock: Clock, settings: Settings
) -> Callable[[], Awaitable[None]]:
    """One pass of the sensor sweep, purging old readings every PURGE_EVERY."""
    purged_at: float | None = None

    async def once() -> None:
        nonlocal purged_at
        now = time.monotonic()
        purge = purged_at is None or now - purged_at >= PURGE_EVERY.total_seconds()
        report = await asyncio.to_thread(
            alarms.sweep_once, sessions, clock=clock, settings=settings, purge=purge
        )
        if purge and not report.skipped:
            purged_at = now

    return once


def schedule(
    jobs: Jobs,
    *,
    sessions: sessionmaker[Session],
    read_sessions: sessionmaker[Session],
    clock: Clock,
    settings: Settings,
    hub: Hub,
    router: Router,
) -> list[AbstractAsyncContextManager[None]]:
    """Every background job `jobs` asks for, in start order (stopped in reverse)."""
    started: list[AbstractAsyncContextManager[None]] = [
        relay.running(hub, sessions=read_sessions, settings=settings),
        road_graph(router, read_sessions),
    ]
    if jobs is Jobs.all:
        keep = timedelta(hours=settings.idempotency_keep_hours)
        started += [
            repeating("sensor sweep", settings.sweep_interval_s, _sensor_sweep(sessions, clock, settings)),
            repeating(
                "forgetting expired idempotency keys",
                FORGET_EVERY.total_seconds(),
                lambda: asyncio.to_thread(idempotency.forget_expired, sessions, clock=clock, keep=keep),
            ),
        ]
    return started
