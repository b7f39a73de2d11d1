"""Acting as a customer: *Place Order on Customer's Behalf* (catalog → price → order → pay)
and *Resource O&M* (the customer's resources: renew, unsubscribe, auto-renew), under a banner
"acting as customer X" with an exit.

Entering the mode is IAM ``assume_role`` — the check the API's on-behalf calls go through: the
customer must have authorized the partner (an active agency named after the partner's
``xaccount_type``), else ``IAM.0003``. The delegated token lands in a cookie of its own beside
the partner's session; every acting page resolves it again, so a revoked authorization ends the
mode at once, and it only ever works with the session of the partner it was issued to. Orders
are placed as ``POST /v1/partner-center/customer-orders`` places them (a CSP or distributor,
``create_for_customer``); prices, payment and resource changes run as the customer, as the
API's customer operations do with the delegated token.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.catalog.public import (
    ChargingMode,
    Language,
    PeriodItem,
    PeriodRating,
    ProductKey,
    SpecPriceQuery,
)
from partner_center.domains.identity.public import Caller
from partner_center.domains.orders.public import NewOrder, ProductRequest
from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.confirm import confirm_first
from partner_center.http.console.kit.page import Page, action, view
from partner_center.http.console.kit.session import ACTING_COOKIE, clear_cookie, set_cookie
from partner_center.http.console.mine.pages import (
    asks_to_unsubscribe,
    change_resource_of,
    orders_and_resources,
    pay_order_of,
)
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter

pages = APIRouter()
PARTNER = CallerKind.PARTNER
BASE = "/console/acting"
PRODUCT_FIELDS = ("product", "period_type", "period_num", "subscription_num", "resource_size")


async def acting_customer(page: Page) -> Caller:
    """The customer the signed-in partner acts as (its delegated token, still authorized)."""
    token = page.request.cookies.get(ACTING_COOKIE)
    customer = None
    if token:
        try:
            customer = await page.services.identity.caller_for_token(token)
        except DomainError:
            customer = None
    if customer is None or customer.delegated_by != page.caller.account_id:
        raise access_denied(
            "Access denied: you are not acting as a customer, or the customer has revoked "
            "your authorization. Choose Act as customer on the customer's page."
        )
    return customer


@action(pages, f"{BASE}/start", kind=PARTNER)
async def start(page: Page) -> Response:
    """Assume the customer's role (refused without its authorization) and enter the mode."""
    assert page.partner is not None
    issued = await page.services.identity.assume_role(
        page.caller, agency_name=page.partner.xaccount_type, domain_id=page.field("customer_id")
    )
    response = page.redirect(f"{BASE}/order", notice="acting.started")
    max_age = int((issued.expires_at - issued.issued_at).total_seconds())
    set_cookie(page.request, response, ACTING_COOKIE, issued.token, max_age)
    return response


@action(pages, f"{BASE}/exit", kind=PARTNER)
async def exit_mode(page: Page) -> Response:
    """Leave the mode: the delegated token is revoked and its cookie deleted."""
    token = page.request.cookies.get(ACTING_COOKIE)
    target = "/console/customers"
    if token:
        try:
            customer = await page.services.identity.caller_for_token(token)
        except DomainError:
            customer = None
        if customer is not None and customer.delegated_by == page.caller.account_id:
            target = f"/console/customers/detail?customer_id={customer.account_id}"
        await page.services.identity.revoke_token(token)
    response = page.redirect(target, notice="acting.ended")
    clear_cookie(page.request, response, ACTING_COOKIE)
    return response


# -- Place Order on Customer's Behalf -------------------------------------------------------


def _language(page: Page) -> Language:
    return Language.ZH if page.language == "zh" else Language.EN


async def _catalog(page: Page, quote: PeriodRating | None = None) -> Response:
    """The catalog of yearly/monthly products in a region, the product form and, once priced,
    the quote."""
    customer = await acting_customer(page)
    catalog = page.services.catalog
    regions = await catalog.regions()
    region = page.field("region") or (regions[0] if regions else "")
    if region not in regions:
        raise invalid_parameter("region", "Choose one of the regions.")
    specs, prices = await catalog.spec_prices(
        SpecPriceQuery(
            region=region,
            charging_mode=ChargingMode.PERIOD,
            marker=page.field("marker") or None,
            limit=50,
        ),
        language=_language(page),
        as_of=page.services.clock.now(),
    )
    return page.render(
        "acting/order.html",
        customer=customer,
        regions=regions,
        region=region,
        specs=specs.specs,
        next_marker=specs.next_marker,
        marker=page.field("marker"),
        prices=prices,
        quote=quote,
    )


@view(pages, f"{BASE}/order", kind=PARTNER)
async def order_page(page: Page) -> Response:
    return await _catalog(page)


def _number(page: Page, name: str, default: int | None = None) -> int | None:
    text = page.field(name)
    if not text:
        return default
    if not text.isdigit():
        raise invalid_parameter(name, "Enter a whole number.")
    return int(text)


def _product(page: Page) -> tuple[ProductKey, int, int, int, int | None]:
    """The chosen product: its catalogue key, period type and number, quantity and size."""
    parts = page.field("product").split("|")
    if len(parts) != 3 or not all(parts):
        raise invalid_parameter("product", "Choose a product.")
    key = ProductKey(parts[0], parts[1], parts[2], page.field("region"))
    period_type = _number(page, "period_type", 2)
    period_num = _number(page, "period_num", 1)
    quantity = _number(page, "subscription_num", 1)
    assert period_type is not None and period_num is not None and quantity is not None
    return key, period_type, period_num, quantity, _number(page, "resource_size")


async def _size_measure(page: Page, key: ProductKey, size: int | None) -> int | None:
    return None if size is None else (await page.services.catalog.spec(key)).size_measure_id


@action(pages, f"{BASE}/order/price", kind=PARTNER, form=order_page, fields=PRODUCT_FIELDS)
async def price(page: Page) -> Response:
    """Price the chosen product for the customer (its discounts offered), as the API's
    ``list_rate_on_period_detail`` with the delegated token."""
    customer = await acting_customer(page)
    key, period_type, period_num, quantity, size = _product(page)
    quote = await page.services.inquiry.rate_period(
        customer.account_id,
        [
            PeriodItem(
                id="1",
                key=key,
                period_type=period_type,
                period_num=period_num,
                subscription_num=quantity,
                resource_size=size,
                size_measure_id=await _size_measure(page, key, size),
            )
        ],
    )
    return await _catalog(page, quote)


@action(pages, f"{BASE}/order", kind=PARTNER, form=order_page, fields=PRODUCT_FIELDS)
async def place_order(page: Page) -> Response:
    """Place the order pending payment, as ``POST /v1/partner-center/customer-orders``."""
    customer = await acting_customer(page)
    key, period_type, period_num, quantity, size = _product(page)
    await page.services.orders.create_for_customer(
        page.actor,
        NewOrder(
            customer_id=customer.account_id,
            period_type=period_type,
            period_num=period_num,
            auto_renew=page.field("is_auto_renew") == "1",
            products=(
                ProductRequest(
                    id="1",
                    service_type=key.service_type,
                    resource_type=key.resource_type,
                    resource_spec=key.resource_spec,
                    region=key.region,
                    subscription_num=quantity,
                    resource_size=size,
                    size_measure_id=await _size_measure(page, key, size),
                ),
            ),
        ),
    )
    return page.redirect(f"{BASE}/orders", notice="acting.order_placed")


# -- Resource O&M and orders ----------------------------------------------------------------


@view(pages, f"{BASE}/orders", kind=PARTNER)
async def acting_orders(page: Page) -> Response:
    customer = await acting_customer(page)
    return await orders_and_resources(page, customer, template="acting/orders.html", base=BASE)


@action(pages, f"{BASE}/orders/pay", kind=PARTNER, form=acting_orders, fields=("order_id",))
async def pay(page: Page) -> Response:
    customer = await acting_customer(page)
    await pay_order_of(page, customer.account_id)
    return page.redirect(f"{BASE}/orders", notice="paid")


@action(pages, f"{BASE}/resources", kind=PARTNER, form=acting_orders, fields=("resource_id",))
@confirm_first(asks_to_unsubscribe)
async def change_resource(page: Page) -> Response:
    customer = await acting_customer(page)
    notice = await change_resource_of(page, customer.account_id)
    return page.redirect(f"{BASE}/orders", notice=notice)
