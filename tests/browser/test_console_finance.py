"""The console's finance area in a real browser (issue 12 item 3, the finance parts of item 6):
a partner with a bill opens the Unpaid Bills dialog and drills the bill down to a customer and
its resources; repays part of the amount due online, refused above the amount due and above the
online limit with the API's code beside the amount; opens a bank-transfer ticket with a
certificate from the Bank Transfer tab; the operator confirms it in its ticket queue; the
partner sees both records in the account statements and exports them. axe-core checks every
finance page (screenshots in ``tests/browser/screenshots/``); Partner Bills in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
import segno
from playwright.sync_api import Page

from partner_center.domains.payments.public import NewTopUpAccount
from partner_center.state import AppState
from tests.browser.conftest import PASSWORD, check_page, field_error, sign_in
from tests.browser.test_console import _operator_password
from tests.factories.bills import billed_usage
from tests.harness import LiveServer, Partner, unique


@pytest.fixture(scope="module")
def debtor(server: LiveServer) -> tuple[Partner, str]:
    """A partner billed 1,000 USD for last November (one customer's pay-per-use), and the
    operator's published top-up account."""
    partner = server.partner(password=PASSWORD)
    name = unique("billed")
    customer = server.customer(partner, name=name)

    server._call(
        billed_usage,
        customer_id=customer.account_id,
        partner_id=partner.id,
        amount="1000",
        cycle="2026-11",
    )

    async def publish(state: AppState) -> None:
        async with state.work() as services:
            await services.top_up_accounts.publish(
                NewTopUpAccount("Demo Bank", "Partner Center Ltd", "6222 0000 1111 2222"),
                actor_id="operator",
            )
        await _operator_password(state)

    server._call(publish)
    return partner, name


def certificate(tmp: Path) -> Path:
    path = tmp / "transfer.png"
    segno.make("bank transfer certificate").save(str(path), kind="png", scale=4)
    return path


def sign_out(page: Page) -> None:
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/console/sign-in")


def test_partner_bills_drill_down(page: Page, debtor: tuple[Partner, str]) -> None:
    partner, customer_name = debtor
    sign_in(page, partner.creds.domain_name)
    page.wait_for_url("**/console/dashboard")
    page.click("nav.side >> text=Partner Bills")
    page.wait_for_selector("#amount-due")
    assert "1,000.00" in page.inner_text("#amount-due")
    page.click("#open-unpaid")
    page.wait_for_selector("#unpaid-bills:popover-open")
    assert "2026-11" in page.inner_text("#unpaid-bills")
    check_page(page, "finance-unpaid-bills")
    page.click("#unpaid-bills >> a:has-text('2026-11')")
    page.wait_for_selector("#customer-bills")
    assert "1,000.00" in page.inner_text("#bill-amount-due")
    check_page(page, "finance-bill-cycle")
    page.click(f"#customer-bills >> a:has-text('{customer_name}')")
    page.wait_for_selector("#bill-lines")
    lines = page.inner_text("#bill-lines")
    assert "Pay-per-use" in lines and "1,000.00" in lines, lines
    check_page(page, "finance-customer-bill")
    # Another partner's customer is not reachable by its id.
    other = page.request.get(
        f"/console/finance/bills/customer?cycle=2026-11&customer_id={unique('x')}"
    )
    assert other.status == 400 and "CBC.0100" in other.text()

    page.goto("/console/finance/bills")
    page.click("nav.langs >> text=中文")
    page.wait_for_selector("html[lang^=zh]")
    assert "还款" in page.inner_text("#repay")
    assert "未结清账单" in page.inner_text("#open-unpaid")
    check_page(page, "finance-partner-bills-zh")
    page.click("nav.langs >> text=English")


def test_a_partner_repays_online_and_by_bank_transfer(
    page: Page, debtor: tuple[Partner, str], tmp_path: Path
) -> None:
    partner, _ = debtor
    sign_in(page, partner.creds.domain_name)
    page.wait_for_url("**/console/dashboard")
    page.goto("/console/finance/bills")
    check_page(page, "finance-partner-bills")
    page.click("#repay")
    page.wait_for_selector("#amount-hint")
    assert "40,000.00" in page.inner_text("#amount-hint")
    check_page(page, "finance-repay-online")

    def repay(amount: str) -> None:
        page.fill("#amount", amount)
        page.click("#to-card")

    repay("1500")
    page.wait_for_selector("#amount-error")
    assert "CBC.0100" in field_error(page, "amount")
    assert "amount due" in field_error(page, "amount")
    repay("40001")
    page.wait_for_selector("#amount-error:has-text('40,000')")
    assert "CBC.0100" in field_error(page, "amount")
    check_page(page, "finance-repay-online-refused")
    repay("300")
    page.wait_for_selector("h1:has-text('Online Payment')")
    assert page.input_value("#amount") == "300.00"
    page.fill("#number", "4242 4242 4242 4241")
    page.fill("#exp_month", "12")
    page.fill("#exp_year", "2030")
    page.fill("#cvc", "123")
    page.fill("#holder_name", "Test Holder")
    page.click("button:has-text('Pay')")
    page.wait_for_selector("#number-error")
    assert "CBC.0100" in field_error(page, "number")
    assert "4242" not in page.inner_text("main")
    check_page(page, "finance-repay-card")
    page.fill("#number", "4242 4242 4242 4242")
    page.fill("#cvc", "123")
    page.click("button:has-text('Pay')")
    page.wait_for_selector("#result")
    assert "Payment succeeded." in page.inner_text("#result")
    assert "700.00" in page.inner_text("#result")
    check_page(page, "finance-repay-result")

    page.goto("/console/finance/repay?tab=transfer")
    assert "6222 0000 1111 2222" in page.inner_text("#top-up-account")
    check_page(page, "finance-repay-bank-transfer")
    page.click("#submit-ticket")
    page.wait_for_selector("h1:has-text('Create Service Ticket')")
    assert page.input_value("#amount") == "700.00"
    page.fill("#amount", "200")
    page.fill("#payer", "Partner Co. Ltd")
    page.click("button:has-text('Submit ticket')")
    page.wait_for_selector("#attachment_ids-error:has-text('certificate')")
    assert "CBC.0100" in field_error(page, "attachment_ids")
    assert page.input_value("#payer") == "Partner Co. Ltd"
    page.set_input_files("#certificate", str(certificate(tmp_path)))
    check_page(page, "finance-transfer-ticket")
    page.click("button:has-text('Submit ticket')")
    page.wait_for_selector("#result:has-text('ticket was submitted')")
    sign_out(page)

    sign_in(page, "operator")
    page.wait_for_url("**/console/operator/partners")
    page.click("nav.side >> text=Ticket Queue")
    ticket = f"tr:has-text('{partner.creds.domain_name}')"
    check_page(page, "finance-operator-tickets")
    page.click(f"{ticket} >> a:has-text('Bank transfer repayment')")
    page.wait_for_selector("#ticket-facts")
    assert "Partner Co. Ltd" in page.inner_text("#ticket-facts")
    href = page.get_attribute("#attachments >> a:has-text('transfer.png')", "href")
    assert href is not None
    download = page.request.get(href)
    assert download.ok and download.headers["content-type"] == "image/png"
    check_page(page, "finance-operator-ticket")
    page.fill("#received_amount", "200")
    page.click("button:has-text('Confirm')")
    page.wait_for_selector(".notice:has-text('The bank transfer was confirmed.')")
    assert "Confirmed" in page.inner_text(ticket)
    page.click("nav.side >> text=Bill Runs")
    page.wait_for_selector("h1:has-text('Bill Runs')")
    assert "Completed" in page.inner_text("tr:has-text('2026-11')")
    check_page(page, "finance-operator-bill-runs")
    sign_out(page)

    sign_in(page, partner.creds.domain_name)
    page.wait_for_url("**/console/dashboard")
    page.goto("/console/finance/bills")
    assert "500.00" in page.inner_text("#amount-due")
    page.click("#payment-records")
    page.wait_for_selector("h1:has-text('Account statements')")
    page.fill("#begin_date", "2026-01-01")
    page.click("form.filters >> button:has-text('Search')")
    page.wait_for_url("**begin_date=2026-01-01**")
    table = page.inner_text("table")
    assert "-300.00" in table and "-200.00" in table, table
    assert table.count("Repayment") >= 2 and table.count("Top-up") >= 2, table
    # The two top-ups say how the money came: the card payment and the bank transfer.
    assert "Online payment (card)" in table and "Bank transfer" in table, table
    check_page(page, "finance-statements")
    csv = page.request.get("/console/finance/statements?begin_date=2026-01-01&format=csv")
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    assert csv.text().count("\n") >= 5, csv.text()
