"""The console in a real browser (issue 12's acceptance, as far as the features exist): a
partner signs in, sets a monthly budget and sees it in the list, freezes and unfreezes two
customers, creates an invitation and opens its QR code, switches to Chinese; a customer signs
in, grants authorization and pays an order; the operator moves the sandbox clock. axe-core
checks every main page; the console and the SDK refuse the same bad input with one code."""

from __future__ import annotations

from decimal import Decimal as D

import httpx
import pytest
from huaweicloudsdkbssintl.v2 import model as m
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from playwright.sync_api import Page

from partner_center.domains.partners.public import PartnerType
from partner_center.provisioning import Credentials, ensure_operator
from partner_center.state import AppState
from tests.browser.conftest import (
    PASSWORD,
    check_page,
    error_code,
    field_error,
    notice,
    row,
    sign_in,
)
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_orders import (
    EXT,
    load_catalog,
    placed,
    set_budget,
    set_consumption_quota,
    signed,
)


def select(page: Page, *chosen: Credentials) -> None:
    for customer in chosen:
        page.check(f"#c-{customer.account_id}")


def test_the_root_leads_to_sign_in(page: Page) -> None:
    page.goto("/")
    assert page.url.endswith("/console/sign-in")
    assert page.is_visible("#account_name")
    check_page(page, "sign-in")


def test_a_partner_manages_customers(
    page: Page, server: LiveServer, csp: Partner, customers: list[Credentials]
) -> None:
    sign_in(page, csp.creds.domain_name)
    page.wait_for_url("**/console/dashboard")
    check_page(page, "partner-dashboard")
    page.click("nav.side >> text=Customer Management")
    page.wait_for_url("**/console/customers")
    check_page(page, "customer-list")
    first, second, third = customers

    # Set a monthly budget and see it in the list.
    select(page, first)
    page.click("summary:has-text('Set Budget')")
    page.fill("#budget_amount", "1234.50")
    page.click("button:has-text('Set budget of selected customers')")
    notice(page, "The budget was set.")
    assert "1,234.50" in row(page, first) and "monthly" in row(page, first)
    # Its adjustment records: the heading names the customer, the operation is in words.
    page.click(f"tr:has(#c-{first.account_id}) >> a:has-text('1,234.50')")
    page.wait_for_url("**/console/customers/budget-records*")
    assert first.domain_name in page.inner_text("h1")
    assert "\tSet\t" in page.inner_text("table")
    check_page(page, "customer-budget-records")
    page.click("nav.side >> text=Customer Management")
    page.wait_for_url("**/console/customers")

    # Freeze two customers, then unfreeze them.
    select(page, second, third)
    page.click("summary:has-text('Freeze / Unfreeze')")
    page.fill("#reason", "Overdue payments")
    page.once("dialog", lambda dialog: dialog.accept())  # the confirmation step
    page.click("button:has-text('Freeze selected')")
    notice(page, "The customers were frozen.")
    assert "Frozen" in row(page, second) and "Frozen" in row(page, third)
    assert "Frozen" not in row(page, first)
    check_page(page, "customer-list-frozen")
    select(page, second, third)
    page.click("summary:has-text('Freeze / Unfreeze')")
    page.fill("#reason", "Paid")
    page.click("button:has-text('Unfreeze selected')")
    notice(page, "The customers were unfrozen.")
    assert "Normal" in row(page, second) and "Normal" in row(page, third)

    # An invitation as a QR code, and its image.
    page.click("nav.side >> text=Customer Development")
    page.wait_for_url("**/console/customers/invitations")
    page.check("input[name=channel][value=QR_CODE]")
    page.click("button:has-text('Create invitation')")
    page.wait_for_selector("img.qr")
    check_page(page, "invitation-qr")
    href = page.get_attribute("#open-qr", "href")
    assert href is not None
    opened = page.goto(href)
    assert opened is not None and opened.ok
    assert opened.headers["content-type"] == "image/png"
    assert opened.body()[:8] == b"\x89PNG\r\n\x1a\n"

    # The same page in Chinese.
    page.goto("/console/customers")
    page.click("nav.langs >> text=中文")
    page.wait_for_selector("h1:has-text('客户管理')")
    assert "设置预算" in page.inner_text("main")
    check_page(page, "customer-list-zh")
    page.click("nav.langs >> text=English")
    page.wait_for_selector("h1:has-text('Customer Management')")


def test_the_console_and_the_sdk_refuse_a_bad_budget_with_the_same_code(
    page: Page, server: LiveServer, csp: Partner, customers: list[Credentials]
) -> None:
    customer = customers[0]
    with pytest.raises(ClientRequestException) as refused:
        server.intl(csp.creds).update_sub_customer_budget(
            m.UpdateSubCustomerBudgetRequest(
                body=m.ModSubCustomerBudgetReq(
                    customer_id=customer.account_id, budget_amount=D("-5"), budget_type="MONTHLY"
                )
            )
        )
    sign_in(page, csp.creds.domain_name)
    page.goto("/console/customers")
    select(page, customer)
    page.click("summary:has-text('Set Budget')")
    page.fill("#budget_amount", "-5")
    page.click("button:has-text('Set budget of selected customers')")
    page.wait_for_selector("#budget_amount-error")
    assert error_code(field_error(page, "budget_amount")) == refused.value.error_code
    assert page.get_attribute("#budget_amount", "aria-invalid") == "true"
    check_page(page, "customer-list-refused")


def test_forms_without_the_csrf_token_are_refused(
    page: Page, csp: Partner, customers: list[Credentials]
) -> None:
    sign_in(page, csp.creds.domain_name)
    page.wait_for_url("**/console/dashboard")
    answer = page.request.post(
        "/console/customers/budget",
        form={"customer_ids": customers[0].account_id, "budget_amount": "1", "csrf": "forged"},
        max_redirects=0,
    )
    assert answer.status == 403
    assert "CBC.0151" in answer.text()


def test_a_customer_grants_authorization_and_pays_an_order(
    page: Page, server: LiveServer, csp: Partner
) -> None:
    customer = server.customer(csp, password=PASSWORD, name=unique("buyer"))
    load_catalog(server)
    asked = signed(
        server,
        csp.creds,
        "POST",
        f"{EXT}/customers/{customer.account_id}/authorizations",
        {"commitment_letter_accepted": True},
    )
    assert asked.status_code == 200, asked.text

    sign_in(page, customer.domain_name)
    page.wait_for_url("**/console/my")
    check_page(page, "customer-home")
    page.click("nav.side >> text=Association and Authorization")
    page.click("button:has-text('Grant authorization')")
    notice(page, "The request was approved.")
    assert "\tAuthorized\t" in page.inner_text("table")
    check_page(page, "customer-requests")

    set_consumption_quota(server, csp, "5000")
    set_budget(server, csp, customer, "1000.00")
    order_id = placed(server, csp, customer)
    page.click("nav.side >> text=Orders and Resources")
    order_row = f"tr:has-text('{order_id}')"
    assert "Pending payment" in page.inner_text(order_row)
    check_page(page, "customer-orders")
    page.click(f"{order_row} >> button:has-text('Pay')")
    notice(page, "The order was paid.")
    assert "Completed" in page.inner_text(order_row)
    resource_row = "tr:has(button:has-text('Renew 1 month'))"
    page.click(f"{resource_row} >> button:has-text('Turn auto-renew on')")
    notice(page, "Auto-renew was turned on.")
    assert "On" in page.inner_text(resource_row)
    page.click(f"{resource_row} >> button:has-text('Renew 1 month')")
    notice(page, "A renewal order was created; pay it below.")
    assert "Pending payment" in page.inner_text("table")
    check_page(page, "customer-resources")
    page.click("nav.side >> text=Coupons")
    page.wait_for_selector("h1:has-text('Coupons')")
    check_page(page, "customer-coupons")

    # The partner sees the customer's orders and resources.
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/console/sign-in")
    sign_in(page, csp.creds.domain_name)
    page.wait_for_url("**/console/dashboard")
    page.goto(f"/console/customers/detail?customer_id={customer.account_id}")
    assert order_id in page.inner_text("main")
    check_page(page, "customer-detail")


async def _operator_password(state: AppState) -> None:
    operator_id = await ensure_operator(state)
    async with state.work() as services:
        admin = await services.identity.admin_member(operator_id)
        await services.identity.set_password(member_id=admin.id, password=PASSWORD)


def test_the_operator_moves_the_sandbox_clock(page: Page, server: LiveServer) -> None:
    server._call(_operator_password)
    sign_in(page, "operator")
    page.wait_for_url("**/console/operator/partners")
    check_page(page, "operator-partners")
    page.click("tr:has-text('Cloud solution provider') >> text=View and set")
    page.fill("#consumption_quota", "-1")
    page.click("button:has-text('Set quota')")
    page.wait_for_selector("#consumption_quota-error:has-text('CBC.0100')")
    page.fill("#consumption_quota", "5000")
    page.click("button:has-text('Set quota')")
    notice(page, "The consumption quota was set.")
    assert "5,000.00" in page.inner_text("#consumption-quota")
    check_page(page, "operator-quota")
    page.click("nav.side >> text=Bill Runs")
    page.wait_for_selector("h1:has-text('Bill Runs')")
    check_page(page, "operator-bill-runs")
    page.click("nav.side >> text=Sandbox Clock")
    before = page.inner_text("#business-time")
    page.fill("#days", "2")
    page.wait_for_selector("#jobs:has-text('periodic')")
    # The hourly coalescing jobs run once per stretch between the other jobs, not once at the end.
    assert "once for its" in page.inner_text("#jobs")
    check_page(page, "operator-clock")
    page.click("button:has-text('Advance the clock')")
    page.wait_for_selector("h2:has-text('Jobs that ran')")
    assert page.inner_text("#business-time") != before


def test_lockout_is_shared_with_the_token_endpoint(page: Page, server: LiveServer) -> None:
    partner = server.partner(password=PASSWORD)
    for _ in range(5):
        sign_in(page, partner.creds.domain_name, "wrong-password")
        page.wait_for_selector(".alert")
    assert "IAM.0001" in page.inner_text(".alert")
    sign_in(page, partner.creds.domain_name)
    page.wait_for_selector(".alert")
    assert "IAM.0004" in page.inner_text(".alert")
    token = httpx.post(
        f"{server.url}/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": partner.creds.domain_name,
                            "password": PASSWORD,
                            "domain": {"name": partner.creds.domain_name},
                        }
                    },
                }
            }
        },
    )
    assert token.status_code == 401 and token.json()["error_code"] == "IAM.0004"


def test_signing_out_ends_the_session(page: Page, csp: Partner) -> None:
    sign_in(page, csp.creds.domain_name)
    page.wait_for_url("**/console/dashboard")
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/console/sign-in")
    page.goto("/console/customers")
    assert "/console/sign-in" in page.url


def test_a_reseller_lands_on_customer_development(page: Page, server: LiveServer) -> None:
    distributor = server.partner(PartnerType.DISTRIBUTOR)
    reseller = server.partner(PartnerType.RESELLER, distributor=distributor, password=PASSWORD)
    sign_in(page, reseller.creds.domain_name)
    page.wait_for_url("**/console/customers/invitations")
    assert "Operations Dashboard" not in page.inner_text("nav.side")
    page.click("nav.side >> text=Access Keys")
    page.wait_for_selector("h1:has-text('Access Keys')")
    assert "Partner Bills" not in page.inner_text("nav.side")
    page.click("button:has-text('Create access key')")
    page.wait_for_selector("#new-sk")
    secret = page.inner_text("#new-sk")
    access_key = page.inner_text("#new-ak")
    assert len(secret) == 40
    check_page(page, "access-keys")
    page.goto("/console/account/keys")
    assert secret not in page.content()
    key_row = f"tr:has-text('{access_key}')"
    page.click(f"{key_row} >> button:has-text('Disable')")
    notice(page, "The access key was disabled.")
    page.once("dialog", lambda dialog: dialog.accept())  # the confirmation step
    page.click(f"{key_row} >> button:has-text('Delete')")
    notice(page, "The access key was deleted.")
    assert access_key not in page.inner_text("table")
