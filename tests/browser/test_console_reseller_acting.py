"""A reseller acting for its customers (rules.md §1.14): its distributor's permission first,
the customer's authorization second. Without the permission the reseller is refused the
authorization request (the API's code); with it, the customer approves and the reseller acts as
the customer; once the distributor withdraws the permission the customer's authorization is
revoked with it and the reseller can no longer act."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from partner_center.domains.partners.public import PartnerType
from tests.browser.conftest import PASSWORD, check_page, error_code, notice, sign_in, signed_in
from tests.harness import LiveServer, unique
from tests.sdk.test_orders import EXT, load_catalog, signed


def request_authorization(page: Page, customer_id: str) -> None:
    page.goto(f"/console/customers/association?customer_id={customer_id}")
    page.check("#commitment_accepted")
    page.click("#request-authorization")


def set_on_behalf(page: Page, reseller_id: str, *, granted: bool) -> None:
    page.goto(f"/console/resellers/grants?reseller_id={reseller_id}")
    page.set_checked("#on_behalf", granted)
    page.click("button:has-text('Save permissions and quotas')")


def test_a_reseller_acts_for_a_customer_with_its_distributors_permission_first(
    new_page: Callable[..., Page], server: LiveServer
) -> None:
    load_catalog(server)
    distributor = server.partner(PartnerType.DISTRIBUTOR, password=PASSWORD)
    reseller = server.partner(PartnerType.RESELLER, distributor=distributor, password=PASSWORD)
    customer = server.customer(
        distributor, reseller=reseller, password=PASSWORD, name=unique("rcust")
    )
    as_customer = new_page()
    sign_in(as_customer, customer.domain_name)
    as_customer.wait_for_url("**/console/my")
    detail = f"/console/customers/detail?customer_id={customer.account_id}"
    act = "button:has-text('Act as customer')"

    # Without the distributor's permission: no acting, the request refused as the API refuses.
    as_reseller = new_page()
    sign_in(as_reseller, reseller.creds.domain_name)
    as_reseller.wait_for_url("**/console/customers/invitations")
    as_reseller.goto(detail)
    assert as_reseller.locator(act).count() == 0
    request_authorization(as_reseller, customer.account_id)
    as_reseller.wait_for_selector(".alert")
    api = signed(
        server,
        reseller.creds,
        "POST",
        f"{EXT}/customers/{customer.account_id}/authorizations",
        {"commitment_letter_accepted": True},
    )
    assert api.status_code >= 400
    assert error_code(as_reseller.inner_text(".alert")) == api.json()["error_code"]

    # The distributor grants the permission.
    as_distributor = new_page()
    signed_in(as_distributor, distributor)
    set_on_behalf(as_distributor, reseller.id, granted=True)
    notice(as_distributor, "The permissions and quotas were saved.")
    assert as_distributor.is_checked("#on_behalf")
    check_page(as_distributor, "distributor-reseller-on-behalf")

    # The reseller asks the customer, who approves in its console.
    request_authorization(as_reseller, customer.account_id)
    notice(as_reseller, "The authorization was requested")
    check_page(as_reseller, "reseller-authorization-requested")
    as_customer.click("nav.side >> text=Association and Authorization")
    as_customer.click("button:has-text('Grant authorization')")
    notice(as_customer, "The request was approved.")

    # The reseller acts as the customer.
    as_reseller.goto(detail)
    as_reseller.click(act)
    notice(as_reseller, "You are now acting as the customer.")
    banner = as_reseller.inner_text("#acting-banner")
    assert customer.domain_name in banner and "Acting as customer" in banner
    check_page(as_reseller, "reseller-acting")

    # The distributor withdraws the permission: the customer's authorization goes with it.
    set_on_behalf(as_distributor, reseller.id, granted=False)
    notice(as_distributor, "the customers' authorizations of the reseller were revoked")
    assert not as_distributor.is_checked("#on_behalf")
    answer = as_reseller.goto("/console/acting/order")
    assert answer is not None and answer.status == 403
    assert "CBC.0151" in as_reseller.inner_text(".alert")
    as_reseller.goto(detail)
    assert as_reseller.locator(act).count() == 0
    request_authorization(as_reseller, customer.account_id)
    as_reseller.wait_for_selector(".alert")
    assert error_code(as_reseller.inner_text(".alert")) == "CBC.18000016"
