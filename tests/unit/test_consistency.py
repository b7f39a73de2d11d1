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


DOMAINS = PACKAGE / "domains"


def test_every_domain_has_an_error_code_enum() -> None:
    missing = []
    for domain in sorted(p for p in DOMAINS.iterdir() if (p / "public.py").exists()):
        errors = domain / "errors.py"
        tree = ast.parse(errors.read_text()) if errors.exists() else ast.Module(body=[])
        enums = [
            node.name
            for node in tree.body
            if isinstance(node, ast.ClassDef)
            and node.name.endswith("ErrorCode")
            and any(ast.unparse(base).endswith("StrEnum") for base in node.bases)
        ]
        if not enums:
            missing.append(domain.name)
    assert missing == []


def test_domains_raise_codes_from_their_enums_not_literals() -> None:
    literal = []
    for path in sorted(DOMAINS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "DomainError"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                literal.append(f"{path.relative_to(DOMAINS)}:{node.lineno} {node.args[0].value}")
    assert literal == []
