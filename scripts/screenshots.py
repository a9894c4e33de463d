"""Regenerate the dashboard screenshots in docs/ (referenced from the README).

    .venv/bin/python scripts/screenshots.py

Builds the frontend if needed, starts `commandpost serve` on a loopback port against a throwaway
SpatiaLite database loaded with gis_data/, plays a small scene through the API (a gas alarm, an
incident, a team dispatched, materials requested) and photographs the main views in headless
Chromium (/usr/bin/chromium, or $CHROMIUM). Nothing is downloaded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PARK = (118.945, 25.150)


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "commandpost.cli", *args],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )


@contextmanager
def served() -> Iterator[str]:
    """A fresh demo district behind a real server; yields its base URL."""
    subprocess.run(["make", "-s", "-C", str(REPO / "frontend"), "build"], check=True)
    with tempfile.TemporaryDirectory(prefix="cp-shots-") as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env["DATABASE_URL"] = f"sqlite:///{tmp}/shots.sqlite"
        _cli(env, "migrate")
        _cli(env, "load", str(REPO / "gis_data"))
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "commandpost.cli", "serve", "--port", str(port), "--log-level", "warning"],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            else:
                raise RuntimeError("commandpost serve did not start")
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def scene(api: httpx.Client) -> dict[str, Any]:
    """What the screenshots show: a detector's rising trend and alarm, an incident with a team sent."""
    sensors = api.get("/sensors", params={"limit": 1000, "kind": "toxic_gas"}).json()["features"]
    sensor = next(s for s in sensors if s["properties"]["hazard_source_id"])
    now = datetime.now(UTC)
    a2 = sensor["properties"]["alarm_2"]
    readings = [
        {
            "sensor": sensor["id"],
            "at": (now - timedelta(minutes=58 - 2 * i)).isoformat(),
            "value": round(a2 * (0.15 + 0.02 * i + (0.9 if i > 25 else 0) * (i - 25) / 4), 2),
        }
        for i in range(30)
    ]
    api.post("/sensors/readings", json={"readings": readings}).raise_for_status()
    api.post(
        "/warnings",
        json={
            "level": "yellow",
            "title": "台风“海葵”黄色预警：沿海地区注意防范",
            "area": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [118.955, 25.18],
                        [118.995, 25.18],
                        [118.995, 25.235],
                        [118.955, 25.235],
                        [118.955, 25.18],
                    ]
                ],
            },
            "issued_by": "区气象局",
        },
    ).raise_for_status()
    incident = api.post(
        "/incidents",
        json={
            "type": "leak",
            "title": "石化园区储罐区丙烯泄漏",
            "location": {"type": "Point", "coordinates": list(PARK)},
            "response_level": "II",
            "description": "3号球罐底阀渗漏，现场有刺激性气味，已启动企业应急预案",
            "reported_by": "值班员 林晓",
        },
    ).json()
    api.post(
        f"/incidents/{incident['id']}/timeline",
        json={"text": "园区专职消防队已出动，设置警戒区", "author": "值班员 林晓"},
    )
    recs = api.get(f"/incidents/{incident['id']}/recommendations")
    if recs.status_code == 200:
        needs = recs.json().get("needs", [])
        for need in needs[:2]:
            for cand in need.get("candidates", [])[:1]:
                api.post(
                    f"/incidents/{incident['id']}/assignments",
                    json={"team_id": cand["team_id"], "need": need["need"], "assigned_by": "调度员 陈静"},
                    headers={"Idempotency-Key": f"shot-{need['need']}"},
                )
        api.post(
            f"/incidents/{incident['id']}/material-requests",
            json={
                "items": [
                    {"material": "foam_concentrate", "quantity": 20},
                    {"material": "absorbent_boom", "quantity": 300},
                ],
                "requested_by": "现场指挥部 王队长",
            },
            headers={"Idempotency-Key": "shot-materials"},
        )
        sent = api.get(f"/incidents/{incident['id']}/assignments").json()["features"]
        if sent:
            api.post(
                f"/incidents/{incident['id']}/assignments/{sent[0]['id']}/status",
                json={"status": "en_route", "by": "调度员 陈静"},
            )
    for status in ("confirmed", "responding"):
        api.post(f"/incidents/{incident['id']}/status", json={"status": status, "by": "值班员 林晓"})
    return {"incident": incident["id"], "sensor": sensor}


def main() -> int:
    from playwright.sync_api import sync_playwright

    DOCS.mkdir(exist_ok=True)
    with served() as base, httpx.Client(base_url=base + "/api/v1", timeout=60) as api:
        facts = scene(api)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

            def page_at(path: str, width: int = 1920, height: int = 1080, lang: str | None = None) -> Any:
                context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
                page = context.new_page()
                page.on("console", lambda m: print("console:", m.text[:300]) if m.type == "error" else None)
                page.on("pageerror", lambda e: print("pageerror:", e))
                page.goto(base + path + (f"{'&' if '?' in path else '?'}lang={lang}" if lang else ""))
                page.wait_for_function("document.body.dataset.drawn === 'true'", timeout=90_000)
                page.wait_for_function("window.__commandpost.connection().state === 'live'", timeout=30_000)
                return page

            def settle(page: Any, camera: dict[str, Any] | None = None) -> None:
                """Move the camera (if asked) and wait for the map to finish drawing."""
                page.evaluate(
                    """(camera) => new Promise((resolve) => {
                        const map = window.__commandpost.map;
                        setTimeout(resolve, 10000);
                        map.once('idle', resolve);
                        if (camera) map.jumpTo(camera); else map.triggerRepaint();
                    })""",
                    camera,
                )

            def shot(page: Any, name: str) -> None:
                page.wait_for_timeout(1500)
                settle(page)
                page.screenshot(path=str(DOCS / name))
                print("wrote", DOCS / name)

            # 1. The overview on a video wall: everything live, the red alarm banner up.
            page = page_at("/")
            shot(page, "dashboard-overview.png")

            # 2. An incident selected: recommended teams with ETAs, routes, materials, timeline.
            page.locator(f".incident-list li[data-id='{facts['incident']}']").click()
            page.locator(".recommendations .reco, .recommendations .reco-unavailable").first.wait_for(
                timeout=30_000
            )
            page.locator(".btn-alert-ack").click()
            settle(page, {"center": [PARK[0] - 0.012, PARK[1] + 0.004], "zoom": 13.2})
            shot(page, "dashboard-incident.png")
            # ... and further down the same panel: who was sent, materials and where from, the log.
            page.locator(".incidents").evaluate("(el) => el.scrollTo(0, el.scrollHeight)")
            shot(page, "dashboard-incident-log.png")
            page.context.close()

            # 3. A detector clicked: its last hour against its alarm thresholds.
            page = page_at("/")
            # A fresh reading, so the detector is heard from (not offline) when photographed.
            sensor = facts["sensor"]
            api.post(
                "/sensors/readings",
                json={
                    "readings": [
                        {
                            "sensor": sensor["id"],
                            "at": datetime.now(UTC).isoformat(),
                            "value": round(sensor["properties"]["alarm_2"] * 1.7, 2),
                        }
                    ]
                },
            ).raise_for_status()
            lon, lat = sensor["geometry"]["coordinates"]
            settle(page, {"center": [lon, lat], "zoom": 16})
            x, y = page.evaluate(
                """([lon, lat]) => { const m = window.__commandpost.map; const p = m.project([lon, lat]);
                const r = m.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""",
                [lon, lat],
            )
            page.mouse.click(x, y)
            page.locator("#details .trend-box svg").wait_for(timeout=30_000)
            shot(page, "dashboard-sensor.png")
            page.context.close()

            # 4. English, on a dispatcher's laptop.
            page = page_at("/", 1366, 768, lang="en")
            shot(page, "dashboard-laptop-en.png")
            page.context.close()

            # 5. A drill: nobody mistakes it for the real thing.
            page = page_at("/?exercise=1")
            shot(page, "dashboard-drill.png")
            page.context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
