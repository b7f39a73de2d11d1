"""One object graph: services are built only by the container (``partner_center/services.py``),
and the jobs are registered in their declared order."""

from __future__ import annotations

import ast
from pathlib import Path

from partner_center.domains.billing.public import BILL_RUN, CHECK_CREDIT
from partner_center.domains.budgets.public import RESTORE_MONTHLY_BUDGETS
from partner_center.domains.invoices.public import ISSUE_INVOICES
from partner_center.domains.usage.public import ENFORCE_ARREARS, RATE_HOURLY, TAKE_OVER_HANDOFFS
from partner_center.worker.registry import build_registry
from tests.wiring import wiring_for

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "partner_center"
CONTAINER = PACKAGE / "services.py"


def _modules() -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text())
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
    }


def _init_params(node: ast.ClassDef) -> list[ast.arg] | None:
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            args = item.args
            return [*args.posonlyargs, *args.args[1:], *args.kwonlyargs]
    return None


def _exported(modules: dict[Path, ast.Module]) -> set[str]:
    """Every name a domain's ``public.py`` exports."""
    names: set[str] = set()
    for path, module in modules.items():
        if path.name == "public.py" and "domains" in path.parts:
            for node in ast.walk(module):
                if isinstance(node, ast.ImportFrom):
                    names.update(alias.asname or alias.name for alias in node.names)
    return names


def service_classes(modules: dict[Path, ast.Module]) -> set[str]:
    """The services of the domains: classes bound to a unit of work (their ``__init__`` takes
    the session or another service, or they inherit such an ``__init__``) that a domain
    exports through its ``public.py``. A domain's private helpers (a repository inside its own
    service) are its business."""
    classes = {
        node.name: node
        for path, module in modules.items()
        if "domains" in path.parts
        for node in ast.walk(module)
        if isinstance(node, ast.ClassDef)
    }
    bound: set[str] = set()
    while True:
        grown = set(bound)
        for name, node in classes.items():
            params = _init_params(node)
            if params is None:
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                if bases & bound:
                    grown.add(name)
                continue
            for param in params:
                annotation = ast.unparse(param.annotation) if param.annotation else ""
                if param.arg == "session" or any(
                    part.strip() in bound for part in annotation.replace("|", ",").split(",")
                ):
                    grown.add(name)
                    break
        if grown == bound:
            return bound & _exported(modules)
        bound = grown


def constructions(modules: dict[Path, ast.Module], classes: set[str]) -> list[str]:
    """Every place outside the container that calls a service class."""
    places = []
    for path, module in modules.items():
        if path == CONTAINER:
            continue
        for node in ast.walk(module):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else None
            )
            if name in classes:
                places.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
    return places


def test_the_domains_have_service_classes() -> None:
    classes = service_classes(_modules())
    for name in ("BudgetService", "OrderService", "CustomerControl", "LedgerService"):
        assert name in classes


def test_no_service_is_constructed_outside_the_container() -> None:
    modules = _modules()
    places = constructions(modules, service_classes(modules))
    assert places == []


def test_periodic_jobs_at_the_same_instant_run_in_the_declared_order() -> None:
    periodic = list(build_registry(wiring_for()).periodic_jobs)
    assert periodic == [
        RESTORE_MONTHLY_BUDGETS,
        TAKE_OVER_HANDOFFS,
        ENFORCE_ARREARS,
        RATE_HOURLY,
        BILL_RUN,
        CHECK_CREDIT,
        ISSUE_INVOICES,
    ]
