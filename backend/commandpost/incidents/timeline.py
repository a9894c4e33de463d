"""An incident's timeline: its log lines and every event of what happened to it, read from the event
log: its own events, and those of the teams sent to it, its material requests and its closures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from commandpost.dispatch import materials
from commandpost.dispatch import service as dispatch
from commandpost.dispatch.models import Assignment, MaterialRequest
from commandpost.events.models import Event
from commandpost.incidents import service as incidents
from commandpost.incidents.schemas import entry_dict
from commandpost.routing import service as routing
from commandpost.routing.models import Closure

# Events whose content is already a line of the stored log; the merged timeline shows them once.
_MIRRORED_IN_LOG = frozenset({"incident.note_added", "incident.status_changed"})


def _events(session: Session, incident_id: int) -> list[Event]:
    """The incident's own events and those of the records that belong to it, oldest first."""
    belongs = [
        (dispatch.WHAT, select(Assignment.id).where(Assignment.incident_id == incident_id)),
        (materials.WHAT, select(MaterialRequest.id).where(MaterialRequest.incident_id == incident_id)),
        (routing.WHAT, select(Closure.id).where(Closure.incident_id == incident_id)),
    ]
    stmt = (
        select(Event)
        .where(
            or_(
                and_(Event.entity_type == incidents.WHAT, Event.entity_id == incident_id),
                *(
                    and_(Event.entity_type == entity_type, Event.entity_id.in_(ids.scalar_subquery()))
                    for entity_type, ids in belongs
                ),
            )
        )
        .order_by(Event.id)
    )
    return list(session.scalars(stmt))


def _props(payload: dict[str, Any]) -> dict[str, Any]:
    feature = payload.get("feature") or {}
    props = feature.get("properties")
    return props if isinstance(props, dict) else feature


def _quantity(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def describe(event: Event) -> tuple[str, dict[str, Any]]:
    """What an event did, in a line (English; the dashboard words it in the reader's language from
    the details), and the facts it rests on."""
    payload = event.payload or {}
    props = _props(payload)
    action = event.type.split(".", 1)[1]
    moved = {"from": payload.get("from"), "to": payload.get("to")}
    if event.entity_type == incidents.WHAT:
        if action == "created":
            title = props.get("title")
            return (f"reported: {title}" if title else "reported"), {"title": title}
        if action == "updated":
            changes = payload.get("changes") or {}
            worded = [
                f"{name}: {c['from'] or '—'} → {c['to'] or '—'}"
                for name, c in changes.items()
                if name not in ("location", "description")
            ] + [name for name in changes if name in ("location", "description")]
            text = "edited: " + ", ".join(worded or payload.get("changed") or [])
            return text, {"changed": payload.get("changed") or [], "changes": changes}
        if action == "checklist_opened":
            actions = payload.get("actions") or []
            details = {
                "plan": payload.get("plan"),
                "response_level": payload.get("response_level"),
                "count": len(actions),
            }
            return f"checklist opened: {details['plan']} ({len(actions)} actions)", details
        if action == "action_done":
            item = payload.get("item") or {}
            details = {
                "action": item.get("action"),
                "code": item.get("code"),
                "late": bool(payload.get("late")),
                "automatic": bool(payload.get("automatic")),
            }
            return f"done: {details['action']}" + (" (late)" if details["late"] else ""), details
        if action == "staging_proposed":
            staging = (payload.get("staging") or {}).get("properties") or {}
            distance = staging.get("distance_from_zone_m")
            return f"staging area proposed, {distance} m outside the danger zone", {"distance_m": distance}
        if action == "reopened":
            details = moved | {"reason": payload.get("reason")}
            return f"reopened ({moved['from']} → {moved['to']}): {details['reason']}", details
        if action == "stood_down":
            teams, stock = payload.get("teams") or [], payload.get("materials") or []
            details = {"teams": len(teams), "materials": len(stock)}
            return f"stood down: {len(teams)} team(s) released, {len(stock)} allocation(s) returned", details
    if event.entity_type == dispatch.WHAT:
        team = props.get("team_name") or f"team {props.get('team_id')}"
        details = {"team_id": props.get("team_id"), "team_name": props.get("team_name")}
        if action == "created":
            need = props.get("need")
            return f"dispatched {team}" + (f" for {need}" if need else ""), details | {"need": need}
        if action == "status_changed":
            return f"{team}: {moved['from']} → {moved['to']}", details | moved
        if action == "rerouted":
            eta = props.get("eta_s")
            return f"{team} re-routed ({payload.get('reason')})", details | {
                "reason": payload.get("reason"),
                "eta_s": eta,
            }
    if event.entity_type == materials.WHAT:
        if action == "created":
            keys = ("material", "quantity", "unit", "shortage")
            items = [{k: i.get(k) for k in keys} for i in props.get("items") or []]
            listed = ", ".join(
                f"{i['material']} {_quantity(i['quantity'])}{' ' + i['unit'] if i['unit'] else ''}"
                + (f" (short {_quantity(i['shortage'])})" if i.get("shortage") else "")
                for i in items
            )
            return f"materials requested: {listed}", {"request_id": props.get("id"), "items": items}
        if action.startswith("allocation_"):
            allocation: dict[str, Any] = next(
                (a for a in props.get("allocations") or [] if a.get("id") == payload.get("allocation_id")), {}
            )
            details = moved | {
                "material": allocation.get("material"),
                "quantity": allocation.get("quantity"),
                "depot_name": allocation.get("depot_name"),
            }
            return (
                f"{details['material']} {_quantity(details['quantity'])} from {details['depot_name']}: "
                f"{moved['from']} → {moved['to']}"
            ), details
    if event.entity_type == routing.WHAT:
        details = {"kind": props.get("kind"), "reason": props.get("reason")}
        verb = "lifted" if action == "lifted" else "closed"
        what = str(details["kind"] or "closure").replace("_", " ")
        return f"{what} {verb}" + (f": {details['reason']}" if details["reason"] else ""), details
    return event.type.split(".", 1)[1].replace("_", " "), {}


def timeline(session: Session, *, incident_id: int) -> list[dict[str, Any]]:
    """The incident's log lines and the events of everything that happened to it, oldest first
    (an event first on a tie)."""
    incident = incidents.get(session, incident_id=incident_id)
    merged: list[tuple[datetime, int, int, dict[str, Any]]] = []
    for event in _events(session, incident.id):
        if event.type in _MIRRORED_IN_LOG:
            continue
        text, details = describe(event)
        item = {
            "at": event.at.isoformat(),
            "kind": "event",
            "text": text,
            "author": event.actor,
            "event_id": event.id,
            "type": event.type,
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "details": details,
        }
        # The report opens its timeline, though the checklist it opened was logged in the same flush.
        merged.append((event.at, -1 if event.type == f"{incidents.WHAT}.created" else 0, event.id, item))
    merged.extend((entry.at, 1, entry.id, entry_dict(entry)) for entry in incident.timeline)
    merged.sort(key=lambda row: (row[0], row[1], row[2]))
    return [item for *_, item in merged]
