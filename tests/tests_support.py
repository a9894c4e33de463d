"""Small helpers shared by tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx2 as httpx
import uvicorn

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the `commandpost` console script of this interpreter's environment."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "commandpost.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=REPO,
    )


def free_port() -> int:
    """A loopback port nobody listens on just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def uvicorn_in_thread(app: Any) -> Iterator[str]:
    """`app` on a real uvicorn server on a loopback port, in a thread of this process; yields host:port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def served_in_process(
    env: dict[str, str], *, timeout: float = 30, log: IO[bytes] | None = None, inherit: bool = True
) -> Iterator[str]:
    """`commandpost serve` as its own process on a loopback port, once it answers; yields host:port.

    `env` is added to this process's environment (or, without `inherit`, is the whole of it). The
    server's log goes to `log` (a private temporary file if none), and is in the error when it does
    not start.
    """
    port = free_port()
    address = f"127.0.0.1:{port}"
    with tempfile.TemporaryFile() as own_log:
        out = log or own_log
        proc = subprocess.Popen(
            [sys.executable, "-m", "commandpost.cli", "serve", "--port", str(port), "--log-level", "warning"],
            env={**os.environ, **env} if inherit else env,
            cwd=REPO,
            stdout=subprocess.DEVNULL if log is None else out,
            stderr=out if log is None else subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if httpx.get(f"http://{address}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    out.flush()
                    out.seek(0)
                    raise RuntimeError(
                        f"commandpost serve did not start:\n{out.read().decode(errors='replace')}"
                    )
                time.sleep(0.1)
            yield address
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def create_hazard_source(client: Any, ref: str = "H01") -> int:
    """A major hazard source (a propylene tank farm) made over the API; its id."""
    response = client.post(
        "/api/v1/hazard-sources",
        json={
            "ref": ref,
            "enterprise": "福建联合石油化工有限公司",
            "name": f"罐区 {ref}",
            "site": {"type": "Point", "coordinates": [118.923, 25.142]},
            "chemicals": [{"name": "丙烯", "cas": "115-07-1", "quantity_t": 4000}],
        },
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])
