"""Domains import each other only through ``public.py`` (import-linter checks the layers)."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAINS = Path(__file__).resolve().parents[2] / "src" / "partner_center" / "domains"


def test_cross_domain_imports_go_through_public() -> None:
    offenders = []
    for path in DOMAINS.rglob("*.py"):
        rel = path.relative_to(DOMAINS)
        if len(rel.parts) < 2:
            continue  # domains/__init__.py, all_models.py
        own = rel.parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if parts[:2] == ["partner_center", "domains"] and len(parts) >= 3:
                    other = parts[2]
                    if other != own and parts[3:] != ["public"]:
                        offenders.append(f"{rel}: {node.module}")
    assert offenders == []
