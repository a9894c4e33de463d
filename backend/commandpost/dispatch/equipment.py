"""Whether a team's equipment fits the chemical of an incident: the rule is data
(`data/hazmat_equipment.json`, see its SOURCE.md), read once.

The chemical comes from what the officer typed (a chemical named in the incident's title or
description wins) or else from the chemicals stored at the incident's hazard source (all of them:
which one leaks is not known, so a team must be equipped for each).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost.hazards.models import StoredChemical
from commandpost.incidents.models import Incident

RULES = Path(__file__).parent / "data" / "hazmat_equipment.json"


@dataclass(frozen=True)
class Requirement:
    code: str
    label: str
    label_zh: str
    matches: tuple[str, ...]

    def met_by(self, equipment: Sequence[str]) -> bool:
        return any(word in item.casefold() for item in equipment for word in self.matches)

    def out(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label, "label_zh": self.label_zh}


@dataclass(frozen=True)
class Chemical:
    name: str
    cas: str | None
    classes: tuple[str, ...]
    needs: tuple[str, ...]  # requirement codes, in the rule's order

    def out(self, source: str) -> dict[str, Any]:
        return {"name": self.name, "cas": self.cas, "classes": list(self.classes), "from": source}


@dataclass(frozen=True)
class Rule:
    applies_to: frozenset[str]
    requirements: dict[str, Requirement]
    by_cas: dict[str, Chemical]
    by_name: dict[str, Chemical]  # names and aliases, casefolded
    pattern: re.Pattern[str] | None  # names of two or more characters, longest first

    def in_text(self, text: str) -> list[Chemical]:
        """Chemicals named in free text; one-character names (氯, 氨) are matched only by their
        longer aliases (氯气, 液氨), so 氯乙烯 is not read as chlorine."""
        if self.pattern is None:
            return []
        found = [self.by_name[m.group(0).casefold()] for m in self.pattern.finditer(text)]
        return list(dict.fromkeys(found))

    def lookup(self, *, cas: str | None, name: str) -> Chemical | None:
        return (self.by_cas.get(cas) if cas else None) or self.by_name.get(name.strip().casefold())

    def needed(self, chemicals: Sequence[Chemical]) -> list[Requirement]:
        codes = dict.fromkeys(code for chemical in chemicals for code in chemical.needs)
        return [self.requirements[code] for code in codes]


@cache
def rule() -> Rule:
    """The fit rule from its data file."""
    data = json.loads(RULES.read_text(encoding="utf-8"))
    requirements = {
        code: Requirement(
            code=code,
            label=r["label"],
            label_zh=r["label_zh"],
            matches=tuple(w.casefold() for w in r["matches"]),
        )
        for code, r in data["requirements"].items()
    }
    by_cas: dict[str, Chemical] = {}
    by_name: dict[str, Chemical] = {}
    for c in data["chemicals"]:
        needs = [code for cls in c["classes"] for code in data["classes"][cls]["needs"]]
        chemical = Chemical(
            name=c["name"],
            cas=c.get("cas"),
            classes=tuple(c["classes"]),
            needs=tuple(dict.fromkeys([*needs, *c.get("also", [])])),
        )
        if chemical.cas:
            by_cas[chemical.cas] = chemical
        for name in (c["name"], *c.get("aliases", [])):
            by_name[name.casefold()] = chemical
    words = sorted((n for n in by_name if len(n) >= 2), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None
    return Rule(
        applies_to=frozenset(data["applies_to_capabilities"]),
        requirements=requirements,
        by_cas=by_cas,
        by_name=by_name,
        pattern=pattern,
    )


def chemicals_of(session: Session, incident: Incident) -> tuple[list[Chemical], str | None]:
    """The chemicals the incident involves as far as the rule knows them, and where that came from
    ("incident": typed in its title or description; "hazard_source": stored there)."""
    r = rule()
    typed = r.in_text(" ".join(filter(None, [incident.title, incident.description])))
    if typed:
        return typed, "incident"
    if incident.hazard_source_id is None:
        return [], None
    stored = session.execute(
        select(StoredChemical.cas, StoredChemical.name)
        .where(StoredChemical.hazard_source_id == incident.hazard_source_id)
        .order_by(StoredChemical.id)
    ).all()
    known = [c for cas, name in stored if (c := r.lookup(cas=cas, name=name)) is not None]
    return list(dict.fromkeys(known)), "hazard_source" if known else None
