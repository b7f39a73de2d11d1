"""Acting as a customer: refused without the customer's authorization (the code IAM's
assume_role answers); with it, under the "acting as customer X" banner, the partner picks a
product from the catalog, prices it, places the order (refused as the API refuses it), pays
it, operates the resource (auto-renew, unsubscribe after confirming) and exits the mode."""

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
from tests.sdk.test_orders import HK, assume_role, load_catalog, place, ready_customer

SPEC = "s6.large.2.linux"


@pytest.fixture(scope="module", autouse=True)
def catalog(server: LiveServer) -> None:
    load_catalog(server)


def act_as(page: Page, customer: Credentials) -> None:
    page.goto(f"/console/customers/detail?customer_id={customer.account_id}")
    page.click("button:has-text('Act as customer')")


def price(page: Page) -> None:
    page.click("button:has-text('Price')")
    page.wait_for_selector("#quote")


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

    # Catalog → price → order (refused first as the API refuses the same period).
    page.select_option("#region-choice", HK)
    page.click("button:has-text('Show products')")
    page.wait_for_url(f"**/console/acting/order?region={HK}")
    page.check(f"input[name=product][value$='|{SPEC}']")
    price(page)
    assert "List price" in page.inner_text("#quote")
    check_page(page, "acting-order")
    page.fill("#period_num", "12")
    page.click("#place-order")
    page.wait_for_selector("#period_num-error")
    api = place(server, csp, customer, period_num=12)
    assert error_code(field_error(page, "period_num")) == api.json()["error_code"]
    page.fill("#period_num", "1")
    price(page)
    page.click("#place-order")
    notice(page, "The order was placed and waits for payment.")
    assert "Acting as customer" in page.inner_text("#acting-banner")
    order_row = "tr:has(button:has-text('Pay'))"
    assert "Pending payment" in page.inner_text(order_row)
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

    # Exit: the banner is gone and the mode with it.
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
