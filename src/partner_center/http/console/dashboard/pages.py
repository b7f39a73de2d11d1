"""The partner's Operations Dashboard, every figure computed by the database whatever the
number of customers: customers by association type, state and account manager; budget use of
all customers with a budget (threshold counts and the ten using the most); overdue bills at a
glance; the spend on the last twelve cycles' bills by cloud service and billing mode; and the
expenditure trend of paid orders by month. Each chart comes with its numbers as a table."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.billing.public import LineKind, previous_cycle
from partner_center.domains.customers.public import AssociationType
from partner_center.domains.orders.public import OrderFilter
from partner_center.http.auth import CallerKind
from partner_center.http.console.dashboard import charts
from partner_center.http.console.kit.i18n import translations
from partner_center.http.console.kit.page import Page, if_permitted, view
from partner_center.http.console.kit.products import product_names
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
TOP = 10
CYCLES = 12
"""The spend distributions cover the bills of this many cycles, the latest closed one last."""


@view(pages, "/console/dashboard", kind=CallerKind.ANY_PARTNER)
async def dashboard(page: Page) -> Response:
    _ = translations(page.language).gettext
    services = page.services
    spread = await if_permitted(services.customers.distribution(page.actor))
    counts = spread.by_association_type if spread else {}
    budgets = await if_permitted(services.budgets.usage_summary(page.actor))
    top = budgets.top if budgets else []
    names = {
        k: v.name for k, v in (await services.identity.accounts({c for c, _b, _u in top})).items()
    }
    partner_id = page.actor.partner_id
    overdue = await services.billing.overdue_summary(partner_id)
    last = services.billing.runner.cycle_to_bill(services.clock.now())
    first = last
    for _step in range(CYCLES - 1):
        first = previous_cycle(first)
    spend = await services.billing.expenditure_distribution(partner_id, first=first, last=last)
    kind_names = {
        LineKind.ORDER: _("Yearly/monthly"),
        LineKind.USAGE: _("Pay-per-use"),
        LineKind.REFUND: _("Refunds"),
        LineKind.ADJUSTMENT: _("Adjustments"),
    }
    by_kind = [(kind_names[k], amount) for k, amount in spend.by_kind]
    products = await product_names(page, services={code for code, _a in spend.by_service})
    by_service = [(products.service(code), amount) for code, amount in spend.by_service]
    managers = (
        [(name or _("No account manager"), n) for name, n in spread.by_account_manager]
        if spread
        else []
    )
    listed = await if_permitted(
        services.orders.list_orders(page.caller, page.actor, OrderFilter(), page_window(0, 100))
    )
    by_month: dict[str, Decimal] = defaultdict(Decimal)
    for order in listed[0] if listed else []:
        if order.paid_at is not None:
            by_month[order.paid_at.strftime("%Y-%m")] += order.amount_after_discount
    months = sorted(by_month)
    association = [
        (_("Reseller model"), counts.get(AssociationType.RESELLER, 0)),
        (_("Referral model"), counts.get(AssociationType.REFERRAL, 0)),
    ]
    return page.render(
        "dashboard/dashboard.html",
        spread=spread,
        counts=counts,
        total=sum(counts.values()),
        budgets=budgets,
        top=[(names.get(c, c), amount, used) for c, amount, used in top],
        overdue=overdue,
        spend=spend,
        by_kind=by_kind,
        by_service=by_service,
        managers=managers,
        months=[(m, by_month[m]) for m in months],
        customer_chart=charts.pie(association),
        manager_chart=charts.pie(managers[:TOP]),
        service_chart=charts.pie([(name, a) for name, a in by_service[:TOP] if a > 0]),
        kind_chart=charts.pie([(label, a) for label, a in by_kind if a > 0]),
        budget_chart=charts.bars(
            [names.get(c, c) for c, _a, _u in top],
            [
                (_("Budget"), [amount for _c, amount, _u in top]),
                (_("Used"), [used for _c, _a, used in top]),
            ],
        ),
        trend_chart=charts.line(months, [(_("Expenditure"), [by_month[m] for m in months])]),
    )
