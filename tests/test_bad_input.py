"""The foundation's promise: bad input gets a clear 4xx problem naming the field, and writes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandpost.db import Base

TEAM: dict[str, Any] = {
    "name": "界山镇综合应急救援队",
    "kind": "volunteer",
    "tier": "town",
    "headcount": 20,
    "base": {"type": "Point", "coordinates": [118.86, 25.22]},
}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[118.95, 25.1], [118.96, 25.11], [118.96, 25.1], [118.95, 25.11], [118.95, 25.1]]],
}
HAZARD: dict[str, Any] = {
    "enterprise": "石化园区某企业",
    "name": "丙烯罐区",
    "site": BOWTIE,
    "chemicals": [{"name": "丙烯", "cas": "115-07-1", "quantity_t": 800}],
}


def row_counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables
    }


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/api/v1/teams", {**TEAM, "base": {"type": "Point", "coordinates": [200, 25.2]}}, 422, "base"),
        ("/api/v1/teams", {**TEAM, "kind": "ninjas"}, 422, "kind"),
        ("/api/v1/teams", {**TEAM, "headcount": -5}, 422, "headcount"),
        ("/api/v1/hazard-sources", HAZARD, 422, "site"),
        (
            "/api/v1/depots",
            {
                "name": "峰尾镇物资储备点",
                "operator": "峰尾镇人民政府",
                "location": {"type": "Point", "coordinates": [118.97, 25.18]},
                "stock": [{"material": "sandbag", "on_hand": -10}],
            },
            422,
            "stock.0.on_hand",
        ),
    ],
    ids=[
        "lon-200",
        "unknown-team-kind",
        "negative-headcount",
        "self-intersecting-polygon",
        "negative-quantity",
    ],
)
def test_bad_input_is_a_problem_and_changes_nothing(
    client: TestClient, session: Session, path: str, body: dict[str, Any], status: int, field: str
) -> None:
    client.post(
        "/api/v1/materials", json={"code": "sandbag", "name": "Sandbag", "name_zh": "沙袋", "unit": "piece"}
    )
    before = row_counts(session)
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    assert problem["field"].startswith(field), problem
    assert row_counts(session) == before


@pytest.mark.parametrize(
    "path", ["/api/v1/teams", "/api/v1/depots", "/api/v1/hazard-sources", "/api/v1/incidents"]
)
def test_malformed_json_is_a_400_problem_and_changes_nothing(
    client: TestClient, session: Session, path: str
) -> None:
    before = row_counts(session)
    response = client.post(path, content=b'{"name": "half', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Malformed JSON"
    assert row_counts(session) == before


def test_openapi_documents_every_route_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = {p for p in spec["paths"] if p.startswith("/api/v1/")}
    for layer in (
        "/api/v1/teams",
        "/api/v1/depots",
        "/api/v1/hazard-sources",
        "/api/v1/sensors",
        "/api/v1/incidents",
        "/api/v1/warnings",
        "/api/v1/shelters",
        "/api/v1/experts",
        "/api/v1/roads",
        "/api/v1/duty/now",
    ):
        assert layer in paths
    creates = [
        (p, op) for p, item in spec["paths"].items() for m, op in item.items() if m == "post" and "{" not in p
    ]
    schemas = spec["components"]["schemas"]
    for path, op in creates:
        ref = (
            op.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema", {})
            .get("$ref")
        )
        if ref is None:
            continue
        schema = schemas[ref.rsplit("/", 1)[1]]
        assert schema.get("examples") or schema.get("example"), f"POST {path} has no example body"


def api_get_paths(client: TestClient) -> list[str]:
    """Every GET route of the API as its OpenAPI document lists them, path parameters filled in."""
    document = client.get("/openapi.json").json()
    return [
        re.sub(r"\{[^}]+\}", "1", path)
        for path, operations in document["paths"].items()
        if "get" in operations and path.startswith("/api/v1")
    ]


def test_an_unknown_query_parameter_is_refused_by_name_on_every_endpoint(client: TestClient) -> None:
    paths = api_get_paths(client)
    assert "/api/v1/teams" in paths and "/api/v1/sensors/1/readings" in paths
    for path in paths:
        response = client.get(path, params={"colour": "red"})
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["field"] == "query.colour", (path, problem)
        assert "colour" in problem["detail"]


def test_teams_are_filtered_by_capability(client: TestClient) -> None:
    for name, caps in (("泡沫队", ["firefighting", "foam"]), ("危化队", ["hazmat", "foam"])):
        created = client.post("/api/v1/teams", json={**TEAM, "name": name, "capabilities": caps})
        assert created.status_code == 201
    foam = client.get("/api/v1/teams", params={"capability": "foam"}).json()
    assert sorted(f["properties"]["name"] for f in foam["features"]) == ["危化队", "泡沫队"]
    both = client.get("/api/v1/teams", params=[("capability", "foam"), ("capability", "hazmat")]).json()
    assert [f["properties"]["name"] for f in both["features"]] == ["危化队"]
    unknown = client.get("/api/v1/teams", params={"capability": "telepathy"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "query.capability.0"
