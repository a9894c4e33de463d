"""The OpenAPI document describes every reply: each operation's success response has a schema
(the replies themselves are checked against it by the `client` fixture, see openapi_support)."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from commandpost.app import create_app
from commandpost.config import Settings


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
    reply = spec["paths"]["/api/v1/teams"]["get"]["responses"]["200"]["content"]["application/json"]
    layer = schemas[reply["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"type", "features", "numberMatched", "numberReturned", "links"} <= set(layer["required"])
    feature = schemas[layer["properties"]["features"]["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(feature["required"]) >= {"type", "geometry", "properties"}
