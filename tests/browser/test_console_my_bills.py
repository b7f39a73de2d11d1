"""The customer's own bills in its console: a month's bill per service and charging mode, the
same figures the SDK's show_customer_monthly_sum answers, and the same refusal of a bad month.
axe-core checks the page; screenshots in English and Chinese."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from huaweicloudsdkbss.v2.model import ShowCustomerMonthlySumRequest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from playwright.sync_api import Page

from partner_center.provisioning import Credentials
from partner_center.state import AppState
from tests.browser.conftest import PASSWORD, check_page, error_code, sign_in
from tests.factories.bills import add_all, fee_row, resource_row
from tests.harness import LiveServer, unique

CYCLE = "2026-10"


@pytest.fixture(scope="module")
def billed_customer(server: LiveServer) -> Credentials:
    """A customer with 12.34500001 of pay-per-use in October 2026, billed on 5 November."""
    partner = server.partner()
    customer = server.customer(partner, password=PASSWORD, name=unique("my-bills"))

    async def bill(state: AppState) -> None:
        at = datetime(2026, 10, 10, tzinfo=UTC)
        rid = f"res-{customer.account_id[:8]}"
        async with state.db.unit_of_work() as uow:
            await add_all(
                uow.session,
                resource_row(rid, customer.account_id, partner.id, None, at),
                fee_row(
                    rid,
                    customer.account_id,
                    partner.id,
                    "12.34500001",
                    hour=at,
                    rated_at=at,
                    cycle=CYCLE,
                ),
            )
        async with state.work() as services:
            await services.billing.run_cycle(CYCLE)

    server._call(bill)
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
