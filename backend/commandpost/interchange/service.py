"""Import reference data from GIS files and export layers to them, with the loader's own rules.

An import is keyed by `ref` and applies a kind's reference data exactly as `commandpost load` does
(a record new to the platform is created; a known one has its reference data updated; operational
state — stock, team status and position — is never overwritten), each change with its event. It is
all or nothing: one refused record refuses the file, every refusal listed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import geo, loader
from commandpost.clock import Clock
from commandpost.depots.models import Material
from commandpost.errors import InvalidInput, NotFound
from commandpost.events import service as events
from commandpost.interchange import formats
from commandpost.interchange.formats import FileFormat
from commandpost.interchange.schemas import ImportReport, Refusal

ACTOR = "commandpost import"
Check = Callable[[dict[str, Any], BaseGeometry | None, str], object]


@dataclass(frozen=True)
class ImportKind:
    name: str
    spatial: bool
    # The geometries a record may have (the loader's: a hazard source's site may be an outline).
    geometries: tuple[str, ...]
    # Columns a file must have (beside `ref` and, for CSV, lon/lat).
    required: tuple[str, ...]
    # Properties holding lists: JSON text in flat files, or `a;b;c` for plain words.
    lists: tuple[str, ...]
    # A record's rules without writing (the loader's own), given what the database knows.
    checker: Callable[[Session], Check]
    apply: Callable[[Session, list[loader.Row], loader.LoadReport, datetime, str], object]


def _team_check(session: Session) -> Check:
    return lambda p, g, w: (loader.team_values(p, g, w), loader.team_status(p, w))


def _depot_check(session: Session) -> Check:
    known = set(session.scalars(select(Material.code)))
    return lambda p, g, w: (loader.depot_values(p, g, w), loader.depot_stock(p, w, known))


def _hazard_check(session: Session) -> Check:
    return lambda p, g, w: (loader.hazard_source_values(p, g, w), loader.hazard_chemicals(p, w))


def _apply_depots(
    session: Session, rows: list[loader.Row], report: loader.LoadReport, now: datetime, src: str
) -> None:
    loader.apply_depots(session, rows, report, now, src, reset_stock=False)


KINDS: dict[str, ImportKind] = {
    kind.name: kind
    for kind in (
        ImportKind(
            "teams",
            True,
            ("Point",),
            ("name", "kind", "tier", "headcount"),
            ("capabilities", "vehicles", "equipment"),
            _team_check,
            loader.apply_teams,
        ),
        ImportKind("depots", True, ("Point",), ("name",), ("stock",), _depot_check, _apply_depots),
        ImportKind(
            "hazard-sources",
            True,
            ("Point", "Polygon", "MultiPolygon"),
            ("enterprise", "name"),
            ("chemicals",),
            _hazard_check,
            loader.apply_hazard_sources,
        ),
        ImportKind(
            "shelters",
            True,
            ("Point",),
            ("name", "capacity"),
            (),
            lambda _: loader.shelter_values,
            loader.apply_shelters,
        ),
        ImportKind(
            "experts", False, (), ("name",), ("fields",), lambda _: loader.expert_values, loader.apply_experts
        ),
    )
}
# The loader's entity names, for the report's counts.
_COUNTED = {
    "teams": "teams",
    "depots": "depots",
    "hazard-sources": "hazard_sources",
    "shelters": "shelters",
    "experts": "experts",
}


def kind_of(name: str) -> ImportKind:
    kind = KINDS.get(name)
    if kind is None:
        raise NotFound(f"{name!r} cannot be imported; kinds: {', '.join(KINDS)}", field="kind")
    return kind


def _source_crs(declared: str | None, in_file: str | None) -> str:
    """The CRS to read coordinates in: what the user declares, else what the file says, else WGS 84."""
    crs = declared or in_file or "WGS84"
    try:
        geo.convert_geometry(geo.point(118.9, 25.1), crs, field="crs")
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, field="crs") from exc
    return crs


def _as_list(value: Any, name: str) -> Any:
    """A list property read from a flat file: JSON text, or words separated by `;`."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{name} is not valid JSON: {exc.msg}", field=name) from exc
    return [part.strip() for part in text.replace("；", ";").split(";") if part.strip()]


def import_file(
    session: Session,
    *,
    kind: str,
    data: bytes,
    filename: str,
    file_format: str | None = None,
    crs: str | None = None,
    encoding: str = "utf-8",
    dry_run: bool = False,
    clock: Clock,
) -> ImportReport:
    """Check every record of a file against the kind's rules and, when none is refused, apply them all by
    ref with their events; a refused record refuses the whole file (`InvalidInput` listing every refusal).
    On a dry run the changes are made in the caller's transaction for the counts: the caller rolls back."""
    spec = kind_of(kind)
    fmt = formats.format_of(filename, file_format)
    read = formats.read(data, file_format=fmt, encoding=encoding)
    if not read.records:
        raise InvalidInput(f"{filename} holds no records", field="file")
    columns = set(read.records[0].properties)
    needed = ["ref", *spec.required]
    if spec.spatial and fmt is FileFormat.csv:
        needed += ["lon", "lat"]
    missing = [c for c in needed if c not in columns and c not in ("lon", "lat")]
    if spec.spatial and fmt is FileFormat.csv and not formats.has_coordinates(read):
        missing += ["lon", "lat"]
    if missing:
        raise InvalidInput(
            f"{filename} has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}: "
            f"{spec.name} need {', '.join(needed)}",
            field="file",
            extra={"missing": missing, "columns": sorted(columns)},
        )
    source_crs = _source_crs(crs, read.crs) if spec.spatial else "WGS84"
    check = spec.checker(session)
    rows: list[loader.Row] = []
    refused: list[Refusal] = []
    first_seen: dict[str, str] = {}
    for record in read.records:
        props = dict(record.properties)
        ref = props.get("ref")
        ref = None if ref is None else str(ref).strip()

        def refuse(field: str, reason: str, record: formats.Record = record, ref: str | None = ref) -> None:
            refused.append(Refusal(where=record.where, ref=ref, field=field, reason=reason))

        if not ref:
            refuse("ref", "it has no ref")
            continue
        if ref in first_seen:
            refuse("ref", f"ref {ref} is already used by {first_seen[ref]}")
            continue
        first_seen[ref] = record.where
        props["ref"] = ref
        try:
            for name in spec.lists:
                if name in props:
                    props[name] = _as_list(props[name], name)
            geometry = _geometry(spec, record, source_crs)
            check(props, geometry, "")
        except InvalidInput as exc:
            refuse(exc.field or "record", exc.detail)
            continue
        rows.append((ref, props, geometry))
    report = ImportReport(
        kind=spec.name,
        format=fmt.value,
        crs=source_crs,
        dry_run=dry_run,
        records=len(read.records),
        accepted=len(rows),
        refused=refused,
        imported=False,
        created=0,
        updated=0,
        unchanged=0,
    )
    if refused:
        if dry_run:
            return report
        first = refused[0]
        raise InvalidInput(
            f"{len(refused)} of {len(read.records)} records refused, nothing imported; "
            f"first: {first.where} {first.field}: {first.reason}",
            field=first.field,
            extra={"refused": [r.model_dump() for r in refused], "accepted": len(rows)},
        )
    changes = loader.LoadReport()
    spec.apply(session, rows, changes, clock.now(), filename)
    session.flush()
    loader.record_changes(session, changes, clock)
    counted = _COUNTED[spec.name]
    report.created = changes.created.get(counted, 0)
    report.updated = changes.updated.get(counted, 0)
    report.unchanged = changes.unchanged.get(counted, 0)
    report.stock_differs = changes.stock_differs
    report.imported = not dry_run
    events.record(
        session,
        type="data.imported",
        entity_type="import",
        entity_id=None,
        payload={
            "kind": spec.name,
            "file": filename,
            "format": fmt.value,
            "crs": source_crs,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
        },
        clock=clock,
        actor=ACTOR,
    )
    return report


def _geometry(spec: ImportKind, record: formats.Record, source_crs: str) -> BaseGeometry | None:
    if not spec.spatial:
        return None
    if record.geometry_error is not None:
        field, reason = record.geometry_error
        raise InvalidInput(reason, field=field)
    if record.geometry is None:
        raise InvalidInput("it has no coordinates", field="geometry")
    converted = geo.convert_geometry(record.geometry, source_crs, field="crs")
    return geo.parse_geojson(dict(mapping(converted)), allowed=spec.geometries)


# --- exports ---------------------------------------------------------------------------------


def _layer_readers() -> dict[str, Callable[[Session], list[dict[str, Any]]]]:
    """Every layer of the registry (live features only: a drill's are never exported), and the experts."""
    from commandpost.experts import service as experts
    from commandpost.experts.schemas import expert_entity
    from commandpost.layers import LAYERS, REFERENCE_LAYERS, Layer

    def live(layer: Layer) -> Callable[[Session], list[dict[str, Any]]]:
        return lambda session: layer.read(session, None, None)

    def expert_features(session: Session) -> list[dict[str, Any]]:
        return [
            {"type": "Feature", "id": e.id, "geometry": None, "properties": expert_entity(e)}
            for e in experts.list_experts(session, limit=10**9).items
        ]

    readers = {layer.name: live(layer) for layer in (*LAYERS, *REFERENCE_LAYERS)}
    readers["experts"] = expert_features
    return readers


def exportable() -> list[str]:
    return list(_layer_readers())


def export_layer(session: Session, *, layer: str, file_format: str) -> tuple[bytes, str, str]:
    """A layer as a file: (content, media type, file name). Lists and objects become JSON text in
    formats whose fields are flat; the import reads them back."""
    readers = _layer_readers()
    if layer not in readers:
        raise NotFound(f"there is no layer {layer!r}; layers: {', '.join(readers)}", field="layer")
    try:
        fmt = FileFormat(file_format)
    except ValueError as exc:
        raise InvalidInput(
            f"format {file_format!r} is not one of {', '.join(formats.EXPORT_FORMATS)}", field="f"
        ) from exc
    if fmt not in formats.WRITERS:
        raise InvalidInput(f"export formats are {', '.join(formats.EXPORT_FORMATS)}", field="f")
    features = readers[layer](session)
    fields = _field_names(features)
    records = [
        (
            {k: _flat(v) for k, v in f["properties"].items()},
            None if f["geometry"] is None else geo.parse_geojson(f["geometry"]),
        )
        for f in features
    ]
    content = formats.write(records, file_format=fmt, layer=layer.replace("-", "_"), fields=fields)
    _, media_type, suffix = formats.WRITERS[fmt]
    return content, media_type, f"{layer}{suffix}"


def _field_names(features: Sequence[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {"id": None, "ref": None} if not features else {}
    for feature in features:
        names.update(dict.fromkeys(feature["properties"]))
    return list(names)


def _flat(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value
