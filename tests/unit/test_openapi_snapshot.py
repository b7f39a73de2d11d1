"""The API's shape does not drift by accident: /openapi.json, descriptions and summaries aside,
equals the snapshot in ``tests/snapshots/openapi.json`` (paths, methods, operation ids,
parameters, request and response schemas, components).

A deliberate change to the API's shape updates the snapshot in the same commit:
``UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/pytest tests/unit/test_openapi_snapshot.py``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

from partner_center.app import create_app
from partner_center.settings import Settings

SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "openapi.json"

#: Prose, free to change without changing the API's shape.
_PROSE = frozenset({"description", "summary"})


def normalise(node: Any, *, field_names: bool = False) -> Any:
    """Drop prose keys everywhere except where a key is a field name (``properties`` of a
    schema), where ``description`` or ``summary`` may be a wire field."""
    if isinstance(node, dict):
        return {
            key: normalise(value, field_names=key == "properties" and not field_names)
            for key, value in sorted(node.items())
            if field_names or key not in _PROSE
        }
    if isinstance(node, list):
        return [normalise(item) for item in node]
    return node


async def live_document(tmp_path: Path) -> dict[str, Any]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'openapi.db'}",
        secret_key="test-secret-key-not-for-production",
        log_level="WARNING",
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://openapi") as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_openapi_document_matches_the_snapshot(tmp_path: Path) -> None:
    live = normalise(await live_document(tmp_path))
    if os.environ.get("UPDATE_OPENAPI_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(live, indent=1, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    for path in sorted(set(expected["paths"]) | set(live["paths"])):
        assert live["paths"].get(path) == expected["paths"].get(path), path
    for name in sorted(set(expected["components"]["schemas"]) | set(live["components"]["schemas"])):
        assert live["components"]["schemas"].get(name) == expected["components"]["schemas"].get(
            name
        ), name
    assert live == expected


def test_normalise_keeps_fields_named_like_prose() -> None:
    schema = {
        "description": "prose",
        "properties": {"description": {"type": "string", "description": "prose"}},
    }
    assert normalise(schema) == {"properties": {"description": {"type": "string"}}}
