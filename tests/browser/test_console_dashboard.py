"""The Operations Dashboard over all of a partner's customers: counts by association type and
state, budget use (every budget, not a sample), the account-manager spread and overdue bills,
each chart with its table; axe-core on the page, in English and Chinese; no error in the
browser's console."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import PASSWORD, check_page, sign_in
from tests.harness import LiveServer, unique
from tests.sdk.test_orders import set_budget


def test_the_dashboard_counts_every_customer(page: Page, server: LiveServer) -> None:
    csp = server.partner(password=PASSWORD)
    customers = [server.customer(csp, name=unique("dash")) for _ in range(4)]
    server.customer(csp, name=unique("ref"), authorize=False)
    for customer, amount in zip(customers, ("100", "200", "300"), strict=False):
        set_budget(server, csp, customer, amount)
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    sign_in(page, csp.creds.domain_name)
    page.wait_for_url("**/console/dashboard")
    page.wait_for_load_state("networkidle")
    # Nothing the browser refuses or cannot find: pygal's inline script (blocked by the CSP)
    # and the missing favicon were logged as errors on every load.
    assert errors == []
    assert page.inner_text("#customer-count") == "5"
    assert page.inner_text("#budget-count") == "3"
    assert page.inner_text("#budget-used") == "0.00"
    assert page.inner_text("#budget-75") == "0"
    assert "Nothing is overdue." in page.inner_text("#overdue")
    assert "No account manager\t5" in page.inner_text("#managers")
    top = page.inner_text("#budget-top")
    assert top.index("300.00") < top.index("200.00") < top.index("100.00")
    assert page.locator("#cap-managers + div[role=img] svg").count() == 1
    # A chart with nothing to draw says so once, in its table (no orders were paid here).
    assert page.inner_text("main").count("No paid orders yet.") == 1
    check_page(page, "partner-dashboard-full")
    page.click("nav.langs >> text=中文")
    page.wait_for_selector("h1:has-text('运营看板')")
    check_page(page, "partner-dashboard-zh")
    page.click("nav.langs >> text=English")
