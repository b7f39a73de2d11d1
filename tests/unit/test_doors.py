"""Doors hand out views: a domain's ``public.py`` exports services, views and enums, never a
mapped (ORM) class, and only the customers domain touches the ``customers`` table."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

from partner_center.domains.customers.models import Customer
from partner_center.kernel.db import Base

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "partner_center"
DOMAINS = PACKAGE / "domains"
CUSTOMERS = DOMAINS / "customers"


def test_no_public_module_exports_a_mapped_class() -> None:
    exported = []
    for public in sorted(DOMAINS.glob("*/public.py")):
        module = importlib.import_module(f"partner_center.domains.{public.parent.name}.public")
        for name in getattr(module, "__all__", dir(module)):
            value = getattr(module, name)
            if inspect.isclass(value) and issubclass(value, Base):
                exported.append(f"{public.parent.name}.{name}")
    assert exported == []


def _customer_table_names() -> set[str]:
    """The mapped classes stored in the ``customers`` table."""
    return {
        mapper.class_.__name__
        for mapper in Base.registry.mappers
        if mapper.local_table is Customer.__table__
    }


#: SQL that names the table, or a column reference ``customers.<column>`` (a foreign key).
_SQL = re.compile(r"(?is)\b(?:select|insert|update|delete)\b.*\bcustomers\b|^customers\.\w+$")
#: Calls that take a table name.
_TABLE_CALLS = {"table", "Table", "ForeignKey", "text", "literal_column"}


def _names_the_table(node: ast.Constant, parent: ast.AST | None) -> bool:
    if not isinstance(node.value, str):
        return False
    if _SQL.search(node.value):
        return True
    if node.value != Customer.__tablename__:
        return False
    if isinstance(parent, ast.Subscript):  # metadata.tables["customers"]
        return True
    if isinstance(parent, ast.Call):
        func = parent.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        return name in _TABLE_CALLS
    return False


def test_only_the_customers_domain_touches_the_customers_table() -> None:
    classes = _customer_table_names()
    assert classes == {"Customer"}
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if CUSTOMERS in path.parents or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            where = f"{path.relative_to(PACKAGE)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "partner_center.domains.customers"
            ):
                offenders += [f"{where} imports {a.name}" for a in node.names if a.name in classes]
            elif isinstance(node, ast.Constant) and _names_the_table(node, parents.get(node)):
                offenders.append(f"{where} names the table: {node.value!r}")
    assert offenders == []
