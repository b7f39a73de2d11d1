"""Every operation of the official SDKs has a route with its method and path (issue 13).

The surface is read from ``src/partner_center/http/bss/api_surface.json``, a byte-for-byte copy of
``../shared/spec/api-surface.json`` vendored so that a clean checkout can run this in CI (the wire
models are generated from it too, ``http/bss/sdk_models.py``); when the shared copy is reachable
the two must be identical.

``EXPECTED_ELSEWHERE`` names the operations other work in flight is building. It must stay true in
both directions: an operation listed there that already has a route fails too, so the list shrinks
as the work lands and is empty at the end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from partner_center.app import create_app
from partner_center.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "src" / "partner_center" / "http" / "bss" / "api_surface.json"
SHARED = ROOT.parent / "shared" / "spec" / "api-surface.json"

#: Operations without a route yet, each owned by work in flight: the integrator removes them as
#: they land. None left.
EXPECTED_ELSEWHERE: frozenset[str] = frozenset()


def surface() -> list[dict[str, Any]]:
    operations: list[dict[str, Any]] = json.loads(VENDORED.read_text())["operations"]
    return operations


def served(tmp_path: Path) -> set[tuple[str, str]]:
    """(METHOD, path template) of every route the application serves."""
    app = create_app(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'coverage.db'}",
            secret_key="test-secret-key-not-for-production",
            log_level="WARNING",
        )
    )
    document = app.openapi()
    return {
        (method.upper(), path) for path, methods in document["paths"].items() for method in methods
    }


def test_the_vendored_surface_is_the_shared_one() -> None:
    if SHARED.exists():
        assert VENDORED.read_bytes() == SHARED.read_bytes()
    operations = surface()
    assert len(operations) == len({o["operation"] for o in operations}) == 103


def test_every_sdk_operation_has_a_route(tmp_path: Path) -> None:
    routes = served(tmp_path)
    missing = sorted(
        f"{o['operation']}: {o['http_method']} {o['path']}"
        for o in surface()
        if (o["http_method"], o["path"]) not in routes and o["operation"] not in EXPECTED_ELSEWHERE
    )
    assert missing == []


def test_the_allow_list_names_only_real_operations_still_missing(tmp_path: Path) -> None:
    routes = served(tmp_path)
    by_name = {o["operation"]: o for o in surface()}
    unknown = sorted(EXPECTED_ELSEWHERE - by_name.keys())
    landed = sorted(
        name
        for name in EXPECTED_ELSEWHERE & by_name.keys()
        if (by_name[name]["http_method"], by_name[name]["path"]) in routes
    )
    assert unknown == []
    assert landed == [], "these have landed: remove them from EXPECTED_ELSEWHERE"
