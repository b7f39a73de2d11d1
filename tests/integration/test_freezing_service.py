"""FreezingService with every kind of actor: a reseller's own members acting through their
distributor's grants (the console; resellers have no API access), a distributor acting for a
reseller as the partner responsible for it, member permission items and account-manager scope.
The SDK-level behaviour is in tests/sdk/test_freezing.py."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from partner_center.domains.customers.public import (
    ControlAction,
    CustomerControl,
    FreezeType,
    ItemFailure,
    NewCustomer,
    PartnerActor,
)
from partner_center.domains.identity.public import Permission
from partner_center.domains.partners.public import PartnerType, PartnerView, ResellerPermission
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from tests.integration.test_control_states import (
    admin_actor,
    name,
    new_customer,
    new_partner,
    services,
)

ACCOUNT = FreezeType.ACCOUNT
RESOURCES = FreezeType.ACCOUNT_AND_RESOURCE


@dataclasses.dataclass
class Channel:
    distributor: PartnerView
    reseller: PartnerView
    sibling: PartnerView
    own_customer: str
    reseller_customers: list[str]
    sibling_customer: str


async def channel(database: Database, clock: FixedClock) -> Channel:
    distributor = await new_partner(database, clock, PartnerType.DISTRIBUTOR)
    reseller = await new_partner(database, clock, PartnerType.RESELLER, distributor)
    sibling = await new_partner(database, clock, PartnerType.RESELLER, distributor)
    return Channel(
        distributor=distributor,
        reseller=reseller,
        sibling=sibling,
        own_customer=await new_customer(database, clock, distributor),
        reseller_customers=[
            await new_customer(database, clock, distributor, reseller=reseller) for _ in range(2)
        ],
        sibling_customer=await new_customer(database, clock, distributor, reseller=sibling),
    )


async def grant(
    database: Database,
    clock: FixedClock,
    ch: Channel,
    *,
    restrict: bool = False,
    resources: bool = False,
) -> None:
    async with database.unit_of_work() as uow:
        await services(uow.session, clock).partners.set_grants(
            distributor_id=ch.distributor.partner_id,
            reseller_id=ch.reseller.partner_id,
            can_set_budget=False,
            can_restrict=restrict,
            can_freeze_resources=resources,
            monthly_quota=None,
            package_quota=None,
        )


async def freeze_reseller_account(database: Database, clock: FixedClock, ch: Channel) -> None:
    async with database.unit_of_work() as uow:
        await services(uow.session, clock).partners.freeze_account(
            ch.reseller.partner_id,
            reason="unpaid bills",
            by_account_id=ch.distributor.partner_id,
            distributor_id=ch.distributor.partner_id,
        )


async def act(
    database: Database,
    clock: FixedClock,
    partner_id: str,
    verb: str,
    ids: list[str],
    freeze_type: FreezeType = ACCOUNT,
    *,
    indirect: str | None = None,
    actor: PartnerActor | None = None,
) -> list[ItemFailure]:
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        who = actor or await admin_actor(svc, partner_id)
        if verb == "freeze":
            return await svc.freezing.freeze_customers(
                who,
                ids,
                freeze_type=freeze_type,
                reason=f"{verb} test",
                indirect_partner_id=indirect,
            )
        return await svc.freezing.unfreeze_customers(
            who, ids, unfreeze_type=freeze_type, reason=f"{verb} test", indirect_partner_id=indirect
        )


async def refused(coro: object) -> DomainError:
    with pytest.raises(DomainError) as info:
        await coro  # type: ignore[misc]
    return info.value


async def frozen_by(database: Database, clock: FixedClock, customer: str) -> str | None:
    async with database.unit_of_work() as uow:
        state = await CustomerControl(uow.session, clock=clock).state(customer)
    return state.frozen_by if state.freeze_type else None


async def test_a_reseller_acts_only_within_its_grants(
    database: Database, clock: FixedClock
) -> None:
    ch = await channel(database, clock)
    rid = ch.reseller.partner_id
    error = await refused(act(database, clock, rid, "freeze", ch.reseller_customers))
    assert (error.code, error.status) == ("CBC.0151", 403)
    assert "not granted" in error.message
    assert await frozen_by(database, clock, ch.reseller_customers[0]) is None

    await grant(database, clock, ch, restrict=True)
    assert await act(database, clock, rid, "freeze", ch.reseller_customers) == []
    assert await frozen_by(database, clock, ch.reseller_customers[0]) == rid
    # ACCOUNT_AND_RESOURCE is a separate grant (rules.md §1.9 (c)).
    error = await refused(act(database, clock, rid, "freeze", ch.reseller_customers, RESOURCES))
    assert error.code == "CBC.0151"
    assert await act(database, clock, rid, "unfreeze", ch.reseller_customers) == []

    # Its distributor's and its sibling's customers are not its customers.
    failures = await act(
        database,
        clock,
        rid,
        "freeze",
        [ch.own_customer, ch.sibling_customer, *ch.reseller_customers],
    )
    assert [(f.customer_id, f.error_code) for f in failures] == [
        (ch.own_customer, "CBC.99000035"),
        (ch.sibling_customer, "CBC.99000035"),
    ]
    # A reseller cannot act for another reseller.
    error = await refused(
        act(database, clock, rid, "freeze", ch.reseller_customers, indirect=ch.sibling.partner_id)
    )
    assert error.code == "CBC.99000037"

    # Revoking stops it (rules.md §1.13); what it did stays.
    await grant(database, clock, ch)
    error = await refused(act(database, clock, rid, "unfreeze", ch.reseller_customers))
    assert error.code == "CBC.0151"
    assert await frozen_by(database, clock, ch.reseller_customers[0]) == rid


async def test_a_frozen_reseller_cannot_unfreeze_but_may_still_freeze(
    database: Database, clock: FixedClock
) -> None:
    ch = await channel(database, clock)
    rid = ch.reseller.partner_id
    await grant(database, clock, ch, restrict=True, resources=True)
    assert await act(database, clock, rid, "freeze", ch.reseller_customers[:1]) == []
    await freeze_reseller_account(database, clock, ch)

    error = await refused(act(database, clock, rid, "unfreeze", ch.reseller_customers[:1]))
    assert (error.code, error.status) == ("CBC.0150", 403)
    assert "Your own partner account is frozen" in error.message
    assert await act(database, clock, rid, "freeze", ch.reseller_customers[1:], RESOURCES) == []

    # The distributor acting for it is acting *as* it while it holds the grant...
    did = ch.distributor.partner_id
    error = await refused(
        act(database, clock, did, "unfreeze", ch.reseller_customers[:1], indirect=rid)
    )
    assert error.code == "CBC.0150"
    assert "The reseller's own partner account is frozen" in error.message
    # ...and becomes responsible again once it revokes the grant.
    await grant(database, clock, ch)
    assert (
        await act(database, clock, did, "unfreeze", ch.reseller_customers[:1], indirect=rid) == []
    )
    assert await frozen_by(database, clock, ch.reseller_customers[0]) is None


async def test_the_distributor_acts_as_the_responsible_partner(
    database: Database, clock: FixedClock
) -> None:
    ch = await channel(database, clock)
    did, rid = ch.distributor.partner_id, ch.reseller.partner_id
    first, second = ch.reseller_customers

    assert await act(database, clock, did, "freeze", [first], indirect=rid) == []
    assert await frozen_by(database, clock, first) == did  # not granted: the distributor acts

    await grant(database, clock, ch, restrict=True)
    assert await act(database, clock, did, "freeze", [second], indirect=rid) == []
    assert await frozen_by(database, clock, second) == rid  # granted: made as the reseller
    # The grant covers ACCOUNT only, so for resources the distributor is still responsible.
    assert await act(database, clock, did, "freeze", [first], RESOURCES, indirect=rid) == []
    assert await frozen_by(database, clock, first) == did

    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        history = await svc.control.history(second)
        admin = await svc.identity.admin_member(did)
        responsible = await svc.partners.responsible_partner(
            distributor_id=did, reseller_id=rid, permission=ResellerPermission.FREEZE_RESOURCES
        )
    assert [(e.action, e.responsible_partner_id, e.performed_by) for e in history] == [
        (ControlAction.FREEZE, rid, admin.id)
    ]
    assert responsible.partner_id == did


async def test_member_permission_items(database: Database, clock: FixedClock) -> None:
    ch = await channel(database, clock)
    did, rid = ch.distributor.partner_id, ch.reseller.partner_id

    async def member(roles: list[str]) -> PartnerActor:
        async with database.unit_of_work() as uow:
            svc = services(uow.session, clock)
            created = await svc.identity.create_member(account_id=did, name=name("m"), roles=roles)
            caller = await svc.identity.caller_for(did, created.id, method="test")
            return PartnerActor(caller=caller, partner=ch.distributor)

    finance = await member(["FINANCE"])
    for indirect, ids in ((None, [ch.own_customer]), (rid, ch.reseller_customers)):
        error = await refused(
            act(database, clock, did, "freeze", ids, indirect=indirect, actor=finance)
        )
        assert (error.code, error.status) == ("CBC.0151", 403)

    operations = await member(["OPERATIONS"])
    assert await act(database, clock, did, "freeze", [ch.own_customer], actor=operations) == []
    assert (
        await act(
            database, clock, did, "freeze", ch.reseller_customers, indirect=rid, actor=operations
        )
        == []
    )

    # A custom role holding only the own-customers item cannot reach resellers' customers.
    own_only = dataclasses.replace(
        operations,
        caller=dataclasses.replace(
            operations.caller, permissions=frozenset({Permission.FREEZE_CUSTOMERS})
        ),
    )
    error = await refused(
        act(database, clock, did, "unfreeze", ch.reseller_customers, indirect=rid, actor=own_only)
    )
    assert error.code == "CBC.0151"


async def test_an_account_manager_reaches_only_its_own_customers(
    database: Database, clock: FixedClock
) -> None:
    csp = await new_partner(database, clock)
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        manager = await svc.identity.create_member(
            account_id=csp.partner_id, name=name("am"), roles=["ACCOUNT_MANAGER"]
        )
        caller = await svc.identity.caller_for(csp.partner_id, manager.id, method="test")
    # A custom role: an account manager that may also freeze (rules.md §1.20 scope still holds).
    actor = PartnerActor(
        caller=dataclasses.replace(
            caller, permissions=caller.permissions | {Permission.FREEZE_CUSTOMERS}
        ),
        partner=csp,
    )
    others = await new_customer(database, clock, csp)
    async with database.unit_of_work() as uow:
        created = await services(uow.session, clock).customers.create_sub_customer(
            actor,
            NewCustomer(xaccount_id=name("x"), xaccount_type=csp.xaccount_type, domain_area="US"),
        )
    mine = created.domain_id  # assigned to the manager who created it
    failures = await act(database, clock, csp.partner_id, "freeze", [mine, others], actor=actor)
    assert [(f.customer_id, f.error_code) for f in failures] == [(others, "CBC.99000035")]
    assert await frozen_by(database, clock, mine) == csp.partner_id


async def test_referral_customers_cannot_be_frozen(database: Database, clock: FixedClock) -> None:
    csp = await new_partner(database, clock)
    referral = await new_customer(database, clock, csp, referral=True)
    failures = await act(database, clock, csp.partner_id, "freeze", [referral])
    assert [(f.customer_id, f.error_code) for f in failures] == [(referral, "CBC.99000035")]
    assert "referral" in failures[0].error_msg


async def test_quota_bounds(database: Database, clock: FixedClock) -> None:
    ch = await channel(database, clock)
    for quota in (Decimal("-0.01"), Decimal("1.001"), Decimal("2147483647.01"), Decimal("NaN")):
        with pytest.raises(DomainError) as info:
            async with database.unit_of_work() as uow:
                await services(uow.session, clock).partners.set_grants(
                    distributor_id=ch.distributor.partner_id,
                    reseller_id=ch.reseller.partner_id,
                    can_set_budget=True,
                    can_restrict=False,
                    can_freeze_resources=False,
                    monthly_quota=quota,
                    package_quota=None,
                )
        assert info.value.code == "CBC.0100", quota
