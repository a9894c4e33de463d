"""HTTP routes for the expert pool (专家库); the rules are in `service`."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from commandpost.experts import service
from commandpost.experts.schemas import ExpertCreate, ExpertOut, ExpertUpdate, expert_entity
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

router = APIRouter(prefix="/experts", tags=["experts"], responses=PROBLEM_RESPONSES)


@router.get("", summary="The expert pool, by name", response_model=ListPage[ExpertOut])
def list_experts(
    request: Request,
    db: SessionDep,
    paging: PagingDep,
    specialty: str | None = Query(
        default=None, max_length=80, description="only experts with this specialty"
    ),
) -> Response:
    page = service.list_experts(db, specialty=specialty, limit=paging.limit, offset=paging.offset)
    return list_response(request, page, expert_entity)


@router.get("/{expert_id}", summary="One expert (ETag = version)", response_model=ExpertOut)
def get_expert(expert_id: int, db: SessionDep) -> Response:
    return entity_response(expert_entity(service.get(db, expert_id=expert_id)))


@router.post("", status_code=201, summary="Add an expert to the pool", response_model=ExpertOut)
def create_expert(body: ExpertCreate, db: SessionDep, clock: ClockDep) -> Response:
    expert = service.create(db, data=body, clock=clock)
    db.commit()
    return entity_response(expert_entity(expert), status_code=201, location=f"/api/v1/experts/{expert.id}")


@router.patch("/{expert_id}", summary="Edit an expert (send the version you read)", response_model=ExpertOut)
def update_expert(
    expert_id: int, body: ExpertUpdate, db: SessionDep, clock: ClockDep, if_match: IfMatchDep
) -> Response:
    expert = service.update(
        db,
        expert_id=expert_id,
        changes=body,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
    )
    db.commit()
    return entity_response(expert_entity(expert))
