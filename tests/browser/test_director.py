"""The drill director's console on the dashboard: start, speed, the inject log, the report."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx

from .conftest import Dashboard

SCENARIO = """\
format: commandpost-scenario/1
id: console
title: 导演台演练
setting: {start: "2026-12-10T02:00:00+08:00"}
injects:
  - {at: 60, kind: report, key: leak, type: leak, title: 导演台泄漏, hazard_source: H06}
  - {at: 120, kind: casualties, incident: leak, injured: 1}
  - {at: 180, kind: reading, sensor: S0028, value: 0.7}
objectives:
  - {id: dispatch, text: 5 分钟内调派, measure: first_dispatch, incident: leak, within: 5m}
"""


def test_the_director_starts_speeds_up_watches_the_injects_and_opens_the_report(
    dashboard: Dashboard, api: httpx.Client
) -> None:
    made = api.post("/exercises", json={"scenario": SCENARIO})
    assert made.status_code == 201, made.text
    xid = made.json()["id"]
    dashboard.open(f"/?exercise={xid}")
    page = dashboard.page
    console = page.locator("#drill-banner .director")
    console.locator(".director-injects").wait_for()
    assert "0/3" in console.locator(".director-injects").inner_text()
    assert "ready" in console.locator(".director-clock").inner_text()

    console.locator("button.director-start").click()
    console.locator("button.director-pause").wait_for()  # running: it can be paused now
    console.locator("select.director-speed").select_option("60")  # a minute a second
    page.wait_for_function(
        "document.querySelector('#drill-banner .director-injects').textContent.includes('3/3')",
        timeout=20_000,
    )
    exercise: dict[str, Any] = api.get(f"/exercises/{xid}").json()
    assert exercise["speed"] == 60 and exercise["status"] == "running"
    assert [
        f["properties"]["title"]
        for f in api.get("/incidents", params={"exercise_id": xid}).json()["features"]
    ] == ["导演台泄漏"]

    console.locator("button.director-stop").click()
    page.wait_for_function(
        "document.querySelector('#drill-banner .director-clock').textContent.includes('finished')",
        timeout=10_000,
    )
    report = console.locator("a.director-report")
    assert report.get_attribute("href") == f"/api/v1/exercises/{xid}/report.html"
    with page.context.expect_page() as opened:
        report.click()
    opened.value.wait_for_load_state()
    assert "5 分钟内调派" in opened.value.content()
    assert "missed" in opened.value.content()  # nobody dispatched anyone
