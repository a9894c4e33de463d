"""The map dashboard in a real Chromium against a real server: what a duty officer sees and does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx2 as httpx
import pytest

from .conftest import Dashboard

# What the demo district holds (gis_data/), and so what the map must draw.
DEMO_COUNTS = {"teams": 132, "depots": 12, "hazard-sources": 13, "sensors": 65, "shelters": 12}
PARK = (118.945, 25.150)  # inside the petrochemical park


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _team(api: httpx.Client, ref: str) -> dict[str, Any]:
    teams = api.get("/teams", params={"limit": 1000}).json()["features"]
    return next(t for t in teams if t["properties"]["ref"] == ref)


def _move(api: httpx.Client, team_id: int, lon: float, lat: float) -> None:
    """Report a unit's position the way a vehicle terminal does."""
    r = api.post(f"/teams/{team_id}/position", json={"lon": lon, "lat": lat, "at": _now()})
    assert r.status_code == 200, r.text


def test_map_draws_every_demo_layer(dashboard: Dashboard, api: httpx.Client) -> None:
    dashboard.open()
    dashboard.wait_live()
    counts = dashboard.js("window.__commandpost.counts()")
    for layer, expected in DEMO_COUNTS.items():
        assert counts[layer] == expected, layer
        # Drawn on the map, not only held: every feature is rendered in the district view.
        assert dashboard.js(f"window.__commandpost.rendered('{layer}')") == expected, layer
    for layer in ("boundary", "water", "park", "roads", "towns"):
        assert dashboard.js(f"window.__commandpost.rendered('{layer}')") > 0, layer
    assert dashboard.js("window.__commandpost.rendered('roads')") == len(
        api.get("/roads", params={"limit": 10000}).json()["features"]
    )
    page = dashboard.page
    # The legend names team statuses; the header counts the district's teams and people.
    assert page.locator(".layer-row[data-layer=teams] .legend").inner_text().count("待命") == 1
    assert "队伍 132 支" in page.locator("#stats").inner_text()
    assert "人员 2,548 人" in page.locator("#stats").inner_text()
    assert page.locator("#conn").get_attribute("data-state") == "live"


def test_a_reported_position_moves_the_team_without_reload(dashboard: Dashboard, api: httpx.Client) -> None:
    team = _team(api, "T050")
    team_id = team["id"]
    before = team["geometry"]["coordinates"]
    dashboard.open()
    dashboard.wait_live()
    dashboard.wait_team_at(team_id, *before)
    dashboard.js("window.__sameDocument = true")
    target = (118.80, 25.20)
    _move(api, team_id, *target)
    dashboard.wait_team_at(team_id, *target)
    assert team_id not in dashboard.js(
        "([lon, lat]) => window.__commandpost.renderedAt('teams', [lon, lat], 4)", before
    )
    assert dashboard.js("window.__sameDocument") is True


def test_after_a_dropped_connection_the_map_catches_up_from_the_last_event(
    dashboard: Dashboard, api: httpx.Client
) -> None:
    team_id = _team(api, "T051")["id"]
    dashboard.open()
    dashboard.wait_live()
    before = dashboard.js("window.__commandpost.connection()")
    dashboard.js("window.__sameDocument = true")
    dashboard.js("window.__commandpost.drop()")
    # Changes while the dashboard is away: it must see all of them after it reconnects.
    _move(api, team_id, 118.78, 25.19)
    _move(api, team_id, 118.79, 25.21)
    dashboard.wait_team_at(team_id, 118.79, 25.21)
    after = dashboard.js("window.__commandpost.connection()")
    assert after["state"] == "live"
    assert after["stats"]["connections"] == before["stats"]["connections"] + 1
    assert after["lastEventId"] > before["lastEventId"]
    assert after["stats"]["duplicates"] == 0
    assert dashboard.js("window.__sameDocument") is True  # the same page, never reloaded
    assert dashboard.page.locator("#conn").get_attribute("data-state") == "live"


def test_create_an_incident_by_clicking_the_map(dashboard: Dashboard, api: httpx.Client) -> None:
    dashboard.open()
    page = dashboard.page
    page.locator("#new-incident").click()
    assert page.locator("body.picking").count() == 1
    dashboard.click_map(*PARK)
    page.locator(".incident-form input[name=title]").fill("浏览器测试：储罐区泄漏")
    page.locator(".incident-form select[name=type]").select_option("leak")
    page.locator(".incident-form select[name=response_level]").select_option("II")
    page.locator(".incident-form button[type=submit]").click()
    view = page.locator(".incident-view")
    view.wait_for()
    assert "浏览器测试：储罐区泄漏" in view.inner_text()
    incident_id = int(view.get_attribute("data-id") or 0)
    stored = api.get(f"/incidents/{incident_id}").json()
    assert stored["properties"]["type"] == "leak"
    assert stored["properties"]["response_level"] == "II"
    lon, lat = stored["geometry"]["coordinates"]
    assert abs(lon - PARK[0]) < 0.002 and abs(lat - PARK[1]) < 0.002
    # It is on the map and in the list.
    page.wait_for_function(
        "([id, lon, lat]) => window.__commandpost.renderedAt('incidents', [lon, lat], 6).includes(id)",
        arg=[incident_id, lon, lat],
    )
    page.locator(".view-nav button").first.click()
    assert page.locator(f".incident-list li[data-id='{incident_id}']").count() == 1


def open_new_incident(
    dashboard: Dashboard, api: httpx.Client, type_: str, title: str, at: list[float], level: str
) -> int:
    """Report an incident through the API, open the dashboard and select it in the incident panel."""
    created = api.post(
        "/incidents",
        json={
            "type": type_,
            "title": title,
            "location": {"type": "Point", "coordinates": at},
            "response_level": level,
        },
    )
    assert created.status_code == 201, created.text
    incident_id: int = created.json()["id"]
    dashboard.open()
    dashboard.wait_live()
    dashboard.page.locator(f".incident-list li[data-id='{incident_id}']").click()
    return incident_id


def test_dispatch_a_recommended_team_and_request_materials_by_clicking(
    dashboard: Dashboard, api: httpx.Client
) -> None:
    incident_id = open_new_incident(dashboard, api, "fire", "浏览器测试：装置区火灾", [118.97, 25.15], "III")
    page = dashboard.page
    page.locator(".recommendations .reco, .recommendations .reco-unavailable").first.wait_for(timeout=30_000)
    assert page.locator(".reco-unavailable").count() == 0, "GET /incidents/{id}/recommendations is not served"
    first = page.locator(".reco").first
    team_id = int(first.get_attribute("data-team-id") or 0)
    assert "分钟" in first.inner_text()  # the ETA is shown
    # The recommended routes are drawn before anyone is sent.
    page.wait_for_function("window.__commandpost.previewedRoutes() > 0")
    first.locator(".btn-dispatch").click()
    page.locator(f".assignments li[data-team-id='{team_id}']").wait_for(timeout=30_000)
    stored = api.get(f"/teams/{team_id}").json()["properties"]["status"]
    assert stored in {"dispatched", "en_route"}
    assignments = api.get(f"/incidents/{incident_id}/assignments").json()["features"]
    assert [a["properties"]["team_id"] for a in assignments] == [team_id]  # once, however many clicks
    # The team turns "dispatched" on the map and its route joins the live routes layer.
    page.wait_for_function(
        "(id) => window.__commandpost.feature('teams', id)?.properties.status !== 'available'", arg=team_id
    )
    page.wait_for_function(
        "(id) => window.__commandpost.store.features('routes').some(r => r.properties.team_id === id)",
        arg=team_id,
    )
    assert page.locator(f".reco[data-team-id='{team_id}'] .btn-dispatch:enabled").count() == 0
    # Materials: ask for foam, see where it comes from.
    form = page.locator(".materials form")
    form.locator("select[name=material]").select_option("foam_concentrate")
    form.locator("input[name=quantity]").fill("2")
    form.locator("button[type=submit]").click()
    page.locator(".materials li").first.wait_for(timeout=30_000)
    assert "泡沫灭火剂" in page.locator(".materials").inner_text()
    requests = api.get(f"/incidents/{incident_id}/material-requests").json()["items"]
    assert requests[0]["items"][0]["material"] == "foam_concentrate"


def test_what_an_officer_is_typing_survives_live_updates(dashboard: Dashboard, api: httpx.Client) -> None:
    incident_id = open_new_incident(dashboard, api, "leak", "浏览器测试：管廊泄漏", [118.96, 25.14], "IV")
    page = dashboard.page
    note = page.locator(".timeline form input[name=text]")
    note.wait_for(timeout=30_000)
    note.click()
    note.type("风向转为东北")
    # Another officer writes in the same incident: the panel redraws with their note.
    posted = api.post(
        f"/incidents/{incident_id}/timeline", json={"text": "现场已设警戒线", "author": "值班员 林晓"}
    )
    assert posted.status_code in (200, 201), posted.text
    page.locator(".timeline-list", has_text="现场已设警戒线").wait_for(timeout=30_000)
    assert note.input_value() == "风向转为东北"
    note.type("，风速 3 米")  # the caret is still there: typing goes on
    assert note.input_value() == "风向转为东北，风速 3 米"


def test_a_red_warning_cannot_be_missed_and_is_acknowledged(dashboard: Dashboard, api: httpx.Client) -> None:
    dashboard.open()
    dashboard.wait_live()
    page = dashboard.page
    page.locator("#operator").fill("值班员 测试")
    page.locator("#operator").dispatch_event("change")
    created = api.post(
        "/warnings",
        json={
            "level": "red",
            "title": "浏览器测试：园区有毒气体扩散",
            "area": {"type": "Point", "coordinates": list(PARK)},
            "issued_by": "值班员 林晓",
        },
    )
    assert created.status_code == 201, created.text
    warning_id = created.json()["id"]
    item = page.locator(f"#feed li[data-id='{warning_id}']")
    item.wait_for()
    assert item.get_attribute("data-level") == "red"
    # The banner over the map and the flashing frame, until someone acknowledges.
    alert = page.locator("#red-alert")
    alert.wait_for()
    assert "浏览器测试：园区有毒气体扩散" in alert.inner_text()
    assert page.locator("body.alarm-on").count() == 1
    # Over the map, which keeps its place and size.
    map_box, alert_box = page.locator("#map").bounding_box(), alert.bounding_box()
    assert map_box is not None and alert_box is not None
    assert map_box["width"] > 1000 and map_box["height"] > 900
    assert (
        map_box["x"] <= alert_box["x"]
        and alert_box["x"] + alert_box["width"] <= map_box["x"] + map_box["width"]
    )
    assert map_box["y"] <= alert_box["y"] < map_box["y"] + 100
    item.locator(".btn-ack").click()
    page.wait_for_function(
        f"document.querySelector(\"#feed li[data-id='{warning_id}']\")?.dataset.status === 'acknowledged'"
    )
    stored = api.get(f"/warnings/{warning_id}").json()["properties"]
    assert stored["status"] == "acknowledged"
    assert stored["acknowledged_by"] == "值班员 测试"
    page.wait_for_function("!document.body.classList.contains('alarm-on')")
    assert alert.is_hidden()
    api.post(f"/warnings/{warning_id}/clear", json={"by": "test"})


def test_a_sensor_alarm_shows_in_the_feed_and_is_acknowledged(
    dashboard: Dashboard, api: httpx.Client
) -> None:
    sensors = api.get("/sensors", params={"limit": 1000, "kind": "toxic_gas"}).json()["features"]
    sensor = next(s for s in sensors if s["properties"]["hazard_source_id"])
    dashboard.open()
    dashboard.wait_live()
    page = dashboard.page
    value = sensor["properties"]["alarm_2"] * 1.5
    r = api.post(
        "/sensors/readings", json={"readings": [{"sensor": sensor["id"], "at": _now(), "value": value}]}
    )
    assert r.status_code == 200, r.text
    # The detector turns to alarm on the map, and its source's warning arrives in the feed.
    page.wait_for_function(
        "(id) => window.__commandpost.feature('sensors', id)?.properties.state === 'alarm_2'",
        arg=sensor["id"],
    )
    source = sensor["properties"]["hazard_source_id"]
    page.wait_for_function(
        "(source) => window.__commandpost.store.features('warnings').some("
        "w => w.properties.hazard_source_id === source && w.properties.status === 'active')",
        arg=source,
    )
    warning_id = dashboard.js(
        "(source) => window.__commandpost.store.features('warnings').find("
        "w => w.properties.hazard_source_id === source && w.properties.status === 'active').id",
        source,
    )
    item = page.locator(f"#feed li[data-id='{warning_id}']")
    item.wait_for()
    item.locator(".btn-ack").click()
    page.wait_for_function(
        f"document.querySelector(\"#feed li[data-id='{warning_id}']\")?.dataset.status === 'acknowledged'"
    )
    assert api.get(f"/warnings/{warning_id}").json()["properties"]["status"] == "acknowledged"
    api.post(f"/warnings/{warning_id}/clear", json={"by": "test"})


def test_clicking_features_shows_their_details(dashboard: Dashboard, api: httpx.Client) -> None:
    dashboard.open()
    page = dashboard.page
    card = page.locator("#details")
    team = _team(api, "T001")
    # Zoom in on the team so its neighbours do not sit under the pointer.
    dashboard.js(
        "([lon, lat]) => window.__commandpost.map.jumpTo({center: [lon, lat], zoom: 15})",
        team["geometry"]["coordinates"],
    )
    page.wait_for_function(
        "([id, lon, lat]) => window.__commandpost.renderedAt('teams', [lon, lat], 4).includes(id)",
        arg=[team["id"], *team["geometry"]["coordinates"]],
    )
    dashboard.click_map(*team["geometry"]["coordinates"])
    card.wait_for()
    text = card.inner_text()
    assert team["properties"]["name"] in text
    assert "88" in text  # members
    assert "正压式空气呼吸器" in text  # equipment
    sensor = api.get("/sensors", params={"limit": 1}).json()["features"][0]
    dashboard.js(
        "([lon, lat]) => window.__commandpost.map.jumpTo({center: [lon, lat], zoom: 17})",
        sensor["geometry"]["coordinates"],
    )
    page.wait_for_function(
        "([id, lon, lat]) => window.__commandpost.renderedAt('sensors', [lon, lat], 3).includes(id)",
        arg=[sensor["id"], *sensor["geometry"]["coordinates"]],
    )
    dashboard.click_map(*sensor["geometry"]["coordinates"])
    page.wait_for_function("document.querySelector('#details').dataset.layer === 'sensors'")
    assert "近 1 小时趋势" in card.inner_text()
    # The last hour's chart, or a plain word that there is no reading in it: never a spinner forever.
    page.wait_for_function(
        "(() => { const box = document.querySelector('#details .trend-box');"
        " return box && (box.querySelector('svg') || !box.textContent.includes('…')); })()"
    )
    assert "读数历史暂不可用" not in card.inner_text()


def test_the_language_switch(dashboard: Dashboard) -> None:
    dashboard.open()
    page = dashboard.page
    teams_row = page.locator(".layer-row[data-layer=teams] .layer-name")
    assert teams_row.inner_text() == "救援队伍"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.locator("#lang").click()
    assert teams_row.inner_text() == "Rescue teams"
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Alarms and warnings" in page.locator("#feed-title").inner_text()
    assert "Teams 132" in page.locator("#stats").inner_text()
    # Remembered on this console.
    page.reload()
    dashboard.wait_drawn()
    assert page.locator(".layer-row[data-layer=teams] .layer-name").inner_text() == "Rescue teams"
    page.locator("#lang").click()
    assert teams_row.inner_text() == "救援队伍"


def test_a_drill_is_marked_as_a_drill(dashboard: Dashboard) -> None:
    dashboard.open("/?exercise=7")
    page = dashboard.page
    banner = page.locator("#drill-banner")
    assert banner.is_visible()
    assert "演练" in banner.inner_text() and "7" in banner.inner_text()
    assert page.locator("body.drill").count() == 1
    assert dashboard.sockets, "no websocket opened"
    assert all("exercise_id=7" in url for url in dashboard.sockets)


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080), (2560, 1440)])
def test_fits_laptops_and_video_walls(browser: Any, server: str, width: int, height: int) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", bypass_csp=True
    )
    try:
        board = Dashboard(context.new_page(), server).open()
        page = board.page
        assert board.js("document.documentElement.scrollWidth <= window.innerWidth")
        box = page.locator("#map").bounding_box()
        assert box is not None and box["width"] >= width * 0.45 and box["height"] >= height * 0.8
        assert page.locator("#feed-title").is_visible()
        assert page.locator("#new-incident").is_visible()
        assert board.errors == []
    finally:
        context.close()
