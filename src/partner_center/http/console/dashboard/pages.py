"""The partner's Operations Dashboard: customer counts by association type and state, budget
use of its reseller-model customers, and the expenditure trend of their orders by month."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.customers.public import AssociationType, CustomerFilter
from partner_center.domains.orders.public import OrderFilter
from partner_center.http.auth import CallerKind
from partner_center.http.console.dashboard import charts
from partner_center.http.console.kit.i18n import translations
from partner_center.http.console.kit.page import Page, if_permitted, view
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
SAMPLE = 30
"""Budget use and frozen counts are shown for this many newest reseller-model customers: each
budget is read on its own (the budget engine's view), so the page stays within 300 ms at
10,000 customers (bench/console.py)."""


@view(pages, "/console/dashboard", kind=CallerKind.ANY_PARTNER)
async def dashboard(page: Page) -> Response:
    _ = translations(page.language).gettext
    customers = page.services.customers
    counts = {}
    for association in AssociationType:
        _rows, counts[association] = await customers.list_sub_customers(
            page.actor, CustomerFilter(association_type=association), page_window(0, 1)
        )
    rows, _count = await customers.list_sub_customers(
        page.actor,
        CustomerFilter(association_type=AssociationType.RESELLER),
        page_window(0, SAMPLE),
    )
    budgets = []
    if rows:
        budgets = (
            await if_permitted(
                page.services.budgets.list_budgets(page.actor, [r.customer_id for r in rows])
            )
            or []
        )
    names = {r.customer_id: r.account_name for r in rows}
    top = sorted((b for b in budgets if b.is_set), key=lambda b: b.used_amount, reverse=True)[:10]
    frozen = sum(1 for r in rows if r.is_frozen)
    listed = await if_permitted(
        page.services.orders.list_orders(
            page.caller, page.actor, OrderFilter(), page_window(0, 100)
        )
    )
    orders = listed[0] if listed else []
    by_month: dict[str, Decimal] = defaultdict(Decimal)
    for order in orders:
        if order.paid_at is not None:
            by_month[order.paid_at.strftime("%Y-%m")] += order.amount_after_discount
    months = sorted(by_month)
    return page.render(
        "dashboard/dashboard.html",
        counts=counts,
        total=sum(counts.values()),
        frozen=frozen,
        sample=SAMPLE,
        top=[(names.get(b.customer_id, b.customer_id), b) for b in top],
        months=[(m, by_month[m]) for m in months],
        customer_chart=charts.pie(
            [
                (_("Reseller model"), counts[AssociationType.RESELLER]),
                (_("Referral model"), counts[AssociationType.REFERRAL]),
            ],
        ),
        budget_chart=charts.bars(
            [names.get(b.customer_id, b.customer_id) for b in top],
            [
                (_("Budget"), [b.budget_amount for b in top]),
                (_("Used"), [b.used_amount for b in top]),
            ],
        ),
        trend_chart=charts.line(
            months,
            [(_("Expenditure"), [by_month[m] for m in months])],
        ),
    )
