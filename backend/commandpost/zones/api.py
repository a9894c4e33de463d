"""HTTP routes for threat zones; the models are in `modelling`, the rules in `service`."""

from __future__ import annotations

from fastapi import APIRouter, Body

from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.web import ClockDep, SessionDep, SettingsDep
from commandpost.zones import service
from commandpost.zones.schemas import ThreatZoneModelIn, ThreatZoneModelOut

router = APIRouter(prefix="/threat-zones", tags=["threat zones"], responses=PROBLEM_RESPONSES)


@router.post(
    "/model",
    response_model=ThreatZoneModelOut,
    summary="Model a release, fire or explosion and get its zones (nothing is saved)",
)
def model_threat_zones(
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: ThreatZoneModelIn = Body(
        discriminator="model",
        openapi_examples={
            "erg": {
                "summary": "ERG: chlorine, large spill from a rail tank car",
                "value": {
                    "model": "erg",
                    "location": {"type": "Point", "coordinates": [118.955, 25.165]},
                    "un_number": "UN1017",
                    "spill": "large",
                    "container": "rail_tank_car",
                    "wind_speed_ms": 3,
                    "wind_from_deg": 45,
                },
            },
            "gaussian_plume": {
                "summary": "Gaussian plume: ammonia 2 kg/s for 10 minutes",
                "value": {
                    "model": "gaussian_plume",
                    "location": {"type": "Point", "coordinates": [118.955, 25.165]},
                    "chemical": "氨",
                    "rate_kg_s": 2,
                    "duration_s": 600,
                    "wind_speed_ms": 3,
                    "wind_from_deg": 45,
                },
            },
            "vce": {
                "summary": "Vapour-cloud explosion: 10 t propane",
                "value": {"model": "vce", "hazard_source_id": 1, "chemical": "74-98-6", "mass_kg": 10000},
            },
        },
    ),
) -> ThreatZoneModelOut:
    return service.model(db, request=body, settings=settings, clock=clock)
