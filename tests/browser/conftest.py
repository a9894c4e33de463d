"""A real dashboard to drive: the built frontend, a `commandpost serve` process on a loopback port
against a temporary SpatiaLite database loaded with gis_data/, and headless Chromium from the system.

Nothing is downloaded: Playwright drives /usr/bin/chromium (set CHROMIUM to use another binary).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests_support import free_port, served_in_process

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Rendering is software (SwiftShader) on 2 shared cores: give the first frame time.
DRAWN_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "commandpost.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def dashboard_built() -> Path:
    """frontend/dist, built from the lock file when the sources are newer (`make -C frontend build`)."""
    if shutil.which("npm") is None or shutil.which("make") is None:
        pytest.fail("the browser tests need make and npm to build the dashboard (frontend/)")
    subprocess.run(["make", "-s", "-C", str(REPO / "frontend"), "build"], check=True, timeout=600)
    dist = REPO / "frontend" / "dist"
    assert (dist / "index.html").exists()
    return dist


@pytest.fixture(scope="session")
def server(dashboard_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `commandpost serve` with the demo district loaded; yields its base URL."""
    path = tmp_path_factory.mktemp("dashboard") / "dashboard.sqlite"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env["DATABASE_URL"] = f"sqlite:///{path}"
    env["FRONTEND_DIST"] = str(dashboard_built)
    _cli("migrate", env=env)
    _cli("load", str(REPO / "gis_data"), env=env)
    with (
        (path.parent / "server.log").open("w+b") as log,
        served_in_process(env, timeout=60, log=log, inherit=False) as address,
    ):
        yield f"http://{address}"


@contextmanager
def serving(command: str, *args: str, env: dict[str, str], logfile: Path) -> Iterator[str]:
    """`commandpost <command> --port <free port>` as a process; yields its base URL once it answers."""
    port = free_port()
    log = logfile.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "commandpost.cli",
            command,
            "--port",
            str(port),
            "--log-level",
            "warning",
            *args,
        ],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"commandpost {command} did not start:\n" + logfile.read_text())
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server + "/api/v1", timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM} (install the `chromium` package or set CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Dashboard:
    """One open dashboard page, with the helpers the tests share."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        self.sockets: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("websocket", lambda ws: self.sockets.append(ws.url))

    def open(self, path: str = "/") -> Dashboard:
        self.page.goto(self.base + path)
        self.wait_drawn()
        return self

    def wait_drawn(self) -> None:
        self.page.wait_for_function("document.body.dataset.drawn === 'true'", timeout=DRAWN_TIMEOUT_MS)

    def wait_live(self) -> None:
        self.page.wait_for_function("window.__commandpost.connection().state === 'live'", timeout=20_000)

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def screen_point(self, lon: float, lat: float) -> tuple[float, float]:
        """Where a place is on the page, in CSS pixels."""
        x, y = self.js(
            """([lon, lat]) => {
                const m = window.__commandpost.map;
                const p = m.project([lon, lat]);
                const r = m.getCanvas().getBoundingClientRect();
                return [r.left + p.x, r.top + p.y];
            }""",
            [lon, lat],
        )
        return float(x), float(y)

    def click_map(self, lon: float, lat: float) -> None:
        x, y = self.screen_point(lon, lat)
        self.page.mouse.click(x, y)

    def wait_team_at(self, team_id: int, lon: float, lat: float, timeout: int = 20_000) -> None:
        self.page.wait_for_function(
            """([id, lon, lat]) => window.__commandpost.renderedAt('teams', [lon, lat], 4).includes(id)""",
            arg=[team_id, lon, lat],
            timeout=timeout,
        )


@pytest.fixture
def dashboard(browser: Any, server: str) -> Iterator[Dashboard]:
    # The helpers wait on JavaScript expressions, which the dashboard's policy (no eval) would block;
    # test_content_security_policy opens the dashboard with the policy enforced.
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    board = Dashboard(page, server)
    yield board
    context.close()
    assert board.errors == [], f"errors in the page: {board.errors}"
