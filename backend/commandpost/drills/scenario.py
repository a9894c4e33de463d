"""Scenario files: YAML read with the line of every value, checked against the JSON Schema shipped in
`scenarios/scenario.schema.json`, every error reported at once with its file, line and field."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

FORMAT = "commandpost-scenario/1"
Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario file, where it is."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field or '(file)'}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


@dataclass(slots=True)
class Parsed:
    """A scenario as read: its data, the line of each value, and what is wrong with it."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Path_) -> int:
        """The line of the value at `path`, or of its nearest enclosing value that has one."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return 1

    def problem(self, path: Path_, message: str) -> None:
        self.problems.append(Problem(self.file, self.line_of(path), dotted(path), message))


def dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


class _Loader(yaml.SafeLoader):
    """Safe YAML, except that times stay text: the schema checks them, with their offset."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _record_lines(node: yaml.Node, path: Path_, parsed: Parsed) -> None:
    parsed.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                parsed.lines[(*path, key)] = key_node.start_mark.line + 1
                parsed.problem((*path, key), f"'{key}' is given twice")
            seen.add(key)
            _record_lines(value_node, (*path, key), parsed)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record_lines(item, (*path, i), parsed)


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the format (shipped beside the scenarios, and in the package)."""
    text = resources.files("commandpost.drills").joinpath("data/scenario.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=FormatChecker())


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors that say what is wrong: an if/then or oneOf points at its branches' own errors."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        # Name the branch that came closest (deepest path), not "is not valid under any of".
        deepest = max(len(e.absolute_path) for e in error.context)
        if deepest > len(error.absolute_path):
            return [e for e in error.context if len(e.absolute_path) == deepest]
    return [error]


def _describe(error: ValidationError) -> tuple[Path_, str]:
    path: Path_ = tuple(error.absolute_path)
    instance = error.instance
    rule: Any = error.validator_value
    schema_: Any = error.schema
    if error.validator == "required" and isinstance(instance, dict):
        missing = [name for name in rule if name not in instance]
        if missing:
            return (*path, missing[0]), "is required"
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(schema_.get("properties", {}))
        extra = [name for name in instance if name not in allowed]
        if extra:
            return (
                *path,
                extra[0],
            ), f"unknown field (this {_kind_of(instance)} takes {', '.join(sorted(allowed))})"
    if error.validator == "oneOf" and path and path[-1] in _DURATIONS:
        return path, f"{instance!r} is not a duration (seconds, or like 90s, 15m, 1h30m)"
    if error.validator == "oneOf" and isinstance(instance, dict):
        options = [next(iter(s.get("required", ["?"]))) for s in rule]
        return path, f"give exactly one of {', '.join(options)}"
    if error.validator == "anyOf" and isinstance(instance, dict):
        options = [next(iter(s.get("required", ["?"]))) for s in rule]
        return path, f"give one of {', '.join(options)}"
    if error.validator == "minProperties" and isinstance(instance, dict):
        return path, "says nothing to change"
    return path, error.message


_DURATIONS = ("at", "over", "every", "within")


def _kind_of(instance: dict[str, Any]) -> str:
    kind = instance.get("kind")
    return f"{kind} inject" if isinstance(kind, str) else "part"


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def seconds(value: float | int | str) -> float:
    """A duration as the schema allows it (seconds, or 90s / 15m / 1h30m) in seconds."""
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(value)
    if not match or not value:
        raise ValueError(f"{value!r} is not a duration")
    h, m, s = (int(g) if g else 0 for g in match.groups())
    return float(h * 3600 + m * 60 + s)


def _check_consistency(parsed: Parsed) -> None:
    """What the schema cannot say: keys defined once and before use, updates after their report."""
    data = parsed.data
    start = data.get("setting", {}).get("start") if isinstance(data.get("setting"), dict) else None
    if isinstance(start, str):
        try:
            datetime.fromisoformat(start)
        except ValueError:
            parsed.problem(
                ("setting", "start"), f"{start!r} is not a date and time (2026-12-10T01:30:00+08:00)"
            )
    reports: dict[str, float] = {}
    keys: set[str] = set()
    injects = data.get("injects") if isinstance(data.get("injects"), list) else []
    for i, inject in enumerate(injects):
        if not isinstance(inject, dict):
            continue
        key = inject.get("key")
        if isinstance(key, str):
            if key in keys:
                parsed.problem(("injects", i, "key"), f"key '{key}' is used by an earlier inject")
            keys.add(key)
            if inject.get("kind") == "report":
                reports[key] = _offset(inject)
    for i, inject in enumerate(injects):
        if not isinstance(inject, dict) or not isinstance(inject.get("incident"), str):
            continue
        ref = inject["incident"]
        if ref not in reports:
            parsed.problem(("injects", i, "incident"), f"no report inject has key '{ref}'")
        elif _offset(inject) < reports[ref]:
            parsed.problem(("injects", i, "at"), f"comes before the report '{ref}' it refers to")
    ids: set[str] = set()
    objectives = data.get("objectives") if isinstance(data.get("objectives"), list) else []
    for i, objective in enumerate(objectives):
        if not isinstance(objective, dict):
            continue
        oid = objective.get("id")
        if isinstance(oid, str):
            if oid in ids:
                parsed.problem(("objectives", i, "id"), f"objective id '{oid}' is used twice")
            ids.add(oid)
        ref = objective.get("incident")
        if isinstance(ref, str) and ref not in reports:
            parsed.problem(("objectives", i, "incident"), f"no report inject has key '{ref}'")


def _offset(inject: dict[str, Any]) -> float:
    try:
        return seconds(inject.get("at", 0))
    except (ValueError, TypeError):
        return 0.0


def parse(text: str, *, file: str = "<scenario>") -> Parsed:
    """Read and check a scenario; `problems` lists everything wrong, in file order."""
    parsed = Parsed(file=file, data=None)
    try:
        node = yaml.compose(text, Loader=_Loader)
        parsed.data = yaml.load(text, Loader=_Loader)  # a SafeLoader: no Python objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        parsed.problems.append(Problem(file, line, "", f"not valid YAML: {exc.problem or exc}"))
        return parsed
    except yaml.YAMLError as exc:
        parsed.problems.append(Problem(file, 1, "", f"not valid YAML: {exc}"))
        return parsed
    if node is not None:
        _record_lines(node, (), parsed)
    if not isinstance(parsed.data, dict):
        parsed.problem((), "a scenario is a mapping (format, id, title, setting, injects, objectives)")
        return parsed
    for error in _validator().iter_errors(parsed.data):
        for leaf in _leaves(error):
            path, message = _describe(leaf)
            parsed.problem(path, message)
    _check_consistency(parsed)
    parsed.problems.sort(key=lambda p: (p.line, p.field))
    return parsed


def read(path: Path) -> Parsed:
    """A scenario file read and checked."""
    return parse(path.read_text(encoding="utf-8"), file=str(path))


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """A valid scenario as the director reads it back: setting, injects in time order, objectives."""
    injects = sorted(data["injects"], key=_offset)
    return {
        "format": data["format"],
        "id": data["id"],
        "title": data["title"],
        "exercise_type": data.get("exercise_type", "functional"),
        "start": datetime.fromisoformat(data["setting"]["start"]).isoformat(),
        "weather": data["setting"].get("weather", {}),
        "teams": data["setting"].get("teams", []),
        "depots": data["setting"].get("depots", []),
        "duration_s": max(_offset(i) + (seconds(i["over"]) if i["kind"] == "ramp" else 0) for i in injects),
        "injects": [
            {"at_s": _offset(i), "kind": i["kind"], **({"key": i["key"]} if "key" in i else {})}
            for i in injects
        ],
        "objectives": [
            {"id": o["id"], "text": o["text"], "measure": o["measure"], "within_s": seconds(o["within"])}
            for o in data.get("objectives", [])
        ],
    }
