"""What a hostile client meets before any route: a body cap, security headers, and a 4xx for every
malformed request — all as RFC 9457 problems, like the app's own errors."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The dashboard loads only its own scripts (no inline script), may not be framed, and MapLibre
# draws with workers and images it builds from blobs.
DASHBOARD_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; worker-src 'self' blob:; child-src blob:; connect-src 'self'; "
    "font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI's page starts itself with an inline script; it still may not be framed.
DOCS_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"


def problem_bytes(status: int, title: str, detail: str, **extra: Any) -> bytes:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return orjson.dumps(body)


class _TooLarge(Exception):
    pass


class Hardening:
    """Pure ASGI middleware: refuses bodies over `max_body_bytes` before reading them (413), by the
    declared length or, for a streamed body, as soon as the count passes the cap; adds security
    headers to every response and drops the server's name."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await self._refuse(send)
            return
        started = False
        seen = 0
        too_large = False

        async def counted_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def headed_send(message: Message) -> None:
            nonlocal started
            if too_large:
                # Whatever the app made of the cut-off body (a parse error), the answer is 413.
                if not started:
                    started = True
                    await self._refuse(send)
                return
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                if "server" in headers:
                    del headers["server"]
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("referrer-policy", "no-referrer")
                docs = path.startswith(("/docs", "/redoc"))
                headers.setdefault("content-security-policy", DOCS_CSP if docs else DASHBOARD_CSP)
                headers.setdefault("x-frame-options", "DENY")
            await send(message)

        try:
            await self.app(scope, counted_receive, headed_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = problem_bytes(
            413,
            "Request too large",
            f"the request body is larger than {self.max_body_bytes} bytes; send smaller batches",
            limit=self.max_body_bytes,
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
