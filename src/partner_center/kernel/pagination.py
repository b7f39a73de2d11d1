"""Offset/limit pagination with the reference limits (api-semantics.md §1.5)."""

from __future__ import annotations

from dataclasses import dataclass

from partner_center.kernel.errors import invalid_parameter


@dataclass(frozen=True, slots=True)
class Page:
    offset: int
    limit: int


def page(
    offset: int | None,
    limit: int | None,
    *,
    default_limit: int = 10,
    max_limit: int = 100,
    max_offset: int = 2_147_483_647,
) -> Page:
    """Validate ``offset`` (0-based row offset) and ``limit``; absent values take the defaults."""
    resolved_offset = 0 if offset is None else offset
    resolved_limit = default_limit if limit is None else limit
    if resolved_offset < 0 or resolved_offset > max_offset:
        raise invalid_parameter("offset", f"Must be between 0 and {max_offset}.")
    if resolved_limit < 1 or resolved_limit > max_limit:
        raise invalid_parameter("limit", f"Must be between 1 and {max_limit}.")
    return Page(resolved_offset, resolved_limit)
