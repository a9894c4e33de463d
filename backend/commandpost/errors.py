"""Domain exceptions. `app.py` maps each to a status code and an RFC 9457 problem body."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every rule the platform refuses to break."""

    title = "Request refused"

    def __init__(self, detail: str, *, field: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra or {}


class NotFound(DomainError):
    title = "Not found"


class InvalidInput(DomainError):
    title = "Invalid input"


class InvalidGeometry(InvalidInput):
    title = "Invalid geometry"


class Conflict(DomainError):
    title = "Conflict"


class StaleVersion(Conflict):
    """The caller edited an older version than the one stored; `current` is what is stored now."""

    title = "Edited by someone else"

    def __init__(self, detail: str, *, current: dict[str, Any]) -> None:
        super().__init__(detail, extra={"current": current})


class OutOfStock(Conflict):
    """A depot has less of a material available than was asked for; `available` says how much."""

    title = "Out of stock"


class VersionRequired(DomainError):
    title = "Version required"


class InvalidTransition(Conflict):
    title = "Transition not allowed"


class UnsupportedMediaType(DomainError):
    title = "Unsupported media type"


class OutsideOperatingArea(InvalidInput):
    title = "Outside the operating area"


class Unavailable(DomainError):
    title = "Dependency unavailable"


class StillCommitted(Conflict):
    """Something cannot end while resources are still committed to it; `teams`/`materials` list them."""

    title = "Resources still committed"
