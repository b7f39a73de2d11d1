"""Consistency checks that keep the codebase saying one thing one way."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "partner_center"
PAGINATION = PACKAGE / "kernel" / "pagination.py"


def _calls(attribute: str) -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == attribute
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_every_list_query_pages_through_kernel_pagination() -> None:
    """Count + order + offset/limit is written once, in ``kernel.pagination.paginate``."""
    assert [p for p in _calls("offset") if not p.startswith("kernel/pagination.py")] == []
