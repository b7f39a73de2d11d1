"""The consumption-quota notification threshold takes what its column can hold: the contract
fuzz run (tests/outside) found a 500 for a threshold beyond the storable range."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.money import MAX_STORABLE
from tests.factories.budgets import BudgetWorld
from tests.wiring import services_for

NOW = datetime(2027, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "threshold",
    ["1e30", str(MAX_STORABLE + 1), "NaN", "Infinity", "-0.01", "0.001"],
)
async def test_a_threshold_out_of_range_is_an_invalid_parameter(
    database: Database, threshold: str
) -> None:
    partner = await BudgetWorld(database, FixedClock(NOW)).partner()
    with pytest.raises(DomainError) as info:
        async with database.unit_of_work() as uow:
            await services_for(uow.session, FixedClock(NOW)).billing.set_quota_threshold(
                partner.partner_id, Decimal(threshold)
            )
    assert info.value.code == "CBC.0100"


async def test_the_largest_storable_threshold_is_kept(database: Database) -> None:
    partner = await BudgetWorld(database, FixedClock(NOW)).partner()
    largest = MAX_STORABLE.quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    async with database.unit_of_work() as uow:
        await services_for(uow.session, FixedClock(NOW)).billing.set_quota_threshold(
            partner.partner_id, largest
        )
