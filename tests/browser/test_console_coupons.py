"""Coupons in the console: the operator grants a CSP a coupon quota (and freezes and restores
it), the CSP issues coupons to its customers within it — a customer that cannot receive one is
listed with the API's error code — and reclaims one, whose balance returns to the quota."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import PASSWORD, check_page, error_code, field_error, sign_in
from tests.browser.test_console import _operator_password
from tests.harness import LiveServer, unique


def notice(page: Page, text: str) -> None:
    page.wait_for_selector(f".notice:has-text({text!r})")


def test_coupon_quotas_and_coupons(page: Page, server: LiveServer) -> None:
    csp = server.partner(password=PASSWORD)
    first, second = (server.customer(csp, name=unique("cc")) for _ in range(2))
    server._call(_operator_password)
    sign_in(page, "operator")
    page.wait_for_url("**/console/operator/partners")
    page.click("nav.side >> text=Coupon Quotas")
    page.wait_for_selector("h1:has-text('Coupon Quotas')")
    page.click("summary:has-text('Grant a coupon quota')")
    page.fill("#partner_id", csp.id)
    page.fill("#quota_value", "-10")
    page.fill("#expire_time", "2099-12-31")
    page.click("button:has-text('Grant quota')")
    page.wait_for_selector("#quota_value-error")
    assert error_code(field_error(page, "quota_value")) == "CBC.0100"
    page.fill("#quota_value", "1000")
    page.click("button:has-text('Grant quota')")
    notice(page, "The coupon quota was granted.")
    quota_row = f"tr:has-text('{csp.creds.domain_name}')"
    assert "1,000.00" in page.inner_text(quota_row)
    page.click(f"{quota_row} >> button:has-text('Freeze')")
    notice(page, "The coupon quota's status was changed.")
    assert "Frozen" in page.inner_text(quota_row)
    page.click(f"{quota_row} >> button:has-text('Restore')")
    page.wait_for_selector(f"{quota_row}:has-text('Normal')")
    check_page(page, "operator-coupon-quotas")
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/console/sign-in")

    sign_in(page, csp.creds.domain_name)
    page.wait_for_url("**/console/dashboard")
    page.click("nav.side >> text=Coupons")
    page.wait_for_selector("h1:has-text('Coupons')")
    assert "1,000.00" in page.inner_text("#quotas")
    page.fill("#customer_ids", f"{first.account_id}, {second.account_id} nobody-{csp.id[:8]}")
    page.fill("#face_value", "25")
    page.click("button:has-text('Issue coupons')")
    page.wait_for_selector("#issue-errors")
    assert "CBC.99000035" in page.inner_text("#issue-errors")
    assert "2 coupons were issued" in page.inner_text("#issue-errors")
    assert "950.00" in page.inner_text("#quotas")
    issued = page.inner_text("#issued")
    assert first.account_id in issued and second.account_id in issued
    check_page(page, "partner-coupons")

    page.click(f"#issued tr:has-text('{first.account_id}') >> button:has-text('Reclaim')")
    notice(page, "The coupon was reclaimed")
    assert "Reclaimed" in page.inner_text(f"#issued tr:has-text('{first.account_id}')")
    assert "975.00" in page.inner_text("#quotas")

    page.fill("#customer_ids", first.account_id)
    page.fill("#face_value", "5000")
    page.click("button:has-text('Issue coupons')")
    page.wait_for_selector(".alert")
    assert "CBC.990000" in page.inner_text(".alert")
