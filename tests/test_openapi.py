"""The OpenAPI document describes every reply: each operation's success response has a schema
(the replies themselves are checked against it by the `client` fixture, see openapi_support),
and the dashboard's API types are generated from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi import Response

from commandpost.app import create_app
from commandpost.config import Settings

REPO = Path(__file__).resolve().parents[1]
FRONTEND = REPO / "frontend"


def _describes(schema: dict[str, Any]) -> bool:
    """A schema that says what comes back (a title alone, or `{}`, says nothing)."""
    return bool({"$ref", "type", "anyOf", "oneOf", "allOf"} & set(schema))


def _undescribed(spec: dict[str, Any]) -> list[str]:
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2") or status == "204":
                    continue
                content = response.get("content") or {}
                if not any(_describes(media.get("schema") or {}) for media in content.values()):
                    missing.append(f"{method.upper()} {path} → {status}")
    return missing


def test_every_operation_describes_what_it_replies(settings: Settings) -> None:
    spec = create_app(settings).openapi()
    assert len(spec["paths"]) > 50
    assert _undescribed(spec) == []


def test_a_route_without_a_response_model_is_caught(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/api/v1/prebuilt")
    def prebuilt() -> Response:
        return Response(b"{}", media_type="application/json")

    @app.post("/api/v1/anything", status_code=201)
    def anything() -> Any:
        return {}

    assert _undescribed(app.openapi()) == ["GET /api/v1/prebuilt → 200", "POST /api/v1/anything → 201"]


def test_layers_are_geojson_feature_collections_with_counts(settings: Settings) -> None:
    spec = create_app(settings).openapi()
    schemas = spec["components"]["schemas"]
    reply = spec["paths"]["/api/v1/teams"]["get"]["responses"]["200"]["content"]["application/geo+json"]
    layer = schemas[reply["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"type", "features", "numberMatched", "numberReturned", "links"} <= set(layer["required"])
    feature = schemas[layer["properties"]["features"]["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(feature["required"]) >= {"type", "geometry", "properties"}


def test_the_dashboards_api_types_are_generated_from_this_document() -> None:
    """frontend/src/api-types.ts is what openapi-typescript makes of the current document."""
    cli = FRONTEND / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
    node = shutil.which("node")
    # `make test` installs the dashboard's packages first; without them the check cannot be made.
    assert node is not None and cli.exists(), "the dashboard's packages are not installed: `make frontend`"
    document = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "export_openapi.py")],
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "backend")},
    ).stdout
    checked = subprocess.run(
        [node, str(cli), "--output", "src/api-types.ts", "--check"],
        input=document,
        cwd=FRONTEND,
        capture_output=True,
        timeout=120,
    )
    assert checked.returncode == 0, (
        "frontend/src/api-types.ts is behind the API: run `npm run api-types` in frontend/\n"
        + checked.stderr.decode()
    )
