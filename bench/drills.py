"""Drill inject timing: how late each inject fires against its scaled time, at ×1 and ×60.

A scenario of detector readings (a ramp through both alarm levels, so injects issue and escalate the
drill's warning through the alarm rules) is played by the drill runner job on the wall clock; each
inject's error is the wall time it was committed as fired minus the wall time its exercise time
maps to. Baseline, in the same run: an asyncio loop sleeping until the same scaled times and doing
nothing (the scheduler's own lateness on this machine).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bench.support import REPO, backends, migrated
from commandpost import db, loader
from commandpost.clock import SystemClock
from commandpost.config import Settings
from commandpost.drills import runner, service
from commandpost.drills.context import ExerciseClock
from commandpost.drills.models import Inject

# ~10 s of wall time at each speed.
PLANS = {1.0: ("10s", 0.1), 60.0: ("600s", 6)}


def _scenario(over: str, every: float) -> str:
    return f"""\
format: commandpost-scenario/1
id: bench-timing
title: inject timing
setting: {{start: "2026-12-10T02:00:00+08:00"}}
injects:
  - {{at: 1, kind: ramp, sensor: S0028, from: 0.0, to: 1.0, over: {over}, every: {every}}}
"""


def _stats(errors_s: list[float]) -> dict[str, float]:
    ordered = sorted(errors_s)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


async def _baseline(offsets: list[float]) -> list[float]:
    start = time.monotonic()
    late = []
    for offset in offsets:
        await asyncio.sleep(max(start + offset - time.monotonic(), 0))
        late.append(time.monotonic() - (start + offset))
    return late


async def _played(settings: Settings, speed: float) -> list[float]:
    over, every = PLANS[speed]
    wall = SystemClock()
    engine = db.make_engine(settings)
    sessions = db.make_sessionmaker(engine)
    try:
        with sessions() as session:
            exercise = service.create(session, text=_scenario(over, every), file="bench.yaml", clock=wall)
            session.commit()
            xid = exercise.id
        async with runner.running(sessions, clock=wall, settings=settings):
            with sessions() as session:
                service.start(session, exercise_id=xid, wall=wall, speed=speed)
                session.commit()
            while True:
                await asyncio.sleep(0.5)
                with sessions() as session:
                    left = session.scalar(
                        select(Inject.id).where(Inject.exercise_id == xid, Inject.fired_at.is_(None)).limit(1)
                    )
                if left is None:
                    break
        with sessions() as session:
            exercise = service.get(session, exercise_id=xid)
            clock = ExerciseClock.of(exercise, wall=wall)
            errors = []
            for inject in service.injects(session, exercise_id=xid):
                assert inject.fired_wall is not None
                planned = clock.wall_time_of(inject.due_at)
                assert planned is not None
                errors.append((inject.fired_wall - planned) / timedelta(seconds=1))
            service.stop(session, exercise_id=xid, wall=wall)
            session.commit()
        return errors
    finally:
        engine.dispose()


def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, settings in backends("drills", postgis_url=settings_url()):
        migrated(settings)
        engine = db.make_engine(settings)
        with db.make_sessionmaker(engine)() as session:
            loader.load_district(session, folder=REPO / "gis_data", clock=SystemClock())
            session.commit()
        engine.dispose()
        for speed, (over, every) in PLANS.items():
            steps = int(float(over.rstrip("s")) // every)
            offsets = [(1 + float(over.rstrip("s")) * k / steps) / speed for k in range(steps + 1)]
            baseline = asyncio.run(_baseline(offsets))
            errors = asyncio.run(_played(settings, speed))
            results[f"{name} ×{speed:g}"] = {"injects": _stats(errors), "baseline_sleep": _stats(baseline)}
    return results


def settings_url() -> str:
    from bench.support import POSTGIS_URL

    return POSTGIS_URL.rsplit("/", 1)[0] + "/commandpost_bench_drills"


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
