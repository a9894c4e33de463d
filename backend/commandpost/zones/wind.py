"""An incident's wind, and the threat zones that follow it.

The wind at a scene is what the officer typed, until they hand it back to the stations; otherwise
the latest reading of the nearest weather station (within `wind_station_max_m`). When it turns or
changes speed beyond the thresholds in Settings, each active zone drawn for the old wind is redrawn.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from pydantic import TypeAdapter
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import geo
from commandpost.clock import Clock
from commandpost.config import Settings
from commandpost.errors import InvalidInput
from commandpost.events import service as events
from commandpost.incidents import service as incidents
from commandpost.incidents.models import Incident, IncidentStatus
from commandpost.routing import service as routing
from commandpost.sensors.models import Sensor, SensorKind
from commandpost.zones import flows, service
from commandpost.zones.models import ThreatZone, ZoneStatus
from commandpost.zones.schemas import ThreatZoneModelIn, WindIn, WindOut

_REQUEST: TypeAdapter[service.Request] = TypeAdapter(ThreatZoneModelIn)


def _nearest_station(session: Session, incident: Incident, settings: Settings) -> WindOut | None:
    return at_point(session, at=routing.point_of(incident.location), settings=settings)


def at_point(session: Session, *, at: BaseGeometry, settings: Settings) -> WindOut | None:
    """The latest wind of the weather station nearest to `at` (within `wind_station_max_m`), if any."""
    best: tuple[float, Sensor] | None = None
    stations = session.scalars(
        select(Sensor).where(
            Sensor.kind == SensorKind.weather_station,
            Sensor.last_value.is_not(None),
            Sensor.last_direction_deg.is_not(None),
        )
    ).all()
    for station in stations:
        d = geo.distance_m(at, routing.point_of(station.location), settings.metric_crs)
        if d <= settings.wind_station_max_m and (best is None or d < best[0]):
            best = (d, station)
    if best is None:
        return None
    d, station = best
    assert station.last_value is not None and station.last_direction_deg is not None
    return WindOut(
        speed_ms=float(station.last_value),
        from_deg=float(station.last_direction_deg),
        source="station",
        station_id=station.id,
        station_ref=station.ref,
        distance_m=round(d, 1),
        at=station.last_reading_at,
    )


def of_incident(session: Session, *, incident: Incident, settings: Settings) -> WindOut | None:
    """The incident's wind: the officer's, else the nearest weather station's latest; None if neither."""
    if incident.wind_speed_ms is not None and incident.wind_from_deg is not None:
        return WindOut(
            speed_ms=incident.wind_speed_ms,
            from_deg=incident.wind_from_deg,
            source="officer",
            at=incident.wind_set_at,
            by=incident.wind_set_by,
        )
    return _nearest_station(session, incident, settings)


def changed(speed_ms: float, from_deg: float, wind: WindOut, settings: Settings) -> bool:
    """Whether `wind` differs from the one given by the thresholds (the turn measured the short way)."""
    turn = abs((wind.from_deg - from_deg + 180) % 360 - 180)
    return turn >= settings.wind_change_deg or abs(wind.speed_ms - speed_ms) >= settings.wind_change_ms


def follow(
    session: Session,
    *,
    incident: Incident,
    wind: WindOut,
    settings: Settings,
    clock: Clock,
    router: routing.Router,
    actor: str | None,
) -> flows.Outcome:
    """Redraw each active run of the incident whose wind differs from `wind` beyond the thresholds."""
    runs: dict[str, list[ThreatZone]] = defaultdict(list)
    for zone in service.list_for_incident(session, incident_id=incident.id, status=ZoneStatus.active):
        runs[zone.run_id].append(zone)
    done = flows.Outcome(zones=[])
    for zones in runs.values():
        zones.sort(key=lambda z: z.id)
        asked = zones[0].inputs.get("request")
        if not isinstance(asked, dict) or "wind_from_deg" not in asked:
            continue  # drawn before requests were kept, or a model without wind (rings)
        if not changed(float(asked["wind_speed_ms"]), float(asked["wind_from_deg"]), wind, settings):
            continue
        request = _REQUEST.validate_python(
            {**asked, "wind_speed_ms": wind.speed_ms, "wind_from_deg": wind.from_deg}
        )
        why = {
            "wind": wind.model_dump(mode="json", exclude_none=True),
            "was": {"speed_ms": asked["wind_speed_ms"], "from_deg": asked["wind_from_deg"]},
        }
        out = flows.redraw(
            session,
            zones=zones,
            request=request,
            why=why,
            settings=settings,
            clock=clock,
            router=router,
            actor=actor,
        )
        done.zones += out.zones
        done.rerouted += out.rerouted
        done.warned += out.warned
    return done


def set_wind(
    session: Session,
    *,
    incident_id: int,
    data: WindIn,
    settings: Settings,
    clock: Clock,
    router: routing.Router,
) -> tuple[WindOut | None, flows.Outcome]:
    """Type the scene's wind (or hand it back to the stations), `incident.wind_set`; zones follow it."""
    incident = incidents.get(session, incident_id=incident_id)
    if data.use_station:
        if data.speed_ms is not None or data.from_deg is not None:
            raise InvalidInput("give a wind or use_station, not both", field="use_station")
        incident.wind_speed_ms = incident.wind_from_deg = None
    else:
        if data.speed_ms is None or data.from_deg is None:
            field = "speed_ms" if data.speed_ms is None else "from_deg"
            raise InvalidInput("give the wind's speed_ms and from_deg (or use_station)", field=field)
        incident.wind_speed_ms, incident.wind_from_deg = data.speed_ms, data.from_deg
    incident.wind_set_by, incident.wind_set_at = data.by, clock.now()
    session.flush()
    wind = of_incident(session, incident=incident, settings=settings)
    events.record(
        session,
        type="incident.wind_set",
        entity_type="incident",
        entity_id=incident.id,
        payload={"wind": wind.model_dump(mode="json") if wind else None},
        clock=clock,
        actor=data.by,
        exercise_id=incident.exercise_id,
    )
    if wind is None:
        return None, flows.Outcome(zones=[])
    return wind, follow(
        session, incident=incident, wind=wind, settings=settings, clock=clock, router=router, actor=data.by
    )


def follow_stations(
    session: Session,
    *,
    station_ids: Collection[int],
    settings: Settings,
    clock: Clock,
    router: routing.Router,
) -> flows.Outcome:
    """After new weather-station readings: every open incident with active zones whose wind comes
    from one of these stations has its zones redrawn if the wind changed beyond the thresholds."""
    done = flows.Outcome(zones=[])
    if not station_ids:
        return done
    open_with_zones = session.scalars(
        select(Incident)
        .where(
            Incident.status != IncidentStatus.closed,
            Incident.wind_speed_ms.is_(None),
            Incident.id.in_(select(ThreatZone.incident_id).where(ThreatZone.status == ZoneStatus.active)),
        )
        .order_by(Incident.id)
    ).all()
    for incident in open_with_zones:
        wind = _nearest_station(session, incident, settings)
        if wind is None or wind.station_id not in station_ids:
            continue
        out = follow(
            session, incident=incident, wind=wind, settings=settings, clock=clock, router=router, actor=None
        )
        done.zones += out.zones
        done.rerouted += out.rerouted
        done.warned += out.warned
    return done
