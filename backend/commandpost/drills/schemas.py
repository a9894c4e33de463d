"""Exercises in and out."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from commandpost.drills.models import Inject, Rating
from commandpost.schemas import InModel


class ScenarioIn(InModel):
    scenario: str = Field(min_length=1, max_length=1_000_000, description="the scenario file's YAML text")
    file: str = Field(default="scenario.yaml", max_length=200, description="its file name, for error lines")

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "scenario": "format: commandpost-scenario/1\ntitle: 泉港石化园区氯气泄漏演练\n…",
                    "file": "h06-chlorine-leak.yaml",
                }
            ]
        }
    }


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
    improvement_plan: list[dict[str, Any]]


class ObservationIn(InModel):
    objective_id: str | None = Field(
        default=None, max_length=80, description="the scenario objective it is about"
    )
    evaluator: str = Field(min_length=1, max_length=100, examples=["评估员 李明"])
    rating: Rating = Field(
        description="P: performed without challenges, S: with some, M: with major, U: unable"
    )
    text: str = Field(min_length=1, max_length=4000)


class ObservationOut(BaseModel):
    id: int
    objective_id: str | None
    at: str = Field(description="exercise time")
    evaluator: str
    rating: str
    text: str


class ImprovementIn(InModel):
    objective_id: str | None = Field(default=None, max_length=80)
    text: str = Field(min_length=1, max_length=2000, examples=["夜间值班确认预警超时：增加声光提醒并复训"])
    owner: str = Field(min_length=1, max_length=100, examples=["区应急管理局 值班室"])
    due_at: AwareDatetime = Field(description="deadline on the platform clock")
    by: str | None = Field(default=None, max_length=100)


class ImprovementOut(BaseModel):
    id: int
    exercise_id: int
    objective_id: str | None
    text: str
    owner: str
    due_at: str
    status: str = Field(description="open, overdue (open past its deadline) or done")
    done_at: str | None
    done_by: str | None
    version: int


class ImprovementDone(InModel):
    by: str = Field(min_length=1, max_length=100)
