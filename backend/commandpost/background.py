"""Long-lived work that runs beside the HTTP app (event relay, sweeps…), started and stopped in lifespan.

Each entry is an async context manager factory taking the app: it starts its work on enter and
stops it on exit. Add one line per job to `jobs()`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

Job = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def jobs() -> list[Job]:
    """Every background job, in start order (stopped in reverse)."""
    from commandpost.dispatch.idempotency import forget_job
    from commandpost.events import relay
    from commandpost.routing.warmup import road_graph
    from commandpost.sensors.alarms import sweep_job

    return [relay.running, sweep_job, road_graph, forget_job]
