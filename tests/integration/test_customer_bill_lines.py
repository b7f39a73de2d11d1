"""A customer's bill lines (the console's drill-down from a partner bill to a customer and its
resources): the partner the spend is billed to and the partner that owns the customer see them;
any other partner is refused as if the bill did not exist."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partner_center.kernel.clock import FixedClock
from partner_center.kernel.errors import DomainError
from tests.integration.test_bill_run import RUN_MARCH, Shop, run, shop
from tests.wiring import services_for

__all__ = ["shop"]


async def test_the_billed_and_the_owner_partner_see_a_customers_lines(shop: Shop) -> None:
    await run(shop, "2027-03", RUN_MARCH)
    async with shop.world.db.unit_of_work() as uow:
        billing = services_for(uow.session, FixedClock(RUN_MARCH)).billing
        for partner in (shop.distributor, shop.reseller):
            bill, lines = await billing.customer_bill_lines(partner.partner_id, shop.c1, "2027-03")
            assert bill.customer_id == shop.c1
            assert bill.total_amount == Decimal("9.00")
            assert {line.kind for line in lines} == {"ORDER", "USAGE"}
            assert sum(line.amount for line in lines) == bill.consumption_amount
        with pytest.raises(DomainError) as refused:
            await billing.customer_bill_lines(shop.csp.partner_id, shop.c1, "2027-03")
        assert refused.value.code == "CBC.0100"
        with pytest.raises(DomainError):
            await billing.customer_bill_lines(shop.distributor.partner_id, shop.c1, "2027-13")
