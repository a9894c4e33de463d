"""GB 18218-2018 identification and grading of major hazard sources, from the standard's own tables.

S = Σ qᵢ/Qᵢ (S ≥ 1: a major hazard source); R = α · Σ βᵢ·qᵢ/Qᵢ; grade I (R ≥ 100), II (50–100),
III (10–50), IV (< 10). Q from table 1 (named chemicals) or table 2 (hazard category); β from table 3
(named toxic gases) or table 4 (category); α from table 5 (people within 500 m). The tables ship in
`data/gb18218/` with their SOURCE.md.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from commandpost.hazards.models import HazardGrade

STANDARD = "GB 18218-2018 危险化学品重大危险源辨识"
_CAS_QUALIFIER = re.compile(r"\(.*?\)")


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("commandpost.hazards").joinpath("data", "gb18218", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@dataclass(frozen=True, slots=True)
class NamedChemical:
    seq: int
    name: str
    aliases: tuple[str, ...]
    cas: tuple[str, ...]
    critical_quantity_t: float


@dataclass(frozen=True, slots=True)
class Tables:
    table1: tuple[NamedChemical, ...]
    category_q: dict[str, float]
    category_names: dict[str, str]
    toxic_gas_beta: dict[str, tuple[str, float]]  # CAS → (table 3 name, β)
    category_beta: dict[str, float]
    known_category: dict[str, tuple[str, str]]  # CAS or name → (category, basis)


@cache
def tables() -> Tables:
    """The standard's tables 1–5 and our category list, read once."""
    table1 = tuple(
        NamedChemical(
            seq=int(r["seq"]),
            name=r["name"],
            aliases=tuple(a.strip() for a in r["alias"].split(";") if a.strip()),
            cas=tuple(c for c in (_CAS_QUALIFIER.sub("", c).strip() for c in r["cas"].split(";")) if c),
            critical_quantity_t=float(r["critical_quantity_t"]),
        )
        for r in _rows("gb18218_table1_critical_quantities.csv")
    )
    t2 = _rows("gb18218_table2_category_thresholds.csv")
    known: dict[str, tuple[str, str]] = {}
    for r in _rows("chemical_categories.csv"):
        known[r["cas"]] = known[r["name"]] = (r["category"], r["basis"])
    return Tables(
        table1=table1,
        category_q={r["symbol"]: float(r["critical_quantity_t"]) for r in t2},
        category_names={r["symbol"]: f"{r['category']} {r['description']}" for r in t2},
        toxic_gas_beta={
            r["cas"]: (r["name"], float(r["beta"])) for r in _rows("gb18218_table3_beta_toxic_gases.csv")
        },
        category_beta={r["symbol"]: float(r["beta"]) for r in _rows("gb18218_table4_beta_categories.csv")},
        known_category=known,
    )


def cas_of(name: str) -> str | None:
    """The CAS number of a chemical named as in table 1 or our category list (the first, if several)."""
    for row in tables().table1:
        if row.name == name and row.cas:
            return row.cas[0]
    for r in _rows("chemical_categories.csv"):
        if r["name"] == name:
            return r["cas"]
    return None


def categories() -> list[str]:
    """The hazard category symbols of table 2 (J1 … W11)."""
    return list(tables().category_q)


# Table 5: (fewest people in the band, α, the band as the standard writes it), most people first.
ALPHA_BANDS: tuple[tuple[int, float, str], ...] = (
    (100, 2.0, "100 人以上"),
    (50, 1.5, "50~99 人"),
    (30, 1.2, "30~49 人"),
    (1, 1.0, "1~29 人"),
    (0, 0.5, "0 人"),
)


def alpha(exposed_population: int | None) -> tuple[float, str]:
    """α from table 5 and why; with nobody counted the most severe band is assumed, and said."""
    if exposed_population is None:
        return (
            2.0,
            "people within 500 m not recorded: the most severe band of table 5 (100 人以上) is assumed",
        )
    for fewest, value, band in ALPHA_BANDS:
        if exposed_population >= fewest:
            return value, f"{exposed_population} people within 500 m: table 5 band {band}"
    raise ValueError("exposed population cannot be negative")


def grade_of(r_value: float) -> HazardGrade:
    """Table 6: I R ≥ 100, II 100 > R ≥ 50, III 50 > R ≥ 10, IV R < 10."""
    if r_value >= 100:
        return HazardGrade.I
    if r_value >= 50:
        return HazardGrade.II
    if r_value >= 10:
        return HazardGrade.III
    return HazardGrade.IV


class CannotGrade(ValueError):
    """A chemical the tables cannot place without its hazard category; `index` is its place in the list."""

    def __init__(self, message: str, *, index: int) -> None:
        super().__init__(message)
        self.index = index


@dataclass(frozen=True, slots=True)
class ChemicalHeld:
    name: str
    cas: str | None
    quantity_t: float
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One substance's part of S and R."""

    name: str
    cas: str | None
    q_t: float
    critical_quantity_t: float
    critical_quantity_basis: str
    beta: float
    beta_basis: str
    q_over_q: float
    contribution: float  # βᵢ·qᵢ/Qᵢ


@dataclass(frozen=True, slots=True)
class Grading:
    lines: tuple[Line, ...]
    s_value: float
    major: bool
    alpha: float
    alpha_basis: str
    r_value: float
    grade: HazardGrade | None  # None when S < 1: not a major hazard source, so not graded


def _table1_row(chemical: ChemicalHeld) -> NamedChemical | None:
    t = tables()
    by_cas = [row for row in t.table1 if chemical.cas and chemical.cas in row.cas]
    by_name = [row for row in t.table1 if chemical.name == row.name or chemical.name in row.aliases]
    if len(by_cas) == 1:
        return by_cas[0]
    if by_cas:
        # Several rows share a CAS (nitrocellulose, ammonium nitrate by content): the name decides,
        # otherwise the lowest critical quantity, as the standard takes for a chemical of several hazards.
        named = [row for row in by_cas if row in by_name]
        return named[0] if named else min(by_cas, key=lambda row: row.critical_quantity_t)
    return by_name[0] if by_name else None


def _category(chemical: ChemicalHeld) -> tuple[str, str] | None:
    if chemical.category is not None:
        return chemical.category, f"category {chemical.category} as recorded for this chemical"
    known = tables().known_category
    found = known.get(chemical.cas or "") or known.get(chemical.name)
    if found is None:
        return None
    return found[0], f"category {found[0]}: {found[1]}"


def line(chemical: ChemicalHeld, *, index: int = 0) -> Line:
    """One chemical's Q, β and share of S and R, each with the table row it came from."""
    t = tables()
    row = _table1_row(chemical)
    category = _category(chemical)
    if row is not None:
        q = row.critical_quantity_t
        q_basis = f"table 1 no. {row.seq} {row.name}"
    elif category is not None:
        q = t.category_q[category[0]]
        q_basis = f"table 2 {category[0]} ({t.category_names[category[0]]}); {category[1]}"
    else:
        raise CannotGrade(
            f"{chemical.name} is not named in GB 18218-2018 table 1: give its hazard category "
            f"(table 2: {', '.join(t.category_q)})",
            index=index,
        )
    toxic = t.toxic_gas_beta.get(chemical.cas or "") or (
        t.toxic_gas_beta.get(row.cas[0]) if row is not None and row.cas else None
    )
    if toxic is not None:
        beta, beta_basis = toxic[1], f"table 3 {toxic[0]}"
    elif category is not None:
        beta, beta_basis = t.category_beta[category[0]], f"table 4 {category[0]}; {category[1]}"
    else:
        raise CannotGrade(
            f"{chemical.name} is not a table-3 toxic gas: give its hazard category so that table 4 gives β "
            f"({', '.join(t.category_beta)})",
            index=index,
        )
    share = chemical.quantity_t / q
    return Line(
        name=chemical.name,
        cas=chemical.cas,
        q_t=chemical.quantity_t,
        critical_quantity_t=q,
        critical_quantity_basis=q_basis,
        beta=beta,
        beta_basis=beta_basis,
        q_over_q=share,
        contribution=beta * share,
    )


def grade(chemicals: Sequence[ChemicalHeld], *, exposed_population: int | None) -> Grading:
    """S, R and the grade of one installation holding `chemicals`, with every term shown."""
    lines = tuple(line(c, index=i) for i, c in enumerate(chemicals))
    s_value = sum(x.q_over_q for x in lines)
    a, a_basis = alpha(exposed_population)
    # R is graded as stored, rounded to 0.01, so a stored R of 100.00 is never grade II.
    r_value = round(a * sum(x.contribution for x in lines), 2)
    major = s_value >= 1
    return Grading(
        lines=lines,
        s_value=round(s_value, 4),
        major=major,
        alpha=a,
        alpha_basis=a_basis,
        r_value=r_value,
        grade=grade_of(r_value) if major else None,
    )
