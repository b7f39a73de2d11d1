"""The distributor's Resellers' Customers tab (rules.md §1.8): the customers of every reseller
of the distributor in one list, or one reseller's; never its own customers nor another
distributor's resellers' customers; a CSP or a reseller is refused."""

from __future__ import annotations

import pytest

from partner_center.domains.customers.public import CustomerFilter
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.pagination import page
from tests.integration.test_control_states import admin_actor, new_customer, new_partner, services
from tests.integration.test_freezing_service import channel


async def test_a_distributor_lists_all_its_resellers_customers(
    database: Database, clock: FixedClock
) -> None:
    ch = await channel(database, clock)
    other = await new_partner(database, clock, PartnerType.DISTRIBUTOR)
    foreign_reseller = await new_partner(database, clock, PartnerType.RESELLER, other)
    foreign = await new_customer(database, clock, other, reseller=foreign_reseller)
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        actor = await admin_actor(svc, ch.distributor.partner_id)
        rows, total = await svc.customers.list_resellers_customers(
            actor, CustomerFilter(), page(0, 10)
        )
        expected = {*ch.reseller_customers, ch.sibling_customer}
        assert {r.customer_id for r in rows} == expected and total == 3
        assert ch.own_customer not in expected and foreign not in expected
        owners = {r.customer_id: r.owner_partner_id for r in rows}
        assert owners[ch.sibling_customer] == ch.sibling.partner_id
        one, count = await svc.customers.list_resellers_customers(
            actor, CustomerFilter(indirect_partner_id=ch.reseller.partner_id), page(0, 1)
        )
        assert count == 2 and one[0].customer_id in ch.reseller_customers
        with pytest.raises(DomainError) as refused:
            await svc.customers.list_resellers_customers(
                actor, CustomerFilter(indirect_partner_id=foreign_reseller.partner_id), page(0, 1)
            )
        assert refused.value.code == "CBC.99000037"


async def test_only_a_distributor_has_the_tab(database: Database, clock: FixedClock) -> None:
    ch = await channel(database, clock)
    csp = await new_partner(database, clock)
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        for partner_id in (csp.partner_id, ch.reseller.partner_id):
            with pytest.raises(DomainError):
                await svc.customers.list_resellers_customers(
                    await admin_actor(svc, partner_id), CustomerFilter(), page(0, 10)
                )


async def test_a_reseller_lists_only_its_own_customers(
    database: Database, clock: FixedClock
) -> None:
    ch = await channel(database, clock)
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        actor = await admin_actor(svc, ch.reseller.partner_id)
        rows, total = await svc.customers.list_own_customers(actor, CustomerFilter(), page(0, 10))
        assert {r.customer_id for r in rows} == set(ch.reseller_customers) and total == 2
        assert all(r.owner_partner_id == ch.reseller.partner_id for r in rows)
        none, count = await svc.customers.list_own_customers(
            actor, CustomerFilter(customer_id=ch.sibling_customer), page(0, 1)
        )
        assert none == [] and count == 0  # a sibling reseller's customer stays unseen
        with pytest.raises(DomainError) as refused:
            await svc.customers.list_own_customers(
                actor, CustomerFilter(indirect_partner_id=ch.sibling.partner_id), page(0, 1)
            )
        assert refused.value.code == "CBC.99000037"
        distributor = await admin_actor(svc, ch.distributor.partner_id)
        own, _ = await svc.customers.list_own_customers(distributor, CustomerFilter(), page(0, 10))
        assert [r.customer_id for r in own] == [ch.own_customer]
