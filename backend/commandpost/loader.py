"""Load a district from a folder of plain GeoJSON/JSON files (the demo lives in gis_data/).

Idempotent: every record is keyed by its `ref`; loading the same folder twice changes nothing,
and loading an edited folder updates what changed. A reload applies reference data only (names,
locations, capabilities, thresholds): operational state — stock on hand and reserved, team status
and position, sensor states, warnings, incidents — is never overwritten. Where a file's stock
differs from a depot's, the report says so and nothing changes unless `reset_stock` is asked.
Every record created or changed writes its event, as the same change made through the API would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from geoalchemy2 import WKBElement
from pydantic import TypeAdapter, ValidationError
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import geo
from commandpost.basemap import service as basemap
from commandpost.basemap.schemas import map_feature
from commandpost.clock import Clock
from commandpost.config import DEFAULT_TIMEZONE
from commandpost.db import Base
from commandpost.depots.models import Depot, InventoryLine, Material
from commandpost.depots.schemas import depot_feature, material_entity
from commandpost.dispatch import plans as response_plans
from commandpost.duty.models import DutyRole, DutyShift
from commandpost.duty.schemas import shift_entity
from commandpost.errors import InvalidInput
from commandpost.events import service as events
from commandpost.experts.models import Expert
from commandpost.experts.schemas import expert_entity
from commandpost.hazards import service as hazards
from commandpost.hazards.models import HazardGrade, HazardSource, RiskColour, StoredChemical
from commandpost.hazards.schemas import hazard_source_feature
from commandpost.roads import osm
from commandpost.roads import service as roads
from commandpost.sensors.models import UNIT_OF, Sensor, SensorKind
from commandpost.sensors.schemas import sensor_feature
from commandpost.shelters.models import Shelter
from commandpost.shelters.schemas import shelter_feature
from commandpost.teams.models import Capability, Team, TeamKind, TeamStatus, TeamTier
from commandpost.teams.schemas import team_feature

M = TypeVar("M", bound=Base)

BASE_LAYERS = {
    "boundary": "district_boundary.geojson",
    "towns": "towns.geojson",
    "park": "petrochemical_park.geojson",
    "water": "water.geojson",
}
ROSTER_DAYS_BEFORE, ROSTER_DAYS_AFTER = 1, 13


ACTOR = "commandpost load"


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    # Stock lines whose file quantity is not what the depot holds: left alone unless reset.
    stock_differs: list[dict[str, Any]] = field(default_factory=list)
    stock_reset: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # (event entity type, row, created/updated), written once the rows have their ids.
    changes: list[tuple[str, Any, str]] = field(default_factory=list)

    def count(self, what: str, outcome: str) -> None:
        bucket = getattr(self, outcome)
        bucket[what] = bucket.get(what, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}
        if self.stock_differs:
            out["stock_differs"] = self.stock_differs
        if self.stock_reset:
            out["stock_reset"] = self.stock_reset
        if self.notes:
            out["notes"] = self.notes
        return out


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(f"{path.name} is missing from {path.parent}", field=path.name) from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path.name} is not valid JSON: {exc}", field=path.name) from exc


def _features(path: Path) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(ref, properties, WGS 84 Shapely geometry) for each feature, converting from the file's CRS."""
    collection = _read(path)
    source_crs = (collection.get("metadata") or {}).get("crs", "WGS84")
    if not isinstance(source_crs, str):
        raise InvalidInput(
            f'{path.name}: metadata.crs must name a coordinate system, e.g. "GCJ-02"',
            field=f"{path.name}.metadata.crs",
        )
    for index, feature in enumerate(collection.get("features", [])):
        props = dict(feature.get("properties") or {})
        where = f"{path.name}: feature {index}"
        ref = props.get("ref")
        if not ref:
            raise InvalidInput(
                f"{where} has no `ref` property", field=f"{path.name}.features.{index}.properties.ref"
            )
        geom = geo.parse_geojson(feature.get("geometry"), field=f"{path.name}.features.{index}.geometry")
        yield str(ref), props, geo.convert_geometry(geom, source_crs, field=f"{path.name}.metadata.crs")


def _by_ref(session: Session, model: type[M]) -> dict[str, M]:
    return {row.ref: row for row in session.scalars(select(model)) if getattr(row, "ref", None)}  # type: ignore[attr-defined]


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set only what differs, so an unchanged record keeps its version."""
    changed = False
    for name, value in values.items():
        current = getattr(row, name)
        if name in _GEOMETRY_COLUMNS and current is not None:
            old, new = geo.from_db(current), geo.from_db(value)
            same = old is not None and new is not None and old.equals_exact(new, 1e-9)
        else:
            same = current == value
        if not same:
            setattr(row, name, value)
            changed = True
    return changed


_GEOMETRY_COLUMNS = {"base", "location", "site", "geom"}


def _upsert(
    session: Session,
    report: LoadReport,
    what: str,
    model: type[M],
    existing: dict[str, M],
    ref: str,
    values: dict[str, Any],
    now: datetime,
    entity: str,
) -> M:
    row = existing.get(ref)
    if row is None:
        row = model(ref=ref, **values, updated_at=now)
        session.add(row)
        existing[ref] = row
        report.count(what, "created")
        report.changes.append((entity, row, "created"))
    elif _assign(row, values):
        row.updated_at = now  # type: ignore[attr-defined]
        report.count(what, "updated")
        report.changes.append((entity, row, "updated"))
    else:
        report.count(what, "unchanged")
    return row


def _enum(kind: type[Any], value: Any, where: str) -> Any:
    try:
        return kind(value)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidInput(f"{where}: {value!r} is not one of {allowed}", field=where) from exc


def load_district(
    session: Session,
    *,
    folder: Path,
    clock: Clock,
    reset_stock: bool = False,
    timezone: str = DEFAULT_TIMEZONE,
) -> LoadReport:
    """Apply a district folder's reference data in the caller's transaction, each change with its event;
    depots' stock is only written for new depots, or where it differs and `reset_stock` is asked;
    `timezone` is the duty roster's local time when the roster names none."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder of district files", field="path")
    now = clock.now()
    report = LoadReport()
    _load_basemap(session, folder, report)
    _load_roads(session, folder, report, clock)
    _load_materials(session, folder, report)
    _load_teams(session, folder, report, now)
    _load_depots(session, folder, report, now, reset_stock)
    hazard_ids = _load_hazard_sources(session, folder, report, now)
    _load_sensors(session, folder, report, now, hazard_ids)
    _load_shelters(session, folder, report, now)
    _load_experts(session, folder, report, now)
    _load_roster(session, folder, report, now, timezone)
    _load_plans(session, folder, report, clock)
    session.flush()
    record_changes(session, report, clock)
    if report.stock_differs:
        depots = sorted({d["depot"] for d in report.stock_differs})
        report.notes.append(
            f"stock in the files differs from what {len(depots)} depot(s) hold ({', '.join(depots)}): "
            "left as it is; `commandpost load --reset-stock` sets it to the files'"
        )
    events.record(
        session,
        type="district.loaded",
        entity_type="district",
        entity_id=None,
        payload={"folder": folder.name, **report.as_dict()},
        clock=clock,
        actor=ACTOR,
    )
    return report


def record_changes(session: Session, report: LoadReport, clock: Clock) -> None:
    """One `<entity>.created|updated` event per record, shaped as the API's own (the live map applies it)."""
    sources = [row.id for entity, row, _ in report.changes if entity == "hazard_source"]
    watching = hazards.sensor_ids(session, source_ids=sources)
    feature_of: dict[str, Any] = {
        "team": team_feature,
        "depot": depot_feature,
        "hazard_source": lambda row: hazard_source_feature(row, watching.get(row.id, [])),
        "sensor": sensor_feature,
        "shelter": shelter_feature,
        "expert": expert_entity,
        "duty_shift": shift_entity,
        "map_feature": map_feature,
    }
    for entity, row, action in report.changes:
        if entity == "material":
            # Materials are keyed by code, not id, as `material.created` from the API is.
            payload, entity_id = material_entity(row), None
        else:
            payload, entity_id = {"feature": feature_of[entity](row)}, row.id
        events.record(
            session,
            type=f"{entity}.{action}",
            entity_type=entity,
            entity_id=entity_id,
            payload=payload,
            clock=clock,
            actor=ACTOR,
        )
    for reset in report.stock_reset:
        events.record(
            session,
            type="depot.stock_reset",
            entity_type="depot",
            entity_id=reset["id"],
            payload={"lines": reset["lines"], "feature": depot_feature(session.get_one(Depot, reset["id"]))},
            clock=clock,
            actor=ACTOR,
        )


def _load_plans(session: Session, folder: Path, report: LoadReport, clock: Clock) -> None:
    path = folder / "response_plans.json"
    if path.exists():
        for outcome in response_plans.load_plans(session, data=_read(path), clock=clock, actor=ACTOR):
            report.count("response_plans", outcome)


def _load_basemap(session: Session, folder: Path, report: LoadReport) -> None:
    for layer, filename in BASE_LAYERS.items():
        path = folder / filename
        if not path.exists():
            continue
        for ref, props, geom in _features(path):
            name = props.pop("name", None)
            props.pop("ref", None)
            row, outcome = basemap.upsert(
                session,
                layer=layer,
                ref=ref,
                name=name,
                properties=props,
                geometry=geo.to_geojson(geom) or {},
            )
            report.count(f"basemap.{layer}", outcome)
            if outcome != "unchanged":
                report.changes.append(("map_feature", row, outcome))


def _load_roads(session: Session, folder: Path, report: LoadReport, clock: Clock) -> None:
    path = folder / "roads.geojson"
    if not path.exists():
        return
    features = _read(path).get("features", [])
    stored = roads.layer_summary(session)
    if stored[0]:
        # Closures point at road segments by id, so an unchanged layer is not replaced; and a layer
        # imported from OpenStreetMap is kept (`commandpost import-roads` replaces it on purpose).
        if "osm" in stored[2]:
            report.notes.append(
                f"road layer kept: it holds {stored[0]} segments imported from OpenStreetMap; "
                "`commandpost import-roads` replaces it"
            )
            report.unchanged["road_segments"] = stored[0]
            return
        if roads.summary_of(osm.geojson_segments(features)) == stored:
            report.unchanged["road_segments"] = stored[0]
            return
    result = roads.load_geojson(session, features=features, clock=clock)
    report.created["road_segments"] = result.segments


def _load_materials(session: Session, folder: Path, report: LoadReport) -> None:
    existing = {m.code: m for m in session.scalars(select(Material))}
    for index, item in enumerate(_read(folder / "materials.json")):
        values = {k: item[k] for k in ("name", "name_zh", "unit") if k in item}
        values["category"] = item.get("category", "general")
        row = existing.get(item["code"])
        if row is None:
            row = Material(code=item["code"], **values)
            session.add(row)
            existing[row.code] = row
            report.count("materials", "created")
            report.changes.append(("material", row, "created"))
        elif _assign(row, values):
            report.count("materials", "updated")
            report.changes.append(("material", row, "updated"))
        else:
            report.count("materials", "unchanged")
        if not item.get("code"):
            raise InvalidInput(f"materials.json item {index} has no code", field=f"materials.{index}.code")
    session.flush()


_VEHICLES = TypeAdapter(list[dict[str, Any]])

# One record of a reference-data kind: its ref, its properties and its WGS 84 geometry (None for experts).
Row = tuple[str, dict[str, Any], BaseGeometry | None]


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _required(p: dict[str, Any], name: str, where: str) -> Any:
    value = p.get(name)
    if value is None or value == "":
        raise InvalidInput(f"{where or 'record'}: `{name}` is missing", field=_at(where, name))
    return value


def _number(p: dict[str, Any], name: str, where: str, *, default: float | None = None) -> float:
    value = p.get(name)
    if value is None or value == "":
        if default is not None:
            return default
        raise InvalidInput(f"{where or 'record'}: `{name}` is missing", field=_at(where, name))
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{where or 'record'}: {name} {value!r} is not a number", field=_at(where, name)
        ) from exc
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidInput(f"{where or 'record'}: {name} must be a finite number", field=_at(where, name))
    return number


def _whole(p: dict[str, Any], name: str, where: str, *, default: int | None = None) -> int:
    number = _number(p, name, where, default=None if default is None else float(default))
    if not number.is_integer():
        raise InvalidInput(f"{where or 'record'}: {name} must be a whole number", field=_at(where, name))
    return int(number)


def _located(geom: BaseGeometry | None, where: str) -> WKBElement:
    if geom is None:
        raise InvalidInput(f"{where or 'record'}: it has no location", field=_at(where, "geometry"))
    element: WKBElement = geo.to_db(geom)
    return element


def team_values(p: dict[str, Any], geom: BaseGeometry | None, where: str) -> dict[str, Any]:
    """A team's reference data from a record, or `InvalidInput` naming the field."""
    name = _required(p, "name", where)
    kind = _enum(TeamKind, _required(p, "kind", where), _at(where, "kind"))
    tier = _enum(TeamTier, _required(p, "tier", where), _at(where, "tier"))
    headcount = _whole(p, "headcount", where)
    if headcount < 1:
        raise InvalidInput(
            f"{where or 'record'}: headcount must be at least 1", field=_at(where, "headcount")
        )
    caps = [_enum(Capability, c, _at(where, "capabilities")).value for c in p.get("capabilities") or []]
    try:
        vehicles = _VEHICLES.validate_python(p.get("vehicles") or [])
    except ValidationError as exc:
        raise InvalidInput(f"{where or 'record'}: vehicles {exc}", field=_at(where, "vehicles")) from exc
    return {
        "name": str(name),
        "kind": kind,
        "tier": tier,
        "headcount": headcount,
        "capabilities": caps,
        "vehicles": vehicles,
        "equipment": [str(e) for e in p.get("equipment") or []],
        "base": _located(geom, where),
        "town": p.get("town"),
        "contact_name": p.get("contact_name"),
        "contact_phone": p.get("contact_phone"),
    }


def team_status(p: dict[str, Any], where: str) -> TeamStatus:
    """A new team's status: the record's, available when it says none."""
    return _enum(TeamStatus, p.get("status") or "available", _at(where, "status"))  # type: ignore[no-any-return]


def apply_teams(
    session: Session, rows: Iterable[Row], report: LoadReport, now: datetime, source: str
) -> None:
    """Create or update teams by ref; a new team starts at its base, later loads leave status and position."""
    existing = _by_ref(session, Team)
    for ref, p, geom in rows:
        where = f"{source} {ref}"
        values = team_values(p, geom, where)
        if ref not in existing:
            values["position"] = values["base"]
            values["status"] = team_status(p, where)
        _upsert(session, report, "teams", Team, existing, ref, values, now, "team")


def _load_teams(session: Session, folder: Path, report: LoadReport, now: datetime) -> None:
    apply_teams(session, _features(folder / "teams.geojson"), report, now, "teams.geojson")


def depot_values(p: dict[str, Any], geom: BaseGeometry | None, where: str) -> dict[str, Any]:
    """A depot's reference data from a record, or `InvalidInput` naming the field."""
    return {
        "name": str(_required(p, "name", where)),
        "operator": p.get("operator") or "",
        "location": _located(geom, where),
        "address": p.get("address"),
        "contact_name": p.get("contact_name"),
        "contact_phone": p.get("contact_phone"),
    }


def depot_stock(p: dict[str, Any], where: str, known_materials: set[str]) -> list[tuple[str, float]]:
    """(material, on hand) of a record's stock lines; unknown materials and negative stock refused."""
    lines: list[tuple[str, float]] = []
    stock = p.get("stock") or []
    if not isinstance(stock, list):
        raise InvalidInput(f"{where or 'record'}: stock must be a list of lines", field=_at(where, "stock"))
    for index, item in enumerate(stock):
        at = _at(where, f"stock.{index}")
        if not isinstance(item, dict):
            raise InvalidInput(f"{at}: a stock line has material and on_hand", field=at)
        material = _required(item, "material", at)
        if material not in known_materials:
            raise InvalidInput(f"{at}: unknown material {material!r}", field=f"{at}.material")
        on_hand = _number(item, "on_hand", at)
        if on_hand < 0:
            raise InvalidInput(f"{at}: on_hand must not be negative", field=f"{at}.on_hand")
        lines.append((str(material), on_hand))
    return lines


def apply_depots(
    session: Session,
    rows: Iterable[Row],
    report: LoadReport,
    now: datetime,
    source: str,
    *,
    reset_stock: bool,
) -> None:
    """Create or update depots by ref; stock is set for new depots, or where it differs if reset is asked."""
    existing = _by_ref(session, Depot)
    known_materials = set(session.scalars(select(Material.code)))
    for ref, p, geom in rows:
        where = f"{source} {ref}"
        values = depot_values(p, geom, where)
        wanted = depot_stock(p, where, known_materials)
        is_new = ref not in existing
        depot = _upsert(session, report, "depots", Depot, existing, ref, values, now, "depot")
        session.flush()
        lines = {line.material_code: line for line in depot.stock}
        reset: list[dict[str, Any]] = []
        for index, (material, on_hand) in enumerate(wanted):
            at = f"{where}.stock.{index}"
            line = lines.get(material)
            if is_new:
                depot.stock.append(
                    InventoryLine(material_code=material, on_hand=on_hand, reserved=0, updated_at=now)
                )
                continue
            held = None if line is None else line.on_hand
            if held == on_hand:
                continue
            # Stock on hand is operational: issues and deliveries since the file was written count.
            difference = {
                "depot": ref,
                "name": depot.name,
                "material": material,
                "file": on_hand,
                "database": held,
                "reserved": 0.0 if line is None else line.reserved,
            }
            if not reset_stock:
                report.stock_differs.append(difference)
                continue
            if line is None:
                depot.stock.append(
                    InventoryLine(material_code=material, on_hand=on_hand, reserved=0, updated_at=now)
                )
            else:
                if on_hand < line.reserved:
                    raise InvalidInput(
                        f"{at}: cannot reset {material} at {ref} to {on_hand:g}: "
                        f"{line.reserved:g} are reserved for dispatches (release or issue them first)",
                        field=f"{at}.on_hand",
                    )
                line.on_hand = on_hand
                line.updated_at = now
            reset.append({"material": material, "before": held, "after": on_hand})
        if reset:
            session.flush()
            report.stock_reset.append({"id": depot.id, "depot": ref, "lines": reset})


def _load_depots(
    session: Session, folder: Path, report: LoadReport, now: datetime, reset_stock: bool
) -> None:
    apply_depots(
        session, _features(folder / "depots.geojson"), report, now, "depots.geojson", reset_stock=reset_stock
    )


def hazard_source_values(p: dict[str, Any], geom: BaseGeometry | None, where: str) -> dict[str, Any]:
    """A hazard source's reference data from a record, or `InvalidInput` naming the field."""
    grade = _enum(HazardGrade, p["grade"], _at(where, "grade")) if p.get("grade") else None
    colour = _enum(RiskColour, p["risk_colour"], _at(where, "risk_colour")) if p.get("risk_colour") else None
    r_value = p.get("r_value")
    exposed = p.get("exposed_population")
    return {
        "enterprise": str(_required(p, "enterprise", where)),
        "name": str(_required(p, "name", where)),
        "site": _located(geom, where),
        "grade": grade,
        "r_value": None if r_value in (None, "") else _number(p, "r_value", where),
        "risk_colour": colour,
        "exposed_population": None if exposed in (None, "") else _whole(p, "exposed_population", where),
    }


def hazard_chemicals(p: dict[str, Any], where: str) -> list[tuple[str, str | None, float]]:
    """(name, CAS, tonnes) of the chemicals a record says are kept there."""
    chemicals = p.get("chemicals") or []
    if not isinstance(chemicals, list):
        raise InvalidInput(f"{where or 'record'}: chemicals must be a list", field=_at(where, "chemicals"))
    wanted: list[tuple[str, str | None, float]] = []
    for index, item in enumerate(chemicals):
        at = _at(where, f"chemicals.{index}")
        if not isinstance(item, dict):
            raise InvalidInput(f"{at}: a chemical has name, cas and quantity_t", field=at)
        quantity = _number(item, "quantity_t", at)
        if quantity < 0:
            raise InvalidInput(f"{at}: quantity_t must not be negative", field=f"{at}.quantity_t")
        wanted.append((str(_required(item, "name", at)), item.get("cas") or None, quantity))
    return wanted


def apply_hazard_sources(
    session: Session, rows: Iterable[Row], report: LoadReport, now: datetime, source_name: str
) -> dict[str, int]:
    """Create or update hazard sources by ref with their chemicals; returns every source's id by ref."""
    existing = _by_ref(session, HazardSource)
    for ref, p, geom in rows:
        where = f"{source_name} {ref}"
        values = hazard_source_values(p, geom, where)
        wanted = hazard_chemicals(p, where)
        source = _upsert(
            session, report, "hazard_sources", HazardSource, existing, ref, values, now, "hazard_source"
        )
        stored = [(c.name, c.cas, c.quantity_t) for c in source.chemicals]
        if wanted != stored:
            source.chemicals = [StoredChemical(name=n, cas=cas, quantity_t=q) for n, cas, q in wanted]
            if not any(row is source for _, row, _ in report.changes):
                # Only its chemicals changed: it was counted unchanged a moment ago.
                source.updated_at = now
                report.changes.append(("hazard_source", source, "updated"))
                report.unchanged["hazard_sources"] -= 1
                report.count("hazard_sources", "updated")
    session.flush()
    return {ref: row.id for ref, row in existing.items()}


def _load_hazard_sources(session: Session, folder: Path, report: LoadReport, now: datetime) -> dict[str, int]:
    return apply_hazard_sources(
        session, _features(folder / "hazard_sources.geojson"), report, now, "hazard_sources.geojson"
    )


def _load_sensors(
    session: Session, folder: Path, report: LoadReport, now: datetime, hazard_ids: dict[str, int]
) -> None:
    existing = _by_ref(session, Sensor)
    for ref, p, geom in _features(folder / "sensors.geojson"):
        where = f"sensors.geojson {ref}"
        kind = _enum(SensorKind, p["kind"], f"{where}.kind")
        source_ref = p.get("hazard_source")
        if source_ref is not None and source_ref not in hazard_ids:
            raise InvalidInput(
                f"{where}: unknown hazard source {source_ref!r}", field=f"{where}.hazard_source"
            )
        values = {
            "kind": kind,
            "unit": UNIT_OF[kind],
            "substance": p.get("substance"),
            "cas": p.get("cas"),
            "location": geo.to_db(geom),
            "hazard_source_id": hazard_ids.get(source_ref) if source_ref else None,
            "alarm_1": float(p["alarm_1"]),
            "alarm_2": float(p["alarm_2"]),
            "expected_interval_s": int(p.get("expected_interval_s", 60)),
        }
        _upsert(session, report, "sensors", Sensor, existing, ref, values, now, "sensor")


def shelter_values(p: dict[str, Any], geom: BaseGeometry | None, where: str) -> dict[str, Any]:
    """A shelter's reference data from a record, or `InvalidInput` naming the field."""
    capacity = _whole(p, "capacity", where)
    if capacity < 0:
        raise InvalidInput(
            f"{where or 'record'}: capacity must not be negative", field=_at(where, "capacity")
        )
    return {
        "name": str(_required(p, "name", where)),
        "kind": p.get("kind") or "indoor",
        "location": _located(geom, where),
        "capacity": capacity,
        "address": p.get("address"),
        "town": p.get("town"),
    }


def apply_shelters(
    session: Session, rows: Iterable[Row], report: LoadReport, now: datetime, source: str
) -> None:
    """Create or update shelters by ref."""
    existing = _by_ref(session, Shelter)
    for ref, p, geom in rows:
        values = shelter_values(p, geom, f"{source} {ref}")
        _upsert(session, report, "shelters", Shelter, existing, ref, values, now, "shelter")


def _load_shelters(session: Session, folder: Path, report: LoadReport, now: datetime) -> None:
    apply_shelters(session, _features(folder / "shelters.geojson"), report, now, "shelters.geojson")


def expert_values(p: dict[str, Any], geom: BaseGeometry | None, where: str) -> dict[str, Any]:
    """An expert's record, or `InvalidInput` naming the field."""
    values = {k: p.get(k) for k in ("specialty", "organisation", "title", "phone")}
    values["name"] = str(_required(p, "name", where))
    values["fields"] = [str(f) for f in p.get("fields") or []]
    return values


def apply_experts(
    session: Session, rows: Iterable[Row], report: LoadReport, now: datetime, source: str
) -> None:
    """Create or update experts by ref."""
    existing = _by_ref(session, Expert)
    for ref, p, geom in rows:
        values = expert_values(p, geom, f"{source} {ref}")
        _upsert(session, report, "experts", Expert, existing, ref, values, now, "expert")


def _load_experts(session: Session, folder: Path, report: LoadReport, now: datetime) -> None:
    path = folder / "experts.json"
    rows: list[Row] = []
    for index, item in enumerate(_read(path)):
        if not item.get("ref"):
            raise InvalidInput(f"experts.json item {index} has no `ref`", field=f"experts.{index}.ref")
        rows.append((str(item["ref"]), item, None))
    apply_experts(session, rows, report, now, "experts.json")


def _load_roster(session: Session, folder: Path, report: LoadReport, now: datetime, timezone: str) -> None:
    """Expand the rota into concrete shifts from yesterday to two weeks ahead (local time)."""
    path = folder / "duty_roster.json"
    if not path.exists():
        return
    roster = _read(path)
    zone = ZoneInfo(roster.get("timezone", timezone))
    today = now.astimezone(zone).date()
    existing = {(s.person, s.role, s.starts_at) for s in session.scalars(select(DutyShift))}
    per_shift = {DutyRole.dispatcher: int(roster.get("dispatchers_per_shift", 1))}
    for day_offset in range(-ROSTER_DAYS_BEFORE, ROSTER_DAYS_AFTER + 1):
        day = today + timedelta(days=day_offset)
        for shift_no, shift in enumerate(roster["shifts"]):
            starts = _local(day, shift["start"], zone)
            ends = starts + timedelta(hours=float(shift["hours"]))
            slot = _slot_number(day, shift_no, len(roster["shifts"]))
            for role_name, people in roster["rota"].items():
                role = _enum(DutyRole, role_name, f"duty_roster.json rota.{role_name}")
                for rank in range(1, per_shift.get(role, 1) + 1):
                    person = people[(slot * per_shift.get(role, 1) + rank - 1) % len(people)]
                    key = (person["person"], role, starts)
                    if key in existing:
                        report.count("duty_shifts", "unchanged")
                        continue
                    shift = DutyShift(
                        person=person["person"],
                        role=role,
                        phone=person.get("phone"),
                        starts_at=starts,
                        ends_at=ends,
                        rank=rank,
                        updated_at=now,
                    )
                    session.add(shift)
                    report.changes.append(("duty_shift", shift, "created"))
                    existing.add(key)
                    report.count("duty_shifts", "created")


def _local(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    from datetime import UTC

    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def _slot_number(day: date, shift_no: int, shifts_per_day: int) -> int:
    """A number that grows by one per shift, so the rota turns the same way on every load."""
    return day.toordinal() * shifts_per_day + shift_no
