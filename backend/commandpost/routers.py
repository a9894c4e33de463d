"""Every domain's router, in the order they appear in the API docs."""

from __future__ import annotations

from fastapi import APIRouter


def api_routers() -> list[APIRouter]:
    from commandpost.teams.api import router as teams

    return [teams]
