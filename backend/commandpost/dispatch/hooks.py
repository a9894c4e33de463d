"""Rules that must hold whoever changes the data (API, drill runner, CLI, loader): session hooks,
registered when the dispatch package is imported (commandpost.models imports it)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction


@event.listens_for(Session, "after_flush")
def _incident_level_set(session: Session, _context: UOWTransaction) -> None:
    """An incident just got (or changed) its response level: its plan's checklist opens."""
    from commandpost.dispatch.plans import open_for_levels_set

    open_for_levels_set(session)
