"""Emergency Response Guidebook distances: Table 1 by UN number, Table 3 for six TIH gases, guide defaults.

ERG 2024 Table 1 gives the initial isolation (a circle) and the protective-action distance (a square whose
side is that distance, down-wind of the spill) for small/large spills by day or night; for large spills of six
common TIH gases it refers to Table 3, by container and wind. Materials not in Table 1 take their orange
guide's default isolation, large-spill down-wind evacuation and, for a tank in a fire, its evacuation circle
(ERG 2016 guide rows: see data/erg/SOURCE.md).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from commandpost.zones.modelling.results import ModelResult, Shape, ZoneShape

EDITION = "ERG 2024"
GUIDE_EDITION = "ERG 2016"
REFERENCE = (
    "Emergency Response Guidebook 2024 (US DOT/PHMSA, Transport Canada, SCT), Table 1 and Table 3; "
    "orange-guide defaults from ERG 2016 (Esri ERG2016 lookup table)"
)
LIMITS = (
    "ERG distances are for the first 30 minutes of a transport-scale incident, before anything is known; "
    "replace them with a dispersion estimate as soon as the release is characterised.",
    "A distance written 'X+' may be larger in some atmospheric conditions.",
    "Day means sunrise to sunset; the night distances are longer because the air is more stable.",
)
# ERG Table 3 wind classes: low < 10 km/h, moderate 10–20 km/h, high > 20 km/h.
LOW_WIND_MAX_MS = 10 / 3.6
MODERATE_WIND_MAX_MS = 20 / 3.6


class Spill(StrEnum):
    small = "small"
    large = "large"


class Container(StrEnum):
    rail_tank_car = "rail_tank_car"
    highway_tank_truck = "highway_tank_truck"
    agricultural_nurse_tank = "agricultural_nurse_tank"
    multiple_ton_cylinders = "multiple_ton_cylinders"
    small_cylinders = "small_cylinders"


_CONTAINER_PREFIX = {
    Container.rail_tank_car: "Rail tank car",
    Container.highway_tank_truck: "Highway tank truck",
    Container.agricultural_nurse_tank: "Agricultural nurse tank",
    Container.multiple_ton_cylinders: "Multiple ton cylinders",
    Container.small_cylinders: "Multiple small cylinders",
}


class NotInErg(ValueError):
    """The input cannot be placed in the guidebook; `field` names the input."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("commandpost.zones").joinpath("data", "erg", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _km(text: str) -> tuple[float, bool]:
    """'11.0+' → (11000 m, at least)."""
    plus = text.endswith("+")
    return float(text.rstrip("+")) * 1000, plus


@dataclass(frozen=True, slots=True)
class Table1Block:
    un: str
    guide: str
    names: str
    small: tuple[str, str, str]  # isolate m, day km, night km
    large: tuple[str, str, str] | None  # None: see Table 3

    def size(self) -> float:
        return _km(self.small[2])[0] + (_km(self.large[2])[0] if self.large else 1e9)


@cache
def _table1() -> dict[str, list[Table1Block]]:
    blocks: dict[str, dict[str, Table1Block]] = {}
    for r in _rows("erg2024_table1_initial_isolation_protective_action.csv"):
        blocks.setdefault(r["un_id"], {})[r["block_id"]] = Table1Block(
            un=r["un_id"],
            guide=r["guide"],
            names=r["names_in_block"],
            small=(r["small_isolate_m"], r["small_day_km"], r["small_night_km"]),
            large=None
            if r["large_refer_table3"] == "True"
            else (r["large_isolate_m"], r["large_day_km"], r["large_night_km"]),
        )
    return {un: list(by_block.values()) for un, by_block in blocks.items()}


@cache
def _index() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for r in _rows("erg2024_index_un_material_guide.csv"):
        out.setdefault(r["un_id"], (r["material"], r["guide"].rstrip("P")))
    return out


@cache
def _guides() -> dict[str, dict[str, str]]:
    return {r["guide"]: r for r in _rows("erg2016_guide_defaults.csv")}


def wind_class(wind_speed_ms: float) -> str:
    """ERG Table 3 wind class: low (< 10 km/h), moderate (10–20 km/h), high (> 20 km/h)."""
    if wind_speed_ms < LOW_WIND_MAX_MS:
        return "low"
    if wind_speed_ms <= MODERATE_WIND_MAX_MS:
        return "moderate"
    return "high"


def table3_containers(un_number: str) -> list[Container]:
    """The containers ERG Table 3 grades a large spill of this gas by, largest first (none if not in it)."""
    un = un_number.removeprefix("UN").zfill(4)
    if any(block.large is not None for block in _table1().get(un, [])):
        return []
    names = [r["container"] for r in _rows("erg2024_table3_large_spill_by_container.csv") if r["un_id"] == un]
    return [c for c in Container if any(n.startswith(_CONTAINER_PREFIX[c]) for n in names)]


def _table3(un: str, container: Container | None, daytime: bool, wind_speed_ms: float) -> tuple[str, ...]:
    rows = [r for r in _rows("erg2024_table3_large_spill_by_container.csv") if r["un_id"] == un]
    offered = sorted(
        c for c, prefix in _CONTAINER_PREFIX.items() if any(r["container"].startswith(prefix) for r in rows)
    )
    if container is None or container not in offered:
        raise NotInErg(
            f"a large spill of UN{un} is graded by container in ERG Table 3: "
            f"give one of {', '.join(offered)}",
            field="container",
        )
    row = next(r for r in rows if r["container"].startswith(_CONTAINER_PREFIX[container]))
    column = f"{'day' if daytime else 'night'}_{wind_class(wind_speed_ms)}_wind_km"
    return row["isolate_m"], row[column], row["material"], row["container"]


def model(
    *,
    un_number: str,
    spill: Spill,
    daytime: bool,
    wind_speed_ms: float,
    container: Container | None = None,
    fire: bool = False,
) -> ModelResult:
    """ERG isolation circle and down-wind protective-action square for one UN number, spill size and time."""
    un = un_number.removeprefix("UN").removeprefix("NA").zfill(4)
    when = "day" if daytime else "night"
    blocks = _table1().get(un)
    zones: list[ZoneShape] = []
    notes: list[str] = []
    inputs: dict[str, object] = {"un_number": un, "spill": spill, "daytime": daytime, "fire": fire}
    if blocks is not None:
        # Several blocks (e.g. spilled on land / in water): the largest distances are drawn.
        block = max(blocks, key=Table1Block.size)
        if len(blocks) > 1:
            notes.append(
                f"UN{un} has {len(blocks)} Table 1 entries; the one with the largest distances is drawn"
            )
        name, source = block.names, f"{EDITION} Table 1"
        if spill is Spill.small:
            isolate, day_km, night_km = block.small
            protect = day_km if daytime else night_km
        elif block.large is not None:
            isolate, day_km, night_km = block.large
            protect = day_km if daytime else night_km
        else:
            isolate, protect, name, container_name = _table3(un, container, daytime, wind_speed_ms)
            source = f"{EDITION} Table 3 ({container_name}, {wind_class(wind_speed_ms)} wind)"
            inputs |= {
                "container": container,
                "wind_speed_ms": wind_speed_ms,
                "wind_class": wind_class(wind_speed_ms),
            }
        distance, plus = _km(protect)
        zones.append(
            ZoneShape(
                level="isolation",
                label=f"initial isolation ({source})",
                distance_m=float(isolate),
                shape=Shape.circle,
                basis=source,
            )
        )
        zones.append(
            ZoneShape(
                level="protective_action",
                label=f"protective action, {spill} spill, {when} ({source})",
                distance_m=distance,
                shape=Shape.downwind_square,
                basis=source,
                at_least=plus,
            )
        )
        guide = block.guide
    else:
        listed = _index().get(un)
        if listed is None:
            raise NotInErg(f"UN{un} is not in the {EDITION} index", field="un_number")
        name, guide = listed
        defaults = _guides().get(guide)
        if defaults is None:
            raise NotInErg(f"ERG guide {guide} has no default distances in the data", field="un_number")
        source = f"{GUIDE_EDITION} orange guide {guide} (not in {EDITION} Table 1)"
        zones.append(
            ZoneShape(
                level="isolation",
                label=f"immediate precautionary isolation ({source})",
                distance_m=float(defaults["spill_isolate_m"]),
                shape=Shape.circle,
                basis=source,
            )
        )
        downwind = float(defaults["large_spill_downwind_m"])
        if spill is Spill.large and downwind > 0:
            zones.append(
                ZoneShape(
                    level="protective_action",
                    label=f"large spill: initial down-wind evacuation ({source})",
                    distance_m=downwind,
                    shape=Shape.downwind_square,
                    basis=source,
                )
            )
    if fire:
        fire_m = float(_guides().get(guide, {}).get("fire_isolate_m") or 0)
        if fire_m > 0:
            zones.append(
                ZoneShape(
                    level="fire_evacuation",
                    label="tank, rail car or tank truck in a fire: isolate and evacuate "
                    f"({GUIDE_EDITION} guide {guide})",
                    distance_m=fire_m,
                    shape=Shape.circle,
                    basis=f"{GUIDE_EDITION} orange guide {guide}",
                )
            )
    return ModelResult(
        model="erg",
        zones=tuple(zones),
        inputs=inputs,
        reference=REFERENCE,
        limits=LIMITS,
        details={"material": name, "guide": guide, "edition": EDITION, "notes": notes},
    )
