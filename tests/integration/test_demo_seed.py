"""The demo data of ``make run``: in sandbox mode it has a billed month.

The seed starts the sandbox clock on the 1st of the last month already billed, runs the demo VMs
day by day and moves the clock back to real time through every job: October is billed on
5 November, and November's use is rated but not billed yet. The wall clock stands still at
2026-11-06 12:00 (Shanghai) so the figures are fixed; each is computed by hand from the demo
catalogue's Hong Kong list prices (s6.small.1.linux 0.0127, m7.2xlarge.8.linux 0.416 an hour).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from partner_center.demo import history_start, seed_demo
from partner_center.kernel.clock import WallClock
from partner_center.kernel.db import Database
from partner_center.kernel.pagination import Page
from partner_center.runtime import build_state
from partner_center.settings import Settings
from partner_center.state import AppState
from tests.dbutil import create_fresh_database, drop_database, migrate

NOW = datetime.fromisoformat("2026-11-06T04:00:00+00:00")
#: The October bill (issued 5 November, due 19 November) is overdue by then.
LATER = datetime.fromisoformat("2026-12-03T04:00:00+00:00")


class StoppedWall(WallClock):
    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def fresh_state(tmp_path: Path, at: datetime) -> Iterator[AppState]:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    settings = Settings(
        database_url=url,
        sandbox=True,
        data_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",
        log_level="WARNING",
    )
    yield build_state(settings, db=Database(url), wall=StoppedWall(at))
    asyncio.run(drop_database(pg_name))


@pytest.fixture
def state(tmp_path: Path) -> Iterator[AppState]:
    yield from fresh_state(tmp_path, NOW)


@pytest.fixture
def later_state(tmp_path: Path) -> Iterator[AppState]:
    yield from fresh_state(tmp_path, LATER)


def test_history_starts_on_the_first_of_the_last_billed_month(state: AppState) -> None:
    def at(text: str) -> str:
        return history_start(datetime.fromisoformat(text), state).isoformat()

    # 2026-10-01 00:00 Shanghai is 2026-09-30 16:00 UTC.
    assert at("2026-11-06T04:00:00+00:00") == "2026-09-30T16:00:00+00:00"
    # Before 03:00 on the 5th (Shanghai) October is not billed yet: September is the last.
    assert at("2026-11-04T18:00:00+00:00") == "2026-08-31T16:00:00+00:00"
    assert at("2026-11-04T19:00:00+00:00") == "2026-09-30T16:00:00+00:00"
    assert at("2027-01-03T00:00:00+00:00") == "2026-10-31T16:00:00+00:00"


def test_the_demo_has_a_billed_month_and_ends_at_real_time(state: AppState) -> None:
    async def scenario() -> None:
        credentials = await seed_demo(state, if_empty=True)
        assert credentials is not None
        csp = credentials["csp"]["domain_id"]
        distributor = credentials["distributor"]["domain_id"]
        async with state.work() as services:
            assert services.clock.now() == NOW
            csp_bill = await services.billing.partner_bill(csp, "2026-10")
            dist_bill = await services.billing.partner_bill(distributor, "2026-10")
            due = await services.billing.amount_due(csp)
            listed, total = await services.billing.list_partner_bills(csp, Page(0, 10))
        # CSP, October (31 days): 744 h × 0.0127 = 9.4488; 248 h × 0.416 = 103.168;
        # 372 h × 0.0127 = 4.7244. 117.3412 → 117.34.
        assert csp_bill.bill.amount_due == Decimal("117.34")
        # Distributor: 186 h × 0.416 = 77.376; the reseller's 744 h × 0.0127 = 9.4488 and
        # 124 h × 0.416 = 51.584. 138.4088 → 138.41.
        assert dist_bill.bill.amount_due == Decimal("138.41")
        assert due.amount == Decimal("117.34")
        # November is not billed before 5 December.
        assert ([b.cycle for b in listed], total) == (["2026-10"], 1)
        # A second seed of a database that holds the demo changes nothing.
        assert await seed_demo(state, if_empty=True) is None

    asyncio.run(scenario())


def test_a_bill_past_its_due_date_is_repaid_so_the_demo_starts_in_good_standing(
    later_state: AppState,
) -> None:
    async def scenario() -> None:
        credentials = await seed_demo(later_state, if_empty=True)
        assert credentials is not None
        csp = credentials["csp"]["domain_id"]
        async with later_state.work() as services:
            assert services.clock.now() == LATER
            october = await services.billing.partner_bill(csp, "2026-10")
            due = await services.billing.amount_due(csp)
            overdue = await services.billing.has_overdue(csp)
            repayments, count = await services.repayments.repayments(csp, Page(0, 10))
        # Same October as above, paid in full by the test card; November is billed on
        # 5 December, so nothing is owed yet.
        assert (october.bill.amount_due, october.bill.remaining_amount) == (
            Decimal("117.34"),
            Decimal("0.00"),
        )
        assert due.amount == 0 and not overdue
        assert count == 1 and repayments[0].repaid_amount == Decimal("117.34")

    asyncio.run(scenario())
