"""Experts in and out: plain JSON entities (an expert has no place on the map)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from commandpost.experts.models import Expert
from commandpost.schemas import InModel, UpdateModel, not_null


def _topics(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    cleaned = [v.strip() for v in values]
    if any(not v or len(v) > 60 for v in cleaned):
        raise ValueError("each field must be 1 to 60 characters")
    if len(set(cleaned)) != len(cleaned):
        raise ValueError("fields must not repeat")
    return cleaned


class ExpertCreate(InModel):
    ref: str | None = Field(default=None, max_length=64, description="your key for this expert, if any")
    name: str = Field(min_length=1, max_length=60, examples=["陈建华"])
    specialty: str = Field(min_length=1, max_length=80, examples=["危险化学品"])
    fields: list[str] = Field(
        default_factory=list, max_length=50, description="finer topics", examples=[["氯气", "液化石油气"]]
    )
    organisation: str | None = Field(default=None, max_length=120, examples=["福建省安全生产专家组"])
    title: str | None = Field(default=None, max_length=60, examples=["高级工程师"])
    phone: str | None = Field(default=None, max_length=40, examples=["13800000000"])

    _fields = field_validator("fields")(_topics)

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "陈建华",
                    "specialty": "危险化学品",
                    "fields": ["氯气", "液化石油气"],
                    "organisation": "福建省安全生产专家组",
                    "title": "高级工程师",
                    "phone": "13800000000",
                }
            ]
        }
    }


_REQUIRED = ("name", "specialty", "fields")


class ExpertUpdate(UpdateModel):
    ref: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=60)
    specialty: str | None = Field(default=None, min_length=1, max_length=80)
    fields: list[str] | None = Field(default=None, max_length=50)
    organisation: str | None = Field(default=None, max_length=120)
    title: str | None = Field(default=None, max_length=60)
    phone: str | None = Field(default=None, max_length=40)

    _fields = field_validator("fields")(_topics)

    _required = field_validator(*_REQUIRED)(not_null)


def expert_entity(expert: Expert) -> dict[str, Any]:
    return {
        "id": expert.id,
        "ref": expert.ref,
        "name": expert.name,
        "specialty": expert.specialty,
        "fields": list(expert.fields or []),
        "organisation": expert.organisation,
        "title": expert.title,
        "phone": expert.phone,
        "version": expert.version,
        "updated_at": expert.updated_at.isoformat(),
    }


class ExpertOut(BaseModel):
    id: int
    ref: str | None
    name: str
    specialty: str
    fields: list[str]
    organisation: str | None
    title: str | None
    phone: str | None
    version: int
    updated_at: datetime
