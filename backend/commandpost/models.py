"""Imports every domain's tables so `Base.metadata` (and Alembic) sees the whole schema."""

from commandpost.events.models import Event
from commandpost.teams.models import Team

__all__ = ["Event", "Team"]
