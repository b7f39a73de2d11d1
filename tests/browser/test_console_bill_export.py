"""A partner exports a cycle's customer bill lines from Partner Bills as background work: the
page follows its progress and offers the file when done — the very file ``partner-center bills
export`` writes — which no other partner can read. Wherever the console shows a service or
resource type (the bill lines, the customer's own bill, the dashboard's spend by service) it
names it as the catalogue does, in the page's language. axe-core checks each page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page

from partner_center.provisioning import Credentials
from partner_center.state import AppState
from tests.browser.conftest import PASSWORD, check_page, sign_in, signed_in
from tests.factories.bills import (
    ECS,
    VM,
    add_rows,
    bill_rows,
    fee_row,
    order_rows,
    resource_row,
)
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_orders import load_catalog

CYCLE = "2026-11"


@pytest.fixture(scope="module")
def billed(server: LiveServer) -> tuple[Partner, Credentials]:
    """A partner whose customer spent 250 + 0.125 on a cloud server in November 2026, billed,
    and ordered one in December; the demo catalogue names the server's service and resource
    types."""
    load_catalog(server)
    partner = server.partner(password=PASSWORD)
    customer = server.customer(partner, password=PASSWORD, name=unique("exported"))

    at = datetime(2026, 11, 10, tzinfo=UTC)
    rid = f"res-{customer.account_id[:8]}"
    fees = [
        fee_row(
            rid,
            customer.account_id,
            partner.id,
            amount,
            hour=at.replace(hour=h),
            rated_at=at,
            cycle=CYCLE,
        )
        for h, amount in ((1, "250"), (2, "0.125"))
    ]
    resource = resource_row(rid, customer.account_id, partner.id, None, at)
    server._call(bill_rows, rows=[resource, *fees], cycle=CYCLE)
    # An order paid after the bill run (its stored service name is the short "ECS").
    order = order_rows(customer.account_id, partner.id, None, "9", paid_at=at.replace(month=12))
    server._call(add_rows, rows=list(order))
    return partner, customer


def _cli_file(server: LiveServer, partner_id: str) -> str:
    async def export(state: AppState) -> str:
        async with state.work() as services:
            return "".join(
                [chunk async for chunk in services.billing.export_lines(partner_id, CYCLE)]
            )

    text: str = server._call(export)
    return text


def test_a_partner_exports_a_cycles_bill_lines_in_the_background(
    page: Page, new_page: object, server: LiveServer, billed: tuple[Partner, Credentials]
) -> None:
    partner, customer = billed
    signed_in(page, partner)
    page.click("nav.side >> text=Partner Bills")
    page.wait_for_selector("#bills")
    check_page(page, "finance-partner-bills-export")
    page.click(f"#export-{CYCLE}")
    page.wait_for_url("**/console/work?work_id=*")
    page.wait_for_selector("#work-result", timeout=20_000)
    progress = page.inner_text("#work-progress")
    assert "Done" in progress and "1 of 1 lines" in progress, progress
    check_page(page, "finance-bill-export-done")
    with page.expect_download() as downloaded:
        page.click("#work-result")
    assert downloaded.value.suggested_filename == f"customer-bill-lines-{CYCLE}.csv"
    content = Path(downloaded.value.path()).read_bytes().decode()
    assert content == _cli_file(server, partner.id)
    assert customer.account_id in content and ",250.12500000," in content
    work_url = page.url
    file_url = work_url.replace("/console/work?", "/console/work/file?")

    page.goto("/console/finance/exports")
    assert "Bill lines export" in page.inner_text("table") and CYCLE in page.inner_text("table")

    # The cycle's page offers the same export.
    page.goto(f"/console/finance/bills/customers?cycle={CYCLE}")
    assert page.is_visible(f"#export-{CYCLE}")

    # Another partner reads neither the work nor its file.
    other = server.partner(password=PASSWORD)
    stranger = new_page()  # type: ignore[operator]
    signed_in(stranger, other)
    for url in (work_url, file_url):
        refused = stranger.request.get(url)
        assert refused.status == 400 and "CBC.0100" in refused.text(), url
        assert customer.account_id not in refused.text()


def test_service_and_resource_types_are_named_as_the_catalogue_names_them(
    page: Page, new_page: object, billed: tuple[Partner, Credentials]
) -> None:
    partner, customer = billed
    signed_in(page, partner)
    page.goto(f"/console/finance/bills/customer?cycle={CYCLE}&customer_id={customer.account_id}")
    lines = page.inner_text("#bill-lines")
    assert "Elastic Cloud Server" in lines and "Cloud server" in lines, lines
    assert ECS not in lines and VM not in lines
    check_page(page, "finance-customer-bill-named")
    page.goto(f"/console/customers/detail?customer_id={customer.account_id}")
    orders = page.inner_text("table >> nth=0")
    assert "Elastic Cloud Server" in orders and "ECS" not in orders, orders
    page.goto("/console/dashboard")
    by_service = page.inner_text("#by-service")
    assert "Elastic Cloud Server" in by_service and ECS not in by_service, by_service
    assert "Elastic Cloud Server" in page.inner_text("#cap-services ~ div[role=img]")

    page.click("nav.langs >> text=中文")
    page.wait_for_selector("html[lang^=zh]")
    assert "弹性云服务器" in page.inner_text("#by-service")
    check_page(page, "dashboard-zh-named")
    page.goto(f"/console/finance/bills/customer?cycle={CYCLE}&customer_id={customer.account_id}")
    lines = page.inner_text("#bill-lines")
    assert "弹性云服务器" in lines and "云主机" in lines, lines
    check_page(page, "finance-customer-bill-zh")
    page.click("nav.langs >> text=English")

    mine = new_page()  # type: ignore[operator]
    sign_in(mine, customer.domain_name)
    mine.goto(f"/console/my/bills?cycle={CYCLE}")
    table = mine.inner_text("#my-bill-lines")
    assert "Elastic Cloud Server" in table and "Cloud server" in table, table
    assert ECS not in table
    check_page(mine, "my-bills-named")
    mine.click("nav.langs >> text=中文")
    mine.wait_for_selector("html[lang^=zh]")
    mine.goto("/console/my/orders")
    orders = mine.inner_text("table >> nth=0")
    assert "弹性云服务器" in orders and "ECS" not in orders, orders
    check_page(mine, "my-orders-zh-named")
    mine.click("nav.langs >> text=English")
