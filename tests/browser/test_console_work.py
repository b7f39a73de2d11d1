"""Long work in the console, run as jobs with a progress bar the page polls every second: the
operator imports the catalogue file (a bad file fails with the importer's code) and runs a
cycle's bill run (a cycle not ended yet fails with the API's code); a partner exports its
account statements as CSV in the background and downloads the file."""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files
from pathlib import Path

from playwright.sync_api import Page

from partner_center.domains.balances.public import TopUpChannel
from partner_center.provisioning import ensure_operator
from partner_center.state import AppState
from tests.browser.conftest import PASSWORD, check_page, sign_in
from tests.browser.test_console import _operator_password
from tests.harness import LiveServer

DEMO_CATALOG = files("partner_center").joinpath("catalog_data", "demo-catalog.json")


async def _queued_bill_run(state: AppState, *, cycle: str) -> str:
    operator_id = await ensure_operator(state)
    async with state.work() as services:
        work = await services.background.start_bill_run(
            operator_id=operator_id, member_id=None, cycle=cycle
        )
        return work.work_id


def test_the_operator_imports_the_catalogue_and_runs_a_bill_run(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    server._call(_operator_password)
    sign_in(page, "operator")
    page.wait_for_url("**/console/operator/partners")
    page.click("nav.side >> text=Catalog Import")
    page.wait_for_selector("h1:has-text('Catalog Import')")
    check_page(page, "operator-catalog-import")

    bad = tmp_path / "broken.json"
    bad.write_text('{"version": "one"}')
    page.set_input_files("#file", str(bad))
    page.click("button:has-text('Import')")
    page.wait_for_selector("#work-error")
    assert "CATALOG.INVALID_FILE" in page.inner_text("#work-error")

    page.goto("/console/operator/catalog")
    page.set_input_files("#file", str(DEMO_CATALOG))
    page.click("button:has-text('Import')")
    page.wait_for_url("**/console/work?work_id=*")
    # The progress element polls itself (hx-trigger every 1s) until the job has run.
    page.wait_for_selector("#work-result:has-text('Imported version')", timeout=20_000)
    assert page.inner_text("#work-percent") == "100%"
    check_page(page, "operator-catalog-imported")
    page.goto("/console/operator/catalog")
    assert "Done" in page.inner_text("table") and "Failed" in page.inner_text("table")

    page.click("nav.side >> text=Bill Runs")
    page.wait_for_selector("h1:has-text('Bill Runs')")
    business = page.inner_text(".badge.sandbox").split("·")[-1].strip()
    page.fill("#cycle", business[:7])  # the month in progress has not ended
    page.click("button:has-text('Run the bill run now')")
    page.wait_for_selector("#work-error:has-text('CBC.0100')", timeout=20_000)
    # A run queued without waking the runner: its page polls until the run is done, which
    # the next form that wakes the runner brings about (another tab).
    page.goto("/console/operator/bill-runs")
    cycle = page.input_value("#cycle")  # the month before: prefilled
    work_id = server._call(_queued_bill_run, cycle=cycle)
    page.goto(f"/console/work?work_id={work_id}")
    assert page.get_attribute("#work-progress", "hx-trigger") == "every 1s"
    assert "Queued" in page.inner_text("#work-status")
    other = page.context.new_page()
    other.goto("/console/operator/bill-runs")
    other.click("button:has-text('Run the bill run now')")
    other.wait_for_selector("#work-result:has-text('partner bills')", timeout=20_000)
    page.wait_for_selector("#work-result:has-text('partner bills')", timeout=20_000)
    assert page.get_attribute("#work-progress", "hx-trigger") is None
    check_page(page, "operator-bill-run-work")
    page.goto("/console/operator/bill-runs")
    assert "Completed" in page.inner_text("table")


def test_a_partner_exports_its_statements_in_the_background(page: Page, server: LiveServer) -> None:
    partner = server.partner(password=PASSWORD)

    async def fund(state: AppState) -> None:
        for amount in ("12.34", "56.78"):
            async with state.work() as services:
                await services.balances.top_up(
                    partner.id,
                    Decimal(amount),
                    channel=TopUpChannel.BANK_TRANSFER,
                    actor_id="operator",
                )

    server._call(fund)
    sign_in(page, partner.creds.domain_name)
    page.wait_for_url("**/console/dashboard")
    page.click("nav.side >> text=Account statements")
    page.wait_for_selector("h1:has-text('Account statements')")
    page.click("button:has-text('Export CSV in the background')")
    page.wait_for_url("**/console/work?work_id=*")
    page.wait_for_selector("#work-result", timeout=20_000)
    assert "2 of 2 lines" in page.inner_text("#work-progress")
    check_page(page, "partner-statement-export")
    with page.expect_download() as downloaded:
        page.click("#work-result")
    content = Path(downloaded.value.path()).read_text()
    assert "12.34" in content and "56.78" in content
    page.goto("/console/finance/exports")
    assert "Done" in page.inner_text("table")
