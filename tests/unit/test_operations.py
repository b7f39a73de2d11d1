"""One way to write an endpoint, kept true: every route is an ``@operation`` whose handler holds
no nested handler, routers never import each other (the import-linter contract names every
router), and every extension operation is described in ``/openapi.json``."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute

import partner_center.http
from partner_center.app import create_app
from partner_center.http.auth import CallerKind
from partner_center.http.operations import (
    OPERATOR_PREFIX,
    Operation,
    OperationContext,
    operation,
)
from partner_center.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
HTTP = ROOT / "src" / "partner_center" / "http"
#: Where routes are written: the reference areas, our extensions, IAM, the system routes.
ROUTE_FILES = sorted(
    {
        path
        for folder in ("bss", "ext", "iam")
        for path in [*(HTTP / folder).rglob("*.py"), HTTP / "system.py"]
    }
)
_VERBS = {"get", "post", "put", "delete", "patch", "api_route", "add_api_route"}


def nested_functions(tree: ast.Module) -> list[str]:
    """``outer.inner`` for every function defined inside another function."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if inner is not node and isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                    found.append(f"{node.name}.{inner.name}")
    return found


def hand_registered_routes(tree: ast.Module) -> list[str]:
    """``router.get(...)``-style registrations, which bypass ``@operation``."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _VERBS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "router"
        ):
            found.append(f"line {node.lineno}: router.{node.func.attr}")
    return found


def test_no_route_function_contains_a_nested_handler() -> None:
    offenders = {
        str(path.relative_to(HTTP)): nested
        for path in ROUTE_FILES
        if (nested := nested_functions(ast.parse(path.read_text())))
    }
    assert offenders == {}


def test_routes_are_registered_only_by_operation() -> None:
    offenders = {
        str(path.relative_to(HTTP)): calls
        for path in ROUTE_FILES
        if (calls := hand_registered_routes(ast.parse(path.read_text())))
    }
    assert offenders == {}


def _app(tmp_path: Path) -> Any:
    return create_app(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'routes.db'}",
            secret_key="test-secret-key-not-for-production",
            log_level="WARNING",
        )
    )


def test_every_operation_runs_through_run_operation(tmp_path: Path) -> None:
    routes = [
        route
        for name in sorted(router_modules())
        for route in importlib.import_module(name).router.routes
        if isinstance(route, APIRoute)
    ]
    assert [
        r.path for r in routes if r.endpoint.__module__ != "partner_center.http.operations"
    ] == []
    names = [r.operation_id for r in routes]
    assert len(names) == len(set(names)), "an operation's name is its throttling key: unique"
    document = _app(tmp_path).openapi()
    served = {
        op["operationId"] for methods in document["paths"].values() for op in methods.values()
    }
    assert served == set(names)


def router_modules() -> set[str]:
    """Every module under ``partner_center.http`` that defines a ``router``."""
    out = set()
    for info in pkgutil.walk_packages(partner_center.http.__path__, "partner_center.http."):
        module = importlib.import_module(info.name)
        router = vars(module).get("router")
        if isinstance(router, APIRouter):
            out.add(info.name)
    return out


def test_the_router_contract_names_every_router() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (peers,) = [c for c in contracts if c["name"] == "Routers never import each other"]
    assert peers["type"] == "independence"
    assert set(peers["modules"]) == router_modules()


def test_every_extension_operation_is_described(tmp_path: Path) -> None:
    document = _app(tmp_path).openapi()
    undescribed = [
        operation["operationId"]
        for path, methods in document["paths"].items()
        for operation in methods.values()
        if (path.startswith("/v1/") or path == "/health")
        and not operation.get("description", "").strip()
    ]
    assert undescribed == []


@pytest.mark.parametrize(
    ("source", "nested"),
    [
        ("async def route(request):\n    async def handle(ctx, body):\n        pass\n", True),
        ("async def show(ctx, query):\n    return [x for x in query]\n", False),
    ],
)
def test_the_nested_handler_check_sees_closures(source: str, nested: bool) -> None:
    assert bool(nested_functions(ast.parse(source))) is nested


async def _handler(ctx: OperationContext) -> None:
    """A handler to declare (never run)"""


async def _show_thing(ctx: OperationContext, thing_id: str) -> None:
    """A handler of a path with a segment (never run)"""


def _declared(router: APIRouter) -> Operation:
    (route,) = [r for r in router.routes if isinstance(r, APIRoute)]
    op = inspect.getclosurevars(route.endpoint).nonlocals["op"]
    assert isinstance(op, Operation)
    return op


@pytest.mark.parametrize(
    ("prefix", "path"),
    [("/v1/partner-center", "/operator/things"), ("", OPERATOR_PREFIX + "things/{thing_id}")],
)
def test_a_path_under_the_operator_prefix_makes_the_operation_operator_only(
    prefix: str, path: str
) -> None:
    router = APIRouter(prefix=prefix)
    handler = _show_thing if "{thing_id}" in path else _handler
    operation(router, "GET", path)(handler)
    assert _declared(router).kind is CallerKind.OPERATOR


@pytest.mark.parametrize("kind", sorted(set(CallerKind) - {CallerKind.OPERATOR}, key=str))
def test_a_path_under_the_operator_prefix_refuses_another_kind(kind: CallerKind) -> None:
    router = APIRouter(prefix="/v1/partner-center")
    with pytest.raises(TypeError, match="operator"):
        operation(router, "GET", "/operator/things", kind=kind)(_handler)
    assert router.routes == []


def test_elsewhere_the_operation_says_who_may_call_it() -> None:
    router = APIRouter(prefix="/v1/partner-center")
    with pytest.raises(TypeError, match="kind="):
        operation(router, "GET", "/operators-things")(_handler)
    operation(router, "GET", "/things", kind=CallerKind.OPERATOR)(_handler)
    assert _declared(router).kind is CallerKind.OPERATOR


def test_operator_only_operations_outside_the_prefix_are_the_known_ones() -> None:
    """Paths clients already use (the coupon-quota grants, usage records) and the sandbox
    clock: any other operator-only operation belongs under ``OPERATOR_PREFIX``."""
    outside = {
        route.operation_id
        for name in router_modules()
        for route in importlib.import_module(name).router.routes
        if isinstance(route, APIRoute)
        and _declared_kind(route) is CallerKind.OPERATOR
        and not route.path.startswith(OPERATOR_PREFIX)
    }
    assert outside == {
        "grant_coupon_quota",
        "set_coupon_quota_status",
        "list_coupon_quotas_operator",
        "issue_partner_cash_coupon",
        "ingest_usage_records",
        "sandbox_move_clock",
    }


def _declared_kind(route: APIRoute) -> CallerKind:
    op = inspect.getclosurevars(route.endpoint).nonlocals["op"]
    assert isinstance(op, Operation)
    return op.kind
