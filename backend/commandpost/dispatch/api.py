"""HTTP routes for dispatch: plans, checklists, recommendations, assignments, staging, materials.

Commands take an optional `Idempotency-Key` header: a repeat with the same key returns the first
response (with `Idempotent-Replayed: true`) and changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from commandpost.dispatch import materials, plans, service
from commandpost.dispatch.http import RouterDep
from commandpost.dispatch.schemas import (
    ActionDone,
    AllocationStatusChange,
    AssignmentCreate,
    AssignmentFeature,
    AssignmentLayer,
    AssignmentStatusChange,
    Checklist,
    ChecklistItemOut,
    MaterialRequestCreate,
    MaterialRequestOut,
    PlanOut,
    PlanPut,
    Recommendations,
    StagingProposal,
    StagingRequest,
    assignment_feature,
    checklist_entity,
    plan_entity,
)
from commandpost.idempotency import IdempotencyKeyDep, Outcome, run_idempotent
from commandpost.incidents.models import IncidentType, ResponseLevel
from commandpost.schemas import PROBLEM_RESPONSES, ListPage
from commandpost.web import (
    ClockDep,
    GeoJSONResponse,
    IfMatchDep,
    PagingDep,
    PlainJSONResponse,
    SessionDep,
    entity_response,
    expected_version,
    feature_response,
    layer_response,
    list_response,
)

plans_router = APIRouter(prefix="/response-plans", tags=["response plans"], responses=PROBLEM_RESPONSES)
router = APIRouter(prefix="/incidents/{incident_id}", tags=["dispatch"], responses=PROBLEM_RESPONSES)
assignments_router = APIRouter(prefix="/assignments", tags=["dispatch"], responses=PROBLEM_RESPONSES)


# --- response plans ----------------------------------------------------------------------


@plans_router.get(
    "", summary="Response plans (应急预案), by incident type and level", response_model=ListPage[PlanOut]
)
def list_plans(
    request: Request, db: SessionDep, paging: PagingDep, incident_type: IncidentType | None = None
) -> Response:
    page = plans.list_plans(db, incident_type=incident_type, limit=paging.limit, offset=paging.offset)
    return list_response(request, page, plan_entity)


@plans_router.get(
    "/{incident_type}/{level}",
    summary="The plan for one incident type and response level",
    response_model=PlanOut,
)
def get_plan(incident_type: IncidentType, level: ResponseLevel, db: SessionDep) -> Response:
    return entity_response(plan_entity(plans.get(db, incident_type=incident_type, level=level)))


@plans_router.put(
    "/{incident_type}/{level}",
    summary="Create or replace a plan (replacing needs the version you read: If-Match or `version`)",
    responses={201: {"model": PlanOut, "description": "created"}},
    response_model=PlanOut,
)
def put_plan(
    incident_type: IncidentType,
    level: ResponseLevel,
    body: PlanPut,
    db: SessionDep,
    clock: ClockDep,
    if_match: IfMatchDep,
) -> Response:
    plan, created = plans.put(
        db,
        incident_type=incident_type,
        level=level,
        data=body,
        expected_version=expected_version(body.version, if_match),
        clock=clock,
    )
    db.commit()
    return entity_response(
        plan_entity(plan),
        status_code=201 if created else 200,
        location=f"/api/v1/response-plans/{incident_type.value}/{level.value}" if created else None,
    )


# --- checklist ---------------------------------------------------------------------------


@router.get(
    "/checklist",
    summary="The incident's plan checklist: actions, roles, deadlines, what is overdue",
    response_model=Checklist,
)
def get_checklist(incident_id: int, db: SessionDep, clock: ClockDep) -> Response:
    return PlainJSONResponse(plans.checklist(db, incident_id=incident_id, clock=clock))


@router.post(
    "/checklist/{item_id}/done", summary="Mark a checklist action done", response_model=ChecklistItemOut
)
def complete_action(
    request: Request,
    incident_id: int,
    item_id: int,
    body: ActionDone,
    db: SessionDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    def command() -> Outcome:
        item = plans.complete(db, incident_id=incident_id, item_id=item_id, data=body, clock=clock)
        return 200, checklist_entity(item, now=clock.now()), None

    return run_idempotent(request, db, clock, idempotency_key, body.model_dump(mode="json"), command)


# --- recommendations and assignments -----------------------------------------------------


@router.get(
    "/recommendations",
    summary="Teams to send, per need of the incident's plan, fastest first, with why and their routes",
    response_model=Recommendations,
)
def recommendations(
    incident_id: int,
    db: SessionDep,
    clock: ClockDep,
    road_router: RouterDep,
    per_need: Annotated[int, Query(ge=1, le=100, description="candidates listed per need")] = 5,
    routes: Annotated[int, Query(ge=0, le=20, description="route geometries per need (the first ones)")] = 3,
) -> Response:
    result = service.recommend(
        db, incident_id=incident_id, router=road_router, clock=clock, per_need=per_need, routes=routes
    )
    return PlainJSONResponse(result)


@router.get(
    "/assignments",
    summary="The incident's assignments (GeoJSON FeatureCollection along their routes)",
    response_model=AssignmentLayer,
    response_class=GeoJSONResponse,
)
def list_incident_assignments(
    request: Request,
    incident_id: int,
    db: SessionDep,
    paging: PagingDep,
    active: bool | None = None,
) -> Response:
    page = service.list_assignments(
        db, incident_id=incident_id, active=active, limit=paging.limit, offset=paging.offset
    )
    names = service.team_names(db, [a.team_id for a in page.items])
    return layer_response(request, page, lambda a: assignment_feature(a, team_name=names.get(a.team_id)))


@router.post(
    "/assignments",
    status_code=201,
    summary="Dispatch a team to the incident (409 if it is committed elsewhere); send an Idempotency-Key",
    response_model=AssignmentFeature,
    response_class=GeoJSONResponse,
)
def assign(
    request: Request,
    incident_id: int,
    body: AssignmentCreate,
    db: SessionDep,
    clock: ClockDep,
    road_router: RouterDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    def command() -> Outcome:
        assignment = service.assign(
            db,
            incident_id=incident_id,
            team_id=body.team_id,
            need=body.need,
            router=road_router,
            clock=clock,
            actor=body.assigned_by,
        )
        return (
            201,
            service.feature(db, assignment),
            f"/api/v1/incidents/{incident_id}/assignments/{assignment.id}",
        )

    return run_idempotent(request, db, clock, idempotency_key, body.model_dump(mode="json"), command)


@router.get(
    "/assignments/{assignment_id}",
    summary="One assignment (GeoJSON Feature along its route)",
    response_model=AssignmentFeature,
    response_class=GeoJSONResponse,
)
def get_assignment(incident_id: int, assignment_id: int, db: SessionDep) -> Response:
    assignment = service.get(db, incident_id=incident_id, assignment_id=assignment_id)
    return feature_response(service.feature(db, assignment))


@router.post(
    "/assignments/{assignment_id}/status",
    summary="Report the team's next step: en_route, on_scene, returning, available (done, or recalled)",
    response_model=AssignmentFeature,
    response_class=GeoJSONResponse,
)
def advance_assignment(
    request: Request,
    incident_id: int,
    assignment_id: int,
    body: AssignmentStatusChange,
    db: SessionDep,
    clock: ClockDep,
    if_match: IfMatchDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    def command() -> Outcome:
        assignment = service.advance(
            db,
            incident_id=incident_id,
            assignment_id=assignment_id,
            step=body.status,
            expected_version=expected_version(body.version, if_match),
            clock=clock,
            actor=body.by,
        )
        return 200, service.feature(db, assignment), None

    return run_idempotent(request, db, clock, idempotency_key, body.model_dump(mode="json"), command)


@assignments_router.get(
    "",
    summary="All assignments (the routes layer; active ones by default)",
    response_model=AssignmentLayer,
    response_class=GeoJSONResponse,
)
def list_assignments(
    request: Request,
    db: SessionDep,
    paging: PagingDep,
    active: Annotated[bool | None, Query(description="true (default): teams still out")] = True,
) -> Response:
    page = service.list_assignments(db, active=active, limit=paging.limit, offset=paging.offset)
    names = service.team_names(db, [a.team_id for a in page.items])
    return layer_response(request, page, lambda a: assignment_feature(a, team_name=names.get(a.team_id)))


# --- staging -----------------------------------------------------------------------------


@router.post(
    "/staging",
    summary="Toxic release: a staging area up-wind of the danger zone, approach routes that stay out of it",
    response_model=StagingProposal,
)
def staging(
    incident_id: int, body: StagingRequest, db: SessionDep, clock: ClockDep, road_router: RouterDep
) -> Response:
    proposal = service.propose_staging(
        db, incident_id=incident_id, data=body, router=road_router, clock=clock
    )
    db.commit()
    return PlainJSONResponse(proposal)


# --- materials ---------------------------------------------------------------------------


@router.post(
    "/material-requests",
    status_code=201,
    summary="Request materials: reserved from the depots nearest in travel time; shortages reported",
    response_model=MaterialRequestOut,
)
def request_materials(
    request: Request,
    incident_id: int,
    body: MaterialRequestCreate,
    db: SessionDep,
    clock: ClockDep,
    road_router: RouterDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    def command() -> Outcome:
        made = materials.request_materials(
            db, incident_id=incident_id, data=body, router=road_router, clock=clock
        )
        return (
            201,
            materials.entity(db, made),
            f"/api/v1/incidents/{incident_id}/material-requests/{made.id}",
        )

    return run_idempotent(request, db, clock, idempotency_key, body.model_dump(mode="json"), command)


@router.get(
    "/material-requests",
    summary="The incident's material requests and their allocations",
    response_model=ListPage[MaterialRequestOut],
)
def list_material_requests(request: Request, incident_id: int, db: SessionDep, paging: PagingDep) -> Response:
    page = materials.list_requests(db, incident_id=incident_id, limit=paging.limit, offset=paging.offset)
    return list_response(request, page, lambda r: materials.entity(db, r))


@router.get(
    "/material-requests/{request_id}",
    summary="One material request with its allocations",
    response_model=MaterialRequestOut,
)
def get_material_request(incident_id: int, request_id: int, db: SessionDep) -> Response:
    return entity_response(
        materials.entity(db, materials.get(db, incident_id=incident_id, request_id=request_id))
    )


@router.post(
    "/material-allocations/{allocation_id}/status",
    summary="Move an allocation: dispatched (leaves the depot), delivered, or cancelled (stock back)",
    response_model=MaterialRequestOut,
)
def change_allocation(
    request: Request,
    incident_id: int,
    allocation_id: int,
    body: AllocationStatusChange,
    db: SessionDep,
    clock: ClockDep,
    road_router: RouterDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    def command() -> Outcome:
        made = materials.change_allocation(
            db,
            incident_id=incident_id,
            allocation_id=allocation_id,
            step=body.status,
            clock=clock,
            actor=body.by,
            router=road_router,
        )
        return 200, materials.entity(db, made), None

    return run_idempotent(request, db, clock, idempotency_key, body.model_dump(mode="json"), command)
