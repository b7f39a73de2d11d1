"""The customer's own console: its partner and budget, its bills, its orders (pay), and the
partner's authorization requests to approve, reject or revoke."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.coupons.public import CouponFilter
from partner_center.domains.identity.public import Caller
from partner_center.domains.orders.public import OrderFilter, OrderStatus, Payment
from partner_center.domains.resources.public import ExpirePolicy, ResourceFilter, ResourceStatus
from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.confirm import confirm_first
from partner_center.http.console.kit.page import Page, action, view
from partner_center.http.console.kit.products import product_names
from partner_center.kernel.errors import DomainError
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
CUSTOMER = CallerKind.CUSTOMER


@view(pages, "/console/my/bills", kind=CUSTOMER)
async def my_bills(page: Page) -> Response:
    """The customer's own bill of a month (last month by default), per service, resource type,
    charging mode and bill type: what ``show_customer_monthly_sum`` answers the SDK."""
    local = page.services.clock.now().astimezone(page.services.settings.zone)
    last_month = (local.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    cycle = page.query("cycle") or last_month
    offset = page.int_query("offset", 0)
    bill = await page.services.billing.customer_monthly_sum(
        page.caller.account_id, cycle, page_window(offset, 50)
    )
    products = await product_names(
        page,
        services={x.service_type_code for x in bill.lines},
        resources={x.resource_type_code for x in bill.lines},
    )
    return page.render(
        "mine/bills.html", bill=bill, cycle=cycle, offset=offset, limit=50, products=products
    )


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


async def orders_and_resources(
    page: Page, customer: Caller, *, template: str = "mine/orders.html", base: str = "/console/my"
) -> Response:
    """The customer's orders and its yearly/monthly resources, with the forms that pay, renew,
    unsubscribe and switch auto-renew (posting under ``base``): the customer's own page, and
    the partner's Resource O&M while acting as the customer."""
    offset = page.int_query("offset", 0)
    orders, total = await page.services.orders.list_orders(
        customer, None, OrderFilter(), page_window(offset, 20)
    )
    resources, _shown = await page.services.resources.list_for_customer(
        customer.account_id, ResourceFilter(only_main=True), page_window(0, 50)
    )
    return page.render(
        template,
        orders=orders,
        total=total,
        offset=offset,
        limit=20,
        pending=OrderStatus.PENDING_PAYMENT,
        resources=[r for r in resources if r.status != ResourceStatus.CLOSED],
        products=await product_names(
            page,
            services={
                *(x.service_type_code for x in orders),
                *(r.service_type_code for r in resources),
            },
        ),
        auto_renew=ExpirePolicy.AUTO_RENEW,
        base=base,
        customer=customer,
    )


@view(pages, "/console/my/orders", kind=CUSTOMER)
async def my_orders(page: Page) -> Response:
    return await orders_and_resources(page, page.caller)


def asks_to_unsubscribe(page: Page) -> str | None:
    return "unsubscribe" if page.field("change") == "unsubscribe" else None


async def change_resource_of(page: Page, customer_id: str) -> str:
    """Renew one month (a renewal order to pay), unsubscribe, or turn auto-renew on or off;
    the notice to show. ``created_by``: the member who did it (the partner's, acting)."""
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
    return f"resource_{change}"


async def pay_order_of(page: Page, customer_id: str) -> None:
    await page.services.orders.pay(
        customer_id,
        Payment(order_id=page.field("order_id"), use_discount=page.field("use_discount") == "1"),
    )


@action(pages, "/console/my/resources", form=my_orders, fields=("resource_id",))
@confirm_first(asks_to_unsubscribe)
async def change_resource(page: Page) -> Response:
    notice = await change_resource_of(page, page.caller.account_id)
    return page.redirect("/console/my/orders", notice=notice)


@action(pages, "/console/my/orders/pay", form=my_orders, fields=("order_id",))
async def pay_order(page: Page) -> Response:
    await pay_order_of(page, page.caller.account_id)
    return page.redirect("/console/my/orders", notice="paid")


@view(pages, "/console/my/requests", kind=CUSTOMER)
async def my_requests(page: Page) -> Response:
    offset = page.int_query("offset", 0)
    rows, total = await page.services.authorizations.list_for_customer(
        page.caller, page_window(offset, 20)
    )
    return page.render("mine/requests.html", rows=rows, total=total, offset=offset, limit=20)


@action(pages, "/console/my/requests/decide", form=my_requests, fields=("authorization_id",))
@confirm_first(lambda page: "revoke_authorization" if page.field("decision") == "revoke" else None)
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
