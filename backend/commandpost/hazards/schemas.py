"""Major hazard sources in and out: GeoJSON features whose geometry is the site (point or area)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator

from commandpost import geo
from commandpost.hazards.models import HazardGrade, HazardSource, RiskColour
from commandpost.schemas import InModel, SiteIn, UpdateModel, not_null

_CAS = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")


def check_cas(value: str | None) -> str | None:
    """A CAS Registry Number like 7732-18-5 whose check digit is right, or ValueError saying why."""
    if value is None:
        return None
    match = _CAS.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a CAS number: expected digits like 7732-18-5")
    body = match.group(1) + match.group(2)
    expected = sum(int(d) * i for i, d in enumerate(reversed(body), start=1)) % 10
    if int(match.group(3)) != expected:
        raise ValueError(f"{value} is not a valid CAS number: its check digit should be {expected}")
    return value


CasNumber = Annotated[str, AfterValidator(check_cas)]

# The grade's colour when no separate risk colour is given (GB 18218 I most severe → red).
COLOUR_OF_GRADE: dict[HazardGrade, RiskColour] = {
    HazardGrade.I: RiskColour.red,
    HazardGrade.II: RiskColour.orange,
    HazardGrade.III: RiskColour.yellow,
    HazardGrade.IV: RiskColour.blue,
}


class ChemicalIn(InModel):
    name: str = Field(min_length=1, max_length=80, examples=["丙烯"])
    cas: CasNumber | None = Field(default=None, description="CAS Registry Number, check digit verified")
    quantity_t: float = Field(gt=0, lt=1e11, description="quantity held, tonnes")


class HazardSourceCreate(InModel):
    ref: str | None = Field(default=None, max_length=64, description="your key for this source, if any")
    enterprise: str = Field(min_length=1, max_length=120)
    name: str = Field(min_length=1, max_length=120)
    site: SiteIn = Field(description="the installation: GeoJSON Point, Polygon or MultiPolygon (WGS 84)")
    chemicals: list[ChemicalIn] = Field(min_length=1, description="dangerous chemicals held (at least one)")
    grade: HazardGrade | None = Field(default=None, description="GB 18218-2018 grade, I most severe")
    r_value: float | None = Field(default=None, ge=0, lt=1e8, description="GB 18218-2018 R value")
    risk_colour: RiskColour | None = Field(default=None, description="defaults to the grade's colour")
    exposed_population: int | None = Field(
        default=None, ge=0, le=100_000_000, description="people within 500 m"
    )

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "ref": "QG-HS-001",
                    "enterprise": "福建联合石油化工有限公司",
                    "name": "丙烯球罐区",
                    "site": {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [118.921, 25.141],
                                [118.925, 25.141],
                                [118.925, 25.144],
                                [118.921, 25.144],
                                [118.921, 25.141],
                            ]
                        ],
                    },
                    "chemicals": [{"name": "丙烯", "cas": "115-07-1", "quantity_t": 4000}],
                    "grade": "I",
                    "r_value": 152.4,
                    "exposed_population": 1200,
                }
            ]
        }
    }


class HazardSourceUpdate(UpdateModel):
    """Fields to change; `chemicals`, when sent, replaces the whole list."""

    ref: str | None = Field(default=None, max_length=64)
    enterprise: str | None = Field(default=None, min_length=1, max_length=120)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    site: SiteIn | None = None
    chemicals: list[ChemicalIn] | None = Field(default=None, min_length=1)
    grade: HazardGrade | None = None
    r_value: float | None = Field(default=None, ge=0, lt=1e8)
    risk_colour: RiskColour | None = None
    exposed_population: int | None = Field(default=None, ge=0, le=100_000_000)

    _required = field_validator("enterprise", "name", "site", "chemicals")(not_null)


def hazard_source_feature(source: HazardSource, sensor_ids: Iterable[int] = ()) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": source.id,
        "geometry": geo.to_geojson(source.site),
        "properties": {
            "id": source.id,
            "ref": source.ref,
            "enterprise": source.enterprise,
            "name": source.name,
            "chemicals": [
                {"name": c.name, "cas": c.cas, "quantity_t": c.quantity_t} for c in source.chemicals
            ],
            "sensor_ids": list(sensor_ids),
            "grade": str(source.grade) if source.grade else None,
            "r_value": source.r_value,
            "risk_colour": str(source.risk_colour) if source.risk_colour else None,
            "exposed_population": source.exposed_population,
            "version": source.version,
            "updated_at": source.updated_at.isoformat(),
        },
    }
