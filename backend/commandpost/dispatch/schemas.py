"""Dispatch in and out: plans, checklists, assignments (GeoJSON features along their route),
material requests, staging proposals."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from geojson_pydantic import Feature, FeatureCollection, LineString, Point
from geojson_pydantic.geometries import Geometry
from pydantic import BaseModel, Field, field_validator

from commandpost import geo
from commandpost.depots.schemas import MaterialCode, PositiveQuantity
from commandpost.dispatch.models import (
    AllocationStatus,
    Assignment,
    AssignmentStatus,
    ChecklistItem,
    MaterialAllocation,
    MaterialRequest,
    ResponsePlan,
)
from commandpost.incidents.models import IncidentType, ResponseLevel
from commandpost.routing.schemas import Leg, RouteProperties
from commandpost.schemas import AreaIn, InModel, LayerPage, UpdateModel
from commandpost.teams.models import Capability

Code = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- response plans ----------------------------------------------------------------------


class PlanNeed(InModel):
    """What the plan says must be sent: teams with these capabilities, this many people in all."""

    need: Code = Field(examples=["hazmat"])
    label: str | None = Field(default=None, max_length=80, examples=["危化品处置"])
    capabilities: list[Capability] = Field(min_length=1, examples=[["hazmat", "leak_sealing"]])
    min_headcount: int = Field(default=0, ge=0, le=100_000, description="people this need calls for in all")

    @field_validator("capabilities")
    @classmethod
    def _unique(cls, value: list[Capability]) -> list[Capability]:
        if len(set(value)) != len(value):
            raise ValueError("capabilities must not repeat")
        return value


class PlanAction(InModel):
    """What the plan says must be done, by which role, within how many minutes of the level being set."""

    code: Code = Field(
        examples=["notify_leader"],
        description="`dispatch_first_response` is ticked by the first team dispatched; the rest by hand",
    )
    action: str = Field(min_length=1, max_length=300, examples=["报告带班领导"])
    role: str = Field(min_length=1, max_length=60, examples=["duty_officer"])
    within_minutes: int = Field(ge=1, le=10_080)


class PlanPut(UpdateModel):
    """A whole plan; replacing an existing one needs the version you read (If-Match or `version`)."""

    name: str = Field(min_length=1, max_length=160, examples=["危险化学品泄漏 II级响应"])
    needs: list[PlanNeed] = Field(default_factory=list)
    actions: list[PlanAction] = Field(default_factory=list)

    @field_validator("needs")
    @classmethod
    def _unique_needs(cls, value: list[PlanNeed]) -> list[PlanNeed]:
        codes = [n.need for n in value]
        if len(set(codes)) != len(codes):
            raise ValueError("each need appears once")
        return value

    @field_validator("actions")
    @classmethod
    def _unique_actions(cls, value: list[PlanAction]) -> list[PlanAction]:
        codes = [a.code for a in value]
        if len(set(codes)) != len(codes):
            raise ValueError("each action code appears once")
        return value

    model_config = UpdateModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "危险化学品泄漏 III级响应",
                    "needs": [
                        {
                            "need": "hazmat",
                            "label": "危化品处置",
                            "capabilities": ["hazmat", "leak_sealing"],
                            "min_headcount": 20,
                        },
                        {
                            "need": "medical",
                            "label": "医疗救护",
                            "capabilities": ["medical"],
                            "min_headcount": 6,
                        },
                    ],
                    "actions": [
                        {
                            "code": "notify_leader",
                            "action": "报告带班领导",
                            "role": "duty_officer",
                            "within_minutes": 5,
                        }
                    ],
                }
            ]
        }
    }


def plan_entity(plan: ResponsePlan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "incident_type": str(plan.incident_type),
        "response_level": str(plan.response_level),
        "name": plan.name,
        "needs": plan.needs,
        "actions": plan.actions,
        "version": plan.version,
        "updated_at": _iso(plan.updated_at),
    }


# --- checklists --------------------------------------------------------------------------


class ActionDone(InModel):
    by: str | None = Field(default=None, max_length=100, examples=["值班员 林晓"])
    note: str | None = Field(default=None, max_length=1000)
    version: int | None = Field(
        default=None, ge=1, description="the version you read, if you want it checked"
    )


def checklist_entity(item: ChecklistItem, *, now: datetime) -> dict[str, Any]:
    overdue = item.done_at is None and now > item.due_at
    return {
        "id": item.id,
        "incident_id": item.incident_id,
        "response_level": str(item.response_level),
        "code": item.code,
        "action": item.action,
        "role": item.role,
        "opened_at": _iso(item.opened_at),
        "due_at": _iso(item.due_at),
        "done_at": _iso(item.done_at),
        "done_by": item.done_by,
        "note": item.note,
        "status": "done" if item.done_at is not None else ("overdue" if overdue else "open"),
        "overdue": overdue,
        "version": item.version,
    }


# --- assignments -------------------------------------------------------------------------


class AssignmentCreate(InModel):
    team_id: int = Field(ge=1)
    need: Code | None = Field(default=None, description="the plan's need this team is sent for")
    assigned_by: str | None = Field(default=None, max_length=100, examples=["调度员 陈静"])

    model_config = InModel.model_config | {
        "json_schema_extra": {"examples": [{"team_id": 1, "need": "hazmat", "assigned_by": "调度员 陈静"}]}
    }


class TeamStep(StrEnum):
    """The next step a dispatched team reports; `available` ends the assignment."""

    en_route = "en_route"
    on_scene = "on_scene"
    returning = "returning"
    available = "available"


class AssignmentStatusChange(InModel):
    status: TeamStep
    by: str | None = Field(default=None, max_length=100)
    version: int | None = Field(
        default=None, ge=1, description="the version you read, if you want it checked"
    )


def assignment_feature(assignment: Assignment, *, team_name: str | None = None) -> dict[str, Any]:
    """An assignment as a GeoJSON Feature along its current route (null geometry when it has none)."""
    return {
        "type": "Feature",
        "id": assignment.id,
        "geometry": geo.to_geojson(assignment.route),
        "properties": {
            "id": assignment.id,
            "incident_id": assignment.incident_id,
            "team_id": assignment.team_id,
            "team_name": team_name,
            "need": assignment.need,
            "status": str(assignment.status),
            "active": assignment.active,
            "eta_s": assignment.eta_s,
            "distance_m": assignment.distance_m,
            "legs": assignment.legs,
            "assigned_by": assignment.assigned_by,
            "assigned_at": _iso(assignment.assigned_at),
            "status_at": _iso(assignment.status_at),
            "closed_at": _iso(assignment.closed_at),
            "exercise_id": assignment.exercise_id,
            "version": assignment.version,
            "updated_at": _iso(assignment.updated_at),
        },
    }


# --- staging -----------------------------------------------------------------------------


class StagingRequest(InModel):
    """A toxic-release danger zone and the wind; answered with an up-wind staging area and safe routes."""

    danger_zone: AreaIn | None = Field(default=None, description="the zone, drawn (or give closure_id)")
    closure_id: int | None = Field(default=None, ge=1, description="a stored danger-zone closure instead")
    wind_from_deg: float = Field(ge=0, le=360, description="where the wind blows FROM, degrees from north")
    wind_speed_ms: float = Field(default=2.0, ge=0, le=80, description="wind speed, m/s")
    safe_distance_m: float = Field(default=500, ge=50, le=20_000, description="how far outside the zone")
    team_ids: list[int] | None = Field(
        default=None, max_length=200, description="teams to route; default: the incident's assigned teams"
    )
    by: str | None = Field(default=None, max_length=100)

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "danger_zone": {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [118.92, 25.12],
                                [118.94, 25.12],
                                [118.94, 25.14],
                                [118.92, 25.14],
                                [118.92, 25.12],
                            ]
                        ],
                    },
                    "wind_from_deg": 45,
                    "wind_speed_ms": 3.5,
                    "safe_distance_m": 800,
                }
            ]
        }
    }


# --- materials ---------------------------------------------------------------------------


class MaterialItem(InModel):
    material: MaterialCode
    quantity: PositiveQuantity


class MaterialRequestCreate(InModel):
    items: list[MaterialItem] = Field(min_length=1, max_length=50)
    requested_by: str | None = Field(default=None, max_length=100, examples=["现场指挥部 王队长"])
    note: str | None = Field(default=None, max_length=1000)

    @field_validator("items")
    @classmethod
    def _unique(cls, value: list[MaterialItem]) -> list[MaterialItem]:
        codes = [i.material for i in value]
        if len(set(codes)) != len(codes):
            raise ValueError("each material appears once")
        return value

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "items": [
                        {"material": "foam_concentrate", "quantity": 20},
                        {"material": "absorbent_boom", "quantity": 500},
                    ],
                    "requested_by": "现场指挥部 王队长",
                }
            ]
        }
    }


class AllocationStep(StrEnum):
    dispatched = "dispatched"
    delivered = "delivered"
    cancelled = "cancelled"


class AllocationStatusChange(InModel):
    status: AllocationStep
    by: str | None = Field(default=None, max_length=100)


def allocation_entity(allocation: MaterialAllocation, *, depot_name: str | None = None) -> dict[str, Any]:
    return {
        "id": allocation.id,
        "request_id": allocation.request_id,
        "incident_id": allocation.incident_id,
        "depot_id": allocation.depot_id,
        "depot_name": depot_name,
        "material": allocation.material_code,
        "quantity": allocation.quantity,
        "status": str(allocation.status),
        "eta_s": allocation.eta_s,
        "distance_m": allocation.distance_m,
        "reserved_at": _iso(allocation.reserved_at),
        "dispatched_at": _iso(allocation.dispatched_at),
        "delivered_at": _iso(allocation.delivered_at),
        "cancelled_at": _iso(allocation.cancelled_at),
        "version": allocation.version,
    }


def request_entity(request: MaterialRequest, *, depot_names: dict[int, str] | None = None) -> dict[str, Any]:
    """A request with its allocations; per item what was asked, what is allocated now, what is short."""
    names = depot_names or {}
    allocations = [allocation_entity(a, depot_name=names.get(a.depot_id)) for a in request.allocations]
    items = []
    for item in request.items:
        allocated = sum(
            a["quantity"]
            for a in allocations
            if a["material"] == item["material"] and a["status"] != "cancelled"
        )
        items.append(
            {
                **item,
                "allocated": round(allocated, 3),
                "outstanding": round(max(item["quantity"] - allocated, 0.0), 3),
            }
        )
    return {
        "id": request.id,
        "incident_id": request.incident_id,
        "items": items,
        "fully_allocated": all(i["outstanding"] == 0 for i in items),
        "allocations": allocations,
        "requested_by": request.requested_by,
        "note": request.note,
        "created_at": _iso(request.created_at),
        "exercise_id": request.exercise_id,
        "version": request.version,
        "updated_at": _iso(request.updated_at),
    }


# --- what comes back ---------------------------------------------------------------------


class PlanOut(BaseModel):
    id: int
    incident_type: IncidentType
    response_level: ResponseLevel
    name: str
    needs: list[PlanNeed]
    actions: list[PlanAction]
    version: int
    updated_at: datetime


class ChecklistItemOut(BaseModel):
    id: int
    incident_id: int
    response_level: ResponseLevel
    code: str
    action: str
    role: str
    opened_at: datetime
    due_at: datetime
    done_at: datetime | None
    done_by: str | None
    note: str | None
    status: str = Field(examples=["open", "overdue", "done"])
    overdue: bool
    version: int


class Checklist(BaseModel):
    """The incident's plan checklist, oldest deadline first, with what is overdue now."""

    incident_id: int
    response_level: ResponseLevel | None
    plan: str | None = Field(description="the plan's name; null when no level is set yet")
    opened_at: datetime | None
    items: list[ChecklistItemOut]
    open: int
    overdue: int
    done: int
    as_of: datetime


class TeamRouteProperties(RouteProperties):
    """A team's route: to the incident (recommendations) or to the staging area (staging)."""

    team_id: int
    team_name: str | None = None
    incident_id: int
    enters_danger_zone: bool | None = Field(default=None, description="staging: whether it crosses the zone")


TeamRoute = Feature[LineString, TeamRouteProperties]


class EquipmentItem(BaseModel):
    code: str
    label: str
    label_zh: str


class EquipmentFit(BaseModel):
    """For a hazmat need: whether the team's equipment fits the chemical, and what it lacks."""

    fits: bool
    lacking: list[EquipmentItem]


class Candidate(BaseModel):
    """A team that can meet a need, with why."""

    rank: int
    team_id: int
    name: str
    kind: str
    tier: str
    headcount: int
    position: list[float] = Field(description="[lon, lat]")
    reachable: bool
    eta_s: float | None
    distance_m: float | None
    matched: list[str] = Field(description="capabilities of the need the team has")
    missing: list[str] = Field(description="capabilities of the need the team lacks")
    suggested: bool = Field(description="chosen for this need")
    chosen_for: str | None = Field(description="the need this team is chosen for (one team, one need)")
    equipment_fit: EquipmentFit | None
    unreachable_reason: str | None
    route: TeamRoute | None


class NeedCandidates(BaseModel):
    need: str
    label: str | None
    capabilities: list[str]
    min_headcount: int
    assigned_headcount: int
    suggested_headcount: int
    suggested_team_ids: list[int]
    short_headcount: int = Field(description="people still missing once the chosen teams are counted")
    covered_eta_s: float | None = Field(description="when the last chosen team arrives")
    met: bool = Field(description="assigned and suggested teams reach the minimum headcount")
    candidates_total: int
    candidates: list[Candidate]


class PlanFollowed(BaseModel):
    id: int
    name: str
    incident_type: IncidentType
    response_level: ResponseLevel
    level_assumed: bool = Field(description="no level set yet: level IV assumed")


class NetworkSize(BaseModel):
    nodes: int
    edges: int
    closed_segments: int


class ChosenTeam(BaseModel):
    need: str
    team_id: int
    name: str
    headcount: int
    eta_s: float
    distance_m: float
    equipment_fit: EquipmentFit | None


class MissingNeed(BaseModel):
    need: str
    label: str | None
    short_headcount: int
    unfit_team_ids: list[int] = Field(description="chosen only for want of a team whose equipment fits")
    reason: str


class ChemicalInvolved(BaseModel):
    name: str
    cas: str | None
    classes: list[str]
    source: str = Field(alias="from", description="where the platform learnt of it")


class Recommendations(BaseModel):
    incident_id: int
    plan: PlanFollowed
    needs: list[NeedCandidates]
    chosen: list[ChosenTeam] = Field(description="the distinct teams that cover the needs, one need each")
    missing: list[MissingNeed]
    chemicals: list[ChemicalInvolved]
    equipment_needed_for_hazmat: list[EquipmentItem]
    unreachable_reason: str | None
    approach: dict[str, Any] | None = Field(description="set when the incident lies in a danger zone")
    available_teams: int
    network: NetworkSize
    as_of: datetime


class AssignmentProperties(BaseModel):
    id: int
    incident_id: int
    team_id: int
    team_name: str | None
    need: str | None
    status: AssignmentStatus
    active: bool
    eta_s: float | None
    distance_m: float | None
    legs: list[Leg]
    assigned_by: str | None
    assigned_at: datetime
    status_at: datetime
    closed_at: datetime | None
    exercise_id: int | None
    version: int
    updated_at: datetime


AssignmentFeature = Feature[LineString, AssignmentProperties]
AssignmentLayer = LayerPage[AssignmentFeature]


class StagingProperties(BaseModel):
    kind: str = Field(examples=["staging_area"])
    on_road: bool
    distance_from_zone_m: float
    bearing_from_zone_deg: float
    wind_from_deg: float
    wind_speed_ms: float
    safe_distance_m: float
    note: str | None = Field(description="how the rule was relaxed when no road fitted it")


class ZoneProperties(BaseModel):
    kind: str = Field(examples=["danger_zone"])


class StagingProposal(BaseModel):
    incident_id: int
    staging: Feature[Point, StagingProperties]
    danger_zone: Feature[Geometry, ZoneProperties]
    routes: FeatureCollection[TeamRoute]


class AllocationOut(BaseModel):
    id: int
    request_id: int
    incident_id: int
    depot_id: int
    depot_name: str | None
    material: str
    quantity: float
    status: AllocationStatus
    eta_s: float | None
    distance_m: float | None
    reserved_at: datetime | None
    dispatched_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    version: int


class RequestedItem(BaseModel):
    material: str
    quantity: float
    allocated: float = Field(description="reserved, dispatched or delivered now")
    outstanding: float = Field(description="asked and not allocated")


class MaterialRequestOut(BaseModel):
    id: int
    incident_id: int
    items: list[RequestedItem]
    fully_allocated: bool
    allocations: list[AllocationOut]
    requested_by: str | None
    note: str | None
    created_at: datetime
    exercise_id: int | None
    version: int
    updated_at: datetime
