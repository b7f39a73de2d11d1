"""The customer's own console: its partner and budget, its orders (pay), and the partner's
authorization requests to approve, reject or revoke."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.orders.public import OrderFilter, OrderStatus, Payment
from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.page import Page, action, view
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
CUSTOMER = CallerKind.CUSTOMER


@view(pages, "/console/my", kind=CUSTOMER)
async def my_partner(page: Page) -> Response:
    customer_id = page.caller.account_id
    association = await page.services.customer_associations.current(customer_id)
    partner = None
    budget = None
    if association is not None and association.association_status.value == "ASSOCIATED":
        partner = await page.services.identity.get_account(association.partner_id)
        if await page.services.budgets.applies_to(customer_id):
            budget = await page.services.budgets.budget_of(customer_id)
    return page.render(
        "mine/partner.html", association=association, partner_account=partner, budget=budget
    )


@view(pages, "/console/my/orders", kind=CUSTOMER)
async def my_orders(page: Page) -> Response:
    offset = page.int_query("offset", 0)
    orders, total = await page.services.orders.list_orders(
        page.caller, None, OrderFilter(), page_window(offset, 20)
    )
    return page.render(
        "mine/orders.html",
        orders=orders,
        total=total,
        offset=offset,
        limit=20,
        pending=OrderStatus.PENDING_PAYMENT,
    )


@action(pages, "/console/my/orders/pay", kind=CUSTOMER, form=my_orders, fields=("order_id",))
async def pay_order(page: Page) -> Response:
    await page.services.orders.pay(
        page.caller.account_id,
        Payment(order_id=page.field("order_id"), use_discount=page.field("use_discount") == "1"),
    )
    return page.redirect("/console/my/orders", notice="paid")


@view(pages, "/console/my/requests", kind=CUSTOMER)
async def my_requests(page: Page) -> Response:
    offset = page.int_query("offset", 0)
    rows, total = await page.services.authorizations.list_for_customer(
        page.caller, page_window(offset, 20)
    )
    return page.render("mine/requests.html", rows=rows, total=total, offset=offset, limit=20)


@action(
    pages,
    "/console/my/requests/decide",
    kind=CUSTOMER,
    form=my_requests,
    fields=("authorization_id",),
)
async def decide(page: Page) -> Response:
    authorization_id = page.field("authorization_id")
    decision = page.field("decision")
    authorizations = page.services.authorizations
    if decision == "approve":
        await authorizations.approve(page.caller, authorization_id)
        notice = "approved"
    elif decision == "revoke":
        await authorizations.revoke(page.caller, authorization_id)
        notice = "revoked"
    else:
        await authorizations.reject(page.caller, authorization_id)
        notice = "rejected"
    return page.redirect("/console/my/requests", notice=notice)
