"""The drill runner: beside the app, fires each running exercise's injects when its clock reaches them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from commandpost.clock import Clock
from commandpost.config import Settings
from commandpost.drills import service
from commandpost.sensors.alarms import Policy

log = logging.getLogger(__name__)

# How long the runner sleeps at most: a drill started (or sped up) is noticed within this.
IDLE = 0.05


def play_due(sessions: sessionmaker[Session], *, clock: Clock, policy: Policy) -> float:
    """Fire what is due in every running exercise; seconds until the next inject (at most IDLE)."""
    wait = IDLE
    with sessions() as session:
        for exercise_id in service.running_ids(session):
            try:
                service.fire_due(session, exercise_id=exercise_id, wall=clock, policy=policy)
                session.commit()
            except Exception:  # one drill's broken inject must not stop the others
                session.rollback()
                log.exception("exercise %s: an inject failed", exercise_id)
                continue
            due = service.next_due_wall(session, exercise_id=exercise_id, wall=clock)
            if due is not None:
                wait = min(wait, max((due - clock.now()) / timedelta(seconds=1), 0.0))
        session.commit()
    return wait


@asynccontextmanager
async def running(
    sessions: sessionmaker[Session], *, clock: Clock, settings: Settings
) -> AsyncIterator[None]:
    """The runner as a background job: it sleeps until the next inject is due (at most IDLE)."""
    policy = Policy.from_settings(settings)

    async def loop() -> None:
        while True:
            try:
                wait = await asyncio.to_thread(play_due, sessions, clock=clock, policy=policy)
            except Exception:  # the job must go on
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
