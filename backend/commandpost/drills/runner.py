"""The drill runner: beside the app, fires each running exercise's injects when its clock reaches them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

from fastapi import FastAPI

from commandpost.clock import Clock, FrozenClock
from commandpost.drills import service
from commandpost.sensors.alarms import Policy

log = logging.getLogger(__name__)

# How long the runner sleeps at most: a drill started (or sped up) is noticed within this.
IDLE = 0.05


def play_due(app: FastAPI) -> float:
    """Fire what is due in every running exercise; seconds until the next inject (at most IDLE)."""
    wall: Clock = app.state.clock
    policy = Policy.from_settings(app.state.settings)
    wait = IDLE
    with app.state.sessions() as session:
        for exercise_id in service.running_ids(session):
            try:
                service.fire_due(session, exercise_id=exercise_id, wall=wall, policy=policy)
                session.commit()
            except Exception:  # one drill's broken inject must not stop the others
                session.rollback()
                log.exception("exercise %s: an inject failed", exercise_id)
                continue
            due = service.next_due_wall(session, exercise_id=exercise_id, wall=wall)
            if due is not None:
                wait = min(wait, max((due - wall.now()) / timedelta(seconds=1), 0.0))
        session.commit()
    return wait


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[None]:
    """The runner as a background job; not with a FrozenClock (a test fires injects itself)."""
    if isinstance(app.state.clock, FrozenClock):
        yield
        return

    async def loop() -> None:
        while True:
            try:
                wait = await asyncio.to_thread(play_due, app)
            except Exception:
                log.exception("drill runner failed")
                wait = IDLE
            await asyncio.sleep(wait)

    task = asyncio.create_task(loop(), name="drill runner")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
