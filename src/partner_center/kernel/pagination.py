"""Offset/limit pagination with the reference limits (api-semantics.md §1.5), and the one way a
list query counts its matches and reads one page of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from partner_center.kernel.errors import invalid_parameter

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
#: What a page may be ordered by: a column, or an expression such as ``column.desc()``.
Order = ColumnElement[Any] | InstrumentedAttribute[Any]


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


async def count(session: AsyncSession, query: Select[*tuple[Any, ...]]) -> int:
    """How many rows ``query`` matches."""
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    return int(total or 0)


def _known_total(window: Page, found: int) -> int | None:
    """The total a page already proves: a page that is not full is the last one, so the
    matches are the rows before it plus its own. None when a count is needed (a full page, or
    an empty page past the first)."""
    if found >= window.limit or (found == 0 and window.offset > 0):
        return None
    return window.offset + found


async def paginate(
    session: AsyncSession, query: Select[T], window: Page, *order_by: Order
) -> tuple[list[T], int]:
    """One page of a single-entity (or single-column) ``query`` in ``order_by`` order, and how
    many rows match in all. ``order_by`` must end with a unique column so pages never overlap.

    The page is read first; the tenant's matches are counted only when the page does not
    already prove the total (it is full, or empty past the first): a short page or the only
    page costs one statement."""
    rows = list(
        (
            await session.scalars(
                query.order_by(*order_by).offset(window.offset).limit(window.limit)
            )
        ).all()
    )
    total = _known_total(window, len(rows))
    return rows, total if total is not None else await count(session, query)


async def paginate_rows(
    session: AsyncSession, query: Select[*Ts], window: Page, *order_by: Order
) -> tuple[list[Row[*Ts]], int]:
    """``paginate`` for a query of several columns: the rows as tuples."""
    result = await session.execute(
        query.order_by(*order_by).offset(window.offset).limit(window.limit)
    )
    rows = list(result.all())
    total = _known_total(window, len(rows))
    return rows, total if total is not None else await count(session, query)
