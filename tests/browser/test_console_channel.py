"""A distributor's channel in the console: its resellers' permissions and budget quotas, and
the Resellers' Customers tab (every reseller's customers; budgets and freezing for a reseller
that has not been granted them, read-only for one that has: rules.md §1.8–1.13)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page

from partner_center.domains.partners.public import PartnerType
from partner_center.provisioning import Credentials
from partner_center.state import AppState
from tests.browser.conftest import PASSWORD, check_page, error_code, field_error, sign_in
from tests.browser.test_console import _operator_password
from tests.harness import LiveServer, Partner, unique


@pytest.fixture(scope="module")
def distributor(server: LiveServer) -> Partner:
    return server.partner(PartnerType.DISTRIBUTOR, password=PASSWORD)


@pytest.fixture(scope="module")
def resellers(server: LiveServer, distributor: Partner) -> list[Partner]:
    return [server.partner(PartnerType.RESELLER, distributor=distributor) for _ in range(2)]


@pytest.fixture(scope="module")
def reseller_customers(
    server: LiveServer, distributor: Partner, resellers: list[Partner]
) -> dict[str, list[Credentials]]:
    return {
        r.id: [server.customer(distributor, reseller=r, name=unique("rc")) for _ in range(2)]
        for r in resellers
    }


def notice(page: Page, text: str) -> None:
    page.wait_for_selector(f".notice:has-text({text!r})")


def set_budget(page: Page, customer: Credentials, amount: str) -> None:
    """Select the customer in the list and set its budget (Set Budget, batch of one)."""
    page.check(f"#c-{customer.account_id}")
    page.click("summary:has-text('Set Budget')")
    page.fill("#budget_amount", amount)
    page.click("button:has-text('Set budget of selected customers')")


def test_a_distributor_manages_its_resellers_and_their_customers(
    page: Page,
    distributor: Partner,
    resellers: list[Partner],
    reseller_customers: dict[str, list[Credentials]],
) -> None:
    granted, managed = resellers
    sign_in(page, distributor.creds.domain_name)
    page.wait_for_url("**/console/dashboard")
    page.click('nav.side >> text="Resellers"')
    page.wait_for_selector("h1:has-text('Resellers')")
    assert granted.creds.domain_name in page.inner_text("table")
    check_page(page, "distributor-resellers")

    # Budget permission for one reseller; only a monthly quota for the other.
    page.click(f"tr:has-text('{granted.id}') >> text=Permissions and quotas")
    page.check("input[name=can_set_budget]")
    page.fill("#monthly_quota", "-3")
    page.click("button:has-text('Save permissions and quotas')")
    page.wait_for_selector("#monthly_quota-error")
    assert error_code(field_error(page, "monthly_quota")) == "CBC.0100"
    page.fill("#monthly_quota", "2000")
    page.click("button:has-text('Save permissions and quotas')")
    notice(page, "The permissions and quotas were saved.")
    check_page(page, "distributor-reseller-grants")
    page.goto(f"/console/resellers/grants?reseller_id={managed.id}")
    page.fill("#monthly_quota", "5000")
    page.click("button:has-text('Save permissions and quotas')")
    notice(page, "The permissions and quotas were saved.")
    page.goto("/console/resellers")
    assert "Budget" in page.inner_text(f"tr:has-text('{granted.id}')")
    assert "5,000.00" in page.inner_text(f"tr:has-text('{managed.id}')")

    # Every reseller's customers in one list.
    page.click("nav.side >> text=Resellers' Customers")
    page.wait_for_selector('h1:has-text("Resellers\' Customers")')
    listed = page.inner_text("table")
    for customers in reseller_customers.values():
        for customer in customers:
            assert customer.account_id in listed
    check_page(page, "distributor-resellers-customers")

    # The granted reseller answers for budgets: read-only here.
    page.select_option("#indirect_partner_id", granted.id)
    page.click("form[role=search] >> button:has-text('Search')")
    page.wait_for_selector("#budget-readonly")
    assert page.locator("summary:has-text('Set Budget')").count() == 0

    # The other one's customers get their budget and a freeze from the distributor.
    first, second = reseller_customers[managed.id]
    page.select_option("#indirect_partner_id", managed.id)
    page.click("form[role=search] >> button:has-text('Search')")
    page.wait_for_selector("summary:has-text('Set Budget')")
    set_budget(page, first, "6000")
    page.wait_for_selector(".alert:has-text('CBC.')")  # beyond the reseller's 5,000 quota
    set_budget(page, first, "150")
    notice(page, "The budget was set.")
    assert "150.00" in page.inner_text(f"tr:has(#c-{first.account_id})")
    page.check(f"#c-{second.account_id}")
    page.click("summary:has-text('Freeze / Unfreeze')")
    page.fill("#reason", "Overdue")
    page.click("button:has-text('Freeze selected')")
    notice(page, "The customers were frozen.")
    assert "Frozen" in page.inner_text(f"tr:has(#c-{second.account_id})")
    check_page(page, "distributor-resellers-customers-managed")


def test_the_operator_sees_a_resellers_distributor_by_name(
    page: Page, server: LiveServer, distributor: Partner, resellers: list[Partner]
) -> None:
    """The operator's partner list named a reseller's distributor by its 32-character id."""
    server._call(_operator_password)
    sign_in(page, "operator")
    page.wait_for_url("**/console/operator/partners")
    page.goto("/console/operator/partners?partner_type=RESELLER")
    row = page.inner_text(f"tr:has-text('{resellers[0].creds.domain_name}')")
    assert f"\t{distributor.creds.domain_name}\t" in row
    assert distributor.id not in row


async def _grant_budget(state: AppState, *, distributor_id: str, reseller_id: str) -> None:
    async with state.work() as services:
        await services.partners.set_grants(
            distributor_id=distributor_id,
            reseller_id=reseller_id,
            can_set_budget=True,
            can_restrict=False,
            can_freeze_resources=False,
            monthly_quota=Decimal("1000"),
            package_quota=None,
        )


def test_a_reseller_manages_only_its_own_customers(page: Page, server: LiveServer) -> None:
    """The reference's reseller guide: Sales > Customers > Customer Management lists the
    reseller's customers, with Set Budget within its distributor's quota (rules.md 1.11-1.12)."""
    distributor = server.partner(PartnerType.DISTRIBUTOR)
    reseller = server.partner(PartnerType.RESELLER, distributor=distributor, password=PASSWORD)
    sibling = server.partner(PartnerType.RESELLER, distributor=distributor)
    mine = [server.customer(distributor, reseller=reseller, name=unique("own")) for _ in range(2)]
    theirs = server.customer(distributor, reseller=sibling, name=unique("sib"))
    distributors_own = server.customer(distributor, name=unique("dist"))
    server._call(_grant_budget, distributor_id=distributor.id, reseller_id=reseller.id)

    sign_in(page, reseller.creds.domain_name)
    page.wait_for_url("**/console/customers/invitations")
    page.click("nav.side >> text=Customer Management")
    page.wait_for_selector("h1:has-text('Customer Management')")
    listed = page.inner_text("table")
    assert all(c.account_id in listed for c in mine)
    assert theirs.account_id not in listed and distributors_own.account_id not in listed
    assert "1,000.00" in page.inner_text("#budget-quota")
    # Not granted: restricting purchases, so neither freezing nor lifting a restriction.
    assert page.locator("summary:has-text('Freeze / Unfreeze')").count() == 0
    assert page.locator("input[name=lift_restrictions]").count() == 0

    first = mine[0]
    set_budget(page, first, "1500")
    page.wait_for_selector(".alert:has-text('CBC.')")  # beyond the 1,000 quota
    assert first.account_id in page.inner_text(".alert")
    set_budget(page, first, "200")
    notice(page, "The budget was set.")
    assert "200.00" in page.inner_text(f"tr:has(#c-{first.account_id})")
    check_page(page, "reseller-customers")
    page.click(f"tr:has(#c-{first.account_id}) >> a:has-text('200.00')")
    page.wait_for_selector(f"h1:has-text('{first.domain_name}')")
    assert "200.00" in page.inner_text("main table")
    page.go_back()

    page.click(f"tr:has(#c-{first.account_id}) >> text=Details")
    page.wait_for_selector(f"h1:has-text('{first.domain_name}')")
    assert page.locator("button:has-text('Act as customer')").count() == 0
    answer = page.goto(f"/console/customers/detail?customer_id={theirs.account_id}")
    assert answer is not None and answer.status == 400
    assert "Not one of your customers" in page.inner_text("body")
