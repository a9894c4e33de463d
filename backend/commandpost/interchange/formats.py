"""Reading and writing GIS files with GDAL (pyogrio): records in, records out, nothing about the domain.

A file is read into records (properties, geometry as Shapely, where it sits in the file) and the
coordinate system it declares; a list of records is written to any supported format as bytes.
"""

from __future__ import annotations

import io
import math
import tempfile
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyogrio import raw
from pyogrio.errors import DataLayerError, DataSourceError
from shapely.geometry.base import BaseGeometry

from commandpost.errors import InvalidInput


class FileFormat(StrEnum):
    geojson = "geojson"
    csv = "csv"
    shapefile = "shapefile"
    gpkg = "gpkg"
    kml = "kml"


# How a format is written: GDAL driver, media type, file suffix.
WRITERS: dict[FileFormat, tuple[str, str, str]] = {
    FileFormat.geojson: ("GeoJSON", "application/geo+json", ".geojson"),
    FileFormat.csv: ("CSV", "text/csv; charset=utf-8", ".csv"),
    FileFormat.gpkg: ("GPKG", "application/geopackage+sqlite3", ".gpkg"),
    FileFormat.kml: ("KML", "application/vnd.google-earth.kml+xml", ".kml"),
}
EXPORT_FORMATS = tuple(WRITERS)

SUFFIXES = {
    ".geojson": FileFormat.geojson,
    ".json": FileFormat.geojson,
    ".csv": FileFormat.csv,
    ".zip": FileFormat.shapefile,
    ".gpkg": FileFormat.gpkg,
}
ENCODINGS = ("utf-8", "gb18030")
LON_COLUMNS = ("lon", "lng", "longitude", "经度")
LAT_COLUMNS = ("lat", "latitude", "纬度")


@dataclass(frozen=True)
class Record:
    # "row 3" (a CSV row, counted from 1 after the header) or "feature 3" (counted from 1)
    where: str
    properties: dict[str, Any]
    geometry: BaseGeometry | None
    # Why the geometry could not be read (bad coordinates), with the field at fault.
    geometry_error: tuple[str, str] | None = None


@dataclass(frozen=True)
class ReadFile:
    records: list[Record]
    # The coordinate system the file declares (e.g. "EPSG:4326"), None when it declares none.
    crs: str | None


def format_of(filename: str, declared: str | None) -> FileFormat:
    """The declared format, else the one the file name's suffix says."""
    if declared:
        try:
            return FileFormat(declared.lower())
        except ValueError as exc:
            allowed = ", ".join(f.value for f in FileFormat)
            raise InvalidInput(f"format {declared!r} is not one of {allowed}", field="format") from exc
    found = SUFFIXES.get(Path(filename).suffix.lower())
    if found is None:
        raise InvalidInput(
            f"cannot tell the format of {filename!r}: name it .geojson, .csv, .zip (shapefile) or .gpkg, "
            "or say the format",
            field="format",
        )
    return found


def read(data: bytes, *, file_format: FileFormat, encoding: str = "utf-8") -> ReadFile:
    """The records of a file, or `InvalidInput` saying why the file as a whole cannot be read."""
    if not data:
        raise InvalidInput("the file is empty", field="file")
    with tempfile.TemporaryDirectory(prefix="commandpost-import-") as folder:
        if file_format is FileFormat.csv:
            return _read_csv(data, encoding, Path(folder))
        if file_format is FileFormat.shapefile:
            path = _unzip_shapefile(data, Path(folder))
        else:
            path = Path(folder) / ("upload.gpkg" if file_format is FileFormat.gpkg else "upload.geojson")
            path.write_bytes(data)
        meta, geometries, fields = _read_with_gdal(path, file_format)
        records = []
        for index in range(len(geometries)):
            props = {
                str(name): _plain(column[index]) for name, column in zip(meta["fields"], fields, strict=True)
            }
            blob = geometries[index]
            records.append(
                Record(
                    where=f"feature {index + 1}",
                    properties=props,
                    geometry=None if blob is None else shapely.from_wkb(bytes(blob)),
                )
            )
        return ReadFile(records=records, crs=meta.get("crs"))


def _read_with_gdal(path: Path, file_format: FileFormat) -> tuple[dict[str, Any], Any, list[Any]]:
    try:
        meta, _, geometries, fields = raw.read(path, read_geometry=True)
    except (DataSourceError, DataLayerError) as exc:
        raise InvalidInput(f"not a readable {file_format.value} file: {exc}", field="file") from exc
    if geometries is None:
        geometries = [None] * (len(fields[0]) if fields else 0)
    return meta, geometries, fields


def _unzip_shapefile(data: bytes, folder: Path) -> Path:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise InvalidInput(
            "not a zip file: a shapefile comes zipped with its .shp, .shx, .dbf and .prj", field="file"
        ) from exc
    names = [n for n in archive.namelist() if not n.endswith("/") and not Path(n).name.startswith(".")]
    shps = [n for n in names if n.lower().endswith(".shp")]
    if len(shps) != 1:
        raise InvalidInput(
            f"the zip must hold exactly one .shp, it holds {len(shps)}", field="file", extra={"files": names}
        )
    stem = shps[0][: -len(".shp")]
    present = {Path(n).suffix.lower() for n in names if n[: -len(Path(n).suffix)] == stem}
    missing = [s for s in (".shx", ".dbf", ".prj") if s not in present]
    if missing:
        why = (
            "without a .prj the coordinate system is unknown"
            if missing == [".prj"]
            else "a shapefile needs its .shp, .shx, .dbf and .prj"
        )
        raise InvalidInput(
            f"the zip has no {', '.join(missing)}: {why}", field="file", extra={"files": names}
        )
    for name in names:
        if name[: -len(Path(name).suffix)] == stem:
            (folder / f"upload{Path(name).suffix.lower()}").write_bytes(archive.read(name))
    return folder / "upload.shp"


def _read_csv(data: bytes, encoding: str, folder: Path) -> ReadFile:
    if encoding not in ENCODINGS:
        raise InvalidInput(f"encoding {encoding!r} is not one of {', '.join(ENCODINGS)}", field="encoding")
    try:
        text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as exc:
        hint = (
            " (a spreadsheet saved in Chinese Excel is usually GB 18030: say so)"
            if encoding == "utf-8"
            else ""
        )
        raise InvalidInput(
            f"the file is not {encoding.upper()} text: byte {exc.start} cannot be read{hint}",
            field="encoding",
        ) from exc
    path = folder / "upload.csv"
    path.write_text(text, encoding="utf-8")
    meta, geometries, fields = _read_with_gdal(path, FileFormat.csv)
    names = [str(n) for n in meta["fields"]]
    lon_name = next((n for n in names if n.strip().lower() in LON_COLUMNS), None)
    lat_name = next((n for n in names if n.strip().lower() in LAT_COLUMNS), None)
    rows = len(fields[0]) if fields else 0
    records = []
    for index in range(rows):
        props = {name: _plain(column[index]) for name, column in zip(names, fields, strict=True)}
        geometry, error = None, None
        if lon_name is not None and lat_name is not None:
            lon, lat = props.pop(lon_name), props.pop(lat_name)
            geometry, error = _point(lon, lat, lon_name, lat_name)
        elif geometries[index] is not None:
            # a WKT column (GDAL reads it as the geometry), as outlines are written to CSV
            geometry = shapely.from_wkb(bytes(geometries[index]))
        records.append(
            Record(where=f"row {index + 1}", properties=props, geometry=geometry, geometry_error=error)
        )
    return ReadFile(records=records, crs=None)


def has_coordinates(read_file: ReadFile) -> bool:
    return any(r.geometry is not None or r.geometry_error is not None for r in read_file.records)


def _point(
    lon: Any, lat: Any, lon_name: str, lat_name: str
) -> tuple[BaseGeometry | None, tuple[str, str] | None]:
    values = []
    for name, value in ((lon_name, lon), (lat_name, lat)):
        if value is None or value == "":
            return None, (name, f"{name} is empty")
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None, (name, f"{name} {value!r} is not a number")
        if not math.isfinite(number):
            return None, (name, f"{name} must be a finite number")
        values.append(number)
    return shapely.Point(values[0], values[1]), None


def _plain(value: Any) -> Any:
    """A GDAL field value as plain Python; empty text and nulls are absent values."""
    if isinstance(value, np.ndarray):
        return value.tolist()  # a GeoJSON list of strings or numbers (GDAL's StringList)
    if value is None or value == "":
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write(
    records: list[tuple[dict[str, Any], BaseGeometry | None]],
    *,
    file_format: FileFormat,
    layer: str,
    fields: list[str],
) -> bytes:
    """`records` (properties of plain values, WGS 84 geometry) as a file of `file_format`."""
    driver, _, suffix = WRITERS[file_format]
    spatial = any(geom is not None for _, geom in records)
    points = spatial and all(geom is None or geom.geom_type == "Point" for _, geom in records)
    columns = list(fields)
    field_data = [_column([props.get(name) for props, _ in records]) for name in columns]
    geometry: Any = None
    geometry_type: str | None = None
    options: dict[str, Any] = {}
    if file_format is FileFormat.csv and spatial:
        if points:
            # lon/lat columns, as a spreadsheet holds them and as the import reads them back
            columns += ["lon", "lat"]
            field_data += [
                _column([None if g is None else g.x for _, g in records], float),
                _column([None if g is None else g.y for _, g in records], float),
            ]
            spatial = False
        else:
            options["GEOMETRY"] = "AS_WKT"
    if spatial:
        geometry = np.array([None if g is None else shapely.to_wkb(g) for _, g in records], dtype=object)
        kinds = {g.geom_type for _, g in records if g is not None}
        geometry_type = kinds.pop() if len(kinds) == 1 else "Unknown"
    with tempfile.TemporaryDirectory(prefix="commandpost-export-") as folder:
        path = Path(folder) / f"{layer}{suffix}"
        raw.write(
            path,
            geometry=geometry,
            field_data=field_data,
            fields=columns,
            geometry_type=geometry_type,
            crs="EPSG:4326" if spatial else None,
            driver=driver,
            layer=layer,
            encoding="UTF-8",
            **options,
        )
        return path.read_bytes()


def _column(values: list[Any], kind: type | None = None) -> Any:
    """One field's values as the array pyogrio writes: numbers stay numbers, anything else is text."""
    present = [v for v in values if v is not None]
    if kind is float or (
        present and all(isinstance(v, float | int) and not isinstance(v, bool) for v in present)
    ):
        if all(isinstance(v, int) and not isinstance(v, bool) for v in present) and len(present) == len(
            values
        ):
            return np.array(values, dtype=np.int64)
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return np.array([None if v is None else str(v) for v in values], dtype=object)
