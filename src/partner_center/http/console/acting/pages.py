"""Acting as a customer: *Place Order on Customer's Behalf* (catalog → price → order → pay)
and *Resource O&M* (the customer's resources: renew, unsubscribe, auto-renew), under a banner
"acting as customer X" with an exit.

Entering the mode is IAM ``assume_role`` — the check the API's on-behalf calls go through: the
customer must have authorized the partner (an active agency named after the partner's
``xaccount_type``), else ``IAM.0003``. The delegated token lands in a cookie of its own beside
the partner's session; every acting page resolves it again, so a revoked authorization ends the
mode at once, and it only ever works with the session of the partner it was issued to. Orders
are placed as ``POST /v1/partner-center/customer-orders`` places them (``create_for_customer``;
in the console a reseller too, rules.md §1.14); prices, payment and resource changes run as the
customer, as the API's customer operations do with the delegated token.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

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
# Any partner: a reseller too, once its distributor allowed it and the customer authorized it
# (rules.md §1.14; the authorization is what ``assume_role`` checks).
PARTNER = CallerKind.ANY_PARTNER
BASE = "/console/acting"
ORDER_FIELDS = (
    "product",
    "subscription_num",
    "resource_size",
    "period_type",
    "period_num",
    "product_infos",
    "parent_id",
)


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
#
# The order is built line by line: each line is a product of the catalogue (any region), a
# quantity and, for a linear product, a size; the period and auto-renew are the order's, as in
# ``POST /v1/partner-center/customer-orders`` (one period per order: its resources expire and
# renew together). The lines travel in the form (``line`` fields, ``OrderLine.token``), so the
# order being built lives in the page, never on the server, until it is placed. Every change
# prices the whole order again with the inquiry service the API's ``list_rate_on_period_detail``
# uses, with the customer's discounts offered.


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of the order being built; ``parent`` is the position (from 1) of the primary
    line it is attached to (an EVS disk to its ECS), as ``parent_id`` in the API."""

    key: ProductKey
    quantity: int
    size: int | None
    parent: int | None = None

    @property
    def token(self) -> str:
        """The line as the form carries it."""
        k = self.key
        optional = ("" if n is None else str(n) for n in (self.size, self.parent))
        return "|".join(
            (
                k.service_type,
                k.resource_type,
                k.resource_spec,
                k.region,
                str(self.quantity),
                *optional,
            )
        )

    @classmethod
    def parse(cls, token: str) -> OrderLine:
        parts = token.split("|")
        numbers = parts[4:]
        if len(parts) != 7 or not all(parts[:5]) or not all(n.isdigit() for n in numbers if n):
            raise invalid_parameter("product_infos", "The order's lines were altered; start again.")
        quantity, size, parent = (int(n) if n else None for n in numbers)
        assert quantity is not None
        return cls(ProductKey(*parts[:4]), quantity, size, parent)

    def after_removing(self, position: int) -> OrderLine:
        """This line once the line at ``position`` left the order: attached to it, it stands
        alone; attached to a later one, it follows that line's new position."""
        if self.parent is None or self.parent < position:
            return self
        return replace(self, parent=None if self.parent == position else self.parent - 1)


def _language(page: Page) -> Language:
    return Language.ZH if page.language == "zh" else Language.EN


def _lines(page: Page) -> list[OrderLine]:
    """The lines carried by the form (or the query string of a GET)."""
    return [OrderLine.parse(token) for token in page.fields("line")]


async def _catalog(
    page: Page,
    lines: list[OrderLine] | None = None,
    quote: PeriodRating | None = None,
) -> Response:
    """The catalog of yearly/monthly products in a region, the line form, the order's lines
    and, once priced, their prices and the order's total."""
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
    if lines is None:
        lines = _lines(page)
    names = {}
    for line in lines:
        if line.key not in names:
            names[line.key] = await catalog.spec(line.key, language=_language(page))
    return page.render(
        "acting/order.html",
        customer=customer,
        regions=regions,
        region=region,
        specs=specs.specs,
        next_marker=specs.next_marker,
        marker=page.field("marker"),
        prices=prices,
        lines=lines,
        names=names,
        quote=quote,
        best=next((o for o in quote.options if o.best_offer), None) if quote else None,
        carried=urlencode([("line", line.token) for line in lines] + _terms(page)),
    )


def _terms(page: Page) -> list[tuple[str, str]]:
    """The order's terms as a query string carries them (to a region or a catalog page)."""
    names = ("period_type", "period_num", "is_auto_renew")
    return [(name, page.field(name)) for name in names if page.field(name)]


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


def _period(page: Page) -> tuple[int, int]:
    period_type = _number(page, "period_type", 2)
    period_num = _number(page, "period_num", 1)
    assert period_type is not None and period_num is not None
    return period_type, period_num


def _chosen_line(page: Page) -> OrderLine:
    """The product chosen in the catalog, with its quantity and size."""
    parts = page.field("product").split("|")
    if len(parts) != 3 or not all(parts):
        raise invalid_parameter("product", "Choose a product.")
    quantity = _number(page, "subscription_num", 1)
    assert quantity is not None
    key = ProductKey(parts[0], parts[1], parts[2], page.field("region"))
    return OrderLine(key, quantity, _number(page, "resource_size"), _number(page, "parent_id"))


async def _size_measure(page: Page, line: OrderLine) -> int | None:
    if line.size is None:
        return None
    return (await page.services.catalog.spec(line.key)).size_measure_id


async def _quote(page: Page, lines: list[OrderLine]) -> PeriodRating:
    """Price the order for the customer (its discounts offered), as the API's
    ``list_rate_on_period_detail`` with the delegated token."""
    customer = await acting_customer(page)
    if not lines:
        raise invalid_parameter("product_infos", "Add at least one product to the order.")
    period_type, period_num = _period(page)
    items = [
        PeriodItem(
            id=str(position),
            key=line.key,
            period_type=period_type,
            period_num=period_num,
            subscription_num=line.quantity,
            resource_size=line.size,
            size_measure_id=await _size_measure(page, line),
        )
        for position, line in enumerate(lines, start=1)
    ]
    return await page.services.inquiry.rate_period(customer.account_id, items)


@action(pages, f"{BASE}/order/add", form=order_page, fields=ORDER_FIELDS)
async def add_line(page: Page) -> Response:
    """Add the chosen product to the order and price the order again."""
    lines = [*_lines(page), _chosen_line(page)]
    return await _catalog(page, lines, await _quote(page, lines))


@action(pages, f"{BASE}/order/remove", form=order_page, fields=ORDER_FIELDS)
async def remove_line(page: Page) -> Response:
    """Take a line out of the order; the rest is priced again."""
    lines = _lines(page)
    position = _number(page, "remove")
    if position is None or not 1 <= position <= len(lines):
        raise invalid_parameter("product_infos", "Choose a line of the order.")
    lines = [line.after_removing(position) for line in lines[: position - 1] + lines[position:]]
    return await _catalog(page, lines, await _quote(page, lines) if lines else None)


@action(pages, f"{BASE}/order/price", form=order_page, fields=ORDER_FIELDS)
async def price(page: Page) -> Response:
    """Price the order again (after its period changed)."""
    lines = _lines(page)
    return await _catalog(page, lines, await _quote(page, lines))


@action(pages, f"{BASE}/order", form=order_page, fields=ORDER_FIELDS)
async def place_order(page: Page) -> Response:
    """Place the order, every line in it, pending payment, as
    ``POST /v1/partner-center/customer-orders``."""
    customer = await acting_customer(page)
    lines = _lines(page)
    period_type, period_num = _period(page)
    await page.services.orders.create_for_customer(
        page.actor,
        NewOrder(
            customer_id=customer.account_id,
            period_type=period_type,
            period_num=period_num,
            auto_renew=page.field("is_auto_renew") == "1",
            products=tuple(
                [
                    ProductRequest(
                        id=str(position),
                        service_type=line.key.service_type,
                        resource_type=line.key.resource_type,
                        resource_spec=line.key.resource_spec,
                        region=line.key.region,
                        subscription_num=line.quantity,
                        resource_size=line.size,
                        size_measure_id=await _size_measure(page, line),
                        parent_id=None if line.parent is None else str(line.parent),
                    )
                    for position, line in enumerate(lines, start=1)
                ]
            ),
        ),
    )
    return page.redirect(f"{BASE}/orders", notice="acting.order_placed")


# -- Resource O&M and orders ----------------------------------------------------------------


@view(pages, f"{BASE}/orders", kind=PARTNER)
async def acting_orders(page: Page) -> Response:
    customer = await acting_customer(page)
    return await orders_and_resources(page, customer, template="acting/orders.html", base=BASE)


@action(pages, f"{BASE}/orders/pay", form=acting_orders, fields=("order_id",))
async def pay(page: Page) -> Response:
    customer = await acting_customer(page)
    await pay_order_of(page, customer.account_id)
    return page.redirect(f"{BASE}/orders", notice="paid")


@action(pages, f"{BASE}/resources", form=acting_orders, fields=("resource_id",))
@confirm_first(asks_to_unsubscribe)
async def change_resource(page: Page) -> Response:
    customer = await acting_customer(page)
    notice = await change_resource_of(page, customer.account_id)
    return page.redirect(f"{BASE}/orders", notice=notice)
