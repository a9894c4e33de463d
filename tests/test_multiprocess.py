"""Several backend processes behind one PostGIS and one Redis show the same live picture.

Two real `commandpost serve` processes on loopback ports: a change sent to one reaches a websocket
client of the other, in order; a client moves between them without a gap; and when Redis goes away,
commands still commit and the stream delivers every one of them, once, when Redis is back.

Runs on the PostgreSQL and Redis of TEST_DATABASE_URL and TEST_REDIS_URL (CI sets both), or else on
the throwaway ones the test session starts (tests/throwaway_services.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import httpx2 as httpx
import pytest
import redis
from sqlalchemy import Engine

from commandpost.config import Settings
from test_stream import (
    create_team,
    events_of,
    logged_ids,
    move_team,
    open_stream,
    receive,
    receive_until,
)
from tests_support import free_port, served_in_process

POSTGIS_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")


def start_redis(port: int) -> subprocess.Popen[bytes]:
    """A private redis-server on `port` that keeps nothing on disk (a restart comes back empty)."""
    server = shutil.which("redis-server")
    assert server, "redis-server is needed for the outage test"
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return proc
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        client.close()


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


if POSTGIS_URL and REDIS_URL:
    pytestmark = pytest.mark.parametrize("backend_settings", ["postgis"], indirect=True)

    @pytest.fixture
    def server_env(settings: Settings) -> Iterator[dict[str, str]]:
        """Environment of the served processes: the test database, a stream key of their own."""
        assert REDIS_URL is not None
        key = f"commandpost:test-stream:{uuid.uuid4().hex}"
        yield {
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": REDIS_URL,
            "REDIS_STREAM_KEY": key,
            "STREAM_HEARTBEAT_SECONDS": "0.5",
        }
        client = redis.Redis.from_url(REDIS_URL)
        client.delete(key)
        client.close()

    def test_a_change_sent_to_one_process_reaches_clients_of_the_other_in_order(
        server_env: dict[str, str], engine: Engine
    ) -> None:
        with (
            served_in_process(server_env) as a,
            served_in_process(server_env) as b,
            httpx.Client(base_url=f"http://{a}") as to_a,
            httpx.Client(base_url=f"http://{b}") as to_b,
            open_stream(b) as on_b,
            open_stream(a) as on_a,
        ):
            assert receive(on_b)["type"] == "snapshot" and receive(on_a)["type"] == "snapshot"
            team = create_team(to_a)
            first = receive_until(on_b, lambda m: m["type"] == "event")[-1]
            assert first["event"] == "team.created" and first["payload"]["feature"] == team

            # Changes through both processes, one after the other: both clients see them all, in order.
            for i in range(20):
                team = move_team(to_a if i % 2 else to_b, team, 118.90 + i * 0.001, 25.12)
            logged = logged_ids(engine)
            for ws in (on_b, on_a):
                seen = events_of(receive_until(ws, lambda m: m["id"] == logged[-1]))
                assert [m["id"] for m in seen] == (logged[1:] if ws is on_b else logged)
                assert seen[-1]["payload"]["feature"] == team

        # A client that was on A resumes on B with its last id: the events it missed, nothing else.
        with served_in_process(server_env) as a2, httpx.Client(base_url=f"http://{a2}") as to_a2:
            for i in range(10):
                team = move_team(to_a2, team, 118.95, 25.10 + i * 0.001)
            missed = logged_ids(engine, after=logged[-1])
            with served_in_process(server_env) as b2, open_stream(b2, since=logged[-1]) as ws:
                messages = receive_until(ws, lambda m: m["type"] == "heartbeat" and m["id"] == missed[-1])
                assert messages[0] == {"type": "resumed", "id": logged[-1]}
                assert [m["id"] for m in events_of(messages)] == missed

    def test_commands_commit_while_redis_is_down_and_the_stream_delivers_them_all_once(
        server_env: dict[str, str], engine: Engine
    ) -> None:
        port = free_port()
        env = {**server_env, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
        redis_server = start_redis(port)
        try:
            with (
                served_in_process(env) as a,
                served_in_process(env) as b,
                httpx.Client(base_url=f"http://{a}") as to_a,
                httpx.Client(base_url=f"http://{b}") as to_b,
                open_stream(a) as on_a,
                open_stream(b) as on_b,
            ):
                for ws in (on_a, on_b):
                    assert receive(ws)["type"] == "snapshot"
                team = create_team(to_a)
                for ws in (on_a, on_b):
                    assert receive_until(ws, lambda m: m["type"] == "event")[-1]["event"] == "team.created"
                before = logged_ids(engine)

                stop(redis_server)
                for i in range(30):
                    team = move_team(to_b if i % 2 else to_a, team, 118.90, 25.10 + i * 0.001)
                committed = logged_ids(engine, after=before[-1])
                assert len(committed) == 30  # every command committed without Redis

                redis_server = start_redis(port)  # back on the same port, empty
                for ws in (on_a, on_b):
                    messages = receive_until(
                        ws, lambda m: m["type"] == "heartbeat" and m["id"] == committed[-1], timeout=30
                    )
                    assert [m["id"] for m in events_of(messages)] == committed
                    assert events_of(messages)[-1]["payload"]["feature"] == team
                    # Nothing delivered twice: only heartbeats follow.
                    assert receive(ws, timeout=5)["type"] == "heartbeat"
        finally:
            stop(redis_server)
