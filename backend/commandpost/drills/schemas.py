"""Exercises in and out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from commandpost.drills.models import Inject
from commandpost.schemas import InModel


class ScenarioIn(InModel):
    scenario: str = Field(min_length=1, max_length=1_000_000, description="the scenario file's YAML text")
    file: str = Field(default="scenario.yaml", max_length=200, description="its file name, for error lines")


class ExerciseCreate(ScenarioIn):
    name: str | None = Field(default=None, max_length=200, description="default: the scenario's title")
    created_by: str | None = Field(default=None, max_length=100, examples=["演练总指挥 王强"])


class DirectorAction(InModel):
    by: str | None = Field(default=None, max_length=100, description="who does it")


class StartIn(DirectorAction):
    speed: float | None = Field(default=None, ge=1, le=60, description="×1…×60 (default: as set, ×1)")


class SpeedIn(DirectorAction):
    speed: float = Field(ge=1, le=60, description="×1…×60")


class ScenarioProblem(BaseModel):
    file: str
    line: int
    field: str
    message: str


class ValidationOut(BaseModel):
    valid: bool
    problems: list[ScenarioProblem]
    summary: dict[str, Any] | None = Field(description="the scenario as parsed, when it is valid")


class ExerciseOut(BaseModel):
    id: int
    name: str
    scenario_id: str
    status: str
    speed: float
    starts_at: str
    now: str = Field(description="the exercise clock")
    elapsed_s: float
    weather: dict[str, Any]
    incidents: dict[str, int] = Field(description="the scenario's report keys and the incidents they opened")
    out_of_service: list[dict[str, Any]]
    version: int


class InjectOut(BaseModel):
    seq: int
    kind: str
    key: str | None
    offset_s: float
    due_at: str
    spec: dict[str, Any]
    fired_at: str | None
    fired_wall: str | None
    outcome: dict[str, Any] | None


def inject_out(inject: Inject) -> InjectOut:
    return InjectOut(
        seq=inject.seq,
        kind=inject.kind,
        key=inject.key,
        offset_s=inject.offset_s,
        due_at=inject.due_at.isoformat(),
        spec=inject.spec,
        fired_at=inject.fired_at.isoformat() if inject.fired_at else None,
        fired_wall=inject.fired_wall.isoformat() if inject.fired_wall else None,
        outcome=inject.outcome,
    )


class ReportOut(BaseModel):
    exercise: dict[str, Any]
    objectives: list[dict[str, Any]]
    response_times: dict[str, Any]
    injects: dict[str, int]
    timeline: list[dict[str, Any]]
