"""Benchmarks (c) and (d): live fan-out through Redis from two processes, and a reconnect storm.

Everything runs on this machine, over loopback: PostGIS (its own database), a private redis-server,
two `commandpost serve` processes, a writer committing team moves over HTTP through both, and
websocket dashboards, half on each process. Latency is from the event's `at` (taken inside the
committing transaction, before COMMIT, so it over-states commit-to-receipt a little) to the moment a
dashboard has the message. The dashboards are a bare RFC 6455 client (`LeanWebSocket`), the same
against our servers and the baseline: a `websockets` client costs tens of microseconds a message,
and 10,000 messages/s through it would measure the client on this 2-core machine.

- fanout_100_patch / fanout_100_positions: 100 dashboards, 100 events/s (10,000 deliveries/s). The
  events come either from PATCH /teams/{id} (one request per event) or from POST /teams/positions
  (a fleet gateway's batch, 10 units per request). Server CPU is measured under the same writes
  with and without the dashboards: the difference is what fan-out costs. The baseline is a plain
  `websockets` server broadcasting messages of the same size at the same rate to as many clients
  (encoded once, `websockets.broadcast`), measured in the same run.
- fanout_1000: 1,000 dashboards, 1 event/s.
- reconnect_storm: those 1,000 dashboards drop, changes commit while they are away, and all
  reconnect at once with their last ids; the time until every one holds every event up to the newest.

LIVE_FANOUT_SCALE (default 1.0) scales dashboards and rates down for a smaller machine.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2 as httpx
import redis
from sqlalchemy import create_engine, insert, text
from websockets.asyncio.client import connect

from bench.support import REPO, free_port, fresh_postgis
from commandpost import db, migrations
from commandpost.config import Settings
from commandpost.teams.models import Team

DATABASE_URL = os.environ.get(
    "BENCH_STREAM_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/commandpost_bench_stream"
)
SCALE = float(os.environ.get("LIVE_FANOUT_SCALE", "1.0"))
TEAMS = 400
# Each team's current version, shared by every writer of the run (edits are made under versions).
VERSIONS: dict[int, int] = {}
CLK = os.sysconf("SC_CLK_TCK")
EVENT_PREFIX = '{"type":"event","id":'
EVENT_PREFIX_BYTES = EVENT_PREFIX.encode()


# --- processes -----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


@contextlib.contextmanager
def own_redis() -> Iterator[str]:
    port = free_port()
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("redis-server not found")
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError):
                client.ping()
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def serve(env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """A `commandpost serve` process; yields (host:port, pid)."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "commandpost.cli", "serve", "--port", str(port), "--log-level", "warning"],
            env={**os.environ, **env},
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("server did not start: " + log.read().decode())
                time.sleep(0.1)
            yield f"127.0.0.1:{port}", proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def prepare_database() -> Settings:
    settings = fresh_postgis(DATABASE_URL)
    engine = db.make_engine(settings)
    migrations.upgrade(engine)
    rng = random.Random(3)
    now = datetime.now(UTC)
    rows = []
    for i in range(TEAMS):
        point = f"SRID=4326;POINT({rng.uniform(118.75, 118.98):.6f} {rng.uniform(25.09, 25.22):.6f})"
        rows.append(
            {
                "name": f"泉港区救援队 {i}",
                "kind": "fire_rescue",
                "tier": "enterprise",
                "headcount": 20,
                "capabilities": ["firefighting", "foam"],
                "vehicles": [{"type": "foam tender", "count": 2}],
                "equipment": ["SCBA ×20"],
                "base": point,
                "position": point,
                "status": "available",
                "updated_at": now,
                "version": 1,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Team), rows)
    engine.dispose()
    return settings


def newest_event_id(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        newest = conn.scalar(text("SELECT coalesce(max(id), 0) FROM events"))
    engine.dispose()
    return int(newest or 0)


# --- dashboards ----------------------------------------------------------------------------


class LeanWebSocket(asyncio.Protocol):
    """A bare RFC 6455 client: handshake, unmasked server frames in, pongs out; nothing else.

    The `websockets` client costs tens of microseconds a message; 10,000 messages/s through it would
    need more CPU than this 2-core machine has left beside the servers, and would measure the client.
    """

    def __init__(self, path: str, host: str, on_text: Any, closed: asyncio.Future[None]) -> None:
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.on_text = on_text
        self.closed = closed
        self.buffer = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(buf[:end].decode())
            del buf[: end + 4]
            self.upgraded = True
        at = 0
        size = len(buf)
        while size - at >= 2:
            opcode, length, head = buf[at] & 0x0F, buf[at + 1] & 0x7F, 2
            if length == 126:
                if size - at < 4:
                    break
                length, head = int.from_bytes(buf[at + 2 : at + 4]), 4
            elif length == 127:
                if size - at < 10:
                    break
                length, head = int.from_bytes(buf[at + 2 : at + 10]), 10
            if size - at < head + length:
                break
            payload = bytes(buf[at + head : at + head + length])
            at += head + length
            if opcode == 1:
                self.on_text(payload)
            elif opcode == 9:  # ping → pong, masked as clients must
                mask = os.urandom(4)
                body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                assert self.transport is not None
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + mask + body)
            elif opcode == 8 and self.transport is not None:
                self.transport.close()
        del buf[:at]


@dataclass
class Dashboard:
    """One websocket client: the ids it holds and how late each event reached it."""

    address: str
    last_id: int = 0
    ids: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    duplicates: int = 0
    snapshots: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    transport: asyncio.BaseTransport | None = None
    closing: bool = False

    def on_text(self, message: bytes) -> None:
        now = time.time()
        if message.startswith(EVENT_PREFIX_BYTES):
            # Read the id and time without decoding the whole message.
            comma = message.index(b",", 21)
            event_id = int(message[21:comma])
            at = message[comma + 7 : message.index(b'"', comma + 7)].decode()
            if event_id <= self.last_id:
                self.duplicates += 1
                return
            self.latencies.append(now - datetime.fromisoformat(at).timestamp())
            self.ids.append(event_id)
            self.last_id = event_id
        else:
            decoded = json.loads(message)
            self.last_id = max(self.last_id, decoded["id"])
            if decoded["type"] == "snapshot":
                self.snapshots += 1
            self.ready.set()

    async def run(self, since: int | None = None, *, path: str | None = None) -> None:
        """Connect (to the stream, or to `path`) and read until the connection ends."""
        if path is None:
            path = "/api/v1/stream?layers=teams" + (f"&since={since}" if since is not None else "")
        host, port = self.address.split(":")
        loop = asyncio.get_running_loop()
        closed: asyncio.Future[None] = loop.create_future()
        self.closing = False
        self.transport, _ = await loop.create_connection(
            lambda: LeanWebSocket(path, self.address, self.on_text, closed), host, int(port)
        )
        if self.closing:
            self.transport.close()
        await closed

    async def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()


async def start_dashboards(
    addresses: list[str], count: int
) -> tuple[list[Dashboard], list[asyncio.Task[None]]]:
    boards = [Dashboard(addresses[i % len(addresses)]) for i in range(count)]
    tasks: list[asyncio.Task[None]] = []
    for i in range(0, count, 50):  # 50 at a time, as browsers arriving
        chunk = boards[i : i + 50]
        tasks += [asyncio.create_task(b.run()) for b in chunk]
        await asyncio.wait_for(asyncio.gather(*(b.ready.wait() for b in chunk)), 120)
    return boards, tasks


async def stop(boards: list[Dashboard], tasks: list[asyncio.Task[None]]) -> None:
    await asyncio.gather(*(b.close() for b in boards), return_exceptions=True)
    await asyncio.gather(*tasks, return_exceptions=True)


# --- the writer ----------------------------------------------------------------------------


class Writer:
    """Moves teams over HTTP at a steady rate of events, alternating between the processes.

    `batch` 1 edits one team per request (PATCH /teams/{id}, under its version); more reports that
    many units' positions per request (POST /teams/positions, what a fleet gateway sends).
    """

    def __init__(self, addresses: list[str], *, batch: int = 1) -> None:
        self.clients = [httpx.AsyncClient(base_url=f"http://{a}", timeout=30) for a in addresses]
        self.versions = VERSIONS
        self.batch = batch
        self.free: list[int] = list(range(1, TEAMS + 1))
        self.failed = 0
        self.rng = random.Random(5)

    def _point(self) -> tuple[float, float]:
        return self.rng.uniform(118.75, 118.98), self.rng.uniform(25.09, 25.22)

    async def move(self, n: int) -> None:
        client = self.clients[n % len(self.clients)]
        teams = [self.free.pop(0) for _ in range(self.batch)]
        try:
            if self.batch == 1:
                lon, lat = self._point()
                team_id = teams[0]
                for _attempt in range(2):
                    response = await client.patch(
                        f"/api/v1/teams/{team_id}",
                        json={
                            "position": {"type": "Point", "coordinates": [lon, lat]},
                            "version": self.versions.get(team_id, 1),
                        },
                    )
                    if response.status_code == 200:
                        self.versions[team_id] = response.json()["properties"]["version"]
                        break
                    if response.status_code != 409:
                        break
                    # Moved by a position report since: edit the version stored now.
                    self.versions[team_id] = response.json()["current"]["properties"]["version"]
            else:
                reports = []
                for team_id in teams:
                    lon, lat = self._point()
                    reports.append({"team": team_id, "lon": lon, "lat": lat})
                response = await client.post("/api/v1/teams/positions", json={"positions": reports})
            if response.status_code != 200:
                self.failed += 1
        finally:
            self.free += teams

    async def run(self, rate: float, seconds: float) -> None:
        """`rate` events a second for `seconds`."""
        loop = asyncio.get_running_loop()
        requests = rate / self.batch
        start = loop.time()
        pending: set[asyncio.Task[None]] = set()
        for n in range(int(requests * seconds)):
            await asyncio.sleep(max(0.0, start + n / requests - loop.time()))
            task = asyncio.create_task(self.move(n))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


def note(message: str) -> None:
    print(f"[live_fanout {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def summary(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"count": 0}
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000, 1)

    return {
        "count": len(ordered),
        "p50_ms": pct(0.5),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


# --- the plain websockets broadcast baseline -----------------------------------------------


def baseline_server(port: int, clients: int, rate: float, seconds: float, body: str) -> None:
    """A bare `websockets` server broadcasting `body`-sized events to `clients` at `rate`."""
    from websockets.asyncio.server import broadcast
    from websockets.asyncio.server import serve as ws_serve

    async def main() -> None:
        connected: set[Any] = set()

        async def handler(ws: Any) -> None:
            connected.add(ws)
            try:
                await ws.wait_closed()
            finally:
                connected.discard(ws)

        async with ws_serve(handler, "127.0.0.1", port, compression=None):
            while len(connected) < clients:
                await asyncio.sleep(0.01)
            loop = asyncio.get_running_loop()
            start, cpu = loop.time(), time.process_time()
            for n in range(1, int(rate * seconds) + 1):
                await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
                at = datetime.now(UTC).isoformat()
                broadcast(connected, f'{EVENT_PREFIX}{n},"at":"{at}"{body}')
            await asyncio.sleep(0.5)
            print(f"{time.process_time() - cpu} {loop.time() - start}", flush=True)

    asyncio.run(main())


async def measure_baseline(clients: int, rate: float, seconds: float, body: str) -> dict[str, Any]:
    note(f"baseline: {clients} clients, {rate:g} events/s")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from bench.live_fanout import baseline_server; a = sys.argv; "
            "baseline_server(int(a[1]), int(a[2]), float(a[3]), float(a[4]), a[5])",
            str(port),
            str(clients),
            str(rate),
            str(seconds),
            body,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
    )
    try:
        boards = [Dashboard(f"127.0.0.1:{port}") for _ in range(clients)]
        tasks = [asyncio.create_task(_until_served(b)) for b in boards]
        assert proc.stdout is not None
        line = await asyncio.to_thread(proc.stdout.readline)
        cpu, elapsed = (float(x) for x in line.split())
        await asyncio.gather(*tasks, return_exceptions=True)
        latencies = [x for b in boards for x in b.latencies]
        return {
            "server_cpu_s": round(cpu, 3),
            "server_cpu_percent": round(100 * cpu / elapsed, 1),
            "deliveries": len(latencies),
            "latency": summary(latencies),
        }
    finally:
        proc.wait(timeout=30)


async def _until_served(board: Dashboard) -> None:
    """Connect once the baseline server listens; read until it closes."""
    for _ in range(200):
        try:
            await board.run(path="/")
            return
        except OSError:
            await asyncio.sleep(0.05)


# --- the scenarios -------------------------------------------------------------------------


async def fanout(
    addresses: list[str],
    pids: list[int],
    settings: Settings,
    *,
    dashboards: int,
    rate: float,
    seconds: float,
    idle_cpu: bool,
    batch: int = 1,
) -> dict[str, Any]:
    """`dashboards` clients on the processes while the writer commits `rate` events/s."""
    note(f"{dashboards} dashboards, {rate:g} events/s for {seconds:g}s, batches of {batch}")
    out: dict[str, Any] = {
        "dashboards": dashboards,
        "events_per_s": rate,
        "seconds": seconds,
        "writes": "PATCH /teams/{id}, one event each"
        if batch == 1
        else f"POST /teams/positions, {batch} units (events) each",
    }
    writer = Writer(addresses, batch=batch)
    try:
        if idle_cpu:  # the same writes with nobody watching: what the servers spend on the commands
            cpu0, t0 = sum(cpu_seconds(p) for p in pids), time.monotonic()
            await writer.run(rate, seconds)
            out["server_cpu_without_dashboards_s"] = round(sum(cpu_seconds(p) for p in pids) - cpu0, 3)
            out["elapsed_without_dashboards_s"] = round(time.monotonic() - t0, 2)
        boards, tasks = await start_dashboards(addresses, dashboards)
        await asyncio.sleep(1.0)
        first = await asyncio.to_thread(newest_event_id, settings)
        for b in boards:
            b.latencies.clear()
        cpu0, t0 = sum(cpu_seconds(p) for p in pids), time.monotonic()
        await writer.run(rate, seconds)
        written = time.monotonic() - t0
        newest = await asyncio.to_thread(newest_event_id, settings)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and min(b.last_id for b in boards) < newest:
            await asyncio.sleep(0.05)
        cpu = sum(cpu_seconds(p) for p in pids) - cpu0
        elapsed = time.monotonic() - t0
        latencies = [x for b in boards for x in b.latencies]
        committed = newest - first
        complete = sum(
            1
            for b in boards
            if [i for i in b.ids if first < i <= newest] == list(range(first + 1, newest + 1))
        )
        out.update(
            {
                "committed": committed,
                "write_seconds": round(written, 2),
                "refused_requests": writer.failed,
                "deliveries": len(latencies),
                "dashboards_with_every_event_in_order": complete,
                "duplicates": sum(b.duplicates for b in boards),
                "overflow_snapshots": sum(b.snapshots for b in boards) - dashboards,
                "latency": summary(latencies),
                "server_cpu_s": round(cpu, 3),
                "server_cpu_percent": round(100 * cpu / elapsed, 1),
            }
        )
        if idle_cpu:
            out["fanout_cpu_s"] = round(cpu - out["server_cpu_without_dashboards_s"], 3)
        out["_boards"] = (boards, tasks)
        return out
    finally:
        await writer.close()


async def storm(
    addresses: list[str], boards: list[Dashboard], tasks: list[asyncio.Task[None]], settings: Settings
) -> dict[str, Any]:
    """Every dashboard drops; 5 s of changes; all reconnect at once with their last ids."""
    note(f"reconnect storm of {len(boards)} dashboards")
    await stop(boards, tasks)
    note("all dropped")
    writer = Writer(addresses)
    try:
        await writer.run(10, 5 * SCALE)
    finally:
        await writer.close()
    newest = newest_event_id(settings)
    note(f"changes made while they were away, newest {newest}")
    behind = [newest - b.last_id for b in boards]
    for b in boards:
        b.ready = asyncio.Event()
        b.snapshots = 0
    start = time.monotonic()
    new_tasks = [asyncio.create_task(b.run(since=b.last_id)) for b in boards]
    deadline = start + 60
    while time.monotonic() < deadline and not (
        all(b.ready.is_set() for b in boards) and min(b.last_id for b in boards) >= newest
    ):
        await asyncio.sleep(0.02)
    consistent_after = time.monotonic() - start
    note("reconnected")
    caught_up = sum(1 for b in boards if b.last_id >= newest)
    result = {
        "dashboards": len(boards),
        "events_missed_each": {"min": min(behind), "max": max(behind)},
        "all_consistent_s": round(consistent_after, 2),
        "consistent": caught_up,
        "snapshots_instead_of_resume": sum(b.snapshots for b in boards),
        "duplicates": sum(b.duplicates for b in boards),
    }
    await stop(boards, new_tasks)
    return result


async def scenario(settings: Settings) -> dict[str, Any]:
    results: dict[str, Any] = {"scale": SCALE, "machine_cores": os.cpu_count()}
    with own_redis() as redis_url:
        env = {
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": redis_url,
            "STREAM_HEARTBEAT_SECONDS": "5",
        }
        with serve(env) as (a, pid_a), serve(env) as (b, pid_b):
            addresses, pids = [a, b], [pid_a, pid_b]
            # Warm both processes (imports, pools) and take one real event's text for the baseline.
            warm = await fanout(addresses, pids, settings, dashboards=2, rate=20, seconds=1, idle_cpu=False)
            boards, tasks = warm.pop("_boards")
            await stop(boards, tasks)

            rate, seconds = 100 * SCALE, 10.0
            modes = {"fanout_100_patch": 1}
            if "/api/v1/teams/positions" in httpx.get(f"http://{a}/openapi.json").json()["paths"]:
                modes["fanout_100_positions"] = 10
            for name, batch in modes.items():
                hundred = await fanout(
                    addresses,
                    pids,
                    settings,
                    dashboards=int(100 * SCALE),
                    rate=rate,
                    seconds=seconds,
                    idle_cpu=True,
                    batch=batch,
                )
                boards, tasks = hundred.pop("_boards")
                await stop(boards, tasks)
                results[name] = hundred

            thousand = await fanout(
                addresses, pids, settings, dashboards=int(1000 * SCALE), rate=1, seconds=20, idle_cpu=False
            )
            boards, tasks = thousand.pop("_boards")
            results["fanout_1000"] = thousand
            results["reconnect_storm"] = await storm(addresses, boards, tasks, settings)

            body = await sample_body(a)
    results["baseline_broadcast_100"] = await measure_baseline(int(100 * SCALE), 100 * SCALE, 10.0, body)
    base = results["baseline_broadcast_100"]["server_cpu_s"]
    for name in ("fanout_100_patch", "fanout_100_positions"):
        if name in results and base > 0:
            fan = results[name]
            fan["fanout_cpu_vs_baseline"] = round(fan["fanout_cpu_s"] / base, 2)
            fan["total_cpu_vs_baseline"] = round(fan["server_cpu_s"] / base, 2)
    return results


async def sample_body(address: str) -> str:
    """The tail (after `at`) of a real team.updated message, so the baseline sends the same size."""
    async with connect(f"ws://{address}/api/v1/stream?since=0&layers=teams", compression=None) as ws:
        await ws.recv()  # resumed
        message = await ws.recv()
    assert isinstance(message, str) and message.startswith(EVENT_PREFIX)
    comma = message.index(",", 21)
    return message[message.index('"', comma + 7) + 1 :]


def run() -> dict[str, Any]:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 16384), hard))
    settings = prepare_database()
    return asyncio.run(scenario(settings))


if __name__ == "__main__":
    print(json.dumps(run(), indent=1, ensure_ascii=False))
