"""PostgreSQL (with PostGIS) and Redis of the test session's own, when the machine's are not given.

`make test` on a newcomer's machine sets neither TEST_DATABASE_URL nor TEST_REDIS_URL: the tests
then start a throwaway PostgreSQL cluster and a throwaway Redis from the installed Debian binaries
(`scripts/install-system-deps.sh --test` installs them), on free loopback ports, in temporary
folders removed at the end, so every run covers both storage backends and the multi-process tests.
CI (`.ci/run`) sets both variables and uses the machine's own services instead.

PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user the Debian
package creates.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests_support import free_port

PG_ROOT = Path("/usr/lib/postgresql")
START_TIMEOUT_S = 60


@dataclass
class Service:
    """One service the tests use: where it is and how it came to be there (for the log's header)."""

    url: str | None
    how: str
    _stop: Callable[[], None] | None = field(default=None, repr=False)

    def stop(self) -> None:
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()


SERVICES: dict[str, Service] = {}


def ensure() -> None:
    """Point TEST_DATABASE_URL and TEST_REDIS_URL at throwaway services where they are not set."""
    if SERVICES:
        return
    for name, variable, start in (
        ("postgis", "TEST_DATABASE_URL", _start_postgresql),
        ("redis", "TEST_REDIS_URL", _start_redis),
    ):
        given = os.environ.get(variable)
        if given:
            SERVICES[name] = Service(given, f"the machine's, from {variable}")
            continue
        try:
            service = start()
        except Unavailable as exc:
            SERVICES[name] = Service(None, f"not tested: {exc}")
            continue
        SERVICES[name] = service
        os.environ[variable] = service.url or ""
    atexit.register(stop_all)


def stop_all() -> None:
    for service in SERVICES.values():
        service.stop()


class Unavailable(Exception):
    pass


# --- PostgreSQL ------------------------------------------------------------------------------


def _postgresql_binaries() -> tuple[Path, str]:
    """The newest installed PostgreSQL whose PostGIS extension is installed too."""
    versions = sorted((p.name for p in PG_ROOT.glob("*") if p.name.isdigit()), key=int, reverse=True)
    for version in versions:
        bindir = PG_ROOT / version / "bin"
        postgis = Path(f"/usr/share/postgresql/{version}/extension/postgis.control")
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists() and postgis.exists():
            return bindir, version
    raise Unavailable(
        "no PostgreSQL with PostGIS installed (`scripts/install-system-deps.sh --test` installs them), "
        "and TEST_DATABASE_URL is not set"
    )


def _as_cluster_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT_S)
    if result.returncode != 0:
        raise Unavailable(f"{what} failed: {(result.stderr or result.stdout).strip()[-500:]}")


def _start_postgresql() -> Service:
    bindir, version = _postgresql_binaries()
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise Unavailable("running as root and there is no `postgres` user to run PostgreSQL") from exc
    folder = Path(tempfile.mkdtemp(prefix="commandpost-test-postgresql-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    port = free_port()
    pg_ctl = str(bindir / "pg_ctl")

    def stop() -> None:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_cluster_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                timeout=START_TIMEOUT_S,
            )
        shutil.rmtree(folder, ignore_errors=True)

    try:
        _run(
            _as_cluster_owner(
                [
                    *(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"),
                    *("-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
                ]
            ),
            "initdb",
        )
        # Durability is not wanted of a database that is thrown away: no fsync, no full page writes.
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run(
            _as_cluster_owner(
                [
                    *(pg_ctl, "-D", str(data), "-l", str(folder / "server.log"), "-o", options),
                    *("-w", "-t", str(START_TIMEOUT_S), "start"),
                ]
            ),
            "pg_ctl start",
        )
    except BaseException:
        stop()
        raise
    return Service(
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/commandpost_test",
        f"a throwaway PostgreSQL {version} of this run ({bindir}, port {port}, in {folder})",
        stop,
    )


# --- Redis -----------------------------------------------------------------------------------


def _start_redis() -> Service:
    server = shutil.which("redis-server", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/bin")
    if server is None:
        raise Unavailable(
            "redis-server is not installed (`scripts/install-system-deps.sh --test` installs it), "
            "and TEST_REDIS_URL is not set"
        )
    folder = Path(tempfile.mkdtemp(prefix="commandpost-test-redis-"))
    port = free_port()
    process = subprocess.Popen(
        [
            *(server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            *("--dir", str(folder), "--logfile", str(folder / "redis.log")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)

    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                raise Unavailable(f"redis-server exited with {process.returncode} (see {folder})")
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise Unavailable("redis-server did not answer within a minute") from None
                time.sleep(0.05)
    except BaseException:
        stop()
        raise
    finally:
        client.close()
    return Service(url, f"a throwaway Redis of this run ({server}, port {port})", stop)
