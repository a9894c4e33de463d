"""Material dispatch: allocate requested materials from the depots that can deliver soonest.

For each material, the depots with stock free to reserve are taken in order of travel time to the
incident (over open roads; a depot cut off by closures is not used), each giving what it can, until
the quantity is met; what no depot can give is reported as the shortage. Stock moves through the
depots' own rules (reserve → issue, or release), so a line never goes negative and never promises
more than it holds. On PostGIS the stock lines involved are locked in one fixed order before any
is read, so concurrent requests serialise per line and cannot deadlock.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from commandpost import resources
from commandpost.clock import Clock
from commandpost.depots import service as depots
from commandpost.depots.models import Depot, InventoryLine, Material
from commandpost.dispatch.models import AllocationStatus, MaterialAllocation, MaterialRequest
from commandpost.dispatch.schemas import AllocationStep, MaterialRequestCreate, request_entity
from commandpost.errors import InvalidInput, InvalidTransition, NotFound, Unavailable
from commandpost.incidents import service as incidents
from commandpost.incidents.models import Incident, IncidentStatus
from commandpost.resources import Page
from commandpost.routing import service as routing

WHAT = "material_request"
_dec = depots.exact_quantity


def depot_names(session: Session, request: MaterialRequest) -> dict[int, str]:
    ids = {a.depot_id for a in request.allocations}
    if not ids:
        return {}
    return dict(session.execute(select(Depot.id, Depot.name).where(Depot.id.in_(ids))).all())


def entity(session: Session, request: MaterialRequest) -> dict[str, Any]:
    return request_entity(request, depot_names=depot_names(session, request))


def request_materials(
    session: Session,
    *,
    incident_id: int,
    data: MaterialRequestCreate,
    router: routing.Router,
    clock: Clock,
) -> MaterialRequest:
    """Ask for materials for an incident; reserve them from the nearest depots that have them."""
    incident = incidents.get_open(session, incident_id=incident_id)
    units: dict[str, str] = {}
    for i, item in enumerate(data.items):
        material = session.get(Material, item.material)
        if material is None:
            raise InvalidInput(
                f"material {item.material} is not in the catalogue", field=f"items.{i}.material"
            )
        units[item.material] = material.unit
    codes = sorted(units)
    # Lock every line of these materials in id order before reading what is free.
    session.scalars(
        select(InventoryLine.id)
        .where(InventoryLine.material_code.in_(codes))
        .order_by(InventoryLine.id)
        .with_for_update()
    ).all()
    stocked = {code: depots.available(session, material_code=code) for code in codes}
    depot_list = {d.id: d for lines in stocked.values() for d, _ in lines}
    order = sorted(depot_list)
    eta: dict[int, tuple[float, float]] = {}
    if order:
        found = routing.reach(
            router.network(session),
            target=routing.point_of(incident.location),
            sources=routing.lonlat_of([routing.point_of(depot_list[i].location) for i in order]),
        )
        eta = {
            depot_id: (float(found.travel.seconds[k]), float(found.travel.metres[k]))
            for k, depot_id in enumerate(order)
        }
    now = clock.now()
    request = MaterialRequest(
        incident_id=incident.id,
        items=[],
        requested_by=data.requested_by,
        note=data.note,
        created_at=now,
        exercise_id=incident.exercise_id,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    items: list[dict[str, Any]] = []
    for item in data.items:
        wanted = _dec(item.quantity)
        remaining = wanted
        unreachable = Decimal(0)
        ranked = sorted(stocked[item.material], key=lambda pair: (eta[pair[0].id][0], pair[0].id))
        for depot, free in ranked:
            seconds, metres = eta[depot.id]
            if not math.isfinite(seconds):
                unreachable += _dec(free)
                continue
            if remaining <= 0:
                break
            take = min(_dec(free), remaining)
            # The lines were locked above, so what was free then is free now.
            depots.reserve(
                session,
                depot_id=depot.id,
                material_code=item.material,
                quantity=float(take),
                clock=clock,
                actor=data.requested_by,
            )
            request.allocations.append(
                MaterialAllocation(
                    incident_id=incident.id,
                    depot_id=depot.id,
                    material_code=item.material,
                    quantity=float(take),
                    status=AllocationStatus.reserved,
                    eta_s=round(seconds, 1),
                    distance_m=round(metres, 1),
                    reserved_at=now,
                    exercise_id=incident.exercise_id,
                    updated_at=now,
                )
            )
            remaining -= take
        items.append(
            {
                "material": item.material,
                "unit": units[item.material],
                "quantity": float(wanted),
                "shortage": float(max(remaining, Decimal(0))),
                "cut_off_by_closures": float(min(unreachable, max(remaining, Decimal(0)))),
            }
        )
    request.items = items
    session.flush()
    resources.record_change(
        session,
        entity_type=WHAT,
        row=request,
        action="created",
        feature=entity(session, request),
        payload={"shortages": {i["material"]: i["shortage"] for i in items if i["shortage"] > 0}},
        clock=clock,
        actor=data.requested_by,
    )
    return request


def list_requests(
    session: Session, *, incident_id: int, limit: int, offset: int = 0
) -> Page[MaterialRequest]:
    """An incident's material requests, newest first."""
    incidents.get(session, incident_id=incident_id)
    stmt = (
        select(MaterialRequest)
        .options(selectinload(MaterialRequest.allocations))
        .where(MaterialRequest.incident_id == incident_id)
        .order_by(MaterialRequest.id.desc())
    )
    return resources.page(session, stmt, limit=limit, offset=offset)


def get(session: Session, *, incident_id: int, request_id: int) -> MaterialRequest:
    request = session.get(MaterialRequest, request_id)
    if request is None or request.incident_id != incident_id:
        raise NotFound(f"incident {incident_id} has no material request {request_id}", field="request_id")
    return request


# reserved → dispatched (the stock leaves the depot) → delivered; reserved → cancelled (stock back).
_FLOW: dict[AllocationStep, AllocationStatus] = {
    AllocationStep.dispatched: AllocationStatus.reserved,
    AllocationStep.delivered: AllocationStatus.dispatched,
    AllocationStep.cancelled: AllocationStatus.reserved,
}


def change_allocation(
    session: Session,
    *,
    incident_id: int,
    allocation_id: int,
    step: AllocationStep,
    clock: Clock,
    actor: str | None = None,
    router: routing.Router | None = None,
    standing_down: bool = False,
) -> MaterialRequest:
    """Move one allocation along reserved → dispatched → delivered, or cancel it while reserved:
    its stock is offered to the requests still short of that material (see `offer_back`; to other
    incidents only when the incident is standing down), and what none of them takes becomes
    available again. Returns its request."""
    allocation = session.scalars(
        select(MaterialAllocation)
        .where(MaterialAllocation.id == allocation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if allocation is None or allocation.incident_id != incident_id:
        raise NotFound(
            f"incident {incident_id} has no material allocation {allocation_id}", field="allocation_id"
        )
    before = allocation.status
    if before is not _FLOW[step]:
        hint = (
            "stock that has left the depot comes back by a stock count (PUT the depot's stock)"
            if step is AllocationStep.cancelled and before is AllocationStatus.dispatched
            else f"only a {_FLOW[step].value} allocation can become {step.value}"
        )
        raise InvalidTransition(f"allocation {allocation_id} is {before.value}: {hint}", field="status")
    move = {AllocationStep.dispatched: depots.issue, AllocationStep.cancelled: depots.release}.get(step)
    if move is not None:
        move(
            session,
            depot_id=allocation.depot_id,
            material_code=allocation.material_code,
            quantity=allocation.quantity,
            clock=clock,
            actor=actor,
        )
    now = clock.now()
    allocation.status = AllocationStatus(step.value)
    setattr(allocation, f"{step.value}_at", now)
    allocation.updated_at = now
    request = allocation.request
    request.updated_at = now
    session.flush()
    resources.record_change(
        session,
        entity_type=WHAT,
        row=request,
        action=f"allocation_{step.value}",
        feature=entity(session, request),
        payload={"allocation_id": allocation.id, "from": before.value, "to": step.value},
        clock=clock,
        actor=actor,
    )
    if step is AllocationStep.cancelled:
        offer_back(
            session,
            cancelled=allocation,
            router=router,
            clock=clock,
            actor=actor,
            other_incidents_only=standing_down,
        )
    return request


def _reserved(session: Session, *, incident_id: int) -> list[MaterialAllocation]:
    return list(
        session.scalars(
            select(MaterialAllocation)
            .where(
                MaterialAllocation.incident_id == incident_id,
                MaterialAllocation.status == AllocationStatus.reserved,
            )
            .order_by(MaterialAllocation.id)
        )
    )


def _allocation_line(session: Session, allocation: MaterialAllocation) -> dict[str, Any]:
    depot = session.get(Depot, allocation.depot_id)
    material = session.get(Material, allocation.material_code)
    return {
        "allocation_id": allocation.id,
        "request_id": allocation.request_id,
        "depot_id": allocation.depot_id,
        "depot_name": depot.name if depot is not None else None,
        "material": allocation.material_code,
        "quantity": allocation.quantity,
        "unit": material.unit if material is not None else None,
    }


def reserved_for(session: Session, *, incident_id: int) -> list[dict[str, Any]]:
    """The materials still reserved for an incident in the depots (not yet sent out)."""
    return [_allocation_line(session, a) for a in _reserved(session, incident_id=incident_id)]


def release_reserved(
    session: Session, *, incident_id: int, clock: Clock, actor: str | None = None
) -> list[dict[str, Any]]:
    """Cancel every allocation still reserved for the incident: its stock is available again at its
    depot; each is its depot's and its request's event."""
    released = []
    for allocation in _reserved(session, incident_id=incident_id):
        released.append(_allocation_line(session, allocation))
        change_allocation(
            session,
            incident_id=incident_id,
            allocation_id=allocation.id,
            step=AllocationStep.cancelled,
            clock=clock,
            actor=actor,
            standing_down=True,
        )
    return released


def _outstanding(request: MaterialRequest, material: str) -> Decimal:
    asked = sum((_dec(i["quantity"]) for i in request.items if i["material"] == material), Decimal(0))
    held = sum(
        (
            _dec(a.quantity)
            for a in request.allocations
            if a.material_code == material and a.status is not AllocationStatus.cancelled
        ),
        Decimal(0),
    )
    return max(asked - held, Decimal(0))


def offer_back(
    session: Session,
    *,
    cancelled: MaterialAllocation,
    router: routing.Router | None,
    clock: Clock,
    actor: str | None = None,
    other_incidents_only: bool = False,
) -> list[int]:
    """Offer the stock of a cancelled allocation to the requests still short of that material:
    oldest first, of incidents still open in the same context (live, or the same drill), never back
    to the request it was cancelled from, and (with a router) only where the depot can reach the
    incident. Each request served gets a reserved allocation from that depot and an
    `allocation_offered` event. Returns the ids of the requests served."""
    material, depot_id = cancelled.material_code, cancelled.depot_id
    left = _dec(cancelled.quantity)
    same_context = (
        MaterialRequest.exercise_id.is_(None)
        if cancelled.exercise_id is None
        else MaterialRequest.exercise_id == cancelled.exercise_id
    )
    # Locked in id order, so two cancellations cannot both fill the same shortfall.
    candidates = session.scalars(
        select(MaterialRequest)
        .join(Incident, Incident.id == MaterialRequest.incident_id)
        .where(
            MaterialRequest.id != cancelled.request_id,
            Incident.status != IncidentStatus.closed,
            same_context,
            *([MaterialRequest.incident_id != cancelled.incident_id] if other_incidents_only else []),
        )
        .order_by(MaterialRequest.id)
        .with_for_update(of=MaterialRequest)
        .execution_options(populate_existing=True)
    ).all()
    short = [r for r in candidates if _outstanding(r, material) > 0]
    if not short:
        return []
    depot = session.get(Depot, depot_id)
    assert depot is not None  # an allocation's depot cannot be deleted under it
    served: list[int] = []
    now = clock.now()
    for request in sorted(short, key=lambda r: (r.created_at, r.id)):
        if left <= 0:
            break
        eta: tuple[float | None, float | None] = (None, None)
        if router is not None:
            incident = incidents.get(session, incident_id=request.incident_id)
            try:
                found = routing.reach(
                    router.network(session),
                    target=routing.point_of(incident.location),
                    sources=routing.lonlat_of([routing.point_of(depot.location)]),
                )
            except Unavailable:  # no road layer: offered without a travel time
                found = None
            if found is not None:
                seconds = float(found.travel.seconds[0])
                if not math.isfinite(seconds):
                    continue  # cut off from this incident
                eta = (round(seconds, 1), round(float(found.travel.metres[0]), 1))
        take = min(left, _outstanding(request, material))
        depots.reserve(
            session, depot_id=depot_id, material_code=material, quantity=float(take), clock=clock, actor=actor
        )
        offered = MaterialAllocation(
            incident_id=request.incident_id,
            depot_id=depot_id,
            material_code=material,
            quantity=float(take),
            status=AllocationStatus.reserved,
            eta_s=eta[0],
            distance_m=eta[1],
            reserved_at=now,
            exercise_id=request.exercise_id,
            updated_at=now,
        )
        request.allocations.append(offered)
        request.updated_at = now
        session.flush()
        resources.record_change(
            session,
            entity_type=WHAT,
            row=request,
            action="allocation_offered",
            feature=entity(session, request),
            payload={
                "allocation_id": offered.id,
                "from_allocation_id": cancelled.id,
                "from_request_id": cancelled.request_id,
                "depot_id": depot_id,
                "material": material,
                "quantity": float(take),
            },
            clock=clock,
            actor=actor,
        )
        served.append(request.id)
        left -= take
    return served
