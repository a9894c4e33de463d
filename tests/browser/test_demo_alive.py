"""The demo a newcomer opens (`commandpost demo`, what `make run` runs) is alive and says it is
simulated; a warning's card shows whom the duty roster called."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from browser.conftest import Dashboard, serving

REPO = Path(__file__).resolve().parents[2]
# The demo detectors report every 30 s or 60 s. Offline after 1.5 of THOSE intervals (not 3): a feed
# that misses one report is caught within the minute, and the sweep looks every second.
OFFLINE_AFTER_INTERVALS = 1.5
ACK_TIMEOUT_S = 4


@pytest.fixture(scope="module")
def demo(dashboard_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`commandpost demo`: migrate, load gis_data/, serve, and the simulated feed beside it."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env |= {
        "DATABASE_URL": f"sqlite:///{path}",
        "FRONTEND_DIST": str(dashboard_built),
        "SENSOR_OFFLINE_AFTER_INTERVALS": str(OFFLINE_AFTER_INTERVALS),
        "SWEEP_INTERVAL_S": "1",
        "WARNING_ACK_TIMEOUT_S": str(ACK_TIMEOUT_S),
    }
    with serving("demo", env=env, logfile=path.parent / "demo.log") as base:
        yield base


@pytest.fixture
def board(browser: Any, demo: str) -> Iterator[Dashboard]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", bypass_csp=True)
    board = Dashboard(context.new_page(), demo)
    yield board
    context.close()
    assert board.errors == [], f"errors in the page: {board.errors}"


def sensors(api: httpx.Client) -> list[dict[str, Any]]:
    props: list[dict[str, Any]] = [
        f["properties"] for f in api.get("/sensors", params={"limit": 10_000}).json()["features"]
    ]
    return props


def reported(sensor: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(sensor["last_reading_at"])


def test_a_minute_of_the_demo_feed_leaves_no_demo_detector_offline(board: Dashboard, demo: str) -> None:
    board.open()
    board.wait_live()
    badge = board.page.locator("#simulated")
    assert badge.is_visible() and badge.inner_text() == "模拟数据"
    attribution = board.page.locator(".maplibregl-ctrl-attrib").inner_text()
    assert "并非 OpenStreetMap" in attribution and "©" not in attribution

    with httpx.Client(base_url=demo + "/api/v1", timeout=30) as api:
        minute_later = datetime.now(UTC) + timedelta(minutes=1)
        seen_offline: set[str] = set()
        # Until every demo detector has reported after a full minute, none may go offline meanwhile.
        deadline = time.monotonic() + 150
        while True:
            now = sensors(api)
            assert len(now) == 65
            seen_offline |= {s["ref"] for s in now if s["state"] in ("offline", "fault")}
            if all(s["last_reading_at"] and reported(s) >= minute_later for s in now):
                break
            assert time.monotonic() < deadline, "the feed stopped reporting some detectors"
            time.sleep(1)  # polling the condition above, not waiting in its stead
        assert seen_offline == set()
    # The map shows the same: every detector drawn, none grey; and patrols move.
    assert board.js("window.__commandpost.counts().sensors") == 65
    states = board.js("window.__commandpost.store.features('sensors').map(f => f.properties.state)")
    assert set(states) == {"normal"}
    board.page.wait_for_function(
        """() => window.__commandpost.store.features('teams').some(f => {
            const [x, y] = f.geometry.coordinates, [bx, by] = f.properties.base;
            return Math.abs(x - bx) + Math.abs(y - by) > 0.001;
        })""",
        timeout=30_000,
    )


def test_a_warning_card_shows_whom_the_duty_roster_called(board: Dashboard, demo: str) -> None:
    with httpx.Client(base_url=demo + "/api/v1", timeout=30) as api:
        now = datetime.now(UTC)
        for person, rank in (("测试值班员 甲", 1), ("测试值班员 乙", 2)):
            shift = {
                "person": person,
                "role": "duty_officer",
                "rank": rank,
                "phone": "13800000000",
                "starts_at": (now - timedelta(hours=1)).isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
            }
            assert api.post("/duty/shifts", json=shift).status_code == 201
        board.open()
        board.wait_live()
        body = {
            "level": "orange",
            "title": "浏览器测试：无人确认的橙色预警",
            "area": {"type": "Point", "coordinates": [118.92, 25.14]},
            "issued_by": "测试",
        }
        created = api.post("/warnings", json=body)
        assert created.status_code == 201, created.text
        warning_id = created.json()["id"]
        card = board.page.locator(f"#feed li.warning[data-id='{warning_id}']")
        card.locator(".roster-call").first.wait_for(timeout=ACK_TIMEOUT_S * 1000 + 30_000)
        (call, *_) = api.get(f"/warnings/{warning_id}").json()["properties"]["roster_calls"]
        text = card.locator(".warning-roster").inner_text()
        assert call["person"] in text and "无人确认" in text
