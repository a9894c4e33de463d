"""Threat-zone model requests (one shape per model, told apart by `model`) and the zones they give."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, Tag

from commandpost.schemas import InModel, Link, PointIn
from commandpost.zones.modelling.erg import Container, Spill
from commandpost.zones.modelling.plume import Insolation, Stability, Terrain


class _Where(InModel):
    by: str | None = Field(
        default=None, max_length=100, description="who asked (kept when the zones are saved)"
    )
    location: PointIn | None = Field(
        default=None, description="where the release is (GeoJSON Point, WGS 84); or give hazard_source_id"
    )
    hazard_source_id: int | None = Field(default=None, description="model at this hazard source's site")


class _Wind(InModel):
    wind_speed_ms: float = Field(gt=0, le=60, description="wind speed at 10 m, m/s", examples=[3.0])
    wind_from_deg: float = Field(
        ge=0, lt=360, description="direction the wind blows FROM, degrees clockwise from north", examples=[45]
    )
    daytime: bool | None = Field(
        default=None, description="sun up? Left out: worked out from the clock and the place"
    )


class _Weather(InModel):
    air_temperature_c: float = Field(default=20.0, ge=-50, le=60)
    relative_humidity: float = Field(
        default=0.7, ge=0, le=1, description="0–1, for atmospheric transmissivity"
    )


class ErgIn(_Where, _Wind):
    model: Literal["erg"]
    un_number: str = Field(pattern=r"^(UN|NA)?\d{4}$", examples=["UN1017"], description="UN/NA number")
    spill: Spill = Field(description="ERG small (≤ 208 L) or large spill")
    container: Container | None = Field(
        default=None, description="for a large spill of an ERG Table 3 gas (ammonia, chlorine, …)"
    )
    fire: bool = Field(default=False, description="a tank, rail car or tank truck is involved in a fire")


class GaussianPlumeIn(_Where, _Wind):
    model: Literal["gaussian_plume"]
    chemical: str = Field(
        min_length=1, max_length=80, description="CAS number or name", examples=["7782-50-5"]
    )
    rate_kg_s: float = Field(gt=0, le=1e5, description="release rate, kg/s")
    duration_s: float | None = Field(default=None, gt=0, le=86_400, description="how long it lasts, s")
    release_height_m: float = Field(default=0.0, ge=0, le=500)
    cloud_oktas: int = Field(default=4, ge=0, le=8, description="cloud cover in eighths")
    insolation: Insolation | None = Field(
        default=None, description="day only; left out: from the sun and cloud"
    )
    stability: Stability | None = Field(
        default=None, description="officer's Pasquill class, overrides the table"
    )
    terrain: Terrain = Terrain.open_country
    centreline_distances_m: list[Annotated[float, Field(gt=0, le=100_000)]] = Field(
        default_factory=lambda: [100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0], max_length=50
    )


class VceIn(_Where):
    model: Literal["vce"]
    chemical: str = Field(min_length=1, max_length=80, examples=["74-98-6"])
    mass_kg: float = Field(gt=0, le=1e8, description="flammable mass in the cloud, kg")
    heat_of_combustion_kj_kg: float | None = Field(
        default=None, gt=0, le=150_000, description="overrides ChEDL's lower heating value"
    )
    yield_factor: float = Field(default=0.1, gt=0, le=1, description="RMP: 0.1")


class BleveIn(_Where, _Weather):
    model: Literal["bleve"]
    chemical: str | None = Field(default=None, max_length=80, examples=["74-98-6"])
    mass_kg: float = Field(gt=0, le=1e8, description="flammable mass in the fireball, kg")
    emissive_power_kw_m2: float = Field(default=350.0, gt=0, le=500, description="CCPS: 350 kW/m²")
    centre_height_m: float | None = Field(default=None, ge=0, le=2000, description="default 0.75 × diameter")


class PoolFireIn(_Where, _Weather):
    model: Literal["pool_fire"]
    chemical: str = Field(min_length=1, max_length=80, examples=["71-43-2"])
    pool_diameter_m: float | None = Field(default=None, gt=0, le=500, description="or give pool_area_m2")
    pool_area_m2: float | None = Field(default=None, gt=0, le=200_000)
    burning_rate_kg_m2_s: float | None = Field(
        default=None, gt=0, le=1, description="measured rate, if known"
    )
    heat_of_combustion_kj_kg: float | None = Field(default=None, gt=0, le=150_000)


# Tagged with the `model` value itself, so that an error's location reads "erg.un_number" and the app's
# problem handler can drop the tag.
ThreatZoneModelIn = Annotated[
    Annotated[ErgIn, Tag("erg")]
    | Annotated[GaussianPlumeIn, Tag("gaussian_plume")]
    | Annotated[VceIn, Tag("vce")]
    | Annotated[BleveIn, Tag("bleve")]
    | Annotated[PoolFireIn, Tag("pool_fire")],
    Field(discriminator="model"),
]


class ZoneOut(BaseModel):
    level: str = Field(description="e.g. isolation, AEGL-2, 6.9 kPa, 12.5 kW/m²")
    label: str
    threshold: float | None = None
    threshold_unit: str | None = None
    basis: str | None = Field(default=None, description="the table or level the zone comes from")
    distance_m: float = Field(description="farthest reach from the source, metres")
    at_least: bool = Field(default=False, description="the source gives this distance as 'X+'")
    geometry: dict[str, Any] | None = Field(
        description="GeoJSON Polygon (WGS 84); null when nothing is reached"
    )


class ThreatZoneModelOut(BaseModel):
    model: str
    source: dict[str, Any] = Field(description="the release point (GeoJSON Point)")
    zones: list[ZoneOut]
    inputs: dict[str, Any] = Field(
        description="every input as the model used it, defaults and derived included"
    )
    reference: str
    limits: list[str]
    details: dict[str, Any] = Field(default_factory=dict)
    computed_at: datetime


class ZoneProperties(BaseModel):
    id: int
    incident_id: int
    run_id: str = Field(description="zones from one model run share it")
    model: str
    level: str
    concern: Literal["severe", "serious", "mild"] = Field(
        description="the level of concern the map colours it by: severe, serious or mild"
    )
    label: str
    threshold: float | None
    threshold_unit: str | None
    basis: str | None
    distance_m: float
    at_least: bool
    source: dict[str, Any] = Field(description="the release point (GeoJSON Point)")
    inputs: dict[str, Any]
    reference: str
    status: str
    created_at: datetime
    created_by: str | None
    cleared_at: datetime | None
    cleared_by: str | None
    exercise_id: int | None
    closure_id: int | None = Field(
        default=None, description="the danger-zone closure keeping routes out while the zone is active"
    )


class ZoneFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: dict[str, Any]
    properties: ZoneProperties


class ZoneCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ZoneFeature]
    rerouted_assignments: list[int] = Field(
        default_factory=list, description="assignments of teams on their way given a new route by this change"
    )
    warned_teams: list[int] = Field(
        default_factory=list, description="teams standing inside the zones drawn, each sent a warning"
    )


class ClearZones(InModel):
    reason: str | None = Field(default=None, max_length=500, examples=["leak sealed, readings normal"])
    by: str | None = Field(default=None, max_length=100)


class InsideItem(BaseModel):
    id: int
    name: str
    distance_m: float = Field(description="from the release point, metres")
    extra: dict[str, Any] = Field(default_factory=dict)


class InsideOut(BaseModel):
    """What lies inside one zone, nearest to the release first."""

    zone_id: int
    level: str
    teams: list[InsideItem]
    depots: list[InsideItem]
    sensors: list[InsideItem]
    shelters: list[InsideItem]
    road_segments: list[InsideItem]
    hazard_sources: list[InsideItem]


class WindIn(InModel):
    """The wind an officer reads at the scene, or `use_station` to go back to the nearest station's."""

    speed_ms: float | None = Field(default=None, gt=0, le=60, description="m/s at 10 m", examples=[4.0])
    from_deg: float | None = Field(
        default=None, ge=0, lt=360, description="the direction it blows FROM, ° from north", examples=[90]
    )
    use_station: bool = Field(default=False, description="forget the typed wind: follow the nearest station")
    by: str | None = Field(default=None, max_length=100, examples=["值班员 林晓"])


class WindOut(BaseModel):
    speed_ms: float
    from_deg: float
    source: Literal["officer", "station"]
    station_id: int | None = None
    station_ref: str | None = None
    distance_m: float | None = Field(default=None, description="from the incident to the station")
    at: datetime | None = Field(default=None, description="when it was typed or measured")
    by: str | None = None


class WindChange(BaseModel):
    """An incident's wind after a change, and the zones redrawn because of it."""

    wind: WindOut | None
    redrawn: list[ZoneFeature] = Field(default_factory=list, description="zones redrawn for the new wind")
    rerouted_assignments: list[int] = Field(default_factory=list)
    warned_teams: list[int] = Field(default_factory=list)


class AcceptProposal(InModel):
    """Keep the zone proposed on an orange or red warning (the wind as proposed unless given)."""

    warning_id: int = Field(ge=1)
    wind_speed_ms: float | None = Field(default=None, gt=0, le=60)
    wind_from_deg: float | None = Field(default=None, ge=0, lt=360)
    by: str | None = Field(default=None, max_length=100, examples=["值班员 林晓"])

    model_config = InModel.model_config | {
        "json_schema_extra": {
            "examples": [{"warning_id": 3, "wind_speed_ms": 3.0, "wind_from_deg": 45, "by": "值班员 林晓"}]
        }
    }


class ZoneLayer(BaseModel):
    """A page of the threat-zones layer, with OGC API-style counts and links."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ZoneFeature]
    numberMatched: int = Field(description="zones matching the query, all pages")
    numberReturned: int = Field(description="zones on this page")
    links: list[Link]
