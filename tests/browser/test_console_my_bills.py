"""The customer's own bills in its console: a month's bill per service and charging mode, the
same figures the SDK's show_customer_monthly_sum answers, and the same refusal of a bad month.
axe-core checks the page; screenshots in English and Chinese."""

from __future__ import annotations

from decimal import Decimal

import pytest
from huaweicloudsdkbss.v2.model import ShowCustomerMonthlySumRequest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from playwright.sync_api import Page

from partner_center.provisioning import Credentials
from tests.browser.conftest import PASSWORD, check_page, error_code, sign_in
from tests.factories.bills import billed_usage
from tests.harness import LiveServer, unique

CYCLE = "2026-10"


@pytest.fixture(scope="module")
def billed_customer(server: LiveServer) -> Credentials:
    """A customer with 12.34500001 of pay-per-use in October 2026, billed on 5 November."""
    partner = server.partner()
    customer = server.customer(partner, password=PASSWORD, name=unique("my-bills"))

    server._call(
        billed_usage,
        customer_id=customer.account_id,
        partner_id=partner.id,
        amount="12.34500001",
        cycle=CYCLE,
    )
    return customer


def test_a_customer_reads_its_own_bill_as_the_sdk_does(
    page: Page, server: LiveServer, billed_customer: Credentials
) -> None:
    sdk = server.bss(billed_customer).show_customer_monthly_sum(
        ShowCustomerMonthlySumRequest(bill_cycle=CYCLE)
    )
    assert sdk.debt_amount == Decimal("12.35")

    sign_in(page, billed_customer.domain_name)
    page.goto(f"/console/my/bills?cycle={CYCLE}")
    page.wait_for_selector("#my-bill-lines")
    assert page.inner_text("#bill-consumption").startswith("12.35")
    assert page.inner_text("#bill-debt") == "12.35"
    lines = page.inner_text("#my-bill-lines")
    assert "Pay-per-use" in lines and "12.35" in lines, lines
    check_page(page, "my-bills")
    # The side menu leads there.
    page.goto("/console/my")
    page.click("nav >> text=My Bills")
    page.wait_for_selector("#my-bill-lines")

    page.goto(f"/console/my/bills?cycle={CYCLE}")
    page.click("nav.langs >> text=中文")
    page.wait_for_selector("h1:has-text('我的账单')")
    page.goto(f"/console/my/bills?cycle={CYCLE}")  # the language stays chosen
    assert "按需" in page.inner_text("#my-bill-lines")
    check_page(page, "my-bills-zh")
    page.click("nav.langs >> text=English")
    page.wait_for_selector("h1:has-text('My Bills')")

    # A month the API refuses is refused with the same code.
    with pytest.raises(ClientRequestException) as refused:
        server.bss(billed_customer).show_customer_monthly_sum(
            ShowCustomerMonthlySumRequest(bill_cycle="2026-13")
        )
    page.goto("/console/my/bills?cycle=2026-13")
    assert error_code(page.inner_text(".alert")) == refused.value.error_code
