"""The language switch opens the page being read again in the other language: with its query
string, and after a refused form (a page rendered from a POST) at the form page's GET address,
never the POST-only path (405; test_console_coupons switches after a refused coupon issue)."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import PASSWORD, signed_in
from tests.harness import LiveServer


def test_switching_language_keeps_the_query(page: Page, server: LiveServer) -> None:
    csp = server.partner(password=PASSWORD)
    customer = server.customer(csp)
    signed_in(page, csp)
    page.goto(f"/console/customers/detail?customer_id={customer.account_id}")
    page.wait_for_selector(f"h1:has-text({customer.account_id!r})")
    page.click("nav.langs >> text=中文")
    page.wait_for_selector("html[lang=zh-CN]")
    assert page.url.endswith(f"/console/customers/detail?customer_id={customer.account_id}")
    assert customer.account_id in page.inner_text("h1")
