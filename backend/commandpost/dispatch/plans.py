"""Response plans (应急预案) as editable data, and the checklist a plan opens on an incident.

A plan is keyed by incident type and response level. When an incident gets its response level
(reported with one, or given or changed one later), the plan's actions open on its checklist,
each with its role and a deadline counted from that moment, in the same transaction as the
incident change: `incidents.flows` calls `open_checklist`, so the incidents service need not
know about plans.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost import resources
from commandpost.clock import Clock
from commandpost.dispatch.models import Assignment, ChecklistItem, ResponsePlan
from commandpost.dispatch.schemas import ActionDone, PlanPut, checklist_entity, plan_entity
from commandpost.errors import Conflict, InvalidInput, NotFound
from commandpost.events import service as events
from commandpost.incidents import service as incidents
from commandpost.incidents.models import Incident, IncidentType, ResponseLevel
from commandpost.incidents.schemas import incident_feature
from commandpost.resources import Page

WHAT = "response_plan"
FALLBACK_TYPE = IncidentType.other
DEFAULT_LEVEL = ResponseLevel.IV


def list_plans(
    session: Session, *, incident_type: IncidentType | None = None, limit: int, offset: int = 0
) -> Page[ResponsePlan]:
    """Plans by type then level (I first)."""
    stmt = select(ResponsePlan).order_by(ResponsePlan.incident_type, ResponsePlan.response_level)
    if incident_type is not None:
        stmt = stmt.where(ResponsePlan.incident_type == incident_type)
    return resources.page(session, stmt, limit=limit, offset=offset)


def find(session: Session, *, incident_type: IncidentType, level: ResponseLevel) -> ResponsePlan | None:
    return session.scalars(
        select(ResponsePlan).where(
            ResponsePlan.incident_type == incident_type, ResponsePlan.response_level == level
        )
    ).one_or_none()


def get(session: Session, *, incident_type: IncidentType, level: ResponseLevel) -> ResponsePlan:
    """The plan for a type and level, or NotFound."""
    plan = find(session, incident_type=incident_type, level=level)
    if plan is None:
        raise NotFound(f"no response plan for {incident_type.value} at level {level.value}", field="level")
    return plan


def plan_for(session: Session, incident: Incident) -> tuple[ResponsePlan | None, ResponseLevel, bool]:
    """The plan an incident follows: its type at its level (level IV assumed if none is set yet),
    or the `other` plan of that level. Also says which level and whether it was assumed."""
    # A row being flushed may still hold the plain strings it was built from.
    level = ResponseLevel(incident.response_level) if incident.response_level else DEFAULT_LEVEL
    plan = find(session, incident_type=IncidentType(incident.type), level=level) or find(
        session, incident_type=FALLBACK_TYPE, level=level
    )
    return plan, level, incident.response_level is None


def put(
    session: Session,
    *,
    incident_type: IncidentType,
    level: ResponseLevel,
    data: PlanPut,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> tuple[ResponsePlan, bool]:
    """Create or replace the plan for a type and level (replacing needs the version read); (plan, created)."""
    values = data.model_dump(mode="json", exclude={"version"})
    plan = find(session, incident_type=incident_type, level=level)
    now = clock.now()
    created = plan is None
    if plan is None:
        plan = ResponsePlan(incident_type=incident_type, response_level=level, **values, updated_at=now)
        session.add(plan)
        session.flush()
    else:
        resources.update_versioned(
            session,
            plan,
            changes={**values, "updated_at": now},
            expected_version=expected_version,
            snapshot=plan_entity,
            what=f"the {incident_type.value} level {level.value} plan",
        )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=plan,
        action="created" if created else "updated",
        feature=plan_entity(plan),
        clock=clock,
        actor=actor,
    )
    return plan, created


def load_plans(session: Session, *, data: Any, clock: Clock, actor: str | None = None) -> Iterator[str]:
    """Upsert plans from a file's JSON ({"plans": [...]} or a list), each change with its event;
    yields created/updated/unchanged."""
    plans = data.get("plans") if isinstance(data, dict) else data
    if not isinstance(plans, list):
        raise InvalidInput("response_plans.json holds no list of plans", field="response_plans.json")
    now = clock.now()
    for index, item in enumerate(plans):
        where = f"response_plans.json plans.{index}"
        try:
            incident_type = IncidentType(item["incident_type"])
            level = ResponseLevel(item["response_level"])
            body = PlanPut.model_validate({k: item[k] for k in ("name", "needs", "actions") if k in item})
        except (KeyError, ValueError, TypeError, ValidationError) as exc:
            raise InvalidInput(f"{where}: {exc}", field=where) from exc
        values = body.model_dump(mode="json", exclude={"version"})
        plan = find(session, incident_type=incident_type, level=level)
        if plan is None:
            plan = ResponsePlan(incident_type=incident_type, response_level=level, **values, updated_at=now)
            session.add(plan)
            outcome = "created"
        elif any(getattr(plan, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(plan, k, v)
            plan.updated_at = now
            outcome = "updated"
        else:
            yield "unchanged"
            continue
        session.flush()
        resources.record_change(
            session,
            entity_type=WHAT,
            row=plan,
            action=outcome,
            feature=plan_entity(plan),
            clock=clock,
            actor=actor,
        )
        yield outcome


# --- checklists --------------------------------------------------------------------------


class _At:
    """A clock stopped at one moment: the moment the incident's level was set."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at


def open_checklist(session: Session, *, incident: Incident, at: datetime) -> list[ChecklistItem]:
    """Open the actions of the incident's plan that are not on its checklist yet, due from `at`."""
    plan, level, _ = plan_for(session, incident)
    if plan is None or incident.response_level is None:
        return []
    present = set(session.scalars(select(ChecklistItem.code).where(ChecklistItem.incident_id == incident.id)))
    # Teams sent before the level was set have already done the plan's dispatch action.
    first_sent = session.execute(
        select(Assignment.assigned_at, Assignment.assigned_by)
        .where(Assignment.incident_id == incident.id)
        .order_by(Assignment.id)
        .limit(1)
    ).first()
    opened = []
    for action in plan.actions:
        if action["code"] in present:
            continue
        item = ChecklistItem(
            incident_id=incident.id,
            response_level=level,
            code=action["code"],
            action=action["action"],
            role=action["role"],
            opened_at=at,
            due_at=at + timedelta(minutes=int(action["within_minutes"])),
        )
        if action["code"] == FIRST_TEAMS_DISPATCHED and first_sent is not None:
            item.done_at, item.done_by = first_sent
            item.note = "teams were dispatched before the level was set"
        session.add(item)
        opened.append(item)
    if opened:
        events.record(
            session,
            type="incident.checklist_opened",
            entity_type="incident",
            entity_id=incident.id,
            payload={
                "plan": plan.name,
                "response_level": level.value,
                "actions": [
                    {
                        "code": i.code,
                        "action": i.action,
                        "role": i.role,
                        "due_at": i.due_at.isoformat(),
                        "done_at": i.done_at.isoformat() if i.done_at else None,
                    }
                    for i in opened
                ],
                "feature": incident_feature(incident),
            },
            clock=_At(at),
            exercise_id=incident.exercise_id,
        )
    return opened


def checklist(session: Session, *, incident_id: int, clock: Clock) -> dict[str, Any]:
    """The incident's checklist, oldest deadline first, with what is overdue now."""
    incident = incidents.get(session, incident_id=incident_id)
    plan, _, assumed = plan_for(session, incident)
    items = session.scalars(
        select(ChecklistItem)
        .where(ChecklistItem.incident_id == incident_id)
        .order_by(ChecklistItem.due_at, ChecklistItem.id)
    ).all()
    now = clock.now()
    entities = [checklist_entity(item, now=now) for item in items]
    return {
        "incident_id": incident.id,
        "response_level": incident.response_level.value if incident.response_level else None,
        "plan": plan.name if plan is not None and not assumed else None,
        "opened_at": min((e["opened_at"] for e in entities), default=None),
        "items": entities,
        "open": sum(e["status"] == "open" for e in entities),
        "overdue": sum(e["overdue"] for e in entities),
        "done": sum(e["status"] == "done" for e in entities),
        "as_of": now.isoformat(),
    }


def complete(
    session: Session, *, incident_id: int, item_id: int, data: ActionDone, clock: Clock
) -> ChecklistItem:
    """Mark one checklist action done (once), logging who did it."""
    incident = incidents.get(session, incident_id=incident_id)
    item = session.get(ChecklistItem, item_id)
    if item is None or item.incident_id != incident_id:
        raise NotFound(f"incident {incident_id} has no checklist action {item_id}", field="item_id")
    if item.done_at is not None:
        raise Conflict(
            f"“{item.action}” was already done at {item.done_at.isoformat()} by {item.done_by or 'someone'}",
            field="item_id",
        )
    return _done(
        session,
        incident=incident,
        item=item,
        by=data.by,
        note=data.note,
        expected_version=item.version if data.version is None else data.version,
        clock=clock,
    )


def _done(
    session: Session,
    *,
    incident: Incident,
    item: ChecklistItem,
    by: str | None,
    note: str | None,
    expected_version: int,
    clock: Clock,
    automatic: bool = False,
) -> ChecklistItem:
    now = clock.now()
    resources.update_versioned(
        session,
        item,
        changes={"done_at": now, "done_by": by, "note": note},
        expected_version=expected_version,
        snapshot=lambda row: checklist_entity(row, now=now),
        what=f"checklist action {item.id}",
    )
    resources.record_change(
        session,
        entity_type="incident",
        row=incident,
        action="action_done",
        feature=incident_feature(incident),
        payload={"item": checklist_entity(item, now=now), "late": now > item.due_at, "automatic": automatic},
        clock=clock,
        actor=by,
    )
    return item


# The plan action a dispatch does by itself: the first team sent ticks it, nobody needs to.
FIRST_TEAMS_DISPATCHED = "dispatch_first_response"


def tick_first_dispatch(
    session: Session, *, incident: Incident, team_name: str, clock: Clock, actor: str | None
) -> ChecklistItem | None:
    """A team was dispatched: the plan's "first teams dispatched" action is done, if it is still open."""
    item = session.scalars(
        select(ChecklistItem).where(
            ChecklistItem.incident_id == incident.id,
            ChecklistItem.code == FIRST_TEAMS_DISPATCHED,
            ChecklistItem.done_at.is_(None),
        )
    ).one_or_none()
    if item is None:
        return None
    return _done(
        session,
        incident=incident,
        item=item,
        by=actor,
        note=f"{team_name} dispatched",
        expected_version=item.version,
        clock=clock,
        automatic=True,
    )
