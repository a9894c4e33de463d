"""Rules every stored entity shares: fetch or 404, optimistic versions, paging, change events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from commandpost.clock import Clock
from commandpost.db import Base
from commandpost.errors import NotFound, StaleVersion, VersionRequired
from commandpost.events import service as events

T = TypeVar("T", bound=Base)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    limit: int
    offset: int


def fetch(session: Session, model: type[T], entity_id: int, *, what: str, for_update: bool = False) -> T:
    """The stored entity, or `NotFound` saying which."""
    row = session.get(model, entity_id, with_for_update=for_update)
    if row is None:
        raise NotFound(f"{what} {entity_id} does not exist", field="id")
    return row


def page(session: Session, stmt: Select[Any], *, limit: int, offset: int) -> Page[T]:
    """One page of `stmt` and the number of rows matched in all."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = session.scalars(stmt.limit(limit).offset(offset)).all()
    return Page(items=items, total=total, limit=limit, offset=offset)


def update_versioned(
    session: Session,
    row: T,
    *,
    changes: dict[str, Any],
    expected_version: int | None,
    snapshot: Callable[[T], dict[str, Any]],
    what: str,
    touch: bool = False,
) -> T:
    """Apply `changes` if the editor read the current version; otherwise refuse with what is stored now.

    The write runs in a savepoint: refused, it is undone and the caller's transaction goes on.
    `touch` writes a new version even when no column of the row changes (e.g. only its children did).
    """
    current = getattr(row, "version")  # noqa: B009 - every versioned model has it
    if expected_version is None:
        raise VersionRequired(
            f"say which version of {what} you edited: send If-Match or `version` (current is {current})",
            field="version",
        )
    if expected_version != current:
        raise StaleVersion(
            f"{what} was changed by someone else: you edited version {expected_version}, it is now {current}",
            current=snapshot(row),
        )
    try:
        with session.begin_nested():
            for name, value in changes.items():
                setattr(row, name, value)
            if touch:
                flag_modified(row, "updated_at")
    except StaleDataError as exc:
        # Someone committed between our read and our write: the UPDATE … WHERE version matched nothing.
        fresh = session.get(type(row), getattr(row, "id"), populate_existing=True)  # noqa: B009
        raise StaleVersion(
            f"{what} was changed by someone else while you saved",
            current=snapshot(fresh) if fresh is not None else {},
        ) from exc
    return row


def record_change(
    session: Session,
    *,
    entity_type: str,
    row: Any,
    action: str,
    clock: Clock,
    feature: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """Append `<entity>.<action>` to the event log in the same transaction as the change.

    `feature` is the entity's GeoJSON Feature after the change (or its JSON form when it has no
    map geometry): a live map applies it as is. `payload` adds what else happened (from/to…).
    """
    session.flush()
    events.record(
        session,
        type=f"{entity_type}.{action}",
        entity_type=entity_type,
        entity_id=row.id,
        payload={**(payload or {}), **({"feature": feature} if feature is not None else {})},
        clock=clock,
        actor=actor,
        exercise_id=getattr(row, "exercise_id", None),
    )
