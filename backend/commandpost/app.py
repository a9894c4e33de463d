"""The application factory: settings in, a FastAPI app out, long-lived resources opened in lifespan."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from commandpost import __version__, background, db
from commandpost.background import Jobs
from commandpost.clock import Clock, SystemClock
from commandpost.config import Settings
from commandpost.context import AppContext
from commandpost.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    Unavailable,
    UnsupportedMediaType,
    VersionRequired,
)
from commandpost.events import service as events
from commandpost.events.stream import Hub
from commandpost.hardening import Hardening
from commandpost.health import router as health_router
from commandpost.layers import STREAM_LAYERS
from commandpost.ogc.api import router as ogc_router
from commandpost.routers import api_routers
from commandpost.routing.service import Router
from commandpost.web import refuse_unknown_query

# One table from domain exception to HTTP status; routes never build error bodies by hand.
STATUS_OF: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (VersionRequired, 428),
    (Conflict, 409),
    (InvalidInput, 422),
    (Unavailable, 503),
    (UnsupportedMediaType, 415),
    (DomainError, 400),
]


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


_VALIDATOR_STEP = re.compile(r"^function-(after|before|wrap|plain)\[")


def _field_of(loc: tuple[Any, ...], body: Any = None) -> str:
    # ("body", "base", "coordinates", 0) → "base.coordinates.0"; keep the query/header prefix.
    parts = [str(p) for p in loc if not _VALIDATOR_STEP.match(str(p))]
    if parts and parts[0] == "body":
        parts = parts[1:]
        # A body told apart by a tag (`"model": "erg"`) puts the tag first: the field is what follows it.
        if len(parts) > 1 and isinstance(body, dict) and parts[0] in body.values() and parts[0] not in body:
            parts = parts[1:]
    return ".".join(parts) or "body"


def _location(error: Any) -> tuple[Any, ...]:
    """The error's location; a missing or unknown tag of a tagged union is the tag field's fault."""
    loc = tuple(error["loc"])
    if str(error["type"]).startswith("union_tag_"):
        return (*loc, str(error.get("ctx", {}).get("discriminator", "")).strip("'"))
    return loc


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = next(code for cls, code in STATUS_OF if isinstance(exc, cls))
    return problem(status, exc.title, exc.detail, field=exc.field, **exc.extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field_of(_location(e), exc.body), "message": e["msg"], "type": e["type"]}
        for e in exc.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return problem(400, "Malformed JSON", "the request body is not valid JSON", errors=errors)
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return problem(
        422, "Invalid input", f"{first['field']}: {first['message']}", field=first["field"], errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (unknown route, wrong method, unparsable body) as problems too."""
    assert isinstance(exc, StarletteHTTPException)
    detail = str(exc.detail)
    if exc.status_code == 404:
        detail = f"no route {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    elif exc.status_code == 400 and "parsing the body" in detail:
        detail = "the request body could not be read (not UTF-8 JSON, or nested too deeply)"
    response = problem(exc.status_code, _TITLES.get(exc.status_code, "Request refused"), detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


_TITLES = {400: "Malformed request", 404: "Not found", 405: "Method not allowed", 413: "Request too large"}


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot hold (an integer beyond its column, a NUL in text): the
    client's fault, said as such rather than a 500."""
    return problem(
        422,
        "Invalid input",
        "a value is outside what can be stored (an integer too large, or a NUL character in text)",
    )


async def _too_deep(request: Request, exc: Exception) -> JSONResponse:
    return problem(400, "Malformed request", "the request body is nested too deeply")


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    """Anything else: a 500 problem that says nothing of the internals."""
    return problem(500, "Internal error", "the server failed to handle this request; it has been logged")


def _latest_event_id(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return events.latest_id(session)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    jobs: Jobs = Jobs.all,
) -> FastAPI:
    """Build the app for `settings`; a test passes its own settings, clock, engine or `jobs`."""
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        bound = engine or db.make_engine(settings)
        try:
            read_sessions = db.make_sessionmaker(bound, read_only=True)
            start = await anyio.to_thread.run_sync(_latest_event_id, read_sessions)
            context = AppContext(
                settings=settings,
                clock=clock,
                engine=bound,
                sessions=db.make_sessionmaker(bound),
                read_sessions=read_sessions,
                hub=Hub(
                    position=start,
                    queue_limit=settings.stream_client_queue,
                    keep_recent=settings.stream_recent_events,
                    layers=STREAM_LAYERS,
                ),
                router=Router(max_off_road_m=settings.route_max_off_road_m),
                bulk_lane=anyio.CapacityLimiter(1 if settings.is_sqlite else 4),
            )
            app.state.context = context
            async with AsyncExitStack() as stack:
                for job in background.schedule(
                    jobs,
                    sessions=context.sessions,
                    read_sessions=context.read_sessions,
                    clock=clock,
                    settings=settings,
                    hub=context.hub,
                    router=context.router,
                ):
                    await stack.enter_async_context(job)
                yield
        finally:
            if own_engine:
                bound.dispose()

    app = FastAPI(
        title="Command Post",
        version=__version__,
        summary="Emergency command and resource dispatch: teams, depots, hazard sources, alarms on one map.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(OverflowError, _unstorable)
    app.add_exception_handler(RecursionError, _too_deep)
    app.add_exception_handler(Exception, _server_error)
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Content-Type", "If-Match", "Idempotency-Key", "Authorization", "X-CSRF-Token"],
            expose_headers=["ETag", "Location"],
        )
    app.add_middleware(Hardening, max_body_bytes=settings.max_body_bytes)
    _serve_docs(app)
    app.include_router(health_router, dependencies=[Depends(refuse_unknown_query)])
    app.include_router(ogc_router)
    for router in api_routers():
        # Every API route refuses query parameters it does not take (a filter never silently ignored).
        app.include_router(router, prefix="/api/v1", dependencies=[Depends(refuse_unknown_query)])
    _serve_dashboard(app, settings)
    return app


def _serve_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the assets installed with the platform: it works with no internet."""
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


def _serve_dashboard(app: FastAPI, settings: Settings) -> None:
    """The built dashboard (frontend/dist) at `/`, when it has been built."""
    index = settings.frontend_dist / "index.html"
    if not index.exists():

        @app.get("/", include_in_schema=False)
        def no_dashboard() -> JSONResponse:
            return JSONResponse(
                {"api": "/api/v1", "docs": "/docs", "dashboard": "not built: run `make frontend`"}
            )

        return
    from fastapi.staticfiles import StaticFiles

    app.mount("/", StaticFiles(directory=settings.frontend_dist, html=True), name="dashboard")
