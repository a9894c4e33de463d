"""OGC API – Features: a GIS analyst's client (GDAL's OAPIF driver, as QGIS uses) reads every layer."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point as ShapelyPoint
from sqlalchemy.orm import Session

from commandpost import loader
from commandpost.clock import FrozenClock
from commandpost.config import Settings
from commandpost.drills import service as drills
from commandpost.incidents import service as incidents
from commandpost.incidents.schemas import IncidentCreate
from commandpost.warnings import service as warnings
from commandpost.warnings.models import WarningLevel, WarningSource
from tests_support import served_in_process

GIS_DATA = Path(__file__).resolve().parents[1] / "gis_data"
# Every layer of the registry (commandpost.layers), live ones first, then the road network.
COLLECTIONS = [
    "incidents",
    "warnings",
    "teams",
    "hazard-sources",
    "sensors",
    "depots",
    "shelters",
    "routes",
    "closures",
    "threat-zones",
    "roads",
]
LEAK = {"type": "leak", "title": "储罐泄漏", "location": {"type": "Point", "coordinates": [118.93, 25.13]}}


@pytest.fixture
def district(client: TestClient, session: Session, clock: FrozenClock) -> None:
    """The demo district with a live incident and warning, and a drill's of each (never served)."""
    loader.load_district(session, folder=GIS_DATA, clock=clock)
    session.commit()
    assert client.post("/api/v1/incidents", json=LEAK).status_code == 201
    issued = client.post(
        "/api/v1/warnings",
        json={"level": "yellow", "title": "台风黄色预警", "area": LEAK["location"], "issued_by": "值班员"},
    )
    assert issued.status_code == 201, issued.text
    road = client.get("/api/v1/roads", params={"limit": 1}).json()["features"][0]
    closed = client.post(
        "/api/v1/closures", json={"kind": "road", "segment_id": road["id"], "reason": "塌方"}
    )
    assert closed.status_code == 201, closed.text
    scenario = GIS_DATA.parent / "scenarios" / "h06-chlorine-leak.yaml"
    drill = drills.create(session, text=scenario.read_text(encoding="utf-8"), file=scenario.name, clock=clock)
    session.flush()
    incidents.create(
        session,
        data=IncidentCreate.model_validate({**LEAK, "title": "演练"}),
        clock=clock,
        exercise_id=drill.id,
    )
    warnings.issue(
        session,
        level=WarningLevel.red,
        title="演练：氯气泄漏",
        area=ShapelyPoint(118.95, 25.15),
        source=WarningSource.manual,
        clock=clock,
        issued_by="演练导演",
        exercise_id=drill.id,
    )
    session.commit()


@pytest.fixture
def service_url(settings: Settings, district: None) -> Iterator[str]:
    """The service on a real `commandpost serve` process on a loopback port."""
    with served_in_process({"DATABASE_URL": settings.database_url}) as address:
        yield f"http://{address}/ogc"


def ogrinfo(*args: str) -> str:
    done = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ERROR" not in done.stderr, done.stderr
    return done.stdout


def ogc_count(client: TestClient, collection: str) -> int:
    matched: int = client.get(f"/ogc/collections/{collection}/items", params={"limit": 1}).json()[
        "numberMatched"
    ]
    return matched


def api_count(client: TestClient, layer: str) -> int:
    matched: int = client.get(f"/api/v1/{layer}", params={"limit": 1}).json()["numberMatched"]
    return matched


def test_gdal_lists_every_collection_and_reads_all_their_features(
    client: TestClient, service_url: str
) -> None:
    listed = ogrinfo("-q", f"OAPIF:{service_url}")
    assert sorted(re.findall(r"^\d+: ([\w-]+)", listed, re.M)) == sorted(COLLECTIONS)
    for name in COLLECTIONS:
        # Small pages, so the client follows `next` links through the whole collection.
        features = ogrinfo("-al", "-q", "-oo", "PAGE_SIZE=40", f"OAPIF:{service_url}", name)
        read = len(re.findall(rf"^OGRFeature\({re.escape(name)}\):", features, re.M))
        assert read == ogc_count(client, name), name
        if name not in ("routes", "closures", "threat-zones"):
            assert read == api_count(client, name) > 0, name
    # No team is out, so there are no routes; the closure is the one made above.
    assert (ogc_count(client, "routes"), ogc_count(client, "closures")) == (0, 1)


def test_gdal_filters_by_bbox(client: TestClient, service_url: str) -> None:
    box = (118.85, 25.05, 118.95, 25.15)
    features = ogrinfo("-al", "-q", "-spat", *map(str, box), f"OAPIF:{service_url}", "teams")
    read = len(re.findall(r"^OGRFeature\(teams\):", features, re.M))
    expected = client.get("/api/v1/teams", params={"bbox": ",".join(map(str, box))}).json()["numberMatched"]
    assert 0 < read == expected < api_count(client, "teams")


def test_drill_entities_are_never_served(client: TestClient, district: None) -> None:
    for name in ("incidents", "warnings"):
        items = client.get(f"/ogc/collections/{name}/items").json()
        assert items["numberMatched"] == 1
        assert all(f["properties"].get("exercise_id") is None for f in items["features"])
        live_id = items["features"][0]["id"]
        drill_ids = {live_id + 1}
        for fid in drill_ids:
            assert client.get(f"/ogc/collections/{name}/items/{fid}").status_code == 404


def test_items_page_with_next_links_and_limit_capped(client: TestClient, district: None) -> None:
    first = client.get("/ogc/collections/teams/items", params={"limit": 50}).json()
    assert (first["numberMatched"], first["numberReturned"]) == (132, 50)
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = client.get(nxt).json()
    assert second["features"][0]["id"] != first["features"][0]["id"]
    assert not {f["id"] for f in second["features"]} & {f["id"] for f in first["features"]}
    last = client.get("/ogc/collections/teams/items", params={"offset": 100, "limit": 50}).json()
    assert last["numberReturned"] == 32
    assert "next" not in {link["rel"] for link in last["links"]}
    # Above the maximum the maximum is served, as the standard asks.
    assert client.get("/ogc/collections/teams/items", params={"limit": 10**6}).status_code == 200


def test_one_feature_is_the_layers_feature(client: TestClient, district: None) -> None:
    team = client.get("/api/v1/teams", params={"limit": 1}).json()["features"][0]
    item = client.get(f"/ogc/collections/teams/items/{team['id']}")
    assert item.headers["content-type"] == "application/geo+json"
    body = item.json()
    assert {k: body[k] for k in ("id", "geometry", "properties")} == {
        k: team[k] for k in ("id", "geometry", "properties")
    }
    assert client.get("/ogc/collections/teams/items/999999").status_code == 404
    assert client.get("/ogc/collections/rivers/items").status_code == 404


def test_datetime_filters_collections_with_a_time(
    client: TestClient, district: None, clock: FrozenClock
) -> None:
    now = clock.now().isoformat().replace("+00:00", "Z")
    assert (
        client.get("/ogc/collections/incidents/items", params={"datetime": f"{now}/.."}).json()[
            "numberMatched"
        ]
        == 1
    )
    assert (
        client.get("/ogc/collections/incidents/items", params={"datetime": "../2020-01-01T00:00:00Z"}).json()[
            "numberMatched"
        ]
        == 0
    )
    refused = client.get("/ogc/collections/depots/items", params={"datetime": now})
    assert (refused.status_code, refused.json()["field"]) == (400, "datetime")


@pytest.mark.parametrize(
    "params,field",
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"colour": "red"}, "query.colour"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    client: TestClient, district: None, params: dict[str, Any], field: str
) -> None:
    reply = client.get("/ogc/collections/teams/items", params=params)
    assert reply.status_code == 400
    assert reply.json()["field"] == field


def test_landing_conformance_and_collections_in_json_and_html(client: TestClient, district: None) -> None:
    landing = client.get("/ogc").json()
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert client.get(rels["service-desc"]).json()["paths"]
    classes = client.get(rels["conformance"]).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    collections = client.get(rels["data"]).json()["collections"]
    assert [c["id"] for c in collections] == COLLECTIONS
    teams = next(c for c in collections if c["id"] == "teams")
    minx, miny, maxx, maxy = teams["extent"]["spatial"]["bbox"][0]
    assert 118.7 < minx < maxx < 119.2 and 24.9 < miny < maxy < 25.4
    for path in ("/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/teams"):
        page = client.get(path, headers={"Accept": "text/html,application/xhtml+xml"})
        assert page.headers["content-type"].startswith("text/html"), path
        assert "<h1>" in page.text
    assert "救援队伍" in client.get("/ogc/collections/teams", params={"f": "html"}).text
