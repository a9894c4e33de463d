"""Major hazard sources in and out: GeoJSON features whose geometry is the site (point or area)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from geojson_pydantic import Feature
from geojson_pydantic.geometries import Geometry
from pydantic import AfterValidator, BaseModel, Field, field_validator

from commandpost import geo
from commandpost.hazards import gb18218
from commandpost.hazards.models import HazardGrade, HazardSource, RiskColour
from commandpost.schemas import InModel, LayerPage, SiteIn, UpdateModel, not_null

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


def check_category(value: str | None) -> str | None:
    """A GB 18218-2018 table 2 hazard category symbol (J1 … W11), or ValueError listing them."""
    if value is not None and value not in gb18218.categories():
        raise ValueError(
            f"{value!r} is not a GB 18218-2018 table 2 category: one of {', '.join(gb18218.categories())}"
        )
    return value


HazardCategory = Annotated[str, AfterValidator(check_category)]

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
    category: HazardCategory | None = Field(
        default=None,
        description="GB 18218-2018 table 2 hazard category (e.g. W2, J1): needed for a chemical table 1 does "
        "not name, and for β of one that is not a table-3 toxic gas, unless the platform knows it",
        examples=["W2"],
    )


class HazardSourceCreate(InModel):
    ref: str | None = Field(default=None, max_length=64, description="your key for this source, if any")
    enterprise: str = Field(min_length=1, max_length=120)
    name: str = Field(min_length=1, max_length=120)
    site: SiteIn = Field(description="the installation: GeoJSON Point, Polygon or MultiPolygon (WGS 84)")
    chemicals: list[ChemicalIn] = Field(
        min_length=1,
        description="dangerous chemicals held (at least one); the GB 18218-2018 grade is computed from them",
    )
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
                    "chemicals": [{"name": "丙烯", "cas": "115-07-1", "quantity_t": 4000, "category": "W2"}],
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
                {"name": c.name, "cas": c.cas, "quantity_t": c.quantity_t, "category": c.category}
                for c in source.chemicals
            ],
            "sensor_ids": list(sensor_ids),
            "grade": str(source.grade) if source.grade else None,
            "s_value": source.s_value,
            "r_value": source.r_value,
            "risk_colour": str(source.risk_colour) if source.risk_colour else None,
            "risk_colour_reason": source.risk_colour_reason,
            "exposed_population": source.exposed_population,
            "version": source.version,
            "updated_at": source.updated_at.isoformat(),
        },
    }


class RiskColourOverride(InModel):
    """An officer's risk colour in place of the grade's, always with a reason; null returns to the grade's."""

    risk_colour: RiskColour | None = Field(description="the colour to show, or null for the grade's colour")
    reason: str = Field(
        min_length=1, max_length=500, description="why the grade's colour is not the right one"
    )
    by: str | None = Field(default=None, max_length=100, description="the officer", examples=["值班员 林晓"])


class SubstanceGrading(BaseModel):
    name: str
    cas: str | None
    q_t: float = Field(description="quantity held, tonnes (q)")
    critical_quantity_t: float = Field(description="critical quantity, tonnes (Q)")
    critical_quantity_basis: str = Field(description="the table row Q comes from")
    q_over_q: float = Field(description="q/Q, this substance's share of S")
    beta: float = Field(description="correction factor β")
    beta_basis: str = Field(description="the table row β comes from")
    contribution: float = Field(description="β·q/Q, this substance's share of R before α")


class HazardGrading(BaseModel):
    """How the grade was reached: every substance's terms, α and why, S, R and the grade."""

    hazard_source_id: int
    standard: str
    substances: list[SubstanceGrading]
    s_value: float = Field(description="S = Σ q/Q; a major hazard source when S ≥ 1")
    major_hazard: bool
    alpha: float = Field(description="α, from the people within 500 m (table 5)")
    alpha_basis: str
    r_value: float = Field(description="R = α·Σ β·q/Q")
    grade: HazardGrade | None = Field(description="I (R ≥ 100) … IV (R < 10); null when not a major hazard")
    grade_colour: RiskColour | None
    risk_colour: RiskColour | None = Field(description="the colour shown: the grade's, or an officer's")
    risk_colour_reason: str | None = Field(description="why an officer chose the colour, when one did")


def grading_out(source: HazardSource, grading: gb18218.Grading) -> HazardGrading:
    return HazardGrading(
        hazard_source_id=source.id,
        standard=gb18218.STANDARD,
        substances=[
            SubstanceGrading(
                name=x.name,
                cas=x.cas,
                q_t=x.q_t,
                critical_quantity_t=x.critical_quantity_t,
                critical_quantity_basis=x.critical_quantity_basis,
                q_over_q=round(x.q_over_q, 4),
                beta=x.beta,
                beta_basis=x.beta_basis,
                contribution=round(x.contribution, 4),
            )
            for x in grading.lines
        ],
        s_value=grading.s_value,
        major_hazard=grading.major,
        alpha=grading.alpha,
        alpha_basis=grading.alpha_basis,
        r_value=grading.r_value,
        grade=grading.grade,
        grade_colour=COLOUR_OF_GRADE[grading.grade] if grading.grade else None,
        risk_colour=source.risk_colour,
        risk_colour_reason=source.risk_colour_reason,
    )


class ChemicalOut(BaseModel):
    name: str
    cas: str | None
    quantity_t: float


class HazardSourceProperties(BaseModel):
    id: int
    ref: str | None
    enterprise: str
    name: str
    chemicals: list[ChemicalOut]
    sensor_ids: list[int] = Field(description="the sensors watching this source")
    grade: HazardGrade | None
    r_value: float | None
    risk_colour: RiskColour | None
    exposed_population: int | None
    version: int
    updated_at: datetime


HazardSourceFeature = Feature[Geometry, HazardSourceProperties]
HazardSourceLayer = LayerPage[HazardSourceFeature]
