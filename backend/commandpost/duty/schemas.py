"""Duty shifts in and out: plain JSON entities with timezone-aware times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from commandpost.duty.models import DutyRole, DutyShift
from commandpost.schemas import InModel, UpdateModel, not_null


class ShiftCreate(InModel):
    person: str = Field(min_length=1, max_length=60, examples=["林晓"])
    role: DutyRole
    phone: str | None = Field(default=None, max_length=40, examples=["13800000000"])
    starts_at: AwareDatetime = Field(description="with its offset, e.g. 2026-11-22T08:00:00+08:00")
    ends_at: AwareDatetime = Field(description="after starts_at; the shift ends just before this instant")
    rank: int = Field(default=1, ge=1, le=99, description="who is called first inside one role: 1")

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "person": "林晓",
                    "role": "duty_officer",
                    "phone": "13800000000",
                    "starts_at": "2026-11-22T08:00:00+08:00",
                    "ends_at": "2026-11-23T08:00:00+08:00",
                    "rank": 1,
                }
            ]
        }
    }


_REQUIRED = ("person", "role", "starts_at", "ends_at", "rank")


class ShiftUpdate(UpdateModel):
    person: str | None = Field(default=None, min_length=1, max_length=60)
    role: DutyRole | None = None
    phone: str | None = Field(default=None, max_length=40)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    rank: int | None = Field(default=None, ge=1, le=99)

    _required = field_validator(*_REQUIRED)(not_null)


def shift_entity(shift: DutyShift) -> dict[str, Any]:
    return {
        "id": shift.id,
        "person": shift.person,
        "role": str(shift.role),
        "phone": shift.phone,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "rank": shift.rank,
        "version": shift.version,
        "updated_at": shift.updated_at.isoformat(),
    }


class ShiftOut(BaseModel):
    id: int
    person: str
    role: DutyRole
    phone: str | None
    starts_at: datetime
    ends_at: datetime
    rank: int
    version: int
    updated_at: datetime


class OnDuty(BaseModel):
    """Who is on duty at `at`: one list per role, in call order."""

    at: datetime
    duty_officer: list[ShiftOut] = []
    dispatcher: list[ShiftOut] = []
    leader_on_duty: list[ShiftOut] = []
