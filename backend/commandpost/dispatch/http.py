"""HTTP glue the dispatch and routing routes share: the road router of the app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from commandpost.routing.service import Router
from commandpost.web import ContextDep


def _router(context: ContextDep) -> Router:
    """This process's road router."""
    return context.router


RouterDep = Annotated[Router, Depends(_router)]
