"""Association business in the console: account managers (assign, withdraw, history), the
partner's association-type change and disassociation requests with their state, withdrawn or
decided by the customer in its console, and the customer's own disassociation request decided
by the partner — each form refusing bad input with the code the API answers."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from partner_center.provisioning import Credentials
from tests.browser.conftest import (
    PASSWORD,
    check_page,
    error_code,
    field_error,
    notice,
    sign_in,
    signed_in,
)
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_association_helpers import call, member, ok
from tests.sdk.test_association_requests import disassociate, unlock_referral


def relationship(page: Page, customer: Credentials) -> None:
    page.goto(f"/console/customers/detail?customer_id={customer.account_id}")
    page.click("text=Association and account manager")
    page.wait_for_selector("h2:has-text('Account manager')")


def accepting(page: Page) -> Page:
    page.once("dialog", lambda dialog: dialog.accept())
    return page


def test_a_partner_assigns_and_withdraws_an_account_manager(
    page: Page, server: LiveServer, csp: Partner, customers: list[Credentials]
) -> None:
    customer = customers[0]
    name = unique("am")
    member_id, _creds = member(server, csp, ["ACCOUNT_MANAGER"], name=name)
    signed_in(page, csp)
    relationship(page, customer)
    assert "No account manager" in page.inner_text("#current-manager")
    page.select_option("#member_id", member_id)
    page.click("button:has-text('Assign')")
    notice(page, "The account manager was assigned")
    assert name in page.inner_text("#current-manager")
    assert name in page.inner_text("#manager-history")
    check_page(page, "customer-association")
    page.goto(f"/console/customers/detail?customer_id={customer.account_id}")
    assert page.inner_text("#account-manager") == name
    relationship(page, customer)
    history = ok(
        call(server, csp.creds, "GET", f"/customers/{customer.account_id}/account-manager-history")
    )
    assert [a["member_id"] for a in history["assignments"]] == [member_id]

    # A member without the Account Manager role: refused with the API's code, beside the field.
    finance_id, _creds = member(server, csp, ["FINANCE"], name=unique("fin"))
    page.eval_on_selector(
        "#member_id", "(s, id) => { s.options[0].value = id; s.selectedIndex = 0; }", finance_id
    )
    page.click("button:has-text('Assign')")
    page.wait_for_selector("#member_id-error")
    api = call(
        server,
        csp.creds,
        "PUT",
        f"/customers/{customer.account_id}/account-manager",
        {"member_id": finance_id},
    )
    assert api.status_code == 400
    assert error_code(field_error(page, "member_id")) == api.json()["error_code"]
    assert name in page.inner_text("#current-manager")

    accepting(page).click("button:has-text('Withdraw')")
    notice(page, "The account manager was withdrawn.")
    assert "No account manager" in page.inner_text("#current-manager")
    assert page.inner_text("#manager-history tbody tr:first-child td:last-child").endswith("UTC")


def test_a_type_change_is_refused_as_the_api_does_then_the_customer_approves_it(
    page: Page, new_page: Callable[..., Page], server: LiveServer
) -> None:
    partner = server.partner(password=PASSWORD)
    unlock_referral(server, partner)
    customer = server.customer(partner, password=PASSWORD, name=unique("tc"))
    signed_in(page, partner)
    relationship(page, customer)
    page.select_option("#association_type", "RESELLER")  # what it already is
    page.click("button:has-text('Request the change')")
    page.wait_for_selector("#association_type-error")
    api = call(
        server,
        partner.creds,
        "POST",
        f"/customers/{customer.account_id}/association-type-changes",
        {"association_type": "3"},
    )
    assert api.status_code == 400
    assert error_code(field_error(page, "association_type")) == api.json()["error_code"]

    page.select_option("#association_type", "REFERRAL")
    page.click("button:has-text('Request the change')")
    notice(page, "The association type change was requested")
    assert "Pending" in page.inner_text("#requests")
    check_page(page, "association-requests")

    mine = new_page()
    sign_in(mine, customer.domain_name)
    mine.wait_for_url("**/console/my")
    mine.click("nav.side >> text=Association requests")
    mine.wait_for_selector("#type-changes")
    check_page(mine, "customer-association-requests")
    mine.click("#type-changes >> button:has-text('Approve')")
    notice(mine, "The request was approved.")
    assert "Approved" in mine.inner_text("#type-changes")
    assert "Referral model" in mine.inner_text("main")

    page.goto("/console/customers/requests?tab=type_changes")
    assert "Approved" in page.inner_text("#requests")


def test_disassociation_requests_either_way(
    page: Page, new_page: Callable[..., Page], server: LiveServer
) -> None:
    partner = server.partner(password=PASSWORD)
    customer = server.customer(partner, password=PASSWORD, name=unique("dis"))
    signed_in(page, partner)
    relationship(page, customer)

    # Without the statement read: the API's code beside the checkbox.
    page.fill("#reason", "Contract ended")
    accepting(page).click("button:has-text('Request disassociation')")
    page.wait_for_selector("#statement_accepted-error")
    api = disassociate(server, partner, customer.account_id, statement_accepted=False)
    assert api.status_code == 400
    assert error_code(field_error(page, "statement_accepted")) == api.json()["error_code"]

    # Asked, then withdrawn.
    page.check("#statement_accepted")
    accepting(page).click("button:has-text('Request disassociation')")
    notice(page, "The disassociation was requested.")
    assert "Pending" in page.inner_text("#requests")
    page.click("#requests >> button:has-text('Withdraw')")
    notice(page, "The request was withdrawn.")
    assert "Withdrawn" in page.inner_text("#requests")

    # The customer asks; the partner rejects.
    mine = new_page()
    sign_in(mine, customer.domain_name)
    mine.wait_for_url("**/console/my")
    mine.goto("/console/my/association")
    mine.fill("#reason", "Moving on")
    accepting(mine).click("button:has-text('Request disassociation')")
    notice(mine, "The disassociation was requested.")
    page.goto("/console/customers/requests?status=PENDING")
    assert "Moving on" in page.inner_text("#requests")
    page.click("#requests >> button:has-text('Reject')")
    notice(page, "The request was rejected.")

    # The partner asks again; the customer approves: the association ends.
    relationship(page, customer)
    page.fill("#reason", "Contract ended")
    page.check("#statement_accepted")
    accepting(page).click("button:has-text('Request disassociation')")
    notice(page, "The disassociation was requested.")
    mine.goto("/console/my/association")
    accepting(mine).click("#disassociations >> button:has-text('Approve')")
    notice(mine, "The request was approved.")
    assert mine.is_visible("#no-partner")


def test_the_customer_list_filters_by_account_manager_and_names_each_customers_manager(
    page: Page, server: LiveServer
) -> None:
    partner = server.partner(password=PASSWORD)
    first, second, unmanaged = (server.customer(partner, name=unique("amf")) for _ in range(3))
    ann, bob = unique("ann"), unique("bob")
    ann_id, _creds = member(server, partner, ["ACCOUNT_MANAGER"], name=ann)
    bob_id, _creds = member(server, partner, ["ACCOUNT_MANAGER"], name=bob)
    member(server, partner, ["FINANCE"], name=unique("fin"))
    for customer, manager_id in ((first, ann_id), (second, bob_id)):
        path = f"/customers/{customer.account_id}/account-manager"
        ok(call(server, partner.creds, "PUT", path, {"member_id": manager_id}))

    signed_in(page, partner)
    page.goto("/console/customers")
    # Only account managers are offered, and every row names its manager.
    options = page.eval_on_selector_all("#account_manager option", "os => os.map(o => o.value)")
    assert sorted(options) == sorted(["", ann_id, bob_id])
    assert page.inner_text(f"tr:has(#c-{first.account_id}) .account-manager") == ann
    assert page.inner_text(f"tr:has(#c-{second.account_id}) .account-manager") == bob
    assert page.inner_text(f"tr:has(#c-{unmanaged.account_id}) .account-manager") == "-"

    page.select_option("#account_manager", ann_id)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(f"**account_manager={ann_id}**")
    shown = page.eval_on_selector_all(
        "input[name=customer_ids]", "boxes => boxes.map(b => b.value)"
    )
    assert shown == [first.account_id]
    assert page.input_value("#account_manager") == ann_id
    check_page(page, "customer-list-by-manager")
    # Paging keeps the filter: "Previous" from a page past the end leads back to the same list.
    page.goto(f"/console/customers?account_manager={ann_id}&offset=10&limit=10")
    assert "of 1" in page.inner_text(".pager")
    page.click(".pager >> text=Previous")
    page.wait_for_url(f"**account_manager={ann_id}**offset=0**")
    shown = page.eval_on_selector_all(
        "input[name=customer_ids]", "boxes => boxes.map(b => b.value)"
    )
    assert shown == [first.account_id]

    # An id that is not one of the account's managers filters nothing out.
    page.goto("/console/customers?account_manager=nobody")
    assert page.input_value("#account_manager") == ""
    assert page.locator("input[name=customer_ids]").count() == 3

    page.click("nav.langs >> text=中文")
    page.wait_for_selector("h1:has-text('客户管理')")
    page.goto(f"/console/customers?account_manager={bob_id}")
    assert page.inner_text("label[for=account_manager]") == "客户经理"
    assert "客户经理" in page.inner_text("table thead")
    assert page.eval_on_selector_all(
        "input[name=customer_ids]", "boxes => boxes.map(b => b.value)"
    ) == [second.account_id]
    check_page(page, "customer-list-by-manager-zh")
    page.click("nav.langs >> text=English")
