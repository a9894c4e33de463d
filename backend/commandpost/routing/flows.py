"""What follows a closure in other domains, in the same transaction as the closure.

Every boundary that closes or reopens roads (API, CLI, drill runner, a zone) goes through here, so
the teams on their way are re-routed whoever made the change.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from commandpost.clock import Clock
from commandpost.dispatch import service as dispatch
from commandpost.routing import service as routing
from commandpost.routing.models import Closure
from commandpost.routing.schemas import ClosureCreate


def close(
    session: Session, *, data: ClosureCreate, router: routing.Router, clock: Clock
) -> tuple[Closure, list[int]]:
    """Close a road segment, an area or a danger zone; every team on its way gets its fastest route
    around it. Returns the closure and the re-routed assignments' ids."""
    closure, net = routing.create(session, data=data, router=router, clock=clock)
    rerouted = dispatch.reroute(
        session, net=net, clock=clock, reason=f"closure {closure.id}", actor=data.created_by
    )
    return closure, rerouted


def lift(
    session: Session, *, closure_id: int, router: routing.Router, clock: Clock, actor: str | None = None
) -> tuple[Closure, list[int]]:
    """Lift a closure; every team on its way gets its fastest route on the reopened roads (none if it
    was already lifted). Returns the closure and the re-routed assignments' ids."""
    closure, net = routing.lift(session, closure_id=closure_id, router=router, clock=clock, actor=actor)
    if net is None:
        return closure, []
    rerouted = dispatch.reroute(
        session, net=net, clock=clock, reason=f"closure {closure.id} lifted", actor=actor
    )
    return closure, rerouted
