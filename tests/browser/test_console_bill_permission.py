"""The console's Partner Bills pages refuse a member without the permission to view partner
bills (BPC_ITEM_FINANCE_090100) with the API's code, CBC.0151, and show them to a Finance
member."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import PASSWORD, error_code
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_association_helpers import call, ok

BILL_PAGES = [
    "/console/finance/bills",
    "/console/finance/repay",
    "/console/finance/repay/ticket",
    "/console/finance/invoices",
    "/console/finance/statements",
    "/console/finance/bills/customers?cycle=2026-01",
]


def _member_signed_in(page: Page, server: LiveServer, csp: Partner, roles: list[str]) -> None:
    name = unique("m")
    body = {"name": name, "roles": roles, "password": PASSWORD}
    ok(call(server, csp.creds, "POST", "/members", body), 201)
    page.goto("/console/sign-in")
    page.fill("#account_name", csp.creds.domain_name)
    page.fill("#user_name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/console/sign-in" not in url)


def test_a_member_without_the_bill_permission_is_refused(
    page: Page, server: LiveServer, csp: Partner
) -> None:
    _member_signed_in(page, server, csp, ["SALES_MANAGER"])
    api = call(server, csp.creds, "GET", "/partner-bills")  # the administrator: answered
    assert api.status_code == 200, api.text
    for path in BILL_PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        assert error_code(page.inner_text(".alert")) == "CBC.0151", path


def test_a_finance_member_sees_the_bills(page: Page, server: LiveServer, csp: Partner) -> None:
    _member_signed_in(page, server, csp, ["FINANCE"])
    for path in BILL_PAGES[:-1]:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.locator(".alert:has-text('CBC.0151')").count() == 0, path
