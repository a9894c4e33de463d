"""Material dispatch over HTTP: allocation from the depots nearest in travel time, split across
depots, shortages reported; reserve → dispatched → delivered or cancelled; idempotency; and
concurrent requests that never push stock negative or promise more than is on hand."""

from __future__ import annotations

import threading
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from commandpost.clock import FrozenClock
from commandpost.config import Settings
from commandpost.depots.models import InventoryLine
from commandpost.dispatch.models import AllocationStatus, MaterialAllocation, MaterialRequest
from commandpost.events.models import Event
from dispatch_support import incident, load_grid, point, served

SCENE = (118.939, 25.1003)


@pytest.fixture
def grid(sessions: sessionmaker[Session], clock: FrozenClock) -> None:
    load_grid(sessions, clock)


def catalogue(client: TestClient) -> None:
    for code, name, unit in [("foam", "泡沫灭火剂", "t"), ("boom", "吸油拖栏", "m")]:
        body = {"code": code, "name": code, "name_zh": name, "unit": unit}
        assert client.post("/api/v1/materials", json=body).status_code == 201


def depot(client: TestClient, name: str, at: tuple[float, float], stock: dict[str, float]) -> int:
    body = {
        "name": name,
        "operator": "泉港区应急管理局",
        "location": point(*at),
        "stock": [{"material": m, "on_hand": q} for m, q in stock.items()],
    }
    response = client.post("/api/v1/depots", json=body)
    assert response.status_code == 201, response.text
    depot_id: int = response.json()["id"]
    return depot_id


def line(client: TestClient, depot_id: int, material: str) -> dict[str, Any]:
    stock: dict[str, Any] = client.get(f"/api/v1/depots/{depot_id}/stock/{material}").json()
    return stock


def request(
    client: TestClient, incident_id: int, items: list[dict[str, Any]], **headers: str
) -> httpx.Response:
    return client.post(
        f"/api/v1/incidents/{incident_id}/material-requests",
        json={"items": items, "requested_by": "现场指挥部"},
        headers=headers,
    )


def move(client: TestClient, incident_id: int, allocation_id: int, status: str) -> httpx.Response:
    return client.post(
        f"/api/v1/incidents/{incident_id}/material-allocations/{allocation_id}/status",
        json={"status": status},
    )


def test_allocation_takes_the_nearest_depots_first_and_splits(client: TestClient, grid: None) -> None:
    catalogue(client)
    far = depot(client, "西路储备库", (118.901, 25.1001), {"foam": 100})
    near = depot(client, "东路储备库", (118.938, 25.1001), {"foam": 20, "boom": 300})
    middle = depot(client, "中路储备库", (118.9205, 25.1001), {"foam": 50})
    incident_id = incident(client, SCENE)

    response = request(client, incident_id, [{"material": "foam", "quantity": 60}])
    assert response.status_code == 201, response.text
    made = response.json()
    assert response.headers["Location"] == f"/api/v1/incidents/{incident_id}/material-requests/{made['id']}"
    assert [(a["depot_id"], a["quantity"], a["status"]) for a in made["allocations"]] == [
        (near, 20, "reserved"),
        (middle, 40, "reserved"),
    ]
    assert made["allocations"][0]["eta_s"] < made["allocations"][1]["eta_s"]
    assert made["items"] == [
        {
            "material": "foam",
            "unit": "t",
            "quantity": 60,
            "shortage": 0,
            "cut_off_by_closures": 0,
            "allocated": 60,
            "outstanding": 0,
        }
    ]
    assert made["fully_allocated"] is True
    assert line(client, near, "foam")["available"] == 0
    assert line(client, middle, "foam")["reserved"] == 40
    assert line(client, far, "foam")["reserved"] == 0


def test_shortages_are_reported_not_hidden(client: TestClient, grid: None) -> None:
    catalogue(client)
    depot(client, "东路储备库", (118.938, 25.1001), {"foam": 20, "boom": 300})
    depot(client, "中路储备库", (118.9205, 25.1001), {"foam": 50})
    incident_id = incident(client, SCENE)
    made = request(
        client, incident_id, [{"material": "foam", "quantity": 100}, {"material": "boom", "quantity": 250}]
    ).json()
    foam, boom = made["items"]
    assert (foam["allocated"], foam["shortage"], foam["outstanding"]) == (70, 30, 30)
    assert (boom["allocated"], boom["shortage"]) == (250, 0)
    assert made["fully_allocated"] is False
    listed = client.get(f"/api/v1/incidents/{incident_id}/material-requests").json()
    assert listed["numberMatched"] == 1 and listed["items"][0]["items"][0]["shortage"] == 30


def test_reserved_stock_is_dispatched_delivered_or_cancelled_back(client: TestClient, grid: None) -> None:
    catalogue(client)
    near = depot(client, "东路储备库", (118.938, 25.1001), {"foam": 20, "boom": 300})
    incident_id = incident(client, SCENE)
    made = request(
        client, incident_id, [{"material": "foam", "quantity": 5}, {"material": "boom", "quantity": 100}]
    ).json()
    foam_id, boom_id = (a["id"] for a in made["allocations"])

    assert move(client, incident_id, foam_id, "delivered").status_code == 409  # not dispatched yet
    assert move(client, incident_id, foam_id, "dispatched").json()["allocations"][0]["status"] == "dispatched"
    foam = line(client, near, "foam")
    assert (foam["on_hand"], foam["reserved"]) == (15, 0)
    cancel_gone = move(client, incident_id, foam_id, "cancelled")
    assert cancel_gone.status_code == 409 and "stock count" in cancel_gone.json()["detail"]
    delivered = move(client, incident_id, foam_id, "delivered").json()
    assert delivered["allocations"][0]["status"] == "delivered"
    assert delivered["allocations"][0]["delivered_at"] is not None

    cancelled = move(client, incident_id, boom_id, "cancelled").json()
    assert cancelled["items"][1]["outstanding"] == 100  # asked for, no longer covered
    boom = line(client, near, "boom")
    assert (boom["on_hand"], boom["reserved"], boom["available"]) == (300, 0, 300)
    assert move(client, incident_id, boom_id, "dispatched").status_code == 409
    other = incident(client, SCENE)
    assert move(client, other, boom_id, "dispatched").status_code == 404


def test_bad_requests_name_the_field_and_reserve_nothing(
    client: TestClient, grid: None, session: Session
) -> None:
    catalogue(client)
    near = depot(client, "东路储备库", (118.938, 25.1001), {"foam": 20})
    incident_id = incident(client, SCENE)
    for items, field in [
        ([{"material": "unobtainium", "quantity": 1}], "items.0.material"),
        ([{"material": "foam", "quantity": 0}], "items.0.quantity"),
        ([{"material": "foam", "quantity": 1.0001}], "items.0.quantity"),
        ([{"material": "foam", "quantity": 1}, {"material": "foam", "quantity": 2}], "items"),
        ([], "items"),
    ]:
        response = request(client, incident_id, items)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
    assert request(client, 999, [{"material": "foam", "quantity": 1}]).status_code == 404
    assert line(client, near, "foam")["reserved"] == 0
    session.rollback()
    assert session.scalar(select(func.count()).select_from(MaterialRequest)) == 0


def test_a_repeated_request_with_the_same_key_reserves_once(client: TestClient, grid: None) -> None:
    catalogue(client)
    near = depot(client, "东路储备库", (118.938, 25.1001), {"foam": 20})
    incident_id = incident(client, SCENE)
    key = {"Idempotency-Key": "foam-for-tank-3"}
    first = request(client, incident_id, [{"material": "foam", "quantity": 8}], **key)
    again = request(client, incident_id, [{"material": "foam", "quantity": 8}], **key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert line(client, near, "foam")["reserved"] == 8


def _race(base: str, calls: list[tuple[str, dict[str, Any]]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))
    out: list[httpx.Response | None] = [None] * len(calls)

    def send(i: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            barrier.wait()
            out[i] = http.post(calls[i][0], json=calls[i][1])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in out if r is not None]


def test_concurrent_requests_never_promise_more_than_is_on_hand(
    client: TestClient,
    grid: None,
    settings: Settings,
    engine: Engine,
    clock: FrozenClock,
    session: Session,
) -> None:
    catalogue(client)
    depots = [
        depot(client, "东路储备库", (118.938, 25.1001), {"foam": 40, "boom": 30}),
        depot(client, "中路储备库", (118.9205, 25.1001), {"foam": 60, "boom": 30}),
    ]
    incidents = [incident(client, SCENE), incident(client, (118.91, 25.1002))]
    calls = [
        (
            f"/api/v1/incidents/{incidents[i % 2]}/material-requests",
            {"items": [{"material": "foam", "quantity": 15}, {"material": "boom", "quantity": 7}]},
        )
        for i in range(10)
    ]
    with served(settings, engine, clock) as base:
        responses = _race(base, calls)
        assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
        made = [r.json() for r in responses]
        # Cancel and dispatch the same allocations at the same moment: one of each pair wins.
        served_first = [m for m in made if m["allocations"]][:4]
        contested = _race(
            base,
            [
                (
                    f"/api/v1/incidents/{m['incident_id']}/material-allocations/{m['allocations'][0]['id']}/status",
                    {"status": s},
                )
                for m in served_first
                for s in ("cancelled", "dispatched")
            ],
        )
        codes = [r.status_code for r in contested]
        assert sorted(codes) == [200] * 4 + [409] * 4, [r.text for r in contested]

    foam = [i for m in made for i in m["items"] if i["material"] == "foam"]
    boom = [i for m in made for i in m["items"] if i["material"] == "boom"]
    assert sum(i["quantity"] - i["shortage"] for i in foam) == 100  # all of it, and no more
    assert sum(i["shortage"] for i in foam) == 50
    assert sum(i["quantity"] - i["shortage"] for i in boom) == 60
    session.rollback()
    for stock in session.scalars(select(InventoryLine)):
        assert 0 <= stock.reserved <= stock.on_hand
        held = session.scalar(
            select(func.coalesce(func.sum(MaterialAllocation.quantity), 0)).where(
                MaterialAllocation.depot_id == stock.depot_id,
                MaterialAllocation.material_code == stock.material_code,
                MaterialAllocation.status == AllocationStatus.reserved,
            )
        )
        assert stock.reserved == pytest.approx(held)
        issued = session.scalar(
            select(func.coalesce(func.sum(MaterialAllocation.quantity), 0)).where(
                MaterialAllocation.depot_id == stock.depot_id,
                MaterialAllocation.material_code == stock.material_code,
                MaterialAllocation.status == AllocationStatus.dispatched,
            )
        )
        start = {("foam", depots[0]): 40, ("foam", depots[1]): 60}.get(
            (stock.material_code, stock.depot_id), 30
        )
        assert stock.on_hand == pytest.approx(start - issued)


def test_cancelled_stock_is_offered_to_the_requests_still_short(
    client: TestClient, grid: None, session: Session
) -> None:
    catalogue(client)
    near = depot(client, "东路储备库", (118.938, 25.1001), {"foam": 20})
    first, second, third = (
        incident(client, SCENE),
        incident(client, (118.91, 25.1002)),
        incident(client, SCENE),
    )
    taken = request(client, first, [{"material": "foam", "quantity": 20}]).json()
    short = request(client, second, [{"material": "foam", "quantity": 15}]).json()
    later = request(client, third, [{"material": "foam", "quantity": 10}]).json()
    assert short["items"][0]["outstanding"] == 15 and later["items"][0]["outstanding"] == 10

    cancelled = move(client, first, taken["allocations"][0]["id"], "cancelled")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["items"][0]["outstanding"] == 20  # not given straight back to itself

    # The oldest request still short gets what it lacks, the next one the rest.
    served = client.get(f"/api/v1/incidents/{second}/material-requests/{short['id']}").json()
    [offered] = served["allocations"]
    assert (offered["depot_id"], offered["quantity"], offered["status"]) == (near, 15, "reserved")
    assert offered["eta_s"] > 0 and served["fully_allocated"] is True
    rest = client.get(f"/api/v1/incidents/{third}/material-requests/{later['id']}").json()
    assert [a["quantity"] for a in rest["allocations"]] == [5]
    assert rest["items"][0]["outstanding"] == 5
    stock = line(client, near, "foam")
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (20, 20, 0)

    session.rollback()
    offers = session.scalars(
        select(Event.payload).where(Event.type == "material_request.allocation_offered").order_by(Event.id)
    ).all()
    assert [(p["from_request_id"], p["quantity"]) for p in offers] == [(taken["id"], 15), (taken["id"], 5)]
