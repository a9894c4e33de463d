"""What every threat-zone model returns, before it is placed on the map."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Shape(StrEnum):
    circle = "circle"  # radius = distance, centred on the source
    downwind_square = "downwind_square"  # ERG: side = distance, from the source down-wind
    footprint = "footprint"  # a polygon in the source's down-wind frame (x down-wind, y cross-wind), metres


@dataclass(frozen=True, slots=True)
class ZoneShape:
    level: str  # e.g. "isolation", "AEGL-2", "12.5 kW/m²"
    label: str
    distance_m: float
    shape: Shape
    threshold: float | None = None
    threshold_unit: str | None = None
    basis: str | None = None
    at_least: bool = False  # the source gives the distance as "X+" (may be larger)
    outline: tuple[tuple[float, float], ...] = ()  # for Shape.footprint


@dataclass(frozen=True, slots=True)
class ModelResult:
    model: str
    zones: tuple[ZoneShape, ...]
    inputs: dict[str, Any]
    reference: str
    limits: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)
