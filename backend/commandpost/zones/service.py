"""Threat zones: run a release, fire or explosion model and place its zones on the map."""

from __future__ import annotations

import functools
import math
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import db, geo, resources
from commandpost.clock import Clock
from commandpost.config import Settings
from commandpost.depots.models import Depot
from commandpost.errors import Conflict, InvalidInput
from commandpost.hazards import gb18218
from commandpost.hazards import service as hazards
from commandpost.hazards.models import HazardSource
from commandpost.incidents import service as incidents
from commandpost.incidents.models import IncidentStatus
from commandpost.roads.models import RoadSegment
from commandpost.sensors.models import Sensor
from commandpost.shelters.models import Shelter
from commandpost.teams.models import Team
from commandpost.zones.modelling import blast, erg, fire, plume, substances
from commandpost.zones.modelling.results import ModelResult, Shape, ZoneShape
from commandpost.zones.models import ThreatZone, ZoneStatus
from commandpost.zones.schemas import (
    BleveIn,
    ErgIn,
    GaussianPlumeIn,
    InsideItem,
    InsideOut,
    PoolFireIn,
    ThreatZoneModelOut,
    VceIn,
    ZoneOut,
)

Request = ErgIn | GaussianPlumeIn | VceIn | BleveIn | PoolFireIn


def solar_elevation_deg(*, lon: float, lat: float, at: datetime) -> float:
    """The sun's height above the horizon (degrees), to ±1° or so: enough to tell day from night."""
    day = at.timetuple().tm_yday
    declination = math.radians(23.44) * math.sin(2 * math.pi * (284 + day) / 365)
    solar_hours = at.hour + at.minute / 60 + at.second / 3600 + lon / 15
    hour_angle = math.radians((solar_hours - 12) * 15)
    phi = math.radians(lat)
    sine = math.sin(phi) * math.sin(declination) + math.cos(phi) * math.cos(declination) * math.cos(
        hour_angle
    )
    return math.degrees(math.asin(max(-1.0, min(1.0, sine))))


def _insolation(elevation_deg: float, cloud_oktas: int) -> plume.Insolation:
    """Turner's insolation class from the sun's height (> 60° strong, 35–60° moderate, lower slight), one
    class weaker under a sky more than half covered."""
    classes = [plume.Insolation.strong, plume.Insolation.moderate, plume.Insolation.slight]
    index = 0 if elevation_deg > 60 else 1 if elevation_deg > 35 else 2
    if cloud_oktas >= 5:
        index = min(index + 1, 2)
    return classes[index]


def _source_point(session: Session, request: Request) -> BaseGeometry:
    if request.location is not None:
        return geo.parse_geojson(request.location, field="location", allowed=("Point",))
    if request.hazard_source_id is None:
        raise InvalidInput("say where: give location or hazard_source_id", field="location")
    site = geo.from_db(hazards.get(session, source_id=request.hazard_source_id).site)
    assert site is not None
    return site.representative_point()


def _cas(chemical: str, field: str = "chemical") -> str:
    try:
        return substances.cas_of(chemical)
    except substances.UnknownChemical as exc:
        raise InvalidInput(str(exc), field=field) from exc


def _properties(cas: str, field: str = "chemical") -> substances.Properties:
    try:
        return substances.properties(cas)
    except substances.UnknownChemical as exc:
        raise InvalidInput(str(exc), field=field) from exc


def _daytime(request: ErgIn | GaussianPlumeIn, where: BaseGeometry, clock: Clock) -> tuple[bool, float]:
    elevation = solar_elevation_deg(lon=where.x, lat=where.y, at=clock.now())
    return (request.daytime if request.daytime is not None else elevation > 0), elevation


# ------------------------------------------------------------------------------------------- models


def _erg(request: ErgIn, where: BaseGeometry, clock: Clock) -> ModelResult:
    daytime, elevation = _daytime(request, where, clock)
    try:
        result = erg.model(
            un_number=request.un_number,
            spill=request.spill,
            daytime=daytime,
            wind_speed_ms=request.wind_speed_ms,
            container=request.container,
            fire=request.fire,
        )
    except erg.NotInErg as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc
    inputs = {**result.inputs, "wind_from_deg": request.wind_from_deg, "wind_speed_ms": request.wind_speed_ms}
    if request.daytime is None:
        inputs["daytime_from"] = f"the clock: sun at {elevation:.0f}° above the horizon"
    return ModelResult(
        model=result.model,
        zones=result.zones,
        inputs=inputs,
        reference=result.reference,
        limits=result.limits,
        details=result.details,
    )


def _gaussian_plume(request: GaussianPlumeIn, where: BaseGeometry, clock: Clock) -> ModelResult:
    cas = _cas(request.chemical)
    levels = substances.levels_of_concern(cas)
    if not levels:
        raise InvalidInput(
            f"no AEGL, ERPG, PAC or IDLH is on file for {request.chemical} (CAS {cas})", field="chemical"
        )
    mw = substances.molar_mass(cas)
    daytime, elevation = _daytime(request, where, clock)
    insolation = request.insolation or (_insolation(elevation, request.cloud_oktas) if daytime else None)
    table_class, why = plume.stability_class(
        wind_speed_ms=request.wind_speed_ms,
        daytime=daytime,
        cloud_oktas=request.cloud_oktas,
        insolation=insolation,
    )
    stability = request.stability or table_class
    run = {
        "rate_kg_s": request.rate_kg_s,
        "wind_speed_ms": request.wind_speed_ms,
        "release_height_m": request.release_height_m,
        "stability": stability,
        "terrain": request.terrain,
    }
    zones = []
    for level in sorted(levels, key=lambda lv: lv.tier):
        mg_m3 = level.mg_m3(mw)
        distance, outline = plume.footprint(mg_m3 * 1e-6, **run)  # type: ignore[arg-type]
        zones.append(
            ZoneShape(
                level=level.basis.split(" ")[0],
                label=f"{level.basis} {level.ppm:g} ppm",
                distance_m=distance,
                shape=Shape.footprint,
                threshold=level.ppm,
                threshold_unit="ppm",
                basis=f"{level.basis}: {level.source}",
                outline=outline,
            )
        )
    xs = np.array(request.centreline_distances_m)
    c = plume.centreline(xs, **run)  # type: ignore[arg-type]
    centreline = [
        {
            "distance_m": float(x),
            "mg_m3": float(v * 1e6),
            "ppm": float(v * 1e6 * substances.MOLAR_VOLUME_L / mw),
        }
        for x, v in zip(xs, c, strict=True)
    ]
    limits = list(plume.LIMITS)
    if substances.denser_than_air(cas) or cas in ("7664-41-7", "68476-85-7", "74-98-6", "106-97-8"):
        limits.insert(
            0,
            f"{substances.display_name(cas)} forms a dense cloud when released from storage: this plume is "
            "NOT valid near the source. Use the ERG distances (model 'erg') now and a dense-gas model for "
            "planning.",
        )
    inputs: dict[str, Any] = {
        "chemical": substances.display_name(cas),
        "cas": cas,
        "molar_mass_g_mol": mw,
        "rate_kg_s": request.rate_kg_s,
        "duration_s": request.duration_s,
        "released_kg": request.rate_kg_s * request.duration_s if request.duration_s else None,
        "release_height_m": request.release_height_m,
        "wind_speed_ms": request.wind_speed_ms,
        "wind_from_deg": request.wind_from_deg,
        "daytime": daytime,
        "cloud_oktas": request.cloud_oktas,
        "insolation": insolation,
        "stability": stability,
        "stability_from": "officer" if request.stability else f"Pasquill's table: {why}",
        "terrain": request.terrain,
        "ppm_at": "25 °C, 1 atm (24.45 L/mol)",
    }
    return ModelResult(
        model="gaussian_plume",
        zones=tuple(zones),
        inputs=inputs,
        reference=plume.REFERENCE,
        limits=tuple(limits),
        details={"centreline": centreline},
    )


def _vce(request: VceIn) -> ModelResult:
    cas = _cas(request.chemical)
    hc = request.heat_of_combustion_kj_kg or _properties(cas).heat_of_combustion_kj_kg
    if hc is None:
        raise InvalidInput(f"{request.chemical} does not burn, by ChEDL's data", field="chemical")
    tnt = blast.tnt_equivalent_kg(request.mass_kg, hc, request.yield_factor)
    zones = []
    for kpa, meaning in blast.LEVELS:
        if kpa == blast.PSI_KPA:
            distance, basis = blast.rmp_distance_to_1psi_m(tnt), "EPA RMP OCA guidance: X = 17·W_TNT^1/3"
        else:
            distance, basis = blast.distance_to_m(kpa, tnt), "Kinney & Graham (1985) TNT curve, surface burst"
        zones.append(
            ZoneShape(
                level=f"{kpa:.1f} kPa",
                label=meaning,
                distance_m=distance,
                shape=Shape.circle,
                threshold=round(kpa, 2),
                threshold_unit="kPa",
                basis=basis,
            )
        )
    return ModelResult(
        model="vce",
        zones=tuple(zones),
        inputs={
            "chemical": substances.display_name(cas),
            "cas": cas,
            "mass_kg": request.mass_kg,
            "heat_of_combustion_kj_kg": hc,
            "heat_of_combustion_from": "officer"
            if request.heat_of_combustion_kj_kg
            else "ChEDL (lower heating value)",
            "yield_factor": request.yield_factor,
            "tnt_heat_kj_kg": blast.TNT_HEAT_KJ_KG,
        },
        reference=blast.REFERENCE,
        limits=blast.LIMITS,
        details={"tnt_equivalent_kg": tnt},
    )


def _thermal_zones(distances: list[tuple[float, str, float]], basis: str) -> tuple[ZoneShape, ...]:
    return tuple(
        ZoneShape(
            level=f"{kw:g} kW/m²",
            label=meaning,
            distance_m=distance,
            shape=Shape.circle,
            threshold=kw,
            threshold_unit="kW/m²",
            basis=basis,
        )
        for kw, meaning, distance in distances
    )


def _bleve(request: BleveIn) -> ModelResult:
    diameter = fire.fireball_diameter_m(request.mass_kg)
    duration = fire.fireball_duration_s(request.mass_kg)
    centre = request.centre_height_m if request.centre_height_m is not None else 0.75 * diameter
    vapour = fire.water_vapour_pressure_pa(
        air_temperature_c=request.air_temperature_c, relative_humidity=request.relative_humidity
    )
    distances = [
        (
            kw,
            meaning,
            fire.fireball_distance_m(
                kw,
                diameter_m=diameter,
                centre_height_m=centre,
                emissive_power_kw_m2=request.emissive_power_kw_m2,
                water_vapour_pa=vapour,
            ),
        )
        for kw, meaning in fire.THERMAL_LEVELS
    ]
    return ModelResult(
        model="bleve",
        zones=_thermal_zones(distances, "CCPS fireball, solid flame, sphere view factor"),
        inputs={
            "chemical": substances.display_name(_cas(request.chemical)) if request.chemical else None,
            "mass_kg": request.mass_kg,
            "emissive_power_kw_m2": request.emissive_power_kw_m2,
            "centre_height_m": centre,
            "centre_height_from": "officer"
            if request.centre_height_m is not None
            else "CCPS: 0.75 × diameter",
            "air_temperature_c": request.air_temperature_c,
            "relative_humidity": request.relative_humidity,
            "water_vapour_pa": vapour,
        },
        reference=fire.BLEVE_REFERENCE,
        limits=fire.BLEVE_LIMITS,
        details={"fireball_diameter_m": diameter, "fireball_duration_s": duration},
    )


def _pool_fire(request: PoolFireIn) -> ModelResult:
    if (request.pool_diameter_m is None) == (request.pool_area_m2 is None):
        raise InvalidInput("give exactly one of pool_diameter_m and pool_area_m2", field="pool_diameter_m")
    cas = _cas(request.chemical)
    props = _properties(cas)
    hc = request.heat_of_combustion_kj_kg or props.heat_of_combustion_kj_kg
    if hc is None:
        raise InvalidInput(f"{request.chemical} does not burn, by ChEDL's data", field="chemical")
    ambient_k = request.air_temperature_c + 273.15
    if request.burning_rate_kg_m2_s is not None:
        rate, rate_from = request.burning_rate_kg_m2_s, "officer (measured)"
    else:
        if props.heat_of_vaporisation_kj_kg is None or props.boiling_point_k is None:
            raise InvalidInput(
                f"ChEDL lacks the boiling data for {request.chemical}: give burning_rate_kg_m2_s",
                field="burning_rate_kg_m2_s",
            )
        rate = fire.burning_rate_kg_m2_s(
            heat_of_combustion_kj_kg=hc,
            heat_of_vaporisation_kj_kg=props.heat_of_vaporisation_kj_kg,
            liquid_heat_capacity_kj_kg_k=props.liquid_heat_capacity_kj_kg_k or 0.0,
            boiling_point_k=props.boiling_point_k,
            ambient_k=ambient_k,
        )
        rate_from = "Burgess & Zabetakis from ChEDL ΔHc, ΔHv (Riedel) and Cp"
    diameter = request.pool_diameter_m or 2 * math.sqrt((request.pool_area_m2 or 0) / math.pi)
    height = fire.thomas_flame_height_m(diameter_m=diameter, burning_rate=rate)
    emissive = fire.pool_emissive_power_kw_m2(
        burning_rate=rate, heat_of_combustion_kj_kg=hc, diameter_m=diameter, flame_height_m=height
    )
    vapour = fire.water_vapour_pressure_pa(
        air_temperature_c=request.air_temperature_c, relative_humidity=request.relative_humidity
    )
    distances = [
        (
            kw,
            meaning,
            fire.pool_distance_m(
                kw,
                diameter_m=diameter,
                flame_height_m=height,
                emissive_power_kw_m2=emissive,
                water_vapour_pa=vapour,
            ),
        )
        for kw, meaning in fire.THERMAL_LEVELS
    ]
    return ModelResult(
        model="pool_fire",
        zones=_thermal_zones(distances, "solid cylinder flame, Mudan view factor"),
        inputs={
            "chemical": substances.display_name(cas),
            "cas": cas,
            "pool_diameter_m": diameter,
            "burning_rate_kg_m2_s": rate,
            "burning_rate_from": rate_from,
            "heat_of_combustion_kj_kg": hc,
            "air_temperature_c": request.air_temperature_c,
            "relative_humidity": request.relative_humidity,
            "water_vapour_pa": vapour,
        },
        reference=fire.POOL_REFERENCE,
        limits=fire.POOL_LIMITS,
        details={"flame_height_m": height, "surface_emissive_power_kw_m2": emissive},
    )


# ----------------------------------------------------------------------------------------- geometry


def _downwind(outline: list[tuple[float, float]], bearing_deg: float, origin: Point) -> Polygon:
    """A shape drawn in the source's frame (x down-wind, y cross-wind) placed in metric coordinates."""
    b = math.radians(bearing_deg)
    sin_b, cos_b = math.sin(b), math.cos(b)
    return Polygon([(origin.x + x * sin_b + y * cos_b, origin.y + x * cos_b - y * sin_b) for x, y in outline])


def _geometry(zone: ZoneShape, origin: Point, bearing_deg: float | None) -> BaseGeometry | None:
    d = zone.distance_m
    if d <= 0:
        return None
    if zone.shape is Shape.circle:
        return origin.buffer(d, quad_segs=32)
    assert bearing_deg is not None, "a down-wind shape needs a wind"
    if zone.shape is Shape.downwind_square:
        # ERG: a square whose side is the protective-action distance, from the spill, centred on the wind.
        return _downwind([(0, -d / 2), (d, -d / 2), (d, d / 2), (0, d / 2)], bearing_deg, origin)
    polygon = _downwind(list(zone.outline), bearing_deg, origin) if len(zone.outline) >= 3 else None
    if polygon is None or polygon.is_empty:
        return None
    return polygon if polygon.is_valid else polygon.buffer(0)


def _run(request: Request, where: BaseGeometry, clock: Clock) -> ModelResult:
    if isinstance(request, ErgIn):
        return _erg(request, where, clock)
    if isinstance(request, GaussianPlumeIn):
        return _gaussian_plume(request, where, clock)
    if isinstance(request, VceIn):
        return _vce(request)
    if isinstance(request, BleveIn):
        return _bleve(request)
    return _pool_fire(request)


def model(session: Session, *, request: Request, settings: Settings, clock: Clock) -> ThreatZoneModelOut:
    """Run one threat-zone model at a place and give its zones as map polygons; nothing is saved."""
    where = _source_point(session, request)
    result = _run(request, where, clock)
    origin = geo.to_metric(where, settings.metric_crs)
    assert isinstance(origin, Point)
    wind_from = getattr(request, "wind_from_deg", None)
    bearing = (wind_from + 180) % 360 if wind_from is not None else None
    zones = []
    for zone in result.zones:
        shape = _geometry(zone, origin, bearing)
        zones.append(
            ZoneOut(
                level=zone.level,
                label=zone.label,
                threshold=zone.threshold,
                threshold_unit=zone.threshold_unit,
                basis=zone.basis,
                distance_m=round(zone.distance_m, 1),
                at_least=zone.at_least,
                geometry=geo.to_geojson(geo.from_metric(shape, settings.metric_crs))
                if shape is not None
                else None,
            )
        )
    inputs = dict(result.inputs)
    if bearing is not None:
        inputs["downwind_bearing_deg"] = bearing
    inputs["location"] = {"type": "Point", "coordinates": [where.x, where.y]}
    if request.hazard_source_id is not None:
        inputs["hazard_source_id"] = request.hazard_source_id
    return ThreatZoneModelOut(
        model=result.model,
        source={"type": "Point", "coordinates": [where.x, where.y]},
        zones=zones,
        inputs=inputs,
        reference=result.reference,
        limits=list(result.limits),
        details=result.details,
        computed_at=clock.now(),
    )


def proposal(
    session: Session,
    *,
    hazard_source_id: int,
    wind_speed_ms: float,
    wind_from_deg: float,
    settings: Settings,
    clock: Clock,
) -> ThreatZoneModelOut:
    """The ERG zone to propose for a hazard source: a large spill of its worst toxic chemical (the largest
    β·q/Q among those with a UN number and a level of concern), from the largest Table 3 container."""
    request, name = proposed_request(
        session, hazard_source_id=hazard_source_id, wind_speed_ms=wind_speed_ms, wind_from_deg=wind_from_deg
    )
    out = model(session, request=request, settings=settings, clock=clock)
    out.inputs["proposed_for"] = name
    if request.container is not None:
        out.inputs["container_from"] = "bulk storage: the largest container ERG Table 3 lists"
    return out


def proposed_request(
    session: Session, *, hazard_source_id: int, wind_speed_ms: float, wind_from_deg: float
) -> tuple[ErgIn, str]:
    """The ERG request `proposal` runs, and the chemical it is for."""
    source = hazards.get(session, source_id=hazard_source_id)
    try:
        lines = list(hazards.grading(source).lines)
    except InvalidInput:
        lines = []
    scored: list[tuple[float, str, str]] = []
    for i, chemical in enumerate(source.chemicals):
        cas = chemical.cas or gb18218.cas_of(chemical.name)
        un = substances.un_number(cas) if cas else None
        if cas and un and substances.levels_of_concern(cas):
            # Ranked by its share of R; when the source cannot be graded, by the tonnes held.
            scored.append((lines[i].contribution if lines else chemical.quantity_t, un, chemical.name))
    if not scored:
        raise InvalidInput(
            f"hazard source {hazard_source_id} holds no toxic chemical with an ERG entry on file",
            field="hazard_source_id",
        )
    _, un, name = max(scored)
    offered = erg.table3_containers(un)
    request = ErgIn(
        model="erg",
        hazard_source_id=hazard_source_id,
        un_number=un,
        spill=erg.Spill.large,
        container=offered[0] if offered else None,
        wind_speed_ms=wind_speed_ms,
        wind_from_deg=wind_from_deg,
    )
    return request, name


# ------------------------------------------------------------------------------- zones of an incident

WHAT = "zone"


class Concern(StrEnum):
    """How bad it is inside a zone: what the map colours it by, whatever the model."""

    severe = "severe"  # deaths likely: ERG isolation, AEGL-3, 37.5 kW/m², ≥ 3 psi
    serious = "serious"  # serious or lasting harm: ERG protective action, AEGL-2, 12.5 kW/m², 1 psi
    mild = "mild"  # discomfort, glass breakage, the public end points: AEGL-1, 5 kW/m², 0.5 psi


def concern_of(zone: ThreatZone) -> Concern:
    """A zone's level of concern, from its level and threshold."""
    level, threshold = zone.level, zone.threshold
    if level == "isolation":
        return Concern.severe
    if level == "protective_action":
        return Concern.serious
    if zone.threshold_unit == "kW/m²" and threshold is not None:
        return Concern.severe if threshold >= 37.5 else Concern.serious if threshold >= 12.5 else Concern.mild
    if zone.threshold_unit == "kPa" and threshold is not None:
        psi_1 = round(blast.PSI_KPA, 2)  # as the threshold is stored
        return (
            Concern.severe if threshold >= 20.7 else Concern.serious if threshold >= psi_1 else Concern.mild
        )
    if level.endswith("-3") or level == "IDLH":
        return Concern.severe
    return Concern.serious if level.endswith("-2") else Concern.mild


def list_zones(
    session: Session,
    *,
    bbox: geo.BBox | None = None,
    status: ZoneStatus | None = ZoneStatus.active,
    exercise_id: int | None = None,
    limit: int,
    offset: int = 0,
) -> resources.Page[ThreatZone]:
    """Live zones (or one drill's, given `exercise_id`) in the box, active ones unless told; newest first."""
    stmt = select(ThreatZone).order_by(ThreatZone.id.desc())
    if exercise_id is None:
        stmt = stmt.where(ThreatZone.exercise_id.is_(None))
    else:
        stmt = stmt.where(ThreatZone.exercise_id == exercise_id)
    if status is not None:
        stmt = stmt.where(ThreatZone.status == status)
    if bbox is not None:
        stmt = stmt.where(db.bbox_filter(session, ThreatZone.__table__.c.area, bbox))
    return resources.page(session, stmt, limit=limit, offset=offset)


def zone_feature(zone: ThreatZone) -> dict[str, Any]:
    """A stored zone as a GeoJSON Feature (what the events carry and the routes return)."""
    return {
        "type": "Feature",
        "id": zone.id,
        "geometry": geo.to_geojson(zone.area),
        "properties": {
            "id": zone.id,
            "incident_id": zone.incident_id,
            "run_id": zone.run_id,
            "model": zone.model,
            "level": zone.level,
            "concern": str(concern_of(zone)),
            "label": zone.label,
            "threshold": zone.threshold,
            "threshold_unit": zone.threshold_unit,
            "basis": zone.basis,
            "distance_m": zone.distance_m,
            "at_least": zone.at_least,
            "source": geo.to_geojson(zone.source),
            "inputs": zone.inputs,
            "reference": zone.reference,
            "status": str(zone.status),
            "created_at": zone.created_at.isoformat(),
            "created_by": zone.created_by,
            "cleared_at": zone.cleared_at.isoformat() if zone.cleared_at else None,
            "cleared_by": zone.cleared_by,
            "exercise_id": zone.exercise_id,
            "closure_id": zone.closure_id,
        },
    }


def save(
    session: Session, *, incident_id: int, request: Request, settings: Settings, clock: Clock
) -> list[ThreatZone]:
    """Run a model for an incident and keep each zone it reaches as a polygon (`zone.created` each)."""
    incident = incidents.get(session, incident_id=incident_id)
    if incident.status is IncidentStatus.closed:
        raise Conflict(f"incident {incident_id} is closed: no new zones", field="incident_id")
    if request.location is None and request.hazard_source_id is None:
        # The incident's own place, when the officer names no other.
        request = type(request).model_validate(
            {**request.model_dump(exclude_none=True), "location": geo.to_geojson(incident.location)}
        )
    result = model(session, request=request, settings=settings, clock=clock)
    # The request as posted: what the run is redrawn from when the wind changes.
    asked = request.model_dump(mode="json", exclude_none=True)
    run_id = str(uuid.uuid4())
    source = geo.to_db(geo.parse_geojson(result.source, field="location"))
    zones: list[ThreatZone] = []
    for out in result.zones:
        if out.geometry is None:
            continue
        zone = ThreatZone(
            incident_id=incident.id,
            run_id=run_id,
            model=result.model,
            level=out.level,
            label=out.label,
            threshold=out.threshold,
            threshold_unit=out.threshold_unit,
            basis=out.basis,
            distance_m=out.distance_m,
            at_least=out.at_least,
            area=geo.to_db(geo.parse_geojson(out.geometry, field="geometry")),
            source=source,
            inputs={**result.inputs, "limits": result.limits, "request": asked},
            reference=result.reference,
            status=ZoneStatus.active,
            created_at=clock.now(),
            created_by=request.by,
            exercise_id=incident.exercise_id,
        )
        session.add(zone)
        session.flush()
        resources.record_change(
            session,
            entity_type=WHAT,
            row=zone,
            action="created",
            feature=zone_feature(zone),
            clock=clock,
            actor=request.by,
        )
        zones.append(zone)
    return zones


def redraw(
    session: Session,
    *,
    zones: list[ThreatZone],
    request: Request,
    why: dict[str, Any],
    settings: Settings,
    clock: Clock,
    actor: str | None,
) -> list[ThreatZone]:
    """Rerun a run's model with changed inputs; each zone of a level the new run still reaches takes
    its new shape (`zone.updated`, saying why). Returns the zones redrawn."""
    result = model(session, request=request, settings=settings, clock=clock)
    asked = request.model_dump(mode="json", exclude_none=True)
    by_level = {z.level: z for z in result.zones if z.geometry is not None}
    redrawn = []
    for zone in zones:
        out = by_level.get(zone.level)
        if out is None or out.geometry is None:
            continue
        zone.area = geo.to_db(geo.parse_geojson(out.geometry, field="geometry"))
        zone.label, zone.distance_m, zone.at_least = out.label, out.distance_m, out.at_least
        zone.threshold, zone.threshold_unit, zone.basis = out.threshold, out.threshold_unit, out.basis
        zone.inputs = {**result.inputs, "limits": result.limits, "request": asked}
        session.flush()
        resources.record_change(
            session,
            entity_type=WHAT,
            row=zone,
            action="updated",
            payload={"why": why},
            feature=zone_feature(zone),
            clock=clock,
            actor=actor,
        )
        redrawn.append(zone)
    return redrawn


def list_for_incident(session: Session, *, incident_id: int, status: ZoneStatus | None) -> list[ThreatZone]:
    """An incident's zones, newest run first, widest zone first within a run."""
    incidents.get(session, incident_id=incident_id)
    stmt = select(ThreatZone).where(ThreatZone.incident_id == incident_id)
    if status is not None:
        stmt = stmt.where(ThreatZone.status == status)
    return list(session.scalars(stmt.order_by(ThreatZone.id.desc())).all())


def get(session: Session, *, zone_id: int) -> ThreatZone:
    """One stored zone, or NotFound."""
    return resources.fetch(session, ThreatZone, zone_id, what="threat zone")


def clear(
    session: Session, *, zone_id: int, reason: str | None, by: str | None, clock: Clock
) -> list[ThreatZone]:
    """Clear a zone and the others of its run (they were drawn together); `zone.cleared` for each."""
    zone = get(session, zone_id=zone_id)
    if zone.status is ZoneStatus.cleared:
        raise Conflict(f"threat zone {zone_id} is already cleared", field="zone_id")
    run = session.scalars(
        select(ThreatZone)
        .where(ThreatZone.run_id == zone.run_id, ThreatZone.status == ZoneStatus.active)
        .order_by(ThreatZone.id)
    ).all()
    for row in run:
        row.status = ZoneStatus.cleared
        row.cleared_at = clock.now()
        row.cleared_by = by
        session.flush()
        resources.record_change(
            session,
            entity_type=WHAT,
            row=row,
            action="cleared",
            payload={"reason": reason},
            feature=zone_feature(row),
            clock=clock,
            actor=by,
        )
    return list(run)


def _inside(
    session: Session,
    *,
    column: Any,
    area_wkt: str,
    source: BaseGeometry,
    metric_crs: str,
    describe: Any,
) -> list[InsideItem]:
    rows = session.scalars(select(column.class_).where(db.intersects_filter(session, column, area_wkt))).all()
    items = []
    for row in rows:
        shape = geo.from_db(getattr(row, column.key))
        if shape is None:
            continue
        name, extra = describe(row)
        items.append(
            InsideItem(
                id=row.id,
                name=name,
                distance_m=round(geo.distance_m(source, shape, metric_crs), 1),
                extra=extra,
            )
        )
    return sorted(items, key=lambda item: item.distance_m)


def inside(session: Session, *, zone_id: int, settings: Settings) -> InsideOut:
    """Teams, depots, sensors, shelters, road segments and hazard sources inside one zone, with their
    distance from the release point, nearest first."""
    zone = get(session, zone_id=zone_id)
    area = geo.from_db(zone.area)
    source = geo.from_db(zone.source)
    assert area is not None and source is not None
    found = functools.partial(
        _inside, session, area_wkt=area.wkt, source=source, metric_crs=settings.metric_crs
    )
    return InsideOut(
        zone_id=zone.id,
        level=zone.level,
        teams=found(
            column=Team.position,
            describe=lambda t: (t.name, {"status": str(t.status), "kind": str(t.kind)}),
        ),
        depots=found(column=Depot.location, describe=lambda d: (d.name, {})),
        sensors=found(
            column=Sensor.location,
            describe=lambda s: (s.ref or f"sensor {s.id}", {"kind": str(s.kind), "state": str(s.state)}),
        ),
        shelters=found(column=Shelter.location, describe=lambda s: (s.name, {"capacity": s.capacity})),
        road_segments=found(
            column=RoadSegment.geom,
            describe=lambda r: (
                r.name or r.ref or f"road segment {r.id}",
                {"ref": r.ref, "class": r.road_class},
            ),
        ),
        hazard_sources=found(
            column=HazardSource.site,
            describe=lambda h: (
                f"{h.enterprise} {h.name}",
                {"grade": str(h.grade) if h.grade else None, "chemicals": [c.name for c in h.chemicals]},
            ),
        ),
    )
