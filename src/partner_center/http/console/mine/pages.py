"""The customer's own console: its partner and budget, its orders (pay), and the partner's
authorization requests to approve, reject or revoke."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.coupons.public import CouponFilter
from partner_center.domains.orders.public import OrderFilter, OrderStatus, Payment
from partner_center.domains.resources.public import ExpirePolicy, ResourceFilter, ResourceStatus
from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.page import Page, action, view
from partner_center.kernel.errors import DomainError
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
    resources, _shown = await page.services.resources.list_for_customer(
        page.caller.account_id, ResourceFilter(only_main=True), page_window(0, 50)
    )
    return page.render(
        "mine/orders.html",
        orders=orders,
        total=total,
        offset=offset,
        limit=20,
        pending=OrderStatus.PENDING_PAYMENT,
        resources=[r for r in resources if r.status != ResourceStatus.CLOSED],
        auto_renew=ExpirePolicy.AUTO_RENEW,
    )


@action(pages, "/console/my/resources", kind=CUSTOMER, form=my_orders, fields="resource_id")
async def change_resource(page: Page) -> Response:
    """Renew one month (a renewal order to pay), unsubscribe, or turn auto-renew on or off."""
    customer_id = page.caller.account_id
    resource_id = page.field("resource_id")
    subscriptions = page.services.subscriptions
    by = page.caller.member_name or page.caller.account_name
    change = page.field("change")
    failures = []
    if change == "renew":
        result = await subscriptions.renew(
            customer_id, [resource_id], period_type=2, period_num=1, auto_pay=False, created_by=by
        )
        failures = result.failures
    elif change == "unsubscribe":
        result = await subscriptions.unsubscribe(
            customer_id, [resource_id], unsubscribe_type=1, created_by=by
        )
        failures = result.failures
    elif change == "auto_renew_on":
        await subscriptions.enable_auto_renew(
            customer_id, resource_id, times=None, period_type=None
        )
    else:
        await subscriptions.disable_auto_renew(customer_id, resource_id)
    if failures:
        first = failures[0]
        raise DomainError(first.error_code, first.error_msg, {"field": "resource_id"})
    return page.redirect("/console/my/orders", notice=f"resource_{change}")


@action(pages, "/console/my/orders/pay", kind=CUSTOMER, form=my_orders, fields="order_id")
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
    fields="authorization_id",
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


@view(pages, "/console/my/coupons", kind=CUSTOMER)
async def my_coupons(page: Page) -> Response:
    offset = page.int_query("offset", 0)
    coupons, total = await page.services.coupons.list_held(
        page.caller, None, CouponFilter(), page_window(offset, 20), indirect_partner_id=None
    )
    return page.render("mine/coupons.html", coupons=coupons, total=total, offset=offset, limit=20)
