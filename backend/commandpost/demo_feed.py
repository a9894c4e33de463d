"""The demo feed: simulated gateways that keep the demo district alive through the public HTTP API.

Everything it sends is SIMULATED. `commandpost demo` (what `make run` runs) starts it beside the
server, `commandpost demo --no-feed` does not, and the dashboard says "simulated feed" in its top
bar while it runs.

- Every detector reports at its `expected_interval_s`, grouped by hazard source as one enterprise
  gateway would send them: quiet values with realistic noise (a slow random walk around a baseline
  well under the first alarm threshold), so the map stays healthy and the trend charts move.
- Rescue teams on duty (`available`) report their positions as vehicle terminals would: most stand
  at base, some patrol a stretch of the nearest road and come back. Teams sent to an incident are
  left alone within TEAMS_REFRESH_S (their real terminals would report them).

It is also the example a real gateway can copy: it uses only `GET /api/v1/sensors`, `/teams`,
`/roads`, `POST /api/v1/sensors/readings` and `POST /api/v1/teams/positions`.

    python -m commandpost.demo_feed --url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import httpx2 as httpx

log = logging.getLogger("commandpost.demo_feed")

Point = tuple[float, float]

# Where a quiet detector sits below its first alarm threshold, and how much it wanders (unit of the kind).
QUIET: dict[str, Callable[[float], tuple[float, float]]] = {
    "combustible_gas": lambda a1: (0.05 * a1, 0.02 * a1),  # a few %LEL
    "toxic_gas": lambda a1: (0.1 * a1, 0.04 * a1),  # ppm
    "temperature": lambda a1: (a1 - 8.0, 0.3),  # °C; also for cryogenic tanks (ethylene at −98 °C)
    "pressure": lambda a1: (0.7 * a1, 0.01 * abs(a1)),  # MPa
    "liquid_level": lambda a1: (0.7 * a1, 0.5),  # %
}
PATROL_SHARE = 0.25  # of the teams on duty
PATROL_SPEED_KMH = 30.0
PATROL_LENGTH_M = 4_000.0
PATROL_REPORT_S = 5.0  # a moving vehicle terminal reports often
BASE_REPORT_S = 60.0  # a parked one now and then
TEAMS_REFRESH_S = 10.0  # statuses change when teams are dispatched: leave them alone soon after


def metres(a: Point, b: Point) -> float:
    """Distance between two lon/lat points (equirectangular: plenty for a few kilometres)."""
    kx = 111_320.0 * math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot((b[0] - a[0]) * kx, (b[1] - a[1]) * 110_540.0)


@dataclass
class Detector:
    """One simulated detector: a random walk around a quiet baseline, never into alarm."""

    id: int
    hazard_source: int | None
    interval_s: float
    baseline: float
    noise: float
    ceiling: float
    floor: float
    value: float
    due: float

    @classmethod
    def of(cls, feature: dict[str, Any], *, start: float) -> Detector:
        p = feature["properties"]
        alarm_1 = float(p["alarm_1"])
        baseline, noise = QUIET.get(p["kind"], QUIET["pressure"])(alarm_1)
        floor = 0.0 if p["kind"] in ("combustible_gas", "toxic_gas") or baseline >= 0 else -math.inf
        return cls(
            id=int(p["id"]),
            hazard_source=p.get("hazard_source_id"),
            interval_s=float(p["expected_interval_s"]),
            baseline=baseline,
            noise=noise,
            # Well clear of the threshold: the demo shows a healthy district.
            ceiling=baseline + 0.6 * (alarm_1 - baseline),
            floor=floor,
            value=baseline,
            due=start,  # a gateway coming online reports everything at once
        )

    def read(self, rng: random.Random) -> float:
        self.value = self.baseline + 0.9 * (self.value - self.baseline) + rng.gauss(0.0, self.noise)
        self.value = min(self.ceiling, max(self.floor, self.value))
        return round(self.value, 3)


@dataclass
class Team:
    """A team on duty: parked at base, or patrolling a loop from base along a road and back."""

    id: int
    base: Point
    loop: list[Point] = field(default_factory=list)  # empty: stands at base
    started: float = 0.0
    due: float = 0.0

    @property
    def patrols(self) -> bool:
        return len(self.loop) > 1

    def where(self, now: float) -> tuple[Point, float | None]:
        """Position and heading (degrees from north) at `now`."""
        if not self.patrols:
            return self.base, None
        legs = [metres(a, b) for a, b in pairwise(self.loop)]
        travelled = ((now - self.started) * PATROL_SPEED_KMH / 3.6) % max(sum(legs), 1.0)
        for (a, b), length in zip(pairwise(self.loop), legs, strict=True):
            if travelled <= length and length > 0:
                f = travelled / length
                heading = math.degrees(math.atan2((b[0] - a[0]) * math.cos(math.radians(a[1])), b[1] - a[1]))
                return (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])), heading % 360
            travelled -= length
        return self.loop[-1], None


def patrol_loop(base: Point, roads: list[list[Point]]) -> list[Point]:
    """From base to the nearest road, along it for up to PATROL_LENGTH_M, and back the same way."""
    best: tuple[float, list[Point], int] | None = None
    for line in roads:
        for i, p in enumerate(line):
            d = metres(base, p)
            if best is None or d < best[0]:
                best = (d, line, i)
    if best is None:
        return []
    _, line, i = best
    # Drive the longer way along the road from where it is joined.
    ahead = line[i:] if len(line) - i >= i + 1 else line[: i + 1][::-1]
    out, run = [base, ahead[0]], 0.0
    for a, b in pairwise(ahead):
        if run >= PATROL_LENGTH_M:
            break
        out.append(b)
        run += metres(a, b)
    return out + out[-2::-1]


def _all_features(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    """Every feature of a layer, following its `next` links."""
    features: list[dict[str, Any]] = []
    url: str | None = f"/api/v1/{path}"
    while url:
        page = client.get(url)
        page.raise_for_status()
        body = page.json()
        features += body["features"]
        url = next((link["href"] for link in body.get("links", []) if link.get("rel") == "next"), None)
    return features


class DemoFeed:
    """The simulated gateways and vehicle terminals of the demo district. `step(now)` sends what is due."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        rng: random.Random | None = None,
        wallclock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.rng = rng or random.Random()
        self.wallclock = wallclock
        self.detectors: list[Detector] = []
        self.teams: dict[int, Team] = {}
        self.roads: list[list[Point]] = []
        self.teams_due = 0.0

    def start(self, now: float) -> None:
        """Learn the district's detectors and roads (the teams are read again every TEAMS_REFRESH_S)."""
        self.detectors = [Detector.of(f, start=now) for f in _all_features(self.client, "sensors")]
        self.roads = [
            [(float(x), float(y)) for x, y, *_ in f["geometry"]["coordinates"]]
            for f in _all_features(self.client, "roads")
            if f["geometry"] and f["geometry"]["type"] == "LineString"
        ]
        self.teams_due = now

    def refresh_teams(self, now: float) -> None:
        """Teams on duty report; one sent to an incident is left to its own terminal."""
        on_duty = {
            int(f["id"]): f
            for f in _all_features(self.client, "teams")
            if f["properties"]["status"] == "available" and f["geometry"]
        }
        for gone in set(self.teams) - set(on_duty):
            del self.teams[gone]
        for team_id, f in on_duty.items():
            if team_id in self.teams:
                continue
            lon, lat = (f["properties"]["base"] or f["geometry"]["coordinates"])[:2]
            base = (float(lon), float(lat))
            patrols = self.rng.random() < PATROL_SHARE
            loop = patrol_loop(base, self.roads) if patrols else []
            self.teams[team_id] = Team(team_id, base, loop, started=now, due=now)
        self.teams_due = now + TEAMS_REFRESH_S

    def step(self, now: float) -> float:
        """Send every reading and position due at `now` (monotonic seconds); when the next is due."""
        if now >= self.teams_due:
            self.refresh_teams(now)
        stamp = self.wallclock().isoformat()
        gateways: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
        for d in self.detectors:
            if now >= d.due:
                gateways[d.hazard_source].append({"sensor": d.id, "at": stamp, "value": d.read(self.rng)})
                # On schedule, not drifting: the next one is due one interval after this one was.
                d.due = max(d.due + d.interval_s, now + 0.5 * d.interval_s)
        for readings in gateways.values():
            self._post("/api/v1/sensors/readings", {"readings": readings})
        positions = []
        for team in self.teams.values():
            if now >= team.due:
                (lon, lat), heading = team.where(now)
                report: dict[str, Any] = {"team": team.id, "lon": lon, "lat": lat, "at": stamp}
                if heading is not None:
                    report |= {"heading": round(heading, 1), "speed": PATROL_SPEED_KMH}
                positions.append(report)
                team.due = now + (PATROL_REPORT_S if team.patrols else BASE_REPORT_S)
        if positions:
            self._post("/api/v1/teams/positions", {"positions": positions})
        upcoming = [d.due for d in self.detectors] + [t.due for t in self.teams.values()] + [self.teams_due]
        return min(upcoming)

    def _post(self, path: str, body: dict[str, Any]) -> None:
        # A gateway keeps going when the server hiccups; the next report carries on.
        try:
            self.client.post(path, json=body).raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("demo feed: %s refused: %s", path, exc)


def wait_ready(client: httpx.Client, *, timeout: float = 120.0, stop: threading.Event | None = None) -> None:
    """Wait until the server answers /readyz (it may still be starting)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{client.base_url} did not become ready in {timeout:.0f} s")
        if (stop or threading.Event()).wait(0.5):
            return


def run(url: str, *, stop: threading.Event | None = None, parent: int | None = None) -> None:
    """Feed the server at `url` until `stop` is set, or process `parent` (which started it) is gone."""
    stop = stop or threading.Event()
    with httpx.Client(base_url=url, timeout=30) as client:
        wait_ready(client, stop=stop)
        feed = DemoFeed(client)
        feed.start(time.monotonic())
        print(
            f"demo feed: SIMULATED readings for {len(feed.detectors)} detectors and positions of the "
            f"teams on duty → {url}",
            flush=True,
        )
        while not stop.is_set() and (parent is None or os.getppid() == parent):
            upcoming = feed.step(time.monotonic())
            stop.wait(max(0.0, upcoming - time.monotonic()))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m commandpost.demo_feed", description=__doc__.split("\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8000", help="the Command Post server to feed")
    p.add_argument("--parent", type=int, help="stop when this process (the server that started it) is gone")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with suppress(KeyboardInterrupt):
        run(args.url, parent=args.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
