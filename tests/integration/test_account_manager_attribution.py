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
from partner_center.domains.customers.public import AssociationType, CustomerFilter, PartnerActor
from partner_center.domains.identity.public import (
    AccountKind,
    SecretCipher,
)
from partner_center.domains.partners.public import PartnerType, PartnerView
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.pagination import page
from partner_center.services import Services
from tests.wiring import services_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
CIPHER = SecretCipher(b"0" * 43 + b"=")


def services(session: AsyncSession, clock: FixedClock) -> Services:
    return services_for(session, clock, wall=clock, billing_timezone="Asia/Shanghai")


async def associated_customer(svc: Services, partner: PartnerView, name: str) -> str:
    """A new customer associated with ``partner`` (reseller model, no manager); its id."""
    customer = await svc.members.identity.create_account(kind=AccountKind.CUSTOMER, name=name)
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
    return customer.id


async def admin_actor(svc: Services, partner: PartnerView) -> PartnerActor:
    identity = svc.members.identity
    admin = await identity.admin_member(partner.partner_id)
    return PartnerActor(
        caller=await identity.caller_for(partner.partner_id, admin.id, method="test"),
        partner=partner,
    )


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
        partner = await svc.members.partners.create_partner(name=name, partner_type=PartnerType.CSP)
        customer_id = await associated_customer(svc, partner, f"{name}c")
        actor = await admin_actor(svc, partner)
        first = await svc.members.create_member(
            actor, name="first", roles=["ACCOUNT_MANAGER"], password=None
        )
        second = await svc.members.create_member(
            actor, name="second", roles=["ACCOUNT_MANAGER"], password=None
        )
        assigned = await svc.account_managers.assign(actor, customer_id, first.member_id)
    assert assigned.effective_from == datetime(2026, 11, 29, 16, tzinfo=UTC)

    # two days later, at 10:00 local on 1 December, the customer is handed over
    clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        handed = await svc.account_managers.assign(actor, customer_id, second.member_id)
    assert handed.effective_from == datetime(2026, 12, 1, 16, tzinfo=UTC)

    async with database.unit_of_work() as uow:
        managers = services(uow.session, clock).account_managers
        at = managers.attributed_manager
        assert await at(customer_id, datetime(2026, 11, 29, 15, 59, tzinfo=UTC)) is None
        assert await at(customer_id, datetime(2026, 11, 29, 16, tzinfo=UTC)) == first.member_id
        # the day of the hand-over still counts for the first manager
        assert await at(customer_id, datetime(2026, 12, 1, 15, 59, tzinfo=UTC)) == first.member_id
        assert await at(customer_id, datetime(2026, 12, 1, 16, tzinfo=UTC)) == second.member_id
        assert (
            await at(customer_id, datetime(2026, 12, 1, 16, tzinfo=UTC) + timedelta(days=400))
            == second.member_id
        )
        history = await managers.history(actor, customer_id)
    assert [h.member_id for h in history] == [second.member_id, first.member_id]
    assert history[1].effective_to == datetime(2026, 12, 1, 16, tzinfo=UTC)

    # a manager replaced on the day of assignment never gets attribution
    clock.set(datetime(2026, 12, 1, 3, tzinfo=UTC))
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        await svc.account_managers.assign(actor, customer_id, first.member_id)
        brief = (await svc.account_managers.history(actor, customer_id))[1]
        assert brief.member_id == second.member_id
        assert brief.effective_from == brief.effective_to
        assert (
            await svc.account_managers.attributed_manager(
                customer_id, datetime(2026, 12, 1, 16, tzinfo=UTC)
            )
            == first.member_id
        )


async def test_the_customer_list_filters_by_account_manager_within_what_the_caller_sees(
    database: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 11, 29, 8, tzinfo=UTC))
    name = f"flt{uuid.uuid4().hex[:12]}"
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        partner = await svc.members.partners.create_partner(name=name, partner_type=PartnerType.CSP)
        ids = []
        for i in range(3):
            ids.append(await associated_customer(svc, partner, f"{name}c{i}"))
        actor = await admin_actor(svc, partner)
        ann = await svc.members.create_member(
            actor, name="ann", roles=["ACCOUNT_MANAGER"], password=None
        )
        bob = await svc.members.create_member(
            actor, name="bob", roles=["ACCOUNT_MANAGER"], password=None
        )
        await svc.account_managers.assign(actor, ids[0], ann.member_id)
        await svc.account_managers.assign(actor, ids[1], ann.member_id)
        await svc.account_managers.assign(actor, ids[2], bob.member_id)

    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        customers = svc.customers

        async def listed(who: PartnerActor, manager_id: str | None, limit: int = 10) -> list[str]:
            rows, total = await customers.list_sub_customers(
                who, CustomerFilter(account_manager_id=manager_id), page(0, limit)
            )
            return [f"{total}", *sorted(r.customer_id for r in rows)]

        assert await listed(actor, ann.member_id) == ["2", *sorted(ids[:2])]
        assert (await listed(actor, ann.member_id, limit=1))[0] == "2"  # counts the filtered set
        assert await listed(actor, bob.member_id) == ["1", ids[2]]
        rows, _total = await customers.list_sub_customers(
            actor, CustomerFilter(account_manager_id=bob.member_id), page(0, 10)
        )
        assert rows[0].account_manager_names == ("bob",)
        assert await listed(actor, None) == ["3", *sorted(ids)]
        # Bob, an account manager, sees only his customers: Ann's filter finds none of hers.
        as_bob = PartnerActor(
            caller=await svc.members.identity.caller_for(
                partner.partner_id, bob.member_id, method="test"
            ),
            partner=partner,
        )
        assert await listed(as_bob, ann.member_id) == ["0"]
        assert await listed(as_bob, bob.member_id) == ["1", ids[2]]
