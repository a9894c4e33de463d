"""Rules for supply depots: the material catalogue, depot records and the stock each one holds.

Stock moves in three steps: `reserve` promises part of what is available to a dispatch,
`issue` lets reserved stock leave the depot, `release` returns a promise unused. A line never
holds a negative amount, and never reserves more than it has on hand (the database checks
both as well). Quantities are kept to the thousandth of a unit, computed in decimal.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.depots.models import Depot, InventoryLine, Material
from commandpost.depots.schemas import (
    QUANTITY_MAX,
    DepotCreate,
    DepotUpdate,
    MaterialCreate,
    depot_feature,
    material_entity,
    stock_entity,
)
from commandpost.errors import Conflict, DomainError, InvalidInput, NotFound, OutOfStock
from commandpost.events import service as events
from commandpost.resources import Page

WHAT = "depot"
_THOUSANDTH = Decimal("0.001")


def exact_quantity(value: float | int | Decimal) -> Decimal:
    """A stored or given quantity as an exact decimal, to the thousandth."""
    return Decimal(str(value)).quantize(_THOUSANDTH)


def _quantity(value: float, *, field: str, positive: bool) -> Decimal:
    """A quantity from a caller, refused when it is not a finite amount the stock can hold."""
    if not math.isfinite(value) or abs(value) > QUANTITY_MAX:
        raise InvalidInput(f"{field} must be a finite amount up to {QUANTITY_MAX}", field=field)
    amount = exact_quantity(value)
    if positive and amount <= 0:
        raise InvalidInput(f"{field} must be more than zero", field=field)
    if amount < 0:
        raise InvalidInput(f"{field} cannot be negative", field=field)
    return amount


def _amount(value: Decimal) -> str:
    """A quantity for people: 20, 0.5, 1.25 (no trailing zeros)."""
    return format(value.normalize(), "f")


# --- material catalogue ------------------------------------------------------------------


def list_materials(session: Session, *, limit: int, offset: int = 0) -> Page[Material]:
    """The catalogue, in code order."""
    stmt = select(Material).order_by(Material.code)
    # resources.page is typed for SQLAlchemy 2.0's Select[tuple[T]]; 2.1 spells it Select[T].
    return resources.page(session, stmt, limit=limit, offset=offset)


def get_material(session: Session, *, code: str) -> Material:
    """One catalogue entry, or NotFound."""
    material = session.get(Material, code)
    if material is None:
        raise NotFound(f"material {code} is not in the catalogue", field="code")
    return material


def create_material(
    session: Session, *, data: MaterialCreate, clock: Clock, actor: str | None = None
) -> Material:
    """Add a material to the catalogue; a code already used is refused."""
    if session.get(Material, data.code) is not None:
        raise Conflict(f"material {data.code} is already in the catalogue", field="code")
    material = Material(**data.model_dump())
    try:
        with session.begin_nested():
            session.add(material)
    except IntegrityError as exc:  # added by someone else between our check and our insert
        raise Conflict(f"material {data.code} is already in the catalogue", field="code") from exc
    # Materials are keyed by code, not id, so the event names the code in its payload.
    events.record(
        session,
        type="material.created",
        entity_type="material",
        entity_id=None,
        payload=material_entity(material),
        clock=clock,
        actor=actor,
    )
    return material


def _material(
    session: Session, code: str, *, field: str, error: type[DomainError] = InvalidInput
) -> Material:
    material = session.get(Material, code)
    if material is None:
        raise error(f"material {code} is not in the catalogue", field=field)
    return material


# --- depots ------------------------------------------------------------------------------


def list_depots(
    session: Session,
    *,
    bbox: geo.BBox | None = None,
    material: str | None = None,
    limit: int,
    offset: int = 0,
) -> Page[Depot]:
    """Depots in the box (those with some of `material` available, if given), in id order."""
    stmt = select(Depot).options(selectinload(Depot.stock)).order_by(Depot.id)
    if bbox is not None:
        stmt = stmt.where(db.bbox_filter(session, Depot.__table__.c.location, bbox))
    if material is not None:
        _material(session, material, field="material")
        stocked = select(InventoryLine.depot_id).where(
            InventoryLine.material_code == material, InventoryLine.on_hand > InventoryLine.reserved
        )
        stmt = stmt.where(Depot.id.in_(stocked))
    return resources.page(session, stmt, limit=limit, offset=offset)


def get(session: Session, *, depot_id: int) -> Depot:
    """One depot with its stock, or NotFound."""
    return resources.fetch(session, Depot, depot_id, what=WHAT)


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    if out.get("location") is not None:
        out["location"] = geo.to_db(geo.parse_geojson(out["location"], field="location", allowed=("Point",)))
    return out


def _check_ref_free(session: Session, ref: str | None, *, depot_id: int | None = None) -> None:
    if ref is None:
        return
    other = session.scalar(select(Depot.id).where(Depot.ref == ref))
    if other is not None and other != depot_id:
        raise Conflict(f"depot {other} already has ref {ref}", field="ref")


def create(session: Session, *, data: DepotCreate, clock: Clock, actor: str | None = None) -> Depot:
    """Register a depot with its initial stock; every material must be in the catalogue, once."""
    catalogue: dict[str, Material] = {}
    for i, line in enumerate(data.stock):
        if line.material in catalogue:
            raise InvalidInput(f"material {line.material} is listed twice", field=f"stock.{i}.material")
        catalogue[line.material] = _material(session, line.material, field=f"stock.{i}.material")
    _check_ref_free(session, data.ref)
    now = clock.now()
    values = _columns(data.model_dump(mode="json", exclude={"stock"}))
    depot = Depot(**values, updated_at=now)
    depot.stock = [
        InventoryLine(
            material=catalogue[line.material],
            on_hand=float(exact_quantity(line.on_hand)),
            reserved=0.0,
            updated_at=now,
        )
        for line in data.stock
    ]
    session.add(depot)
    resources.record_change(
        session,
        entity_type=WHAT,
        row=depot,
        action="created",
        feature=depot_feature(depot),
        clock=clock,
        actor=actor,
    )
    return depot


def update(
    session: Session,
    *,
    depot_id: int,
    changes: DepotUpdate,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> Depot:
    """Edit a depot's record (not its stock), refusing an edit made on a stale version."""
    depot = get(session, depot_id=depot_id)
    values = _columns(changes.model_dump(mode="json", exclude_unset=True, exclude={"version"}))
    if "ref" in values:
        _check_ref_free(session, values["ref"], depot_id=depot_id)
    values["updated_at"] = clock.now()
    resources.update_versioned(
        session, depot, changes=values, expected_version=expected_version, snapshot=depot_feature, what=WHAT
    )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=depot,
        action="updated",
        feature=depot_feature(depot),
        clock=clock,
        actor=actor,
    )
    return depot


# --- stock -------------------------------------------------------------------------------


def _line(session: Session, *, depot_id: int, material_code: str, lock: bool) -> InventoryLine | None:
    """The depot's line for a material, read fresh; locked (SELECT … FOR UPDATE on PostGIS) if `lock`."""
    stmt = (
        select(InventoryLine)
        .where(InventoryLine.depot_id == depot_id, InventoryLine.material_code == material_code)
        .execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update(of=InventoryLine)
    return session.scalars(stmt).one_or_none()


def get_stock(session: Session, *, depot_id: int, material_code: str) -> InventoryLine:
    """One depot's line for one material, or NotFound."""
    get(session, depot_id=depot_id)
    _material(session, material_code, field="material", error=NotFound)
    line = _line(session, depot_id=depot_id, material_code=material_code, lock=False)
    if line is None:
        raise NotFound(f"depot {depot_id} holds no {material_code}", field="material")
    return line


def set_stock(
    session: Session,
    *,
    depot_id: int,
    material_code: str,
    on_hand: float,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> tuple[InventoryLine, bool]:
    """Set how much of a material a depot has on hand (after a count or a delivery).

    Creates the line if the depot never held the material; an existing line needs the version
    the editor read. Never below what is already reserved. Returns the line and whether it is new.
    """
    amount = _quantity(on_hand, field="on_hand", positive=False)
    depot = get(session, depot_id=depot_id)
    material = _material(session, material_code, field="material", error=NotFound)
    now = clock.now()
    line = _line(session, depot_id=depot_id, material_code=material_code, lock=True)
    created = line is None
    before = None if line is None else line.on_hand
    if line is None:
        line = InventoryLine(material=material, on_hand=float(amount), reserved=0.0, updated_at=now)
        try:
            with session.begin_nested():
                depot.stock.append(line)
        except IntegrityError as exc:  # someone else created the line between our read and our insert
            raise Conflict(
                f"depot {depot_id}'s {material_code} line was created by someone else meanwhile; "
                "read it and retry",
                field="material",
            ) from exc
    else:
        reserved = exact_quantity(line.reserved)
        if expected_version == line.version and amount < reserved:
            raise Conflict(
                f"{_amount(reserved)} {material.unit} of {material_code} at depot {depot_id} are reserved "
                f"for dispatches; on_hand cannot go below that (release or issue them first)",
                field="on_hand",
                extra={"reserved": float(reserved)},
            )
        resources.update_versioned(
            session,
            line,
            changes={"on_hand": float(amount), "updated_at": now},
            expected_version=expected_version,
            snapshot=stock_entity,
            what=f"depot {depot_id}'s {material_code} stock",
        )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=depot,
        action="stock_set",
        feature=depot_feature(depot),
        payload={"before": before, "line": stock_entity(line)},
        clock=clock,
        actor=actor,
    )
    return line, created


def available(session: Session, *, material_code: str) -> list[tuple[Depot, float]]:
    """Every depot with some of a material free to reserve, and how much (on hand − reserved), by depot id."""
    _material(session, material_code, field="material_code")
    stmt = (
        select(Depot, InventoryLine)
        .join(InventoryLine, InventoryLine.depot_id == Depot.id)
        .where(InventoryLine.material_code == material_code, InventoryLine.on_hand > InventoryLine.reserved)
        .order_by(Depot.id)
    )
    return [
        (depot, float(exact_quantity(line.on_hand) - exact_quantity(line.reserved)))
        for depot, line in session.execute(stmt)
    ]


def _moving(
    session: Session, *, depot_id: int, material_code: str, quantity: float
) -> tuple[Depot, Material, Decimal, InventoryLine | None]:
    """Checks every stock movement shares; the line comes back locked."""
    amount = _quantity(quantity, field="quantity", positive=True)
    depot = get(session, depot_id=depot_id)
    material = _material(session, material_code, field="material_code")
    line = _line(session, depot_id=depot_id, material_code=material_code, lock=True)
    return depot, material, amount, line


def _move(
    session: Session,
    *,
    depot: Depot,
    line: InventoryLine,
    on_hand: Decimal,
    reserved: Decimal,
    action: str,
    quantity: Decimal,
    clock: Clock,
    actor: str | None,
) -> InventoryLine:
    try:
        with session.begin_nested():
            line.on_hand = float(on_hand)
            line.reserved = float(reserved)
            line.updated_at = clock.now()
    except StaleDataError as exc:  # changed by another transaction since we read it (SpatiaLite: no locks)
        raise Conflict(
            f"depot {depot.id}'s {line.material_code} stock changed while you worked; try again",
            field="quantity",
        ) from exc
    resources.record_change(
        session,
        entity_type=WHAT,
        row=depot,
        action=action,
        feature=depot_feature(depot),
        payload={"quantity": float(quantity), "line": stock_entity(line)},
        clock=clock,
        actor=actor,
    )
    return line


def reserve(
    session: Session,
    *,
    depot_id: int,
    material_code: str,
    quantity: float,
    clock: Clock,
    actor: str | None = None,
) -> InventoryLine:
    """Promise `quantity` of a material at a depot to a dispatch; OutOfStock beyond what is available."""
    depot, material, amount, line = _moving(
        session, depot_id=depot_id, material_code=material_code, quantity=quantity
    )
    free = exact_quantity(line.on_hand) - exact_quantity(line.reserved) if line is not None else Decimal(0)
    if line is None or free < amount:
        raise OutOfStock(
            f"depot {depot_id} has {_amount(free)} {material.unit} of {material_code} available; "
            f"{_amount(amount)} asked",
            field="quantity",
            extra={"available": float(free)},
        )
    return _move(
        session,
        depot=depot,
        line=line,
        on_hand=exact_quantity(line.on_hand),
        reserved=exact_quantity(line.reserved) + amount,
        action="stock_reserved",
        quantity=amount,
        clock=clock,
        actor=actor,
    )


def _reserved_enough(
    line: InventoryLine | None, material: Material, amount: Decimal, *, depot_id: int
) -> tuple[InventoryLine, Decimal]:
    """The line and what it has reserved, refused when less than `amount` is reserved."""
    reserved = exact_quantity(line.reserved) if line is not None else Decimal(0)
    if line is None or reserved < amount:
        raise Conflict(
            f"depot {depot_id} has only {_amount(reserved)} {material.unit} of {material.code} reserved; "
            f"{_amount(amount)} asked",
            field="quantity",
            extra={"reserved": float(reserved)},
        )
    return line, reserved


def release(
    session: Session,
    *,
    depot_id: int,
    material_code: str,
    quantity: float,
    clock: Clock,
    actor: str | None = None,
) -> InventoryLine:
    """Give back reserved stock that will not be used; it becomes available again."""
    depot, material, amount, line = _moving(
        session, depot_id=depot_id, material_code=material_code, quantity=quantity
    )
    line, reserved = _reserved_enough(line, material, amount, depot_id=depot_id)
    return _move(
        session,
        depot=depot,
        line=line,
        on_hand=exact_quantity(line.on_hand),
        reserved=reserved - amount,
        action="stock_released",
        quantity=amount,
        clock=clock,
        actor=actor,
    )


def issue(
    session: Session,
    *,
    depot_id: int,
    material_code: str,
    quantity: float,
    clock: Clock,
    actor: str | None = None,
) -> InventoryLine:
    """Reserved stock leaves the depot: on hand and reserved both drop by `quantity`."""
    depot, material, amount, line = _moving(
        session, depot_id=depot_id, material_code=material_code, quantity=quantity
    )
    line, reserved = _reserved_enough(line, material, amount, depot_id=depot_id)
    return _move(
        session,
        depot=depot,
        line=line,
        on_hand=exact_quantity(line.on_hand) - amount,
        reserved=reserved - amount,
        action="stock_issued",
        quantity=amount,
        clock=clock,
        actor=actor,
    )
