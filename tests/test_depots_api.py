"""Supply depots: the catalogue, the depot layer, stock lines under versions, and reserve/release/issue."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from commandpost.clock import FrozenClock
from commandpost.depots import service
from commandpost.depots.models import InventoryLine
from commandpost.errors import Conflict, InvalidInput, OutOfStock
from commandpost.events.models import Event

FOAM = {"code": "foam_afff_3", "name": "AFFF foam concentrate 3%", "name_zh": "水成膜泡沫液", "unit": "t"}
SANDBAG = {
    "code": "sandbag",
    "name": "Sandbag",
    "name_zh": "编织袋",
    "unit": "piece",
    "category": "flood_control",
}

DEPOT: dict[str, Any] = {
    "name": "泉港区应急物资储备库",
    "operator": "泉港区应急管理局",
    "location": {"type": "Point", "coordinates": [118.9166, 25.1267]},
}


def add_materials(client: TestClient) -> None:
    for material in (FOAM, SANDBAG):
        assert client.post("/api/v1/materials", json=material).status_code == 201


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/depots", json={**DEPOT, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def stock_of(client: TestClient, depot_id: int) -> dict[str, dict[str, Any]]:
    feature = client.get(f"/api/v1/depots/{depot_id}").json()
    return {line["material"]: line for line in feature["properties"]["stock"]}


def events_of(session: Session, type_: str) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(Event.type == type_)) or 0


# --- catalogue ---------------------------------------------------------------------------


def test_materials_are_listed_in_code_order_and_codes_are_unique(client: TestClient) -> None:
    add_materials(client)
    listing = client.get("/api/v1/materials").json()
    assert [m["code"] for m in listing["items"]] == ["foam_afff_3", "sandbag"]
    assert listing["items"][0] == {**FOAM, "category": "general"}
    assert client.get("/api/v1/materials/sandbag").json()["name_zh"] == "编织袋"

    again = client.post("/api/v1/materials", json={**FOAM, "name": "another foam"})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["field"] == "code"
    assert client.get("/api/v1/materials/foam_afff_3").json()["name"] == FOAM["name"]

    bad = client.post("/api/v1/materials", json={**FOAM, "code": "foam/3"})
    assert bad.status_code == 422 and bad.json()["field"] == "code"
    assert client.get("/api/v1/materials").json()["numberMatched"] == 2


# --- depots ------------------------------------------------------------------------------


def test_created_depot_shows_its_stock_on_the_layer_and_alone(client: TestClient) -> None:
    add_materials(client)
    depot = create(
        client, stock=[{"material": "sandbag", "on_hand": 5000}, {"material": "foam_afff_3", "on_hand": 2.5}]
    )
    layer = client.get("/api/v1/depots").json()
    assert layer["type"] == "FeatureCollection" and layer["numberMatched"] == 1
    assert layer["features"][0]["geometry"] == {"type": "Point", "coordinates": [118.9166, 25.1267]}

    response = client.get(f"/api/v1/depots/{depot['id']}")
    assert response.headers["ETag"] == '"1"'
    stock = response.json()["properties"]["stock"]
    assert [line["material"] for line in stock] == ["foam_afff_3", "sandbag"]
    assert {k: stock[0][k] for k in ("name_zh", "unit", "on_hand", "reserved", "available", "version")} == {
        "name_zh": "水成膜泡沫液",
        "unit": "t",
        "on_hand": 2.5,
        "reserved": 0.0,
        "available": 2.5,
        "version": 1,
    }


def test_bbox_and_paging(client: TestClient) -> None:
    create(client, name="inside 1")
    create(client, name="outside", location={"type": "Point", "coordinates": [119.5, 25.5]})
    create(client, name="inside 2", location={"type": "Point", "coordinates": [118.95, 25.15]})
    layer = client.get("/api/v1/depots", params={"bbox": "118.8,25.0,119.0,25.2"}).json()
    assert [f["properties"]["name"] for f in layer["features"]] == ["inside 1", "inside 2"]
    first = client.get("/api/v1/depots", params={"limit": 2}).json()
    assert first["numberMatched"] == 3 and first["numberReturned"] == 2
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    assert [f["properties"]["name"] for f in client.get(nxt).json()["features"]] == ["inside 2"]


def test_material_filter_keeps_depots_with_some_available(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    add_materials(client)
    has = create(client, name="has sandbags", stock=[{"material": "sandbag", "on_hand": 100}])
    create(client, name="none left", stock=[{"material": "sandbag", "on_hand": 0}])
    promised = create(client, name="all promised", stock=[{"material": "sandbag", "on_hand": 40}])
    create(client, name="foam only", stock=[{"material": "foam_afff_3", "on_hand": 3}])
    service.reserve(session, depot_id=promised["id"], material_code="sandbag", quantity=40, clock=clock)
    session.commit()

    layer = client.get("/api/v1/depots", params={"material": "sandbag"}).json()
    assert [f["id"] for f in layer["features"]] == [has["id"]]
    assert layer["numberMatched"] == 1
    assert client.get("/api/v1/depots").json()["numberMatched"] == 4

    unknown = client.get("/api/v1/depots", params={"material": "unobtainium"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "material"


def test_depot_edit_needs_the_current_version(client: TestClient) -> None:
    depot = create(client)
    url = f"/api/v1/depots/{depot['id']}"
    assert client.patch(url, json={"contact_phone": "0595-1"}).status_code == 428
    first = client.patch(url, json={"contact_phone": "0595-1"}, headers={"If-Match": '"1"'})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"contact_phone": "0595-2", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["properties"]["contact_phone"] == "0595-1"
    assert client.patch(url, json={"name": None, "version": 2}).status_code == 422
    assert client.get(url).json()["properties"]["contact_phone"] == "0595-1"


def test_bad_depot_input_is_a_problem_naming_the_field_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    add_materials(client)
    create(client, ref="QG-01")
    cases = [
        ({**DEPOT, "location": {"type": "Point", "coordinates": [200, 25]}}, 422, "location"),
        ({**DEPOT, "stock": [{"material": "sandbag", "on_hand": -5}]}, 422, "stock.0.on_hand"),
        ({**DEPOT, "stock": [{"material": "sandbag", "on_hand": 1.2345}]}, 422, "stock.0.on_hand"),
        (
            {**DEPOT, "stock": [{"material": "sandbag", "on_hand": 1}, {"material": "nope", "on_hand": 1}]},
            422,
            "stock.1.material",
        ),
        (
            {
                **DEPOT,
                "stock": [{"material": "sandbag", "on_hand": 1}, {"material": "sandbag", "on_hand": 2}],
            },
            422,
            "stock.1.material",
        ),
        ({**DEPOT, "colour": "red"}, 422, "colour"),
        ({**DEPOT, "ref": "QG-01"}, 409, "ref"),
    ]
    for body, status, field in cases:
        response = client.post("/api/v1/depots", json=body)
        assert response.status_code == status, body
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"] == field, response.json()
    assert client.get("/api/v1/depots").json()["numberMatched"] == 1
    assert session.scalar(select(func.count()).select_from(InventoryLine)) == 0
    assert events_of(session, "depot.created") == 1
    assert client.get("/api/v1/depots/999").status_code == 404


# --- stock lines over HTTP ---------------------------------------------------------------


def test_stock_line_is_created_then_edited_under_its_version(client: TestClient, session: Session) -> None:
    add_materials(client)
    depot = create(client)
    url = f"/api/v1/depots/{depot['id']}/stock/sandbag"

    created = client.put(url, json={"on_hand": 300})
    assert created.status_code == 201
    assert created.headers["ETag"] == '"1"' and created.headers["Location"] == url
    assert created.json()["available"] == 300

    assert client.put(url, json={"on_hand": 250}).status_code == 428
    counted = client.put(url, json={"on_hand": 250}, headers={"If-Match": '"1"'})
    assert counted.status_code == 200 and counted.json()["version"] == 2

    stale = client.put(url, json={"on_hand": 999, "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["on_hand"] == 250 and stale.json()["current"]["version"] == 2
    assert stock_of(client, depot["id"])["sandbag"]["on_hand"] == 250
    assert client.get(url).headers["ETag"] == '"2"'
    assert events_of(session, "depot.stock_set") == 2


def test_on_hand_cannot_drop_below_what_is_reserved(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    add_materials(client)
    depot = create(client, stock=[{"material": "foam_afff_3", "on_hand": 10}])
    service.reserve(session, depot_id=depot["id"], material_code="foam_afff_3", quantity=6.5, clock=clock)
    session.commit()
    url = f"/api/v1/depots/{depot['id']}/stock/foam_afff_3"

    refused = client.put(url, json={"on_hand": 5, "version": 2})
    assert refused.status_code == 409
    assert "6.5 t" in refused.json()["detail"] and refused.json()["reserved"] == 6.5
    assert client.put(url, json={"on_hand": 6.5, "version": 2}).json()["available"] == 0
    assert stock_of(client, depot["id"])["foam_afff_3"]["on_hand"] == 6.5


def test_bad_stock_input_writes_nothing(client: TestClient) -> None:
    add_materials(client)
    depot = create(client, stock=[{"material": "sandbag", "on_hand": 10}])
    base = f"/api/v1/depots/{depot['id']}/stock"
    negative = client.put(f"{base}/sandbag", json={"on_hand": -1, "version": 1})
    assert negative.status_code == 422 and negative.json()["field"] == "on_hand"
    assert client.put(f"{base}/unobtainium", json={"on_hand": 1}).status_code == 404
    assert client.put("/api/v1/depots/999/stock/sandbag", json={"on_hand": 1}).status_code == 404
    assert (
        client.put(
            f"{base}/sandbag", json={"on_hand": 1, "version": 1}, headers={"If-Match": '"2"'}
        ).status_code
        == 422
    )
    stock = stock_of(client, depot["id"])
    assert list(stock) == ["sandbag"]
    assert (stock["sandbag"]["on_hand"], stock["sandbag"]["version"]) == (10, 1)


# --- reserve / release / issue -----------------------------------------------------------


def test_reserve_release_issue_arithmetic(client: TestClient, session: Session, clock: FrozenClock) -> None:
    add_materials(client)
    depot = create(client, stock=[{"material": "foam_afff_3", "on_hand": 0.3}])
    args: dict[str, Any] = {"depot_id": depot["id"], "material_code": "foam_afff_3", "clock": clock}

    service.reserve(session, quantity=0.1, **args)
    line = service.reserve(session, quantity=0.2, **args)  # exactly what is left: 0.3 − 0.1, in decimal
    assert (line.on_hand, line.reserved) == (0.3, 0.3)
    line = service.release(session, quantity=0.05, **args)
    assert (line.on_hand, line.reserved) == (0.3, 0.25)
    line = service.issue(session, quantity=0.25, **args)
    assert (line.on_hand, line.reserved) == (0.05, 0.0)
    session.commit()

    assert stock_of(client, depot["id"])["foam_afff_3"] | {"version": 0, "updated_at": ""} == {
        "material": "foam_afff_3",
        "name_zh": "水成膜泡沫液",
        "unit": "t",
        "on_hand": 0.05,
        "reserved": 0.0,
        "available": 0.05,
        "version": 0,
        "updated_at": "",
    }
    kinds = ["depot.stock_reserved", "depot.stock_released", "depot.stock_issued"]
    assert [events_of(session, kind) for kind in kinds] == [2, 1, 1]


def test_reserve_beyond_availability_is_refused_and_changes_nothing(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    add_materials(client)
    depot = create(client, stock=[{"material": "sandbag", "on_hand": 100}])
    args: dict[str, Any] = {"depot_id": depot["id"], "material_code": "sandbag", "clock": clock}
    service.reserve(session, quantity=70, **args)
    session.commit()

    with pytest.raises(OutOfStock) as refused:
        service.reserve(session, quantity=31, **args)
    assert refused.value.extra == {"available": 30.0}
    assert "30 piece" in refused.value.detail
    assert isinstance(refused.value, Conflict)
    session.rollback()
    with pytest.raises(OutOfStock):
        service.reserve(session, depot_id=depot["id"], material_code="foam_afff_3", quantity=1, clock=clock)
    session.rollback()

    line = stock_of(client, depot["id"])["sandbag"]
    assert (line["on_hand"], line["reserved"], line["version"]) == (100, 70, 2)
    assert events_of(session, "depot.stock_reserved") == 1


def test_release_and_issue_refuse_more_than_is_reserved(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    add_materials(client)
    depot = create(client, stock=[{"material": "sandbag", "on_hand": 100}])
    args: dict[str, Any] = {"depot_id": depot["id"], "material_code": "sandbag", "clock": clock}
    service.reserve(session, quantity=10, **args)
    session.commit()
    for move in (service.release, service.issue):
        with pytest.raises(Conflict) as refused:
            move(session, quantity=11, **args)
        assert refused.value.extra == {"reserved": 10.0}
        session.rollback()
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(InvalidInput) as invalid:
            service.reserve(session, quantity=bad, **args)
        assert invalid.value.field == "quantity"
    line = stock_of(client, depot["id"])["sandbag"]
    assert (line["on_hand"], line["reserved"]) == (100, 10)


def test_available_lists_depots_with_free_stock(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    add_materials(client)
    first = create(client, name="first", stock=[{"material": "sandbag", "on_hand": 100}])
    second = create(client, name="second", stock=[{"material": "sandbag", "on_hand": 50}])
    create(client, name="empty", stock=[{"material": "sandbag", "on_hand": 0}])
    create(client, name="foam", stock=[{"material": "foam_afff_3", "on_hand": 5}])
    service.reserve(session, depot_id=first["id"], material_code="sandbag", quantity=25.5, clock=clock)
    assert [(d.name, q) for d, q in service.available(session, material_code="sandbag")] == [
        ("first", 74.5),
        ("second", 50.0),
    ]
    service.reserve(session, depot_id=second["id"], material_code="sandbag", quantity=50, clock=clock)
    assert [d.name for d, _ in service.available(session, material_code="sandbag")] == ["first"]
    with pytest.raises(InvalidInput):
        service.available(session, material_code="unobtainium")


def test_concurrent_reservations_cannot_both_take_the_last_stock(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    """The second reservation waits (row lock, or SQLite's one writer), then sees what the first left."""
    add_materials(client)
    depot = create(client, stock=[{"material": "sandbag", "on_hand": 100}])
    args: dict[str, Any] = {
        "depot_id": depot["id"],
        "material_code": "sandbag",
        "quantity": 60,
        "clock": clock,
    }
    outcome: list[BaseException | None] = []

    def second() -> None:
        with sessions() as other:
            try:
                service.reserve(other, **args)
                other.commit()
                outcome.append(None)
            except BaseException as exc:
                outcome.append(exc)

    with sessions() as first:
        service.reserve(first, **args)
        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive(), "the second reservation should wait for the first one's lock"
        first.commit()
    waiting.join(timeout=10)
    assert len(outcome) == 1 and isinstance(outcome[0], OutOfStock)
    line = stock_of(client, depot["id"])["sandbag"]
    assert (line["on_hand"], line["reserved"]) == (100, 60)
