"""CustomerControl on a real database: every state a customer passes through, what it may do in
each, the recorded history, and a freeze racing a purchase check on the same customer (the row
lock makes them take turns, in either order)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.customers.public import (
    Action,
    ControlAction,
    CustomerControl,
    CustomerService,
    FreezeType,
    FreezingService,
    NewCustomer,
    PartnerActor,
    VerificationCodes,
)
from partner_center.domains.identity.public import (
    IdentityService,
    SecretCipher,
    SignInGuard,
    SignInPolicy,
)
from partner_center.domains.notifications.public import NotificationService
from partner_center.domains.partners.public import PartnerService, PartnerType, PartnerView
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from tests.wiring import services_for

CIPHER = SecretCipher(Fernet.generate_key())


@dataclass
class Services:
    identity: IdentityService
    partners: PartnerService
    customers: CustomerService
    control: CustomerControl
    freezing: FreezingService


def services(session: AsyncSession, clock: FixedClock) -> Services:
    identity = IdentityService(
        session,
        clock=clock,
        wall=clock,
        cipher=CIPHER,
        sign_in_guard=SignInGuard(session, wall=clock, policy=SignInPolicy()),
    )
    partners = PartnerService(session, clock=clock, identity=identity)
    customers = CustomerService(
        session,
        clock=clock,
        wall=clock,
        identity=identity,
        partners=partners,
        notifications=NotificationService(session, clock=clock),
        codes=VerificationCodes(
            session,
            wall=clock,
            notifications=NotificationService(session, clock=clock),
            site="intl",
        ),
        site="intl",
    )
    return Services(
        identity,
        partners,
        customers,
        CustomerControl(session, clock=clock),
        services_for(session, clock).freezing,
    )


def name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:14]}"


async def new_partner(
    database: Database,
    clock: FixedClock,
    kind: PartnerType = PartnerType.CSP,
    distributor: PartnerView | None = None,
) -> PartnerView:
    async with database.unit_of_work() as uow:
        return await services(uow.session, clock).partners.create_partner(
            name=name("p"),
            partner_type=kind,
            distributor_id=distributor.partner_id if distributor else None,
        )


async def admin_actor(svc: Services, partner_id: str) -> PartnerActor:
    partner = await svc.partners.get(partner_id)
    assert partner is not None
    admin = await svc.identity.admin_member(partner_id)
    caller = await svc.identity.caller_for(partner_id, admin.id, method="test")
    return PartnerActor(caller=caller, partner=partner)


async def new_customer(
    database: Database,
    clock: FixedClock,
    partner: PartnerView,
    *,
    reseller: PartnerView | None = None,
    referral: bool = False,
) -> str:
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        created = await svc.customers.create_sub_customer(
            await admin_actor(svc, partner.partner_id),
            NewCustomer(
                xaccount_id=name("x"),
                xaccount_type=partner.xaccount_type,
                domain_area="US",
                indirect_partner_id=reseller.partner_id if reseller else None,
                cooperation_type="1" if referral else None,
            ),
        )
        return created.domain_id


async def allowed_actions(database: Database, clock: FixedClock, customer_id: str) -> set[Action]:
    allowed = set()
    for action in Action:
        try:
            async with database.unit_of_work() as uow:
                await CustomerControl(uow.session, clock=clock).ensure_allowed(customer_id, action)
        except DomainError as exc:
            assert exc.code in ("CBC.99003656", "CBC.99003626"), exc
        else:
            allowed.add(action)
    return allowed


A = Action
WHILE_RESTRICTED = {A.UNSUBSCRIBE, A.RENAME, A.VIEW, A.USE_ON_DEMAND}
WHILE_RESOURCES_FROZEN = {A.UNSUBSCRIBE, A.RENAME, A.VIEW}


async def test_a_customers_life_through_every_state(database: Database, clock: FixedClock) -> None:
    csp = await new_partner(database, clock)
    customer = await new_customer(database, clock, csp)

    # A new reseller-model customer starts purchase-restricted (rules.md §2.3.1).
    async with database.unit_of_work() as uow:
        state = await CustomerControl(uow.session, clock=clock).state(customer)
    assert state.restricted and state.freeze_type is None
    assert await allowed_actions(database, clock, customer) == WHILE_RESTRICTED

    async with database.unit_of_work() as uow:
        control = CustomerControl(uow.session, clock=clock)
        await control.lift_restriction(customer, by=csp.partner_id, reason="budget set")
    assert await allowed_actions(database, clock, customer) == set(Action)

    async with database.unit_of_work() as uow:
        control = CustomerControl(uow.session, clock=clock)
        frozen = await control.freeze(
            customer, freeze_type=FreezeType.ACCOUNT, by=csp.partner_id, reason="late payment"
        )
    assert (frozen.freeze_type, frozen.freeze_reason, frozen.frozen_by) == (
        FreezeType.ACCOUNT,
        "late payment",
        csp.partner_id,
    )
    assert await allowed_actions(database, clock, customer) == WHILE_RESTRICTED

    async with database.unit_of_work() as uow:
        control = CustomerControl(uow.session, clock=clock)
        await control.freeze(
            customer,
            freeze_type=FreezeType.ACCOUNT_AND_RESOURCE,
            by=csp.partner_id,
            reason="still unpaid",
        )
    assert await allowed_actions(database, clock, customer) == WHILE_RESOURCES_FROZEN

    async with database.unit_of_work() as uow:
        control = CustomerControl(uow.session, clock=clock)
        await control.unfreeze(
            customer,
            unfreeze_type=FreezeType.ACCOUNT_AND_RESOURCE,
            by=csp.partner_id,
            reason="paid",
        )
    assert await allowed_actions(database, clock, customer) == set(Action)

    async with database.unit_of_work() as uow:
        history = await CustomerControl(uow.session, clock=clock).history(customer)
    assert [(e.action, e.freeze_type, e.reason) for e in history] == [
        (ControlAction.LIFT_RESTRICTION, None, "budget set"),
        (ControlAction.FREEZE, FreezeType.ACCOUNT, "late payment"),
        (ControlAction.FREEZE, FreezeType.ACCOUNT_AND_RESOURCE, "still unpaid"),
        (ControlAction.UNFREEZE, FreezeType.ACCOUNT_AND_RESOURCE, "paid"),
    ]
    assert {e.responsible_partner_id for e in history} == {csp.partner_id}
    assert {e.occurred_at for e in history} == {clock.now()}


async def test_freeze_rules(database: Database, clock: FixedClock) -> None:
    csp = await new_partner(database, clock)
    customer = await new_customer(database, clock, csp)

    async def attempt(action: str, freeze_type: FreezeType) -> str | None:
        try:
            async with database.unit_of_work() as uow:
                control = CustomerControl(uow.session, clock=clock)
                if action == "freeze":
                    await control.freeze(customer, freeze_type=freeze_type, by=None, reason="r")
                else:
                    await control.unfreeze(customer, unfreeze_type=freeze_type)
        except DomainError as exc:
            return exc.code
        return None

    assert await attempt("unfreeze", FreezeType.ACCOUNT) == "CBC.0100"  # not frozen
    assert await attempt("freeze", FreezeType.ACCOUNT) is None
    assert await attempt("freeze", FreezeType.ACCOUNT) == "CBC.30000052"
    assert await attempt("unfreeze", FreezeType.ACCOUNT_AND_RESOURCE) == "CBC.0100"  # mismatch
    assert await attempt("freeze", FreezeType.ACCOUNT_AND_RESOURCE) is None  # escalates
    # Going back down must be an unfreeze, never a second freeze.
    assert await attempt("freeze", FreezeType.ACCOUNT) == "CBC.30000052"
    assert await attempt("unfreeze", FreezeType.ACCOUNT) == "CBC.0100"
    assert await attempt("unfreeze", FreezeType.ACCOUNT_AND_RESOURCE) is None
    async with database.unit_of_work() as uow:
        state = await CustomerControl(uow.session, clock=clock).state(customer)
    # Unfreezing also lifts the restriction the customer started with.
    assert state.normal and state.freeze_reason is None and state.frozen_by is None


async def test_a_restriction_keeps_the_freeze_reason(database: Database, clock: FixedClock) -> None:
    csp = await new_partner(database, clock)
    customer = await new_customer(database, clock, csp)
    async with database.unit_of_work() as uow:
        control = CustomerControl(uow.session, clock=clock)
        await control.freeze(
            customer, freeze_type=FreezeType.ACCOUNT, by=csp.partner_id, reason="manual"
        )
        state = await control.restrict(customer, by=None, reason="budget exhausted")
        assert (state.freeze_reason, state.frozen_by) == ("manual", csp.partner_id)
        history = await control.history(customer)
    assert [(e.action, e.reason, e.responsible_partner_id) for e in history] == [
        (ControlAction.FREEZE, "manual", csp.partner_id),
        (ControlAction.RESTRICT, "budget exhausted", None),
    ]


async def test_unknown_or_disassociated_customers_are_refused(
    database: Database, clock: FixedClock
) -> None:
    with pytest.raises(DomainError) as info:
        async with database.unit_of_work() as uow:
            await CustomerControl(uow.session, clock=clock).ensure_allowed("f" * 32, A.VIEW)
    assert info.value.code == "CBC.99000035"


async def _normal_customer(database: Database, clock: FixedClock) -> str:
    csp = await new_partner(database, clock)
    customer = await new_customer(database, clock, csp)
    async with database.unit_of_work() as uow:
        await CustomerControl(uow.session, clock=clock).lift_restriction(customer)
    return customer


async def test_a_freeze_waits_for_a_purchase_check_in_progress(
    database: Database, clock: FixedClock
) -> None:
    customer = await _normal_customer(database, clock)
    events: list[str] = []
    checked = asyncio.Event()
    finish_purchase = asyncio.Event()

    async def purchase() -> None:
        async with database.unit_of_work() as uow:
            await CustomerControl(uow.session, clock=clock).ensure_allowed(customer, A.PURCHASE)
            events.append("checked")
            checked.set()
            await finish_purchase.wait()
            events.append("purchased")

    async def freeze() -> None:
        await checked.wait()
        async with database.unit_of_work() as uow:
            await CustomerControl(uow.session, clock=clock).freeze(
                customer, freeze_type=FreezeType.ACCOUNT, by=None, reason="race"
            )
            events.append("frozen")

    buying = asyncio.create_task(purchase())
    freezing = asyncio.create_task(freeze())
    try:
        await checked.wait()
        await asyncio.sleep(0.3)
        while_held = list(events)
    finally:
        finish_purchase.set()
        await asyncio.gather(buying, freezing)
    assert while_held == ["checked"], "the freeze must wait for the purchase holding the row"
    assert events == ["checked", "purchased", "frozen"]


async def test_a_purchase_check_waits_for_a_freeze_in_progress(
    database: Database, clock: FixedClock
) -> None:
    customer = await _normal_customer(database, clock)
    frozen = asyncio.Event()
    commit_freeze = asyncio.Event()
    outcome: list[str] = []

    async def freeze() -> None:
        async with database.unit_of_work() as uow:
            await CustomerControl(uow.session, clock=clock).freeze(
                customer, freeze_type=FreezeType.ACCOUNT_AND_RESOURCE, by=None, reason="race"
            )
            frozen.set()
            await commit_freeze.wait()
        outcome.append("freeze committed")

    async def purchase() -> None:
        await frozen.wait()
        try:
            async with database.unit_of_work() as uow:
                await CustomerControl(uow.session, clock=clock).ensure_allowed(customer, A.PURCHASE)
        except DomainError as exc:
            outcome.append(exc.code)
        else:
            outcome.append("purchased")

    freezing = asyncio.create_task(freeze())
    buying = asyncio.create_task(purchase())
    try:
        await frozen.wait()
        await asyncio.sleep(0.3)
        while_held = list(outcome)
    finally:
        commit_freeze.set()
        await asyncio.gather(freezing, buying)
    assert while_held == [], "the purchase check must wait for the freeze holding the row"
    # It saw the committed freeze, not the state from before it. (Which task records its
    # outcome first after the commit is up to the event loop.)
    assert sorted(outcome) == sorted(["freeze committed", "CBC.99003656"])
