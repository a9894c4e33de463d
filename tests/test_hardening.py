"""What a hostile client tried, refused as a clear 4xx problem with nothing written (both backends)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from test_bad_input import TEAM, row_counts

LEAK: dict[str, Any] = {
    "type": "leak",
    "title": "储罐区苯乙烯泄漏",
    "location": {"type": "Point", "coordinates": [118.93, 25.13]},
}


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    if field is not None:
        assert str(problem.get("field", "")).startswith(field), problem
    return problem


@pytest.mark.parametrize(
    ("location", "field"),
    [
        ({"type": "Point", "coordinates": [118.93, 25.13, 12.0]}, "location"),
        ({"type": "Point", "coordinates": ["118.93", "25.13"]}, "location"),
        ({"type": "Point", "coordinates": [True, 25.13]}, "location"),
        ({"type": "Point", "coordinates": [0, 0]}, "location"),
    ],
    ids=["third-value", "strings", "boolean", "null-island-12000km-away"],
)
def test_an_incident_position_must_be_two_numbers_inside_the_operating_area(
    client: TestClient, session: Session, location: dict[str, Any], field: str
) -> None:
    before = row_counts(session)
    assert_problem(client.post("/api/v1/incidents", json={**LEAK, "location": location}), 422, field)
    assert row_counts(session) == before


def test_far_away_incident_says_why(client: TestClient) -> None:
    problem = assert_problem(
        client.post("/api/v1/incidents", json={**LEAK, "location": {"type": "Point", "coordinates": [0, 0]}}),
        422,
        "location",
    )
    assert "operating area" in problem["detail"]


def test_nan_coordinates_are_refused_not_a_crash(client: TestClient, session: Session) -> None:
    before = row_counts(session)
    body = '{"name": "x", "kind": "volunteer", "tier": "town", "headcount": 3, '
    body += '"base": {"type": "Point", "coordinates": [NaN, 25.2]}}'
    response = client.post("/api/v1/teams", content=body, headers={"Content-Type": "application/json"})
    assert_problem(response, 422, "base")
    assert row_counts(session) == before


def test_a_number_sent_as_text_or_boolean_is_refused(client: TestClient, session: Session) -> None:
    before = row_counts(session)
    assert_problem(client.post("/api/v1/teams", json={**TEAM, "headcount": "20"}), 422, "headcount")
    assert_problem(client.post("/api/v1/teams", json={**TEAM, "headcount": True}), 422, "headcount")
    assert row_counts(session) == before


def test_a_position_report_far_outside_the_district_is_refused(client: TestClient) -> None:
    team = client.post("/api/v1/teams", json=TEAM)
    assert team.status_code == 201, team.text
    team_id = team.json()["id"]
    far = {"lon": 0.0, "lat": 0.0, "at": "2026-11-22T09:59:00+08:00"}
    assert_problem(client.post(f"/api/v1/teams/{team_id}/position", json=far), 422, "lon")
    batch = {"positions": [{**far, "team": team_id}]}
    assert_problem(client.post("/api/v1/teams/positions", json=batch), 422, "positions.0")


def _circle(vertices: int) -> list[list[float]]:
    step = 2 * math.pi / vertices
    ring = [[118.95 + 0.01 * math.cos(step * i), 25.15 + 0.01 * math.sin(step * i)] for i in range(vertices)]
    return [*ring, ring[0]]


def test_huge_geometries_are_refused(client: TestClient, session: Session) -> None:
    before = row_counts(session)
    body = {"kind": "area", "reason": "flood", "area": {"type": "Polygon", "coordinates": [_circle(20_000)]}}
    problem = assert_problem(client.post("/api/v1/closures", json=body), 422, "area")
    assert "vertices" in problem["detail"]
    # The 100,000-vertex closure a fuzzer sent is refused before it is even read.
    body["area"] = {"type": "Polygon", "coordinates": [_circle(100_000)]}
    response = client.post("/api/v1/closures", json=body)
    assert response.status_code in (413, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert row_counts(session) == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/teams/2147483648",
        "/api/v1/incidents/9223372036854775808",
        "/api/v1/teams?offset=9223372036854775808",
    ],
)
def test_integers_beyond_any_column_are_a_4xx(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_an_id_beyond_the_column_in_a_body_is_a_4xx(client: TestClient, session: Session) -> None:
    before = row_counts(session)
    response = client.post("/api/v1/incidents", json={**LEAK, "hazard_source_id": 2**31 + 5})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert row_counts(session) == before


def test_nul_characters_in_text_are_refused(client: TestClient, session: Session) -> None:
    before = row_counts(session)
    response = client.post("/api/v1/incidents", json={**LEAK, "title": "泄漏\u0000"})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert row_counts(session) == before


@pytest.mark.parametrize(
    ("method", "path", "content", "status"),
    [
        ("GET", "/api/v1/no-such-thing", None, 404),
        ("DELETE", "/api/v1/teams", None, 405),
        ("POST", "/api/v1/teams", b"\xff\xfe{not utf-8", 400),
        ("POST", "/api/v1/teams", b"{", 400),
        ("POST", "/api/v1/teams", b"[" * 100_000 + b"]" * 100_000, 400),
    ],
    ids=["unknown-route", "wrong-method", "bad-utf8", "unparsable", "deep-nesting"],
)
def test_every_error_is_a_problem(
    client: TestClient, method: str, path: str, content: bytes | None, status: int
) -> None:
    headers = {"Content-Type": "application/json"} if content is not None else {}
    response = client.request(method, path, content=content, headers=headers)
    assert response.status_code in (status, 422) if status == 400 else response.status_code == status
    assert response.headers["content-type"] == "application/problem+json", response.text
    assert response.json()["status"] == response.status_code


def test_readings_only_as_json_or_json_lines(client: TestClient, session: Session) -> None:
    before = row_counts(session)
    body = json.dumps({"readings": [{"sensor": "G-1", "at": "2026-11-22T10:00:00+08:00", "value": 99}]})
    response = client.post("/api/v1/sensors/readings", content=body, headers={"Content-Type": "text/plain"})
    assert_problem(response, 415, "Content-Type")
    assert row_counts(session) == before


def test_a_body_over_the_cap_is_refused_unread(client: TestClient, session: Session) -> None:
    before = row_counts(session)
    cap = client.app.state.context.settings.max_body_bytes  # type: ignore[attr-defined]
    huge = b"{" + b" " * (cap + 10) + b"}"
    response = client.post(
        "/api/v1/sensors/readings", content=huge, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)

    def stream() -> Any:
        for _ in range(cap // 65536 + 2):
            yield b" " * 65536

    streamed = client.post(
        "/api/v1/sensors/readings", content=stream(), headers={"Content-Type": "application/json"}
    )
    assert_problem(streamed, 413)
    assert row_counts(session) == before


def test_security_headers_and_no_server_name(client: TestClient) -> None:
    response = client.get("/api/v1/teams")
    assert response.headers["x-content-type-options"] == "nosniff"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline' ;" not in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "server" not in response.headers


def test_api_docs_need_no_internet(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text.split("<body>")[0]
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"):
        assert client.get(asset).status_code == 200, asset


def test_no_cross_origin_requests_unless_configured(client: TestClient) -> None:
    response = client.options(
        "/api/v1/teams",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers


def test_the_stream_refuses_a_foreign_page(client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/api/v1/stream", headers={"Origin": "https://evil.example"}) as ws,
    ):
        ws.receive_text()
    assert refused.value.code == 1008
    with client.websocket_connect("/api/v1/stream", headers={"Origin": "http://testserver"}) as ws:
        assert json.loads(ws.receive_text())["type"] == "snapshot"
