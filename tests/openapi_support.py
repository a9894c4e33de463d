"""Every reply an HTTP test receives is checked against the response model its route declares, so
the OpenAPI document (and the dashboard's types generated from it) cannot drift from what the
server really sends."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
from fastapi import FastAPI, routing
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

Check = tuple[re.Pattern[str], frozenset[str], TypeAdapter[Any]]


def _checks(app: FastAPI) -> list[Check]:
    found: list[Check] = []
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.response_model is not None:
            found.append(
                (context.path_regex, frozenset(context.methods or ()), TypeAdapter(route.response_model))
            )
    return found


def reply_checker(app: FastAPI) -> Callable[[httpx.Response], None]:
    """An httpx response hook that fails the test when a 2xx JSON reply does not fit its route's model."""
    checks = _checks(app)

    def check(response: httpx.Response) -> None:
        kind = response.headers.get("content-type", "")
        if not 200 <= response.status_code < 300 or "json" not in kind or "problem" in kind:
            return
        request = response.request
        for path, methods, adapter in checks:
            if request.method in methods and path.match(request.url.path):
                response.read()
                try:
                    adapter.validate_json(response.content)
                except ValueError as exc:
                    raise AssertionError(
                        f"{request.method} {request.url.path} replied what its response model does not "
                        f"describe:\n{exc}"
                    ) from exc
                return

    return check
