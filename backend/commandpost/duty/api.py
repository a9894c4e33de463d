"""HTTP routes for the duty roster (值班表); the rules are in `service`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime

from commandpost.duty import service
from commandpost.duty.models import DutyRole
from commandpost.duty.schemas import OnDuty, ShiftCreate, ShiftOut, ShiftUpdate, shift_entity
from commandpost.schemas import PROBLEM_RESPONSES, ListPage
from commandpost.web import (
    ClockDep,
    IfMatchDep,
    PagingDep,
    SessionDep,
    entity_response,
    expected_version,
    list_response,
)

router = APIRouter(prefix="/duty", tags=["duty roster"], responses=PROBLEM_RESPONSES)


@router.get("/shifts", summary="Shifts in a time range, in time order", response_model=ListPage[ShiftOut])
def list_shifts(
    request: Request,
    db: SessionDep,
    paging: PagingDep,
    from_: Annotated[
        AwareDatetime | None, Query(alias="from", description="shifts still running at or after this instant")
    ] = None,
    to: Annotated[AwareDatetime | None, Query(description="shifts starting before this instant")] = None,
    role: DutyRole | None = None,
) -> Response:
    page = service.list_shifts(db, start=from_, end=to, role=role, limit=paging.limit, offset=paging.offset)
    return list_response(request, page, shift_entity)


@router.get("/shifts/{shift_id}", summary="One shift (ETag = version)", response_model=ShiftOut)
def get_shift(shift_id: int, db: SessionDep) -> Response:
    return entity_response(shift_entity(service.get(db, shift_id=shift_id)))


@router.post("/shifts", status_code=201, summary="Put someone on the roster", response_model=ShiftOut)
def create_shift(body: ShiftCreate, db: SessionDep, clock: ClockDep) -> Response:
    shift = service.create(db, data=body, clock=clock)
    db.commit()
    return entity_response(shift_entity(shift), status_code=201, location=f"/api/v1/duty/shifts/{shift.id}")


@router.patch(
    "/shifts/{shift_id}", summary="Edit a shift (send the version you read)", response_model=ShiftOut
)
def update_shift(
    shift_id: int, body: ShiftUpdate, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    shift = service.update(
        db,
        shift_id=shift_id,
        changes=body,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
    )
    db.commit()
    return entity_response(shift_entity(shift))


@router.get("/now", summary="Who is on duty now, per role, in call order", response_model=OnDuty)
def on_duty_now(db: SessionDep, clock: ClockDep) -> Response:
    at = clock.now()
    roster = {
        role.value: [shift_entity(s) for s in service.on_duty(db, at=at, role=role)] for role in DutyRole
    }
    return entity_response({"at": at.isoformat(), **roster})
