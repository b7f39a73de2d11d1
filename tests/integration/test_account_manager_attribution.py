"""Account-manager attribution on a real database (rules.md §8.5): a customer's spend counts for
its manager from 00:00 of the day after assignment in the billing time zone, and for one manager
at a time; plus the billing-day arithmetic across a daylight-saving change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.associations.public import (
    next_local_midnight,
)
from partner_center.domains.customers.public import AssociationType, PartnerActor
from partner_center.domains.identity.public import (
    AccountKind,
    SecretCipher,
)
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.services import Services
from tests.wiring import services_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
CIPHER = SecretCipher(b"0" * 43 + b"=")


def services(session: AsyncSession, clock: FixedClock) -> Services:
    return services_for(session, clock, wall=clock, billing_timezone="Asia/Shanghai")


def test_next_local_midnight() -> None:
    # 08:00 UTC is 16:00 in Shanghai: the next day starts at 16:00 UTC
    assert next_local_midnight(SHANGHAI, datetime(2026, 11, 29, 8, tzinfo=UTC)) == datetime(
        2026, 11, 29, 16, tzinfo=UTC
    )
    # 17:00 UTC is already 01:00 the next local day
    assert next_local_midnight(SHANGHAI, datetime(2026, 11, 29, 17, tzinfo=UTC)) == datetime(
        2026, 11, 30, 16, tzinfo=UTC
    )
    # a 23-hour day: New York springs forward on 2026-03-08
    new_york = ZoneInfo("America/New_York")
    assert next_local_midnight(new_york, datetime(2026, 3, 8, 12, tzinfo=UTC)) == datetime(
        2026, 3, 9, 4, tzinfo=UTC
    )
    assert next_local_midnight(new_york, datetime(2026, 3, 7, 12, tzinfo=UTC)) == datetime(
        2026, 3, 8, 5, tzinfo=UTC
    )


async def test_attribution_follows_the_assignment_periods(
    database: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 11, 29, 8, tzinfo=UTC))
    name = f"attr{uuid.uuid4().hex[:12]}"
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        identity = svc.members.identity
        partner = await svc.members.partners.create_partner(name=name, partner_type=PartnerType.CSP)
        customer = await identity.create_account(kind=AccountKind.CUSTOMER, name=f"{name}c")
        await svc.members.associations.associate(
            customer_id=customer.id,
            account_name=customer.name,
            email=None,
            mobile=None,
            partner_id=partner.partner_id,
            distributor_id=None,
            xaccount_type=partner.xaccount_type,
            association_type=AssociationType.RESELLER,
            account_manager_id=None,
        )
        admin = await identity.admin_member(partner.partner_id)
        actor = PartnerActor(
            caller=await identity.caller_for(partner.partner_id, admin.id, method="test"),
            partner=partner,
        )
        first = await svc.members.create_member(
            actor, name="first", roles=["ACCOUNT_MANAGER"], password=None
        )
        second = await svc.members.create_member(
            actor, name="second", roles=["ACCOUNT_MANAGER"], password=None
        )
        assigned = await svc.account_managers.assign(actor, customer.id, first.member_id)
    assert assigned.effective_from == datetime(2026, 11, 29, 16, tzinfo=UTC)

    # two days later, at 10:00 local on 1 December, the customer is handed over
    clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        handed = await svc.account_managers.assign(actor, customer.id, second.member_id)
    assert handed.effective_from == datetime(2026, 12, 1, 16, tzinfo=UTC)

    async with database.unit_of_work() as uow:
        managers = services(uow.session, clock).account_managers
        at = managers.attributed_manager
        assert await at(customer.id, datetime(2026, 11, 29, 15, 59, tzinfo=UTC)) is None
        assert await at(customer.id, datetime(2026, 11, 29, 16, tzinfo=UTC)) == first.member_id
        # the day of the hand-over still counts for the first manager
        assert await at(customer.id, datetime(2026, 12, 1, 15, 59, tzinfo=UTC)) == first.member_id
        assert await at(customer.id, datetime(2026, 12, 1, 16, tzinfo=UTC)) == second.member_id
        assert (
            await at(customer.id, datetime(2026, 12, 1, 16, tzinfo=UTC) + timedelta(days=400))
            == second.member_id
        )
        history = await managers.history(actor, customer.id)
    assert [h.member_id for h in history] == [second.member_id, first.member_id]
    assert history[1].effective_to == datetime(2026, 12, 1, 16, tzinfo=UTC)

    # a manager replaced on the day of assignment never gets attribution
    clock.set(datetime(2026, 12, 1, 3, tzinfo=UTC))
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        await svc.account_managers.assign(actor, customer.id, first.member_id)
        brief = (await svc.account_managers.history(actor, customer.id))[1]
        assert brief.member_id == second.member_id
        assert brief.effective_from == brief.effective_to
        assert (
            await svc.account_managers.attributed_manager(
                customer.id, datetime(2026, 12, 1, 16, tzinfo=UTC)
            )
            == first.member_id
        )
