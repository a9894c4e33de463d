"""What the models need to know about a chemical: its properties (ChEDL `chemicals`), its levels of concern.

Properties come from the Chemical Engineering Design Library, not from hand tables: molecular weight, normal
boiling point, heat of combustion (lower heating value, from the heat of formation), heat of vaporisation at
the boiling point (Riedel) and liquid heat capacity. Levels of concern are the shipped table in
`data/levels_of_concern/` (see its SOURCE.md).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from commandpost.hazards import gb18218

AIR_MOLAR_MASS = 28.96  # g/mol
MOLAR_VOLUME_L = 24.45  # L/mol at 25 °C and 1 atm: ppm ↔ mg/m³
_CAS = re.compile(r"^\d{2,7}-\d{2}-\d$")


class UnknownChemical(ValueError):
    """No property or level of concern is known for the chemical named."""


def _loc_rows() -> list[dict[str, str]]:
    text = (
        resources.files("commandpost.zones")
        .joinpath("data", "levels_of_concern", "levels_of_concern.csv")
        .read_text("utf-8")
    )
    return list(csv.DictReader(text.splitlines()))


@cache
def _levels_by_cas() -> dict[str, dict[str, str]]:
    return {row["cas"]: row for row in _loc_rows()}


def cas_of(chemical: str) -> str:
    """The CAS number of a chemical given by CAS, Chinese or English name, or UnknownChemical."""
    text = chemical.strip()
    if _CAS.match(text):
        return text
    for row in _loc_rows():
        if text in (row["name"], row["name_zh"]) or text.lower() == row["name"].lower():
            return row["cas"]
    listed = gb18218.cas_of(text)
    if listed is not None:
        return listed
    from chemicals.identifiers import CAS_from_any  # a large table: load only when needed

    try:
        return str(CAS_from_any(text))
    except ValueError as exc:
        raise UnknownChemical(
            f"{chemical!r} is not a chemical the platform knows: give its CAS number"
        ) from exc


@dataclass(frozen=True, slots=True)
class Properties:
    cas: str
    name: str
    molar_mass_g_mol: float
    boiling_point_k: float | None
    heat_of_combustion_kj_kg: float | None  # lower heating value
    heat_of_vaporisation_kj_kg: float | None  # at the normal boiling point
    liquid_heat_capacity_kj_kg_k: float | None  # near 25 °C
    source: str


@cache
def properties(cas: str) -> Properties:
    """The chemical's properties from ChEDL `chemicals`, or UnknownChemical when it is not in its database."""
    from chemicals import MW, Hfg, Pc, Tb, Tc
    from chemicals.combustion import combustion_data
    from chemicals.elements import simple_formula_parser
    from chemicals.heat_capacity import Cp_data_Poling, CRC_standard_data
    from chemicals.identifiers import search_chemical
    from chemicals.phase_change import Riedel

    try:
        found = search_chemical(cas)
    except ValueError as exc:
        raise UnknownChemical(f"CAS {cas} is not in the ChEDL chemicals database") from exc
    mw = float(MW(cas))
    tb = Tb(cas)
    hc: float | None = None
    hf = Hfg(cas)
    atoms = simple_formula_parser(found.formula)
    if hf is not None and ("C" in atoms or "H" in atoms):
        try:
            lhv = combustion_data(found.formula, Hf=hf, MW=mw).LHV
            hc = -float(lhv) / mw if lhv is not None and lhv < 0 else None
        except (ValueError, TypeError, KeyError):
            hc = None
    tc, pc = Tc(cas), Pc(cas)
    hvap = float(Riedel(tb, tc, pc)) / mw if tb and tc and pc else None
    cpl: float | None = None
    for table in (Cp_data_Poling, CRC_standard_data):
        value = table["Cpl"].get(cas) if cas in table.index else None
        if value is not None and not math.isnan(value):
            cpl = float(value) / mw
            break
    return Properties(
        cas=cas,
        name=str(found.common_name),
        molar_mass_g_mol=mw,
        boiling_point_k=float(tb) if tb else None,
        heat_of_combustion_kj_kg=hc,
        heat_of_vaporisation_kj_kg=hvap,
        liquid_heat_capacity_kj_kg_k=cpl,
        source="ChEDL chemicals (MW, Tb, Tc, Pc, ΔHf gas → LHV, Riedel ΔHvap at Tb, Cp liquid Poling/CRC)",
    )


@dataclass(frozen=True, slots=True)
class LevelOfConcern:
    tier: int  # 1 mild, 2 serious, 3 life-threatening
    ppm: float
    basis: str  # e.g. "AEGL-2 (60 min)"
    source: str

    def mg_m3(self, molar_mass_g_mol: float) -> float:
        return self.ppm * molar_mass_g_mol / MOLAR_VOLUME_L


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None


def levels_of_concern(cas: str) -> list[LevelOfConcern]:
    """Tiers 1–3: 60-min AEGL, else ERPG, else DOE PAC, else (tier 3 only) IDLH; an empty list if none."""
    row = _levels_by_cas().get(cas)
    if row is None:
        return []
    out: list[LevelOfConcern] = []
    for tier in (1, 2, 3):
        for column, basis, source in (
            (f"aegl{tier}_60min_ppm", f"AEGL-{tier} (60 min)", row["aegl_source"]),
            (f"erpg{tier}_ppm", f"ERPG-{tier}", row["erpg_source"]),
            (f"pac{tier}_ppm", f"PAC-{tier} (DOE Rev. 29)", row["pac_source"]),
            *([("idlh_ppm", "IDLH (NIOSH)", row["idlh_source"])] if tier == 3 else []),
        ):
            value = _number(row[column])
            if value is not None:
                out.append(LevelOfConcern(tier=tier, ppm=value, basis=basis, source=source))
                break
    return out


def un_number(cas: str) -> str | None:
    """The UN number of the pure substance, from the levels-of-concern table (ERG 2024 index)."""
    row = _levels_by_cas().get(cas)
    return (row["un_number"] or None) if row is not None else None


def molar_mass(cas: str) -> float:
    """Molar mass (g/mol): the levels-of-concern table's, else ChEDL's."""
    row = _levels_by_cas().get(cas)
    if row is not None and _number(row["molecular_weight_g_mol"]):
        return float(row["molecular_weight_g_mol"])
    return properties(cas).molar_mass_g_mol


def display_name(cas: str) -> str:
    row = _levels_by_cas().get(cas)
    if row is not None:
        return f"{row['name_zh']} {row['name']}"
    try:
        return properties(cas).name
    except UnknownChemical:
        return cas


def denser_than_air(cas: str) -> bool:
    return molar_mass(cas) > AIR_MOLAR_MASS
