"""What Customer Management and the Resellers' Customers tab share (``customers/batch.html`` on
the templates' side): the selected customers, the budget fields, Freeze / Unfreeze, and the
answer to a batch: the list again with the customers it did not change, or back to the list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from starlette.responses import Response

from partner_center.domains.budgets.public import BatchOutcome, BudgetType, BudgetView
from partner_center.domains.customers.public import FreezeType
from partner_center.http.console.kit.forms import decimal_field
from partner_center.http.console.kit.page import Page
from partner_center.kernel.errors import invalid_parameter

Failures = list[tuple[str, str, str]]
"""The customers a batch did not change: (customer id, error code, message)."""
ListPage = Callable[[Page, Failures], Awaitable[Response]]
"""Renders the list again, the batch's failures shown above it."""


def selected(page: Page) -> list[str]:
    """The customers ticked in the list (``customer_ids``)."""
    return page.fields("customer_ids")


def context(page: Page, failures: Failures | None) -> dict[str, Any]:
    """What the list template needs to show the batch again: the selection and its failures."""
    return {"selected": set(selected(page)), "failures": failures or []}


def budgets_by_customer(views: Sequence[BudgetView] | None) -> dict[str, BudgetView]:
    return {v.customer_id: v for v in views or []}


def budget_amount(page: Page) -> Decimal:
    return decimal_field(page.field("budget_amount"), "budget_amount")


def budget_type(page: Page) -> BudgetType:
    text = page.field("budget_type", "MONTHLY")
    if text not in BudgetType.__members__:
        raise invalid_parameter("budget_type", "Choose monthly or one-time.")
    return BudgetType(text)


def budget_failures(outcome: BatchOutcome) -> Failures:
    return [(f.id, f.error_code, f.error_msg) for f in outcome.failed]


async def freeze_selected(
    page: Page, *, freeze: bool, freeze_type: FreezeType, indirect_partner_id: str | None = None
) -> Failures:
    """Freeze or unfreeze the selected customers (at most 10; the service says so), for the
    reseller ``indirect_partner_id`` when a distributor acts for one."""
    freezing = page.services.freezing
    if freeze:
        change = partial(freezing.freeze_customers, freeze_type=freeze_type)
    else:
        change = partial(freezing.unfreeze_customers, unfreeze_type=freeze_type)
    failures = await change(
        page.actor,
        selected(page),
        reason=page.field("reason"),
        indirect_partner_id=indirect_partner_id,
    )
    return [(f.customer_id, f.error_code, f.error_msg) for f in failures]


async def answer(
    page: Page, failures: Failures, *, again: ListPage, back: str, notice: str
) -> Response:
    """The list again with the customers the batch did not change, or (all changed) back to
    the list with ``notice``."""
    if failures:
        return await again(page, failures)
    return page.redirect(back, notice=notice)
