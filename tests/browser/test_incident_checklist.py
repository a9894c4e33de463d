"""The response-plan checklist on the incident panel, in a real Chromium: deadlines shown, the first
dispatch ticked by itself, an action ticked by the officer, and an overdue action highlighted.

The server here runs in this process on a frozen clock, so "six minutes later" is the server's own
time moved on, not a wait.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from commandpost.app import create_app
from commandpost.background import Jobs
from commandpost.clock import FrozenClock
from commandpost.config import Settings
from tests_support import uvicorn_in_thread

from .conftest import REPO, Dashboard, _cli

PARK = (118.945, 25.150)  # inside the petrochemical park
OFFICER = "值班员 测试"


@pytest.fixture(scope="module")
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture(scope="module")
def timed_server(
    dashboard_built: Path, tmp_path_factory: pytest.TempPathFactory, clock: FrozenClock
) -> Iterator[str]:
    """The demo district served on the test's clock; yields its base URL."""
    path = tmp_path_factory.mktemp("checklist") / "checklist.sqlite"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env["DATABASE_URL"] = f"sqlite:///{path}"
    _cli("migrate", env=env)
    _cli("load", str(REPO / "gis_data"), env=env)
    settings = Settings(database_url=f"sqlite:///{path}", redis_url=None, frontend_dist=dashboard_built)
    with uvicorn_in_thread(create_app(settings, clock=clock, jobs=Jobs.untimed)) as address:
        yield f"http://{address}"


def test_the_checklist_is_on_the_incident_panel_ticked_and_overdue(
    browser: Any, timed_server: str, clock: FrozenClock
) -> None:
    api = httpx.Client(base_url=timed_server + "/api/v1", timeout=30)
    reported = api.post(
        "/incidents",
        json={
            "type": "leak",
            "title": "浏览器测试：清单",
            "location": {"type": "Point", "coordinates": list(PARK)},
            "response_level": "II",
        },
    )
    assert reported.status_code == 201, reported.text
    incident_id = reported.json()["id"]
    plan = api.get("/response-plans/leak/II").json()
    minutes = {a["code"]: a["within_minutes"] for a in plan["actions"]}
    # This walk needs an action due before six minutes have passed and one due after.
    assert minutes["notify_leader"] < 6 < minutes["confirm_scene"]

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", bypass_csp=True)
    try:
        board = Dashboard(context.new_page(), timed_server)
        page = board.page
        page.goto(timed_server + "/")
        page.locator("#operator").fill(OFFICER)
        page.locator("#operator").dispatch_event("change")
        page.locator(f".incident-list li[data-id='{incident_id}']").click()
        section = page.locator(".incident-view .checklist")
        section.locator(".check-item").first.wait_for(timeout=30_000)

        def item(code: str) -> Any:
            return section.locator(f".check-item[data-code='{code}']")

        def wait_done(code: str) -> None:
            page.wait_for_function(
                "(code) => document.querySelector(`.check-item[data-code='${code}']`)"
                "?.dataset.status === 'done'",
                arg=code,
                timeout=30_000,
            )

        # Every action of the level II plan, with its deadline; nothing overdue yet.
        assert section.locator(".check-item").count() == len(plan["actions"])
        assert "危险化学品泄漏 II级响应" in section.inner_text()
        due = datetime.fromisoformat(reported.json()["properties"]["reported_at"]) + timedelta(
            minutes=minutes["notify_leader"]
        )
        assert due.astimezone().strftime("%H:%M") in item("notify_leader").inner_text()
        assert section.locator(".check-item.is-overdue").count() == 0

        # A team dispatched (here by another console) ticks "first teams dispatched" by itself.
        team = api.get(f"/incidents/{incident_id}/recommendations").json()["needs"][0]["candidates"][0]
        sent = api.post(
            f"/incidents/{incident_id}/assignments",
            json={"team_id": team["team_id"], "assigned_by": "调度员 陈静"},
        )
        assert sent.status_code == 201, sent.text
        wait_done("dispatch_first_response")
        assert "调度员 陈静" in item("dispatch_first_response").inner_text()

        # Six minutes on the server's clock: the officer ticks "confirm the scene"; "notify the leader"
        # (due after five) is now overdue and stands out.
        clock.advance(timedelta(minutes=6))
        item("confirm_scene").locator(".check-tick").click()
        wait_done("confirm_scene")
        late = item("notify_leader")
        late.and_(page.locator(".is-overdue")).wait_for(timeout=30_000)
        assert late.get_attribute("data-status") == "overdue"
        assert "已超时" in late.inner_text()
        background = late.evaluate("el => getComputedStyle(el).backgroundColor")
        assert background != item("report_city").evaluate("el => getComputedStyle(el).backgroundColor")
        assert "1 项超时" in section.inner_text()

        stored = {i["code"]: i for i in api.get(f"/incidents/{incident_id}/checklist").json()["items"]}
        assert (stored["confirm_scene"]["status"], stored["confirm_scene"]["done_by"]) == ("done", OFFICER)
        assert stored["confirm_scene"]["done_at"] == clock.now().isoformat()
        assert stored["notify_leader"]["status"] == "overdue"
        # The timeline says so too.
        page.locator(".timeline-list", has_text="已完成：核实现场情况并续报").wait_for(timeout=30_000)
        assert board.errors == []
    finally:
        context.close()
        api.close()


def test_closing_under_a_committed_team_offers_the_stand_down_then_reopens(
    browser: Any, timed_server: str
) -> None:
    api = httpx.Client(base_url=timed_server + "/api/v1", timeout=30)
    reported = api.post(
        "/incidents",
        json={
            "type": "fire",
            "title": "浏览器测试：结案",
            "location": {"type": "Point", "coordinates": list(PARK)},
        },
    )
    incident_id = reported.json()["id"]
    team = api.get(f"/incidents/{incident_id}/recommendations").json()["needs"][0]["candidates"][0]
    sent = api.post(f"/incidents/{incident_id}/assignments", json={"team_id": team["team_id"]})
    assert sent.status_code == 201, sent.text

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", bypass_csp=True)
    try:
        board = Dashboard(context.new_page(), timed_server)
        page = board.page
        page.goto(timed_server + "/")
        page.locator("#operator").fill(OFFICER)
        page.locator("#operator").dispatch_event("change")
        page.locator(f".incident-list li[data-id='{incident_id}']").click()
        view = page.locator(".incident-view")
        # No level yet: no checklist. Setting one on the panel opens that level's plan.
        view.locator(".checklist").wait_for(timeout=30_000)
        assert view.locator(".check-item").count() == 0
        view.locator("select.level-select").select_option("III")
        view.locator(".check-item").first.wait_for(timeout=30_000)
        fire_iii = api.get("/response-plans/fire/III").json()
        assert view.locator(".check-item").count() == len(fire_iii["actions"])
        assert api.get(f"/incidents/{incident_id}").json()["properties"]["response_level"] == "III"
        view.locator(".btn-status[data-status='closed']").click()
        # Refused: the team still on its way is named, and standing everything down is offered.
        blocked = view.locator(".close-blocked")
        blocked.wait_for(timeout=30_000)
        assert team["name"] in blocked.inner_text()
        assert api.get(f"/incidents/{incident_id}").json()["properties"]["status"] == "reported"
        blocked.locator(".btn-stand-down").click()
        view.locator(".reopen-form").wait_for(timeout=30_000)
        assert api.get(f"/incidents/{incident_id}").json()["properties"]["status"] == "closed"
        assert api.get(f"/teams/{team['team_id']}").json()["properties"]["status"] == "available"
        view.locator(".timeline-list", has_text="全部撤回").wait_for(timeout=30_000)
        # Reopened with a reason.
        view.locator(".reopen-form input[name=reason]").fill("现场复燃")
        view.locator(".reopen-form button[type=submit]").click()
        view.locator(".timeline-list", has_text="事件重新打开：现场复燃").wait_for(timeout=30_000)
        stored = api.get(f"/incidents/{incident_id}").json()["properties"]
        assert stored["status"] == "confirmed"
        assert view.locator(".reopen-form").count() == 0
        assert board.errors == []
    finally:
        context.close()
        api.close()
