"""Destructive buttons ask first — in a dialog with JavaScript, on a confirmation page
without it, and the server refuses to act on an unconfirmed form either way — and Set Budget's
"restrict purchases and freeze resources" needs the agreement, refused with the API's code."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, Page

from partner_center.provisioning import Credentials
from tests.browser.conftest import (
    SCREENSHOTS,
    check_page,
    error_code,
    field_error,
    row,
    sign_in,
    signed_in,
)
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_orders import EXT, signed
from tests.signed import signed_request


@pytest.fixture
def plain_page(new_page: Callable[..., Page]) -> Page:
    """A browser with JavaScript off: forms post as plain HTML forms."""
    return new_page(java_script_enabled=False)


def ask_to_freeze(page: Page, customer: Credentials) -> None:
    page.goto("/console/customers")
    page.check(f"#c-{customer.account_id}")
    page.click("summary:has-text('Freeze / Unfreeze')")
    page.fill("#reason", "Overdue")
    page.click("button:has-text('Freeze selected')")


def frozen(page: Page, customer: Credentials) -> None:
    page.wait_for_selector(".notice:has-text('The customers were frozen.')")
    assert "Frozen" in row(page, customer)


def test_freezing_asks_in_a_dialog_first(
    page: Page, csp: Partner, customers: list[Credentials]
) -> None:
    customer = customers[0]
    signed_in(page, csp)
    questions: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    ask_to_freeze(page, customer)
    page.wait_for_timeout(300)
    assert questions and questions[0].startswith("Freeze the selected customers?")
    page.reload()
    assert "Frozen" not in row(page, customer)

    page.once("dialog", lambda dialog: dialog.accept())
    ask_to_freeze(page, customer)
    frozen(page, customer)


def test_without_javascript_a_confirmation_page_asks(
    plain_page: Page, csp: Partner, customers: list[Credentials]
) -> None:
    page, customer = plain_page, customers[1]
    sign_in(page, csp.creds.domain_name)
    ask_to_freeze(page, customer)
    page.wait_for_selector("h1:has-text('Please confirm')")
    assert "Freeze the selected customers?" in page.inner_text("#question")
    assert page.get_attribute("#confirmation a.button", "href") == "/console/customers"
    assert "←" not in page.inner_text("main")  # no stray link above the question
    page.screenshot(path=str(SCREENSHOTS / "confirmation-without-js.png"), full_page=True)
    page.click("text=Cancel")
    page.wait_for_url("**/console/customers")
    assert "Frozen" not in row(page, customer)

    ask_to_freeze(page, customer)
    page.click("#confirmation button:has-text('Confirm')")
    frozen(page, customer)


def test_an_unconfirmed_form_changes_nothing(
    page: Page, csp: Partner, customers: list[Credentials]
) -> None:
    customer = customers[2]
    signed_in(page, csp)
    csrf = page.get_attribute("header.top input[name=csrf]", "value")
    assert csrf
    form = {"csrf": csrf, "customer_ids": customer.account_id, "change": "freeze", "reason": "x"}
    answer = page.request.post("/console/customers/freezing", form=form, max_redirects=0)
    assert answer.status == 200 and "Please confirm" in answer.text()
    page.goto("/console/customers")
    assert "Frozen" not in row(page, customer)
    # A button whose question is lost (no data-confirm) still meets the server's question.
    page.goto("/console/customers")
    page.eval_on_selector("button[data-confirm]", "b => b.removeAttribute('data-confirm')")
    page.check(f"#c-{customer.account_id}")
    page.click("summary:has-text('Freeze / Unfreeze')")
    page.fill("#reason", "Overdue")
    page.click("button:has-text('Freeze selected')")
    page.wait_for_selector("h1:has-text('Please confirm')")
    check_page(page, "confirmation")
    page.click("#confirmation button:has-text('Confirm')")
    frozen(page, customer)


def test_restrict_and_freeze_needs_the_agreement_as_the_api_does(
    page: Page, server: LiveServer, csp: Partner
) -> None:
    customer = server.customer(csp, name=unique("frz"))
    signed_in(page, csp)

    def set_budget(amount: str, *, accept: bool) -> None:
        page.goto("/console/customers")
        page.check(f"#c-{customer.account_id}")
        page.click("summary:has-text('Set Budget')")
        page.fill("#budget_amount", amount)
        page.select_option("#exhaustion_action", "RESTRICT_AND_FREEZE")
        if accept:
            page.check("#accept_agreement")
        page.click("button:has-text('Set budget of selected customers')")

    set_budget("300", accept=False)
    page.wait_for_selector("#accept_agreement-error")
    console_code = error_code(field_error(page, "accept_agreement"))
    assert page.get_attribute("#accept_agreement", "aria-invalid") == "true"
    check_page(page, "budget-agreement-refused")
    assert "300.00" not in row(page, customer)  # the whole batch was undone

    signed(
        server,
        csp.creds,
        "POST",
        "/v2/partners/sub-customers/budget",
        {"customer_id": customer.account_id, "budget_amount": 100, "budget_type": "MONTHLY"},
    ).raise_for_status()
    api = signed(
        server,
        csp.creds,
        "POST",
        f"{EXT}/budgets/exhaustion-action",
        {"customer_id": customer.account_id, "action": "RESTRICT_AND_FREEZE"},
    )
    assert api.status_code == 400 and api.json()["error_code"] == console_code == "CBC.0100"

    set_budget("300", accept=True)
    page.wait_for_selector(".notice:has-text('The budget was set.')")
    assert "300.00" in row(page, customer)
    shown = signed_request(
        server.url, csp.creds, "GET", f"{EXT}/budgets", query=f"customer_id={customer.account_id}"
    )
    assert shown.json().get("exhaustion_action") == "RESTRICT_AND_FREEZE", shown.text
    page.goto(f"/console/customers/detail?customer_id={customer.account_id}")
    assert "purchases restricted and resources frozen" in page.inner_text("main")


def test_a_refusal_is_explained_in_chinese_with_the_apis_code(
    new_page: Callable[..., Page], csp: Partner, customers: list[Credentials]
) -> None:
    page = new_page(locale="zh-CN")
    signed_in(page, csp)
    page.goto("/console/customers")
    page.check(f"#c-{customers[0].account_id}")
    page.click("summary:has-text('设置预算')")
    page.fill("#budget_amount", "-5")
    page.click("#batch button[formaction='/console/customers/budget']")
    page.wait_for_selector("#budget_amount-error")
    shown = field_error(page, "budget_amount")
    assert error_code(shown) == "CBC.0100"
    assert "参数缺失或无效。" in shown
    assert page.get_attribute("#budget_amount-error span[lang=en]", "lang") == "en"
    check_page(page, "customer-list-refused-zh")
