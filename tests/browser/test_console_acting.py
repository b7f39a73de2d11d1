"""Acting as a customer: refused without the customer's authorization (the code IAM's
assume_role answers); with it, under the "acting as customer X" banner, the partner builds an
order of several lines from the catalog (each refused or priced as the API would: the total is
the API's list price), removes one, places the order (refused first as the API refuses its
period), pays it, operates a resource (auto-renew, unsubscribe after confirming) and exits."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from partner_center.provisioning import Credentials
from partner_center.state import AppState
from tests.browser.conftest import (
    PASSWORD,
    check_page,
    error_code,
    field_error,
    notice,
    signed_in,
)
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_orders import (
    DISK_GB,
    ECS,
    EVS,
    HK,
    VM,
    VOLUME,
    assume_role,
    load_catalog,
    place,
    ready_customer,
    vm_with_disk,
)
from tests.sdk.test_rating import period, rate_period

SPEC = "s6.large.2.linux"


@pytest.fixture(scope="module", autouse=True)
def catalog(server: LiveServer) -> None:
    load_catalog(server)


def act_as(page: Page, customer: Credentials) -> None:
    page.goto(f"/console/customers/detail?customer_id={customer.account_id}")
    page.click("button:has-text('Act as customer')")


def test_acting_needs_the_customers_authorization(
    page: Page, server: LiveServer, csp: Partner
) -> None:
    stranger = server.customer(csp, name=unique("noauth"))
    signed_in(page, csp)
    act_as(page, stranger)
    page.wait_for_selector("h1:has-text('This cannot be done')")
    api = assume_role(server, csp, stranger, password=PASSWORD)
    assert api.status_code >= 400
    assert error_code(page.inner_text(".alert")) == api.json()["error_code"]
    answer = page.goto("/console/acting/order")
    assert answer is not None and answer.status == 403
    assert "CBC.0151" in page.inner_text(".alert")


def add_line(page: Page, spec: str, quantity: str, size: str = "", attach: str = "") -> None:
    """Choose ``spec`` in the catalog and add it to the order (priced again), attached to the
    line numbered ``attach`` if given."""
    page.check(f"input[name=product][value$='|{spec}']")
    page.fill("#subscription_num", quantity)
    page.fill("#resource_size", size)
    if page.locator("#parent_id").count():
        page.select_option("#parent_id", attach)
    page.click("#add-line")


def total(page: Page) -> str:
    return page.inner_text("#order-total")


def test_a_partner_orders_and_operates_as_the_customer(
    page: Page, server: LiveServer, csp: Partner
) -> None:
    customer = ready_customer(server, csp)
    signed_in(page, csp)
    act_as(page, customer)
    notice(page, "You are now acting as the customer.")
    banner = page.inner_text("#acting-banner")
    assert customer.domain_name in banner and "Acting as customer" in banner
    assert page.is_visible("#acting-banner >> text=Exit customer mode")

    # An order of several lines: two servers, each with a 40 GB disk attached, priced as the API
    # prices them.
    page.select_option("#region-choice", HK)
    page.click("button:has-text('Show products')")
    page.wait_for_url(f"**/console/acting/order?region={HK}")
    add_line(page, SPEC, "0")
    page.wait_for_selector("#subscription_num-error")
    bad = [dict(vm_with_disk()[0], subscription_num=0)]
    api = place(server, csp, customer, products=bad)
    assert error_code(field_error(page, "subscription_num")) == api.json()["error_code"]
    add_line(page, SPEC, "2")
    page.wait_for_selector("#order-total")
    assert total(page) == "50.80"  # 2 x 25.40
    add_line(page, "SSD", "1", "40", attach="1")  # fewer disks than servers: refused on placing
    page.wait_for_selector("#order-lines tbody tr:nth-child(2)")
    page.click("#place-order")
    page.wait_for_selector("#subscription_num-error")
    disks = vm_with_disk()
    api = place(server, csp, customer, products=[disks[0] | {"subscription_num": 2}, disks[1]])
    assert error_code(field_error(page, "subscription_num")) == api.json()["error_code"]
    page.click("#order-lines tbody tr:nth-child(2) >> button:has-text('Remove')")
    page.wait_for_selector("#order-lines tbody tr:nth-child(2)", state="detached")
    add_line(page, "SSD", "2", "40", attach="1")
    page.wait_for_selector("#order-lines tbody tr:nth-child(2)")
    assert "attached to line 1" in page.inner_text("#order-lines tbody tr:nth-child(2)")
    assert total(page) == "68.16"  # + 2 x 40 GB x 0.217
    rated = rate_period(
        server.intl(customer),
        customer,
        [
            period("1", ECS, VM, SPEC, 2, 1, 2),
            period("2", EVS, VOLUME, "SSD", 2, 1, 2, resource_size=40, size_measure_id=DISK_GB),
        ],
    )
    assert total(page) == str(rated.official_website_rating_result.official_website_amount)
    add_line(page, SPEC, "1")
    page.wait_for_selector("#order-lines tbody tr:nth-child(3)")
    assert total(page) == "93.56"
    page.click("#order-lines tbody tr:nth-child(3) >> button:has-text('Remove')")
    page.wait_for_selector("#order-lines tbody tr:nth-child(3)", state="detached")
    assert total(page) == "68.16"
    check_page(page, "acting-order")

    # The order's period, refused first as the API refuses it.
    page.fill("#period_num", "12")
    page.click("#place-order")
    page.wait_for_selector("#period_num-error")
    api = place(server, csp, customer, period_num=12)
    assert error_code(field_error(page, "period_num")) == api.json()["error_code"]
    assert page.locator("#order-lines tbody tr").count() == 2  # the lines stay
    page.fill("#period_num", "1")
    page.click("#price")
    page.wait_for_selector("#order-total")
    page.click("#place-order")
    notice(page, "The order was placed and waits for payment.")
    assert "Acting as customer" in page.inner_text("#acting-banner")
    order_row = "tr:has(button:has-text('Pay'))"
    assert "Pending payment" in page.inner_text(order_row)
    assert "68.16" in page.inner_text(order_row)  # one order for every line
    page.click(f"{order_row} >> button:has-text('Pay')")
    notice(page, "The order was paid.")

    # Resource O&M.
    resource_row = "tr:has(button:has-text('Renew 1 month'))"
    assert SPEC in page.inner_text(resource_row) or page.is_visible(resource_row)
    page.click(f"{resource_row} >> button:has-text('Turn auto-renew on')")
    notice(page, "Auto-renew was turned on.")
    check_page(page, "acting-resources")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"{resource_row} >> button:has-text('Unsubscribe')")
    notice(page, "The resource was unsubscribed.")

    # The order page in Chinese; a line altered on its way is refused.
    page.goto("/console/acting/order")
    page.click("nav.langs >> text=中文")
    page.wait_for_selector("h1:has-text('代客下单')")
    assert "加入订单" in page.inner_text("main")
    check_page(page, "acting-order-zh")
    page.click("nav.langs >> text=English")
    page.wait_for_selector("h1:has-text('Place Order')")
    answer = page.goto(f"/console/acting/order?line=ecs|vm|{SPEC}|{HK}|two|")
    assert answer is not None and answer.status == 400
    assert "CBC.0100" in page.inner_text(".alert")

    # Exit: the banner is gone and the mode with it.
    page.goto("/console/acting/orders")
    page.click("button:has-text('Exit customer mode')")
    notice(page, "You have left the customer's mode.")
    assert not page.is_visible("#acting-banner")
    answer = page.goto("/console/acting/orders")
    assert answer is not None and answer.status == 403


async def _revoke(state: AppState, *, customer_id: str, partner_id: str) -> None:
    async with state.work() as services:
        await services.identity.revoke_agency(customer_id=customer_id, partner_id=partner_id)


def test_a_revoked_authorization_ends_the_mode_at_once(
    page: Page, server: LiveServer, csp: Partner
) -> None:
    customer = server.customer(csp, authorize=True, name=unique("rev"))
    signed_in(page, csp)
    act_as(page, customer)
    notice(page, "You are now acting as the customer.")
    server._call(_revoke, customer_id=customer.account_id, partner_id=csp.id)
    answer = page.goto("/console/acting/orders")
    assert answer is not None and answer.status == 403
    assert "revoked your authorization" in page.inner_text(".alert")
