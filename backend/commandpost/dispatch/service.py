"""Rules for dispatch: recommend teams by the plan's needs and travel time, assign them, follow them
to the scene and back, re-route them around closures, and stage a toxic-release response up-wind."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commandpost import geo, resources
from commandpost.clock import Clock
from commandpost.dispatch import equipment, plans
from commandpost.dispatch.models import Assignment, AssignmentStatus
from commandpost.dispatch.schemas import StagingRequest, TeamStep, assignment_feature
from commandpost.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from commandpost.incidents import service as incidents
from commandpost.incidents.models import Incident
from commandpost.incidents.schemas import incident_feature
from commandpost.resources import Page
from commandpost.routing import service as routing
from commandpost.routing.graph import Network
from commandpost.routing.models import Closure, ClosureKind
from commandpost.teams import service as teams
from commandpost.teams.models import Capability, Team, TeamStatus

WHAT = "assignment"


def _open_incident(session: Session, incident_id: int) -> Incident:
    return incidents.get_open(session, incident_id=incident_id)


# --- recommendations ---------------------------------------------------------------------

_BIT = {c.value: 1 << n for n, c in enumerate(Capability)}
# Per piece of equipment lacking, above any travel time: a team whose equipment does not fit the
# chemical is chosen for a hazmat need only when no team that fits (or lacks less) is left.
UNFIT_PENALTY_S = 1e7
_NO_PAIR = 1e12


def _mask(capabilities: Sequence[str]) -> int:
    return sum(_BIT.get(c, 0) for c in set(capabilities))


def _names(mask: int) -> list[str]:
    return [c for c, bit in _BIT.items() if mask & bit]


@dataclass(frozen=True)
class _Teams:
    """The available teams as columns."""

    ids: NDArray[np.int64]
    versions: list[int]
    names: list[str]
    kinds: list[str]
    tiers: list[str]
    headcount: NDArray[np.int64]
    masks: NDArray[np.int64]
    equipment: list[tuple[str, ...]]
    lonlat: NDArray[np.float64]


# Per team: (version, name, kind, tier, headcount, capability mask, equipment).
TeamMemo = dict[int, tuple[int, str, str, str, int, int, tuple[str, ...]]]


def _available_teams(session: Session, memo: TeamMemo) -> _Teams:
    """Available teams and where they are now; the rest of a team's record is read again only
    when its version changed since this process last read it."""
    t = Team.__table__.c  # plain Core: a thousand rows come back a third faster than through the ORM
    rows = session.execute(
        select(t.id, t.version, func.ST_X(t.position), func.ST_Y(t.position))
        .where(t.status == TeamStatus.available)
        .order_by(t.id)
    ).all()
    stale = [r[0] for r in rows if (known := memo.get(r[0])) is None or known[0] != r[1]]
    for start in range(0, len(stale), 1000):
        for r in session.execute(
            select(t.id, t.version, t.name, t.kind, t.tier, t.headcount, t.capabilities, t.equipment).where(
                t.id.in_(stale[start : start + 1000])
            )
        ):
            memo[r[0]] = (r[1], r[2], str(r[3]), str(r[4]), r[5], _mask(r[6] or ()), tuple(r[7] or ()))
    table = np.array([tuple(r) for r in rows], dtype=np.float64).reshape(-1, 4)
    details = [memo[r[0]] for r in rows]
    versions, names, kinds, tiers, headcount, masks, equipment = (
        zip(*details, strict=True) if details else ((),) * 7
    )
    return _Teams(
        ids=table[:, 0].astype(np.int64),
        versions=list(versions),
        names=list(names),
        kinds=list(kinds),
        tiers=list(tiers),
        headcount=np.array(headcount, dtype=np.int64),
        masks=np.array(masks, dtype=np.int64),
        equipment=list(equipment),
        lonlat=table[:, 2:4].copy(),
    )


@dataclass
class _Need:
    """One need of the plan while the teams are being chosen."""

    code: str
    place: int  # in the plan's list
    people: int  # still to find (the plan's minimum less the people already sent)
    wants_team: bool  # nobody has been sent for it yet: it needs at least one team
    order: NDArray[np.int64]  # teams that can meet it and can get there, cheapest first
    cost: NDArray[np.float64]  # per team (all teams): ETA, plus the penalty if unfit
    chosen: list[int]

    def short(self, headcount: NDArray[np.int64]) -> bool:
        found = int(headcount[self.chosen].sum()) if self.chosen else 0
        return found < self.people or (self.wants_team and not self.chosen)


def _choose(needs: list[_Need], headcount: NDArray[np.int64], n_teams: int) -> None:
    """Choose distinct teams for the needs: in rounds, every need still short takes one more team,
    the round's teams being the assignment of least total cost (ETA; an unfit team costs more than
    any ETA), until each need is met or no team that can meet it is left. Then a need drops the
    teams it does not need (the smallest first: the slowest team it keeps sets when it is covered),
    and the teams freed go to needs still short, in more rounds.

    Each round is an exact min-cost matching (scipy's linear_sum_assignment); only each need's k
    cheapest free teams can be in it (k = needs in the round), so the matrix stays tiny.
    """
    used = np.zeros(n_teams, dtype=bool)
    for _ in range(3):
        _rounds(needs, headcount, used)
        freed = False
        for need in needs:
            for i in sorted(need.chosen, key=lambda i: (int(headcount[i]), i)):
                keep = [j for j in need.chosen if j != i]
                if keep and int(headcount[keep].sum()) >= need.people:
                    need.chosen = keep
                    used[i] = False
                    freed = True
        if not freed:
            return


def _rounds(needs: list[_Need], headcount: NDArray[np.int64], used: NDArray[np.bool_]) -> None:
    active = [n for n in needs if n.short(headcount) and (~used[n.order]).any()]
    while active:
        k = len(active)
        free = [n.order[~used[n.order]][:k] for n in active]
        cols = np.unique(np.concatenate(free))
        cost = np.full((k, len(cols)), _NO_PAIR)
        for row, (need, options) in enumerate(zip(active, free, strict=True)):
            # A millisecond per place in the plan: of two needs equally served, the first listed wins.
            cost[row, np.searchsorted(cols, options)] = need.cost[options] + need.place * 1e-3
        rows, picks = linear_sum_assignment(cost)
        for row, pick in zip(rows.tolist(), picks.tolist(), strict=True):
            if cost[row, pick] < _NO_PAIR:
                active[row].chosen.append(int(cols[pick]))
                used[cols[pick]] = True
        active = [n for n in active if n.short(headcount) and (~used[n.order]).any()]


def _fit_of(
    needed: Sequence[equipment.Requirement], teams_: _Teams, memo: dict[tuple[int, int, str], list[str]]
) -> dict[int, list[str]]:
    """Per team index, the requirement codes its equipment lacks (remembered per team version)."""
    key = ",".join(r.code for r in needed)
    out: dict[int, list[str]] = {}
    for i, team_id in enumerate(teams_.ids.tolist()):
        entry = (team_id, teams_.versions[i], key)
        lacking = memo.get(entry)
        if lacking is None:
            lacking = [r.code for r in needed if not r.met_by(teams_.equipment[i])]
            memo[entry] = lacking
        out[i] = lacking
    return out


def recommend(
    session: Session,
    *,
    incident_id: int,
    router: routing.Router,
    clock: Clock,
    per_need: int = 5,
    routes: int = 3,
) -> dict[str, Any]:
    """For each need of the incident's plan, the available teams that can meet it, fastest first,
    with why: ETA, distance, capabilities matched and missing, headcount, for a hazmat need whether
    their equipment fits the chemical involved; routes for the first few.

    A team with every capability of a need ranks before one with some, one whose equipment fits
    the chemical before one whose does not; unreachable teams come last, saying why. One team
    counts for one need only: `chosen` is the set of distinct teams, fastest first, that covers
    the needs together (see `_choose`), each candidate's `suggested` says it was chosen for this
    need and `chosen_for` for which; what no team is left to cover is listed in `missing`.
    """
    incident = incidents.get(session, incident_id=incident_id)
    plan, level, assumed = plans.plan_for(session, incident)
    if plan is None:
        raise NotFound(
            f"no response plan for {incident.type.value} (or other) at level {level.value}: "
            "PUT one at /api/v1/response-plans/{type}/{level}",
            field="response_level",
        )
    net = router.network(session)
    teams_ = _available_teams(session, router.memo.setdefault("dispatch.teams", {}))
    found = routing.reach(net, target=routing.point_of(incident.location), sources=teams_.lonlat)
    seconds, metres = found.travel.seconds, found.travel.metres
    reachable = np.isfinite(seconds)
    assigned = _assigned_headcount(session, incident_id=incident_id, needs=plan.needs)
    rule = equipment.rule()
    chemicals, chemical_source = equipment.chemicals_of(session, incident)
    needed = rule.needed(chemicals)
    lacking = _fit_of(needed, teams_, router.memo.setdefault("dispatch.fit", {})) if needed else {}
    # Per team, how many pieces of the equipment the chemical calls for it lacks (0: it fits).
    unfit = np.zeros(len(teams_.ids), dtype=np.int64)
    if lacking:
        unfit[:] = [len(lacking[i]) for i in range(len(teams_.ids))]
    route_cache: dict[int, dict[str, Any]] = {}

    def route_of(i: int) -> dict[str, Any]:
        if i not in route_cache:
            route_cache[i] = routing.route_feature(
                found.route(i), team_id=int(teams_.ids[i]), incident_id=incident.id
            )
        return route_cache[i]

    def fit_of(i: int, hazmat: bool) -> dict[str, Any] | None:
        if not hazmat or not needed:
            return None
        missing = [rule.requirements[code].out() for code in lacking.get(i, [])]
        return {"fits": not missing, "lacking": missing}

    # Choose the distinct teams first, then list each need's candidates.
    work: list[_Need] = []
    for need in plan.needs:
        wanted = _mask(need["capabilities"])
        hazmat = bool(needed) and not rule.applies_to.isdisjoint(need["capabilities"])
        full = np.flatnonzero(((wanted & ~teams_.masks) == 0) & reachable)
        cost = seconds + (UNFIT_PENALTY_S * unfit if hazmat else 0.0)  # fewer lacking first
        order = full[np.lexsort((teams_.ids[full], cost[full]))]
        people_sent, teams_sent = assigned.get(need["need"], (0, 0))
        work.append(
            _Need(
                code=need["need"],
                place=len(work),
                people=max(int(need.get("min_headcount", 0)) - people_sent, 0),
                wants_team=teams_sent == 0,
                order=order,
                cost=cost,
                chosen=[],
            )
        )
    _choose(work, teams_.headcount, len(teams_.ids))
    chosen_for = {i: w.code for w in work for i in w.chosen}

    needs_out, chosen_out, missing_out = [], [], []
    for need, w in zip(plan.needs, work, strict=True):
        wanted = _mask(need["capabilities"])
        hazmat = bool(needed) and not rule.applies_to.isdisjoint(need["capabilities"])
        minimum = int(need.get("min_headcount", 0))
        already = assigned.get(need["need"], (0, 0))[0]
        overlap = np.flatnonzero(teams_.masks & wanted)
        missing = np.bitwise_count(wanted & ~teams_.masks[overlap])
        ranked = overlap[
            np.lexsort((teams_.ids[overlap], seconds[overlap], unfit[overlap] * hazmat, missing > 0))
        ]
        out = []
        for rank, i in enumerate(ranked[:per_need].tolist()):
            ok = bool(reachable[i])
            have = int(teams_.masks[i])
            out.append(
                {
                    "rank": rank + 1,
                    "team_id": int(teams_.ids[i]),
                    "name": teams_.names[i],
                    "kind": teams_.kinds[i],
                    "tier": teams_.tiers[i],
                    "headcount": int(teams_.headcount[i]),
                    "position": teams_.lonlat[i].tolist(),
                    "reachable": ok,
                    "unreachable_reason": None if ok else found.reason(i),
                    "eta_s": round(float(seconds[i]), 1) if ok else None,
                    "distance_m": round(float(metres[i]), 1) if ok else None,
                    "matched": _names(wanted & have),
                    "missing": _names(wanted & ~have),
                    "equipment_fit": fit_of(i, hazmat),
                    "suggested": chosen_for.get(i) == w.code,
                    "chosen_for": chosen_for.get(i),
                    "route": route_of(i) if rank < routes and ok else None,
                }
            )
        suggested_headcount = int(teams_.headcount[w.chosen].sum()) if w.chosen else 0
        short = max(minimum - already - suggested_headcount, 0)
        without_team = w.wants_team and not w.chosen
        met = short == 0 and not without_team
        unfit_chosen = [i for i in w.chosen if hazmat and unfit[i] > 0]
        for i in w.chosen:
            chosen_out.append(
                {
                    "need": w.code,
                    "team_id": int(teams_.ids[i]),
                    "name": teams_.names[i],
                    "headcount": int(teams_.headcount[i]),
                    "eta_s": round(float(seconds[i]), 1),
                    "distance_m": round(float(metres[i]), 1),
                    "equipment_fit": fit_of(i, hazmat),
                }
            )
        if not met or unfit_chosen:
            missing_out.append(
                {
                    "need": w.code,
                    "label": need.get("label"),
                    "short_headcount": short,
                    "unfit_team_ids": [int(teams_.ids[i]) for i in unfit_chosen],
                    "reason": _why_missing(
                        short=short,
                        without_team=without_team,
                        candidates=len(w.order),
                        unfit=len(unfit_chosen),
                        chemicals=chemicals,
                    ),
                }
            )
        needs_out.append(
            {
                "need": need["need"],
                "label": need.get("label"),
                "capabilities": need["capabilities"],
                "min_headcount": minimum,
                "assigned_headcount": already,
                "suggested_headcount": suggested_headcount,
                "suggested_team_ids": teams_.ids[w.chosen].tolist(),
                "short_headcount": short,
                "covered_eta_s": round(float(seconds[w.chosen].max()), 1) if w.chosen else None,
                "met": met,
                "candidates_total": len(ranked),
                "candidates": out,
            }
        )
    return {
        "incident_id": incident.id,
        "plan": {
            "id": plan.id,
            "name": plan.name,
            "incident_type": str(plan.incident_type),
            "response_level": level.value,
            "level_assumed": assumed,
        },
        "needs": needs_out,
        "chosen": chosen_out,
        "missing": missing_out,
        "chemicals": [c.out(chemical_source or "") for c in chemicals],
        "equipment_needed_for_hazmat": [r.out() for r in needed],
        "unreachable_reason": found.target_reason,
        "approach": found.approach,
        "available_teams": len(teams_.ids),
        "network": {
            "nodes": net.graph.n_nodes,
            "edges": net.edges,
            "closed_segments": int(net.blocked.sum()),
        },
        "as_of": clock.now().isoformat(),
    }


def _why_missing(
    *, short: int, without_team: bool, candidates: int, unfit: int, chemicals: Sequence[equipment.Chemical]
) -> str:
    names = "、".join(c.name for c in chemicals)
    if unfit and not short and not without_team:
        return f"covered only with {unfit} team(s) whose equipment does not fit {names}"
    if candidates == 0:
        what = "no available team that can get there has every capability it needs"
    else:
        what = "every available team that can meet it is chosen (or chosen for another need)"
    people = f"{short} people short" if short else "no team chosen"
    return f"{people}: {what}" + (f"; {unfit} chosen team(s) lack equipment for {names}" if unfit else "")


def _assigned_headcount(
    session: Session, *, incident_id: int, needs: Sequence[dict[str, Any]]
) -> dict[str, tuple[int, int]]:
    """People and teams already sent per need: an assignment counts for its need, or, if it names
    none, for one need only: the first of the plan it fully meets that is still short (else the
    first it fully meets)."""
    rows = session.execute(
        select(Assignment.need, Team.headcount, Team.capabilities)
        .join(Team, Team.id == Assignment.team_id)
        .where(Assignment.incident_id == incident_id, Assignment.active.is_(True))
        .order_by(Assignment.id)
    ).all()
    people: dict[str, int] = defaultdict(int)
    teams_sent: dict[str, int] = defaultdict(int)
    minimum = {n["need"]: int(n.get("min_headcount", 0)) for n in needs}
    for need_code, headcount, caps in sorted(rows, key=lambda r: r[0] is None):
        if need_code is None:
            fits = [n["need"] for n in needs if set(n["capabilities"]) <= set(caps or ())]
            short = [code for code in fits if people[code] < minimum[code] or not teams_sent[code]]
            if not fits:
                continue
            need_code = (short or fits)[0]
        people[need_code] += headcount
        teams_sent[need_code] += 1
    return {code: (people[code], teams_sent[code]) for code in people}


# --- assignments -------------------------------------------------------------------------


def list_assignments(
    session: Session,
    *,
    incident_id: int | None = None,
    active: bool | None = None,
    limit: int,
    offset: int = 0,
) -> Page[Assignment]:
    """Assignments (of one incident, or all), newest first."""
    stmt = select(Assignment).order_by(Assignment.id.desc())
    if incident_id is not None:
        incidents.get(session, incident_id=incident_id)
        stmt = stmt.where(Assignment.incident_id == incident_id)
    if active is not None:
        stmt = stmt.where(Assignment.active.is_(active))
    return resources.page(session, stmt, limit=limit, offset=offset)


def get(session: Session, *, incident_id: int, assignment_id: int, lock: bool = False) -> Assignment:
    """One of an incident's assignments, or NotFound."""
    stmt = select(Assignment).where(Assignment.id == assignment_id).execution_options(populate_existing=True)
    if lock:
        stmt = stmt.with_for_update()
    assignment = session.scalars(stmt).one_or_none()
    if assignment is None or assignment.incident_id != incident_id:
        raise NotFound(f"incident {incident_id} has no assignment {assignment_id}", field="assignment_id")
    return assignment


def team_names(session: Session, team_ids: Sequence[int]) -> dict[int, str]:
    if not team_ids:
        return {}
    return dict(session.execute(select(Team.id, Team.name).where(Team.id.in_(set(team_ids)))).all())


def feature(session: Session, assignment: Assignment) -> dict[str, Any]:
    return assignment_feature(
        assignment, team_name=team_names(session, [assignment.team_id]).get(assignment.team_id)
    )


def _set_route(assignment: Assignment, route: dict[str, Any] | None) -> None:
    if route is None:
        assignment.route, assignment.legs, assignment.eta_s, assignment.distance_m = None, [], None, None
        return
    assignment.route = geo.to_db(LineString(route["geometry"]["coordinates"]))
    assignment.legs = route["legs"]
    assignment.eta_s = route["seconds"]
    assignment.distance_m = route["metres"]


def _close(
    session: Session, assignment: Assignment, status: AssignmentStatus, *, clock: Clock, actor: str | None
) -> None:
    before = assignment.status
    now = clock.now()
    assignment.status = status
    assignment.active = False
    assignment.closed_at = now
    assignment.status_at = now
    assignment.updated_at = now
    session.flush()
    resources.record_change(
        session,
        entity_type=WHAT,
        row=assignment,
        action="status_changed",
        feature=feature(session, assignment),
        payload={"from": before.value, "to": status.value},
        clock=clock,
        actor=actor,
    )


def assign(
    session: Session,
    *,
    incident_id: int,
    team_id: int,
    need: str | None,
    router: routing.Router,
    clock: Clock,
    actor: str | None = None,
) -> Assignment:
    """Send one team to an incident: it must be available (or returning from another job) and have no
    other active assignment. The team row is locked while deciding, and a unique index on active
    assignments per team stops a second dispatcher racing for the same team."""
    incident = _open_incident(session, incident_id)
    team = session.scalars(
        select(Team).where(Team.id == team_id).with_for_update().execution_options(populate_existing=True)
    ).one_or_none()
    if team is None:
        raise InvalidInput(f"team {team_id} does not exist", field="team_id")
    current = session.scalars(
        select(Assignment).where(Assignment.team_id == team_id, Assignment.active.is_(True))
    ).one_or_none()
    if current is not None:
        if current.incident_id == incident_id:
            raise Conflict(f"{team.name} is already assigned to this incident", field="team_id")
        if current.status is AssignmentStatus.returning or team.status is TeamStatus.available:
            # Coming back from (or already released from) its last job: that job ends here.
            _close(session, current, AssignmentStatus.completed, clock=clock, actor=actor)
        else:
            raise Conflict(
                f"{team.name} is already assigned to incident {current.incident_id} ({current.status.value})",
                field="team_id",
                extra={"assignment_id": current.id, "incident_id": current.incident_id},
            )
    if team.status not in (TeamStatus.available, TeamStatus.returning):
        raise Conflict(f"{team.name} is {team.status.value}, not available", field="team_id")
    found = routing.reach(
        router.network(session),
        target=routing.point_of(incident.location),
        sources=routing.lonlat_of([routing.point_of(team.position)]),
    )
    now = clock.now()
    assignment = Assignment(
        incident_id=incident.id,
        team_id=team.id,
        need=need,
        status=AssignmentStatus.dispatched,
        active=True,
        assigned_by=actor,
        assigned_at=now,
        status_at=now,
        exercise_id=incident.exercise_id,
        updated_at=now,
    )
    _set_route(assignment, found.route(0))
    try:
        with session.begin_nested():
            session.add(assignment)
    except IntegrityError as exc:  # another dispatcher's assignment of this team committed first
        raise Conflict(f"team {team_id} was just assigned by someone else", field="team_id") from exc
    teams.change_status(
        session,
        team_id=team.id,
        status=TeamStatus.dispatched,
        expected_version=None,
        clock=clock,
        actor=actor,
    )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=assignment,
        action="created",
        feature=assignment_feature(assignment, team_name=team.name),
        payload={"team_id": team.id, "incident_id": incident.id},
        clock=clock,
        actor=actor,
    )
    plans.tick_first_dispatch(session, incident=incident, team_name=team.name, clock=clock, actor=actor)
    return assignment


# Which assignment status each reported step leads to, from which statuses.
_STEPS: dict[TeamStep, dict[AssignmentStatus, AssignmentStatus]] = {
    TeamStep.en_route: {AssignmentStatus.dispatched: AssignmentStatus.en_route},
    TeamStep.on_scene: {AssignmentStatus.en_route: AssignmentStatus.on_scene},
    TeamStep.returning: {AssignmentStatus.on_scene: AssignmentStatus.returning},
    TeamStep.available: {
        AssignmentStatus.returning: AssignmentStatus.completed,
        AssignmentStatus.dispatched: AssignmentStatus.cancelled,
        AssignmentStatus.en_route: AssignmentStatus.cancelled,
    },
}


def advance(
    session: Session,
    *,
    incident_id: int,
    assignment_id: int,
    step: TeamStep,
    expected_version: int | None,
    clock: Clock,
    actor: str | None = None,
) -> Assignment:
    """Move an assignment and its team one step: dispatched → en route → on scene → returning →
    available (the job is done); `available` before reaching the scene recalls the team."""
    assignment = get(session, incident_id=incident_id, assignment_id=assignment_id, lock=True)
    before = assignment.status
    following = _STEPS[step].get(before)
    if not assignment.active or following is None:
        can = [s.value for s, moves in _STEPS.items() if before in moves] if assignment.active else []
        raise InvalidTransition(
            f"an assignment that is {before.value} cannot report {step.value}"
            + (f"; it can report: {', '.join(can)}" if can else ": it has ended"),
            field="status",
        )
    now = clock.now()
    changes: dict[str, Any] = {"status": following, "status_at": now, "updated_at": now}
    if following in (AssignmentStatus.completed, AssignmentStatus.cancelled):
        changes |= {"active": False, "closed_at": now}
    resources.update_versioned(
        session,
        assignment,
        changes=changes,
        expected_version=assignment.version if expected_version is None else expected_version,
        snapshot=lambda row: assignment_feature(row),
        what=f"assignment {assignment_id}",
    )
    teams.change_status(
        session,
        team_id=assignment.team_id,
        status=TeamStatus(step.value),
        expected_version=None,
        clock=clock,
        actor=actor,
    )
    resources.record_change(
        session,
        entity_type=WHAT,
        row=assignment,
        action="status_changed",
        feature=feature(session, assignment),
        payload={"from": before.value, "to": following.value},
        clock=clock,
        actor=actor,
    )
    return assignment


# Steps at which a team is still held by its incident; a returning team is released, on its way home.
HELD = (AssignmentStatus.dispatched, AssignmentStatus.en_route, AssignmentStatus.on_scene)


def _held(session: Session, *, incident_id: int) -> list[tuple[Assignment, str]]:
    rows = session.execute(
        select(Assignment, Team.name)
        .join(Team, Team.id == Assignment.team_id)
        .where(
            Assignment.incident_id == incident_id,
            Assignment.active.is_(True),
            Assignment.status.in_(HELD),
        )
        .order_by(Assignment.id)
    )
    return [(assignment, name) for assignment, name in rows]


def held_teams(session: Session, *, incident_id: int) -> list[dict[str, Any]]:
    """The teams an incident still holds: sent, on their way or on scene, not yet released."""
    return [
        {
            "assignment_id": assignment.id,
            "team_id": assignment.team_id,
            "team_name": name,
            "status": assignment.status.value,
        }
        for assignment, name in _held(session, incident_id=incident_id)
    ]


def stand_down_teams(
    session: Session, *, incident_id: int, clock: Clock, actor: str | None = None
) -> list[dict[str, Any]]:
    """Release every team the incident holds: one not yet on scene is recalled (available at once),
    one on scene is sent home (returning); each step is its assignment's and its team's event."""
    released = []
    for assignment, name in _held(session, incident_id=incident_id):
        step = TeamStep.returning if assignment.status is AssignmentStatus.on_scene else TeamStep.available
        before = assignment.status
        after = advance(
            session,
            incident_id=incident_id,
            assignment_id=assignment.id,
            step=step,
            expected_version=None,
            clock=clock,
            actor=actor,
        )
        released.append(
            {
                "assignment_id": after.id,
                "team_id": after.team_id,
                "team_name": name,
                "from": before.value,
                "to": after.status.value,
            }
        )
    return released


def reroute(
    session: Session, *, net: Network, clock: Clock, reason: str, actor: str | None = None
) -> list[int]:
    """Give every team still on its way (dispatched or en route) its fastest route on `net`; each
    team whose route changes gets an `assignment.rerouted` event. Returns their assignment ids."""
    moving = session.scalars(
        select(Assignment)
        .where(
            Assignment.active.is_(True),
            Assignment.status.in_([AssignmentStatus.dispatched, AssignmentStatus.en_route]),
        )
        .order_by(Assignment.id)
    ).all()
    by_incident: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in moving:
        by_incident[assignment.incident_id].append(assignment)
    changed: list[int] = []
    for incident_id, group in by_incident.items():
        incident = session.get(Incident, incident_id)
        if incident is None:  # pragma: no cover - cascades delete assignments with their incident
            continue
        positions = {
            t.id: routing.point_of(t.position)
            for t in session.scalars(select(Team).where(Team.id.in_([a.team_id for a in group])))
        }
        found = routing.reach(
            net,
            target=routing.point_of(incident.location),
            sources=routing.lonlat_of([positions[a.team_id] for a in group]),
        )
        for i, assignment in enumerate(group):
            route = found.route(i)
            old = geo.to_geojson(assignment.route)
            if route is not None and old is not None and old["coordinates"] == _as_tuples(route):
                continue
            before = {"eta_s": assignment.eta_s, "distance_m": assignment.distance_m}
            _set_route(assignment, route)
            assignment.updated_at = clock.now()
            session.flush()
            resources.record_change(
                session,
                entity_type=WHAT,
                row=assignment,
                action="rerouted",
                feature=feature(session, assignment),
                payload={"reason": reason, "before": before, "reachable": route is not None},
                clock=clock,
                actor=actor,
            )
            changed.append(assignment.id)
    return changed


def _as_tuples(route: dict[str, Any]) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in route["geometry"]["coordinates"])


# --- staging for a toxic release ---------------------------------------------------------

STAGING_SECTOR_DEG = 45.0
ROUTE_MARGIN_M = 50.0


def propose_staging(
    session: Session, *, incident_id: int, data: StagingRequest, router: routing.Router, clock: Clock
) -> dict[str, Any]:
    """A staging area up-wind of the danger zone, at least the safe distance outside it, on an open
    road, and the approach routes of the incident's teams that stay out of the zone."""
    incident = _open_incident(session, incident_id)
    zone = _zone(session, data)
    net = router.network(session)
    graph = net.graph
    proj = graph.projection
    zone_m = proj.to_metric(zone)
    theta = math.radians(data.wind_from_deg)
    upwind = np.array([math.sin(theta), math.cos(theta)])  # towards where the wind comes from
    centre = np.array(zone_m.centroid.coords[0])
    reach_along = float(max((shapely.get_coordinates(zone_m) - centre) @ upwind))
    ideal = centre + upwind * (reach_along + data.safe_distance_m)

    # Candidate spots: ends of open road segments, outside the zone by the safe distance, up-wind.
    open_nodes = np.unique(np.concatenate([graph.seg_u[net.open_segments], graph.seg_v[net.open_segments]]))
    staging_xy, on_road, relaxed = ideal, False, None
    if len(open_nodes):
        xy = proj.forward(graph.node_lonlat[open_nodes])
        clearance = shapely.distance(zone_m, shapely.points(xy))
        offset = xy - centre
        cosine = (offset @ upwind) / np.maximum(np.linalg.norm(offset, axis=1), 1e-9)
        for sector, share, label in (
            (STAGING_SECTOR_DEG, 1.0, None),
            (90.0, 1.0, "no road inside 45° of up-wind: widened to 90°"),
            (90.0, 0.5, "no road that far out: half the safe distance"),
        ):
            ok = (clearance >= data.safe_distance_m * share) & (cosine >= math.cos(math.radians(sector)))
            if ok.any():
                pick = np.flatnonzero(ok)[np.argmin(np.linalg.norm(xy[ok] - ideal, axis=1))]
                staging_xy, on_road, relaxed = xy[pick], True, label
                break
    staging_lonlat = proj.inverse(np.asarray(staging_xy, dtype=np.float64).reshape(1, 2))[0]
    staging = Point(float(staging_lonlat[0]), float(staging_lonlat[1]))
    clearance_m = float(zone_m.distance(Point(*staging_xy)))

    # Approach: the zone (plus a margin) is closed for these routes.
    margin = proj.to_lonlat(zone_m.buffer(ROUTE_MARGIN_M))
    blocked = net.blocked.copy()
    blocked[graph.segments_meeting(margin)] = True
    approach_net = net.with_closed(blocked, zones=net.zones)
    team_rows = _staging_teams(session, incident_id=incident.id, team_ids=data.team_ids)
    routes: list[dict[str, Any]] = []
    if team_rows:
        found = routing.reach(
            approach_net,
            target=staging,
            sources=routing.lonlat_of([routing.point_of(t.position) for t in team_rows]),
        )
        for i, team in enumerate(team_rows):
            route = found.route(i)
            feat = routing.route_feature(route, team_id=team.id, team_name=team.name, incident_id=incident.id)
            feat["properties"]["enters_danger_zone"] = bool(
                route is not None and LineString(route["geometry"]["coordinates"]).intersects(zone)
            )
            routes.append(feat)
    bearing = (math.degrees(math.atan2(*(staging_xy - centre))) + 360) % 360
    proposal = {
        "incident_id": incident.id,
        "staging": {
            "type": "Feature",
            "geometry": geo.to_geojson(staging),
            "properties": {
                "kind": "staging_area",
                "on_road": on_road,
                "distance_from_zone_m": round(clearance_m, 1),
                "bearing_from_zone_deg": round(bearing, 1),
                "wind_from_deg": data.wind_from_deg,
                "wind_speed_ms": data.wind_speed_ms,
                "safe_distance_m": data.safe_distance_m,
                "note": relaxed,
            },
        },
        "danger_zone": {
            "type": "Feature",
            "geometry": geo.to_geojson(zone),
            "properties": {"kind": "danger_zone"},
        },
        "routes": {"type": "FeatureCollection", "features": routes},
    }
    resources.record_change(
        session,
        entity_type="incident",
        row=incident,
        action="staging_proposed",
        feature=incident_feature(incident),
        payload={"staging": proposal["staging"], "danger_zone": proposal["danger_zone"]},
        clock=clock,
        actor=data.by,
    )
    return proposal


def _zone(session: Session, data: StagingRequest) -> BaseGeometry:
    if (data.danger_zone is None) == (data.closure_id is None):
        raise InvalidInput("give either danger_zone (a polygon) or closure_id", field="danger_zone")
    if data.danger_zone is not None:
        return geo.parse_geojson(data.danger_zone, field="danger_zone", allowed=("Polygon", "MultiPolygon"))
    closure = session.get(Closure, data.closure_id)
    if closure is None or closure.kind is ClosureKind.road:
        raise InvalidInput(f"closure {data.closure_id} is not an area or danger zone", field="closure_id")
    zone = geo.from_db(closure.geom)
    assert zone is not None
    return zone


def _staging_teams(session: Session, *, incident_id: int, team_ids: Sequence[int] | None) -> list[Team]:
    if team_ids is not None:
        rows = list(session.scalars(select(Team).where(Team.id.in_(team_ids)).order_by(Team.id)))
        missing = sorted(set(team_ids) - {t.id for t in rows})
        if missing:
            raise InvalidInput(f"no team {missing[0]}", field="team_ids")
        return rows
    return list(
        session.scalars(
            select(Team)
            .join(Assignment, Assignment.team_id == Team.id)
            .where(Assignment.incident_id == incident_id, Assignment.active.is_(True))
            .order_by(Team.id)
        )
    )
