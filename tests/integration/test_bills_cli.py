"""``partner-center bills run`` and ``bills export`` as an operator runs them, on the world of
the bill run tests; the sandbox clock crossing the 5th has already billed the cycle (the
scheduled job), so the command finds nothing left to do and reports the same bills."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.test_bill_run import Shop, _world, snapshot

BIN = Path(sys.executable).parent / "partner-center"


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    async for value in _world():
        yield value


def _cli(shop: Shop, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": shop.world.db.url,
        "PARTNER_CENTER_SANDBOX": "true",
        "PARTNER_CENTER_DATA_DIR": str(tmp),
        "PARTNER_CENTER_SECRET_KEY": "test-secret-key-not-for-production",
        "PARTNER_CENTER_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [str(BIN), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


async def cli(shop: Shop, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(_cli, shop, tmp, *args)


async def test_the_clock_bills_on_the_5th_and_the_command_changes_nothing(
    shop: Shop, tmp_path: Path
) -> None:
    early = await cli(shop, tmp_path, "bills", "run", "--cycle", "2027-03", "--json")
    assert early.returncode == 2 and "CBC.0100" in early.stderr
    moved = await cli(shop, tmp_path, "clock", "set", "2027-04-05T00:00:00Z", "--freeze")
    assert moved.returncode == 0, moved.stderr
    billed = await snapshot(shop)
    assert len([row for row in billed if str(row[0]).startswith("PB202703")]) == 2
    result = await cli(shop, tmp_path, "bills", "run", "--cycle", "2027-03", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report == {
        "cycle": "2027-03",
        "batches": 1,
        "batches_billed": 1,
        "partner_bills": 2,
        "customer_bills": 5,
        "completed": True,
    }
    assert await snapshot(shop) == billed
    export = await cli(
        shop, tmp_path, "bills", "export", "--cycle", "2027-03", "--partner", shop.csp.partner_id
    )
    assert export.returncode == 0, export.stderr
    rows = list(csv.DictReader(io.StringIO(export.stdout)))
    assert {row["customer_id"] for row in rows} == {shop.c4, shop.c5}
    amounts = sorted(row["amount"] for row in rows if row["customer_id"] == shop.c4)
    assert amounts == ["0.00499999", "100.00000000"]


async def test_bills_adjust_appends_an_adjustment_once(shop: Shop, tmp_path: Path) -> None:
    args = ("bills", "adjust", "--id", "adj-cli-1", "--customer", shop.c4, "--amount", "-1.25")
    first = await cli(shop, tmp_path, *args, "--reason", "Goodwill credit", "--json")
    assert first.returncode == 0, first.stderr
    entered = json.loads(first.stdout)
    assert (entered["amount"], entered["billed_partner_id"], entered["replayed"]) == (
        "-1.25",
        shop.csp.partner_id,
        "false",
    )
    again = await cli(shop, tmp_path, *args, "--reason", "Goodwill credit", "--json")
    assert json.loads(again.stdout)["replayed"] == "true"
    other = await cli(shop, tmp_path, *args, "--reason", "Another reason", "--json")
    assert other.returncode != 0 and "CBC.0100" in other.stderr


async def test_bills_tax_rate_sets_the_rate_of_the_next_bills(shop: Shop, tmp_path: Path) -> None:
    from partner_center.domains.billing.models import BillingProfile

    distributor = shop.distributor.partner_id
    done = await cli(
        shop, tmp_path, "bills", "tax-rate", "--partner", distributor, "--rate", "0.06"
    )
    assert done.returncode == 0, done.stderr
    async with shop.world.db.unit_of_work() as uow:
        profile = await uow.session.get(BillingProfile, distributor)
    assert profile is not None and profile.tax_rate == Decimal("0.06")
    bad = await cli(shop, tmp_path, "bills", "tax-rate", "--partner", distributor, "--rate", "1.5")
    assert bad.returncode != 0 and "CBC.0100" in bad.stderr


async def test_bills_partner_coupon_issues_a_coupon_the_next_bill_uses(
    shop: Shop, tmp_path: Path
) -> None:
    from tests.integration.test_bill_run import RUN_MARCH, run

    csp = shop.csp.partner_id
    args = ("bills", "partner-coupon", "--partner", csp, "--amount", "12.50")
    args += ("--expires", "2027-12-31T16:00:00Z", "--source", "incentive", "--id", "cli-1")
    first = await cli(shop, tmp_path, *args, "--json")
    assert first.returncode == 0, first.stderr
    issued = json.loads(first.stdout)
    assert (issued["partner_id"], issued["balance"]) == (csp, "12.50")
    again = await cli(shop, tmp_path, *args, "--json")
    assert json.loads(again.stdout)["coupon_id"] == issued["coupon_id"]
    bad = await cli(
        shop, tmp_path, *args[:4], "--amount", "1.001", "--expires", "2027-12-31T16:00:00Z"
    )
    assert bad.returncode != 0 and "CBC.0100" in bad.stderr
    await run(shop, "2027-03", RUN_MARCH)
    from partner_center.kernel.clock import FixedClock
    from tests.wiring import services_for

    async with shop.world.db.unit_of_work() as uow:
        bill = (
            await services_for(uow.session, FixedClock(RUN_MARCH)).billing.partner_bill(
                csp, "2027-03"
            )
        ).bill
    # 100.00 − 12.50 = 87.50, 10 % tax 8.75: 96.25 due.
    assert (bill.partner_coupon_amount, bill.tax_amount, bill.amount_due) == (
        Decimal("12.50"),
        Decimal("8.75"),
        Decimal("96.25"),
    )
