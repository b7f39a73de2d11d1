"""Inquiries at the service level with explicit instants: discount windows and revocation never
change a rating of an earlier instant, projects belong to their account, and the catalogue file
reader refuses what is not JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from partner_center.app import build_state
from partner_center.domains.catalog.public import (
    OnDemandItem,
    PeriodItem,
    ProductKey,
    project_id_for,
    read_catalog,
)
from partner_center.domains.customers.models import Customer
from partner_center.domains.customers.public import AssociationType
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Base, Database
from partner_center.kernel.errors import DomainError
from partner_center.provisioning import create_customer, create_partner, import_demo_catalog
from partner_center.settings import Settings
from partner_center.state import AppState
from tests.dbutil import create_fresh_database, drop_database

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
VM = ProductKey(
    "hws.service.type.ec2", "hws.resource.type.vm", "s6.large.2.linux", "ap-southeast-1"
)
HOUR = OnDemandItem("vm", VM, "Duration", Decimal(1), 4, 1)
MONTH = PeriodItem("vm", VM, 2, 1, 1)


@pytest.fixture(scope="module")
async def state() -> AsyncIterator[AppState]:
    url, pg_name = await create_fresh_database()
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    app_state = build_state(
        Settings(database_url=url, secret_key="test-secret-key-not-for-production"),
        db=db,
        clock=FixedClock(T0),
    )
    await import_demo_catalog(app_state)
    yield app_state
    await db.dispose()
    await drop_database(pg_name)


async def referral_customer(state: AppState) -> str:
    partner, _ = await create_partner(state, name="p-inquiry", partner_type=PartnerType.CSP)
    customer = await create_customer(state, partner_id=partner.account_id, xaccount_id="inq")
    async with state.db.unit_of_work() as uow:
        await uow.session.execute(
            update(Customer)
            .where(Customer.account_id == customer.account_id)
            .values(association_type=AssociationType.REFERRAL)
        )
    return customer.account_id


async def hourly(state: AppState, customer_id: str, as_of: datetime) -> Decimal:
    async with state.db.unit_of_work() as uow:
        rating = await state.services(uow.session).inquiry.rate_on_demand(
            customer_id, [HOUR], as_of=as_of
        )
        return rating.amount


async def test_discount_windows_and_revocation_keep_the_past(state: AppState) -> None:
    customer_id = await referral_customer(state)
    starts, ends = T0 + timedelta(days=1), T0 + timedelta(days=10)
    async with state.db.unit_of_work() as uow:
        discounts = state.services(uow.session, clock=FixedClock(T0)).discounts
        granted = await discounts.grant_business_discount(
            operator_id="op",
            customer_id=customer_id,
            percent_off=Decimal(50),
            name="Half",
            effective_from=starts,
            effective_to=ends,
        )
        with pytest.raises(DomainError) as info:
            await discounts.grant_business_discount(
                operator_id="op",
                customer_id=customer_id,
                percent_off=Decimal(5),
                name="Backwards",
                effective_from=ends,
                effective_to=starts,
            )
        assert info.value.code == "CBC.0100"
        with pytest.raises(DomainError) as info:
            await discounts.grant_business_discount(
                operator_id="op",
                customer_id=customer_id,
                percent_off=Decimal(5),
                name="Unknown service",
                service_type="hws.service.type.nothing",
            )
        assert info.value.code == "CBC.0100"
    assert await hourly(state, customer_id, T0) == Decimal("0.0474")
    assert await hourly(state, customer_id, starts) == Decimal("0.0237")
    assert await hourly(state, customer_id, ends) == Decimal("0.0474")

    revoke_at = starts + timedelta(days=2)
    async with state.db.unit_of_work() as uow:
        discounts = state.services(uow.session, clock=FixedClock(revoke_at)).discounts
        with pytest.raises(DomainError) as info:
            await discounts.revoke(granted.discount_id, by="someone-else")
        assert info.value.code == "CBC.0100"
        ended = await discounts.revoke(granted.discount_id, by="op")
        assert ended.effective_to == revoke_at
    assert await hourly(state, customer_id, revoke_at - timedelta(seconds=1)) == Decimal("0.0237")
    assert await hourly(state, customer_id, revoke_at) == Decimal("0.0474")

    async with state.db.unit_of_work() as uow:
        period = await state.services(uow.session).inquiry.rate_period(
            customer_id, [MONTH], as_of=starts
        )
        assert [(o.amount, o.best_offer) for o in period.options] == [(Decimal("12.70"), True)]


async def test_projects_belong_to_their_account_in_every_region(state: AppState) -> None:
    async with state.db.unit_of_work() as uow:
        inquiry = state.services(uow.session).inquiry
        for region in ("ap-southeast-1", "ap-southeast-2"):
            assert (
                await inquiry.require_project("acct-a", project_id_for("acct-a", region)) == region
            )
        assert project_id_for("acct-a", "ap-southeast-1") != project_id_for(
            "acct-b", "ap-southeast-1"
        )
        for project in (project_id_for("acct-b", "ap-southeast-1"), project_id_for("acct-a", "x")):
            with pytest.raises(DomainError) as info:
                await inquiry.require_project("acct-a", project)
            assert info.value.code == "CBC.99006073"


def test_the_file_reader_refuses_what_is_not_json() -> None:
    with pytest.raises(DomainError) as info:
        read_catalog('{"version": 1,\n "specs": [}')
    assert info.value.code == "CATALOG.INVALID_FILE"
    assert "line 2" in info.value.message
    assert read_catalog('{"price": 0.10}') == {"price": Decimal("0.10")}


def test_the_file_reader_refuses_nesting_deeper_than_the_api_takes() -> None:
    """Ten thousand brackets are an invalid file, not a RecursionError."""
    with pytest.raises(DomainError) as info:
        read_catalog('{"specs": ' + "[" * 10_000 + "]" * 10_000 + "}")
    assert info.value.code == "CATALOG.INVALID_FILE"
    assert "nest deeper than 64" in info.value.message
    deep = '{"a": ' * 60 + "1" + "}" * 60
    assert read_catalog(deep) is not None
