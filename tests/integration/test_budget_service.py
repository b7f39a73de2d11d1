"""BudgetService and BudgetEngine on a real database: budget types and their periods, type
switching, purchases as ledger holds, alerts, exhaustion actions, reseller quotas and grants,
batch setting and adjustment records (rules.md §3, §1.9–1.13, §2.3, §4)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from partner_center.domains.budgets.public import (
    EXHAUSTION_REASON,
    BudgetType,
    ExhaustionAction,
    RecordFilter,
    RecordOperation,
    ReservationStatus,
)
from partner_center.domains.customers.models import Customer
from partner_center.domains.customers.public import (
    AssociationStatus,
    CustomerControl,
    FreezeType,
)
from partner_center.domains.identity.public import Role
from partner_center.domains.ledger.models import LedgerAccount
from partner_center.domains.ledger.public import Guard, LedgerService, reconcile
from partner_center.domains.partners.public import PartnerType, PartnerView
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.pagination import Page
from tests.factories.budgets import BudgetWorld, admin_actor, member_actor, services

D = Decimal
MONTHLY, PACKAGE = BudgetType.MONTHLY, BudgetType.PACKAGE
#: 00:00 on 1 December 2026 in Asia/Shanghai (the billing zone of these tests).
DEC_1 = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


@pytest.fixture
def world(database: Database) -> BudgetWorld:
    return BudgetWorld(database, FixedClock(datetime(2026, 11, 29, 8, 0, tzinfo=UTC)))


async def refused(coro: object) -> DomainError:
    with pytest.raises(DomainError) as info:
        await coro  # type: ignore[misc]
    return info.value


async def ready_customer(
    world: BudgetWorld,
    partner: PartnerView,
    amount: str = "100",
    budget_type: BudgetType = MONTHLY,
    action: ExhaustionAction | None = None,
) -> str:
    """A reseller-model customer with a budget, its purchase restriction lifted."""
    customer = await world.customer(partner)
    await world.set_budget(partner, customer, amount, budget_type, action=action, lift=True)
    return customer


async def breaches(world: BudgetWorld, *tenants: str) -> list[str]:
    """Ledger accounts of these tenants that ``reconcile`` finds past their guard or out of
    step with their transfers."""
    async with world.db.unit_of_work() as uow:
        ids = set(
            (
                await uow.session.execute(
                    select(LedgerAccount.id).where(LedgerAccount.tenant_id.in_(tenants))
                )
            )
            .scalars()
            .all()
        )
        report = await reconcile(uow.session)
    return [b.account_id for b in report.limit_breaches if b.account_id in ids] + [
        d.account_id for d in report.discrepancies if d.account_id in ids
    ]


# -- getting started (rules.md §2.3, §3.8) ----------------------------------------------------


async def test_a_new_customer_buys_only_after_a_budget_and_the_lift(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)

    error = await refused(world.reserve(customer, "1", "o-1"))
    assert error.code == "CBC.99003656"  # new reseller-model customers start restricted

    await world.set_budget(csp, customer, "100")
    assert (await world.state(customer)).restricted
    assert (await refused(world.reserve(customer, "1", "o-2"))).code == "CBC.99003656"

    await world.set_budget(csp, customer, "100", lift=True)
    assert (await world.state(customer)).normal
    reservation = await world.reserve(customer, "1", "o-3")
    assert reservation.status == ReservationStatus.RESERVED


async def test_without_a_budget_an_unrestricted_customer_still_cannot_buy(
    world: BudgetWorld,
) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    async with world.db.unit_of_work() as uow:
        await CustomerControl(uow.session, clock=world.clock).lift_restriction(customer)

    error = await refused(world.reserve(customer, "1", "o-1"))
    assert error.code == "CBC.99003198"
    assert error.details["reason"] == "no_budget"
    view = await world.budget(customer)
    assert (view.is_set, view.budget_amount, view.used_amount) == (False, 0, 0)


async def test_first_budget_defaults(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    view = await world.set_budget(csp, customer, "250.5")
    assert view.is_set
    assert view.budget_type == MONTHLY
    assert view.budget_amount == D("250.50")
    assert view.exhaustion_action == ExhaustionAction.MANUAL
    assert view.currency == "USD"
    # The monthly period is the calendar month in the billing zone (UTC+8).
    assert view.period_starts_at == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)


async def test_budgets_are_for_reseller_model_customers_only(world: BudgetWorld) -> None:
    csp = await world.partner()
    referral = await world.customer(csp, referral=True)
    assert (await refused(world.set_budget(csp, referral, "10"))).code == "CBC.99000035"
    assert (await refused(world.reserve(referral, "1", "o-1"))).code == "CBC.5024"
    async with world.db.unit_of_work() as uow:
        assert not await services(uow.session, world.clock).budgets.applies_to(referral)


@pytest.mark.parametrize("amount", ["0", "-1", "0.001", "2147483647.01", "2147483648", "1.005"])
async def test_invalid_budget_amounts(world: BudgetWorld, amount: str) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    error = await refused(world.set_budget(csp, customer, amount))
    assert error.code == "CBC.0100"
    assert error.details["field"] == "budget_amount"
    assert not (await world.budget(customer)).is_set


async def test_the_largest_budget(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    view = await world.set_budget(csp, customer, "2147483647")
    assert view.budget_amount == D("2147483647.00")


# -- periods: monthly restore, one-time, type switching (rules.md §3.4–3.6) -------------------


async def test_a_monthly_budget_is_restored_at_midnight_on_the_first_in_the_billing_zone(
    world: BudgetWorld,
) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp)
    await world.purchase(customer, "60")
    assert (await world.budget(customer)).used_amount == 60

    world.clock.set(datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC))  # 23:59:59 in Shanghai
    await world.restore()
    assert (await world.budget(customer)).used_amount == 60
    assert (await refused(world.reserve(customer, "41", "o-late"))).code == "CBC.99003198"

    world.clock.set(DEC_1)
    assert (await world.budget(customer)).used_amount == 0  # reads as restored at once
    assert await world.restore() >= 1
    view = await world.budget(customer)
    assert (view.used_amount, view.period_starts_at) == (0, DEC_1)
    await world.purchase(customer, "100")
    assert (await world.budget(customer)).used_amount == 100


async def test_a_one_time_budget_is_never_restored(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "100", PACKAGE)
    await world.purchase(customer, "60")
    world.clock.set(datetime(2027, 2, 3, tzinfo=UTC))
    await world.restore()
    view = await world.budget(customer)
    assert (view.budget_type, view.used_amount) == (PACKAGE, 60)
    assert (await refused(world.reserve(customer, "40.01", "o-1"))).code == "CBC.99003198"
    await world.purchase(customer, "40")
    assert (await world.budget(customer)).remaining == 0


async def test_switching_types_counts_the_month_to_date_spend(world: BudgetWorld) -> None:
    csp = await world.partner()
    world.clock.set(datetime(2026, 10, 20, tzinfo=UTC))
    customer = await ready_customer(world, csp, "1000", PACKAGE)
    await world.purchase(customer, "100")  # October
    world.clock.set(datetime(2026, 11, 10, tzinfo=UTC))
    await world.purchase(customer, "30")  # November
    assert (await world.budget(customer)).used_amount == 130

    # One-time -> monthly: the monthly budget counts November's spend only.
    view = await world.set_budget(csp, customer, "200", MONTHLY)
    assert (view.budget_type, view.used_amount) == (MONTHLY, 30)
    assert view.period_starts_at == datetime(2026, 11, 10, tzinfo=UTC)

    world.clock.set(datetime(2026, 11, 20, tzinfo=UTC))
    await world.purchase(customer, "20")
    # Monthly -> one-time: spend counts from the month of the change (all of November).
    view = await world.set_budget(csp, customer, "60", PACKAGE)
    assert (view.budget_type, view.used_amount, view.remaining) == (PACKAGE, 50, 10)
    assert (await refused(world.reserve(customer, "10.01", "o-x"))).code == "CBC.99003198"

    # A carried spend above the new budget leaves no room, and the guard stays intact.
    view = await world.set_budget(csp, customer, "20", MONTHLY)
    assert (view.used_amount, view.remaining) == (50, -30)
    assert (await refused(world.reserve(customer, "0.01", "o-y"))).code == "CBC.99003198"
    assert await breaches(world, customer) == []


async def test_lowering_a_budget_below_use_blocks_purchases_and_breaks_no_guard(
    world: BudgetWorld,
) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "100")
    await world.purchase(customer, "80")
    held = await world.reserve(customer, "10", "o-held")
    view = await world.set_budget(csp, customer, "50")
    assert (view.budget_amount, view.used_amount, view.reserved_amount) == (50, 80, 10)
    assert view.remaining == -40
    assert (await refused(world.reserve(customer, "0.01", "o-1"))).code == "CBC.99003198"
    assert await breaches(world, customer) == []

    # What was reserved before the change is still charged.
    await world.commit(held.id)
    assert (await world.budget(customer)).used_amount == 90

    await world.set_budget(csp, customer, "120")
    await world.purchase(customer, "30")
    error = await refused(world.reserve(customer, "0.01", "o-2"))
    assert (error.code, error.details["available"]) == ("CBC.99003198", "0.00")


# -- reservations (purchases as ledger holds) ------------------------------------------------


async def test_reservations_hold_and_resolve_once(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "100")

    first = await world.reserve(customer, "30", "order-1")
    again = await world.reserve(customer, "30", "order-1")
    assert again.id == first.id
    assert (await world.budget(customer)).reserved_amount == 30
    assert (await refused(world.reserve(customer, "31", "order-1"))).code == "CBC.99007009"

    partial = await world.commit(first.id, D("12.5"))
    assert (partial.status, partial.committed_amount) == (ReservationStatus.COMMITTED, D("12.5"))
    assert (await world.commit(first.id)).committed_amount == D("12.5")  # retry: same result
    assert (await refused(world.commit(first.id, D("13")))).code == "CBC.99007009"
    assert (await refused(world.release(first.id))).code == "CBC.0100"
    view = await world.budget(customer)
    assert (view.used_amount, view.reserved_amount) == (D("12.5"), 0)

    second = await world.reserve(customer, "50", "order-2")
    assert (await refused(world.commit(second.id, D("50.01")))).code == "CBC.0100"
    assert (await world.release(second.id)).status == ReservationStatus.RELEASED
    assert (await world.release(second.id)).status == ReservationStatus.RELEASED
    assert (await refused(world.commit(second.id))).code == "CBC.0100"
    assert (await refused(world.commit("no-such-reservation"))).code == "CBC.0100"
    view = await world.budget(customer)
    assert (view.used_amount, view.reserved_amount) == (D("12.5"), 0)

    # List prices may carry 8 decimals; more is refused.
    await world.purchase(customer, "0.00000001")
    assert (await refused(world.reserve(customer, "0.000000001", "o-9"))).code == "CBC.0100"
    assert (await refused(world.reserve(customer, "0", "o-10"))).code == "CBC.0100"
    assert await breaches(world, customer) == []


async def test_a_purchase_in_flight_across_the_first_counts_in_its_own_month(
    world: BudgetWorld,
) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "100")
    late = await world.reserve(customer, "70", "order-nov")
    world.clock.set(DEC_1)
    await world.restore()
    await world.commit(late.id)
    view = await world.budget(customer)
    assert (view.used_amount, view.reserved_amount) == (0, 0)
    await world.purchase(customer, "100")


# -- alerts (rules.md §3.12, §12.1) ------------------------------------------------------------


def thresholds(messages: list[object]) -> list[str]:
    subjects = [getattr(m, "subject", "") for m in messages]
    return sorted(s.split(" has used ")[1].split("%")[0] for s in subjects)


async def test_each_alert_is_sent_once_per_period(world: BudgetWorld) -> None:
    csp = await world.partner()
    inbox = await world.recipient(csp)
    customer = await ready_customer(world, csp, "100")

    await world.purchase(customer, "74.99")
    assert await world.outbox(csp, inbox) == []
    await world.purchase(customer, "0.01")  # exactly 75 %
    assert thresholds(await world.outbox(csp, inbox)) == ["75"]
    await world.purchase(customer, "10")
    assert thresholds(await world.outbox(csp, inbox)) == ["75"]
    await world.purchase(customer, "5")
    assert thresholds(await world.outbox(csp, inbox)) == ["75", "90"]

    # Raising and lowering the budget again does not repeat alerts of the period.
    await world.set_budget(csp, customer, "200")
    await world.set_budget(csp, customer, "100")
    assert thresholds(await world.outbox(csp, inbox)) == ["75", "90"]
    await world.purchase(customer, "10")
    messages = await world.outbox(csp, inbox)
    assert thresholds(messages) == ["100", "75", "90"]
    assert "100.00 USD" in messages[0].body and customer in messages[0].body

    # A new month is a new period: the alerts may fire again.
    world.clock.set(DEC_1)
    await world.purchase(customer, "80")
    assert thresholds(await world.outbox(csp, inbox)) == ["100", "75", "75", "90"]


async def test_one_purchase_past_several_thresholds_sends_each(world: BudgetWorld) -> None:
    csp = await world.partner()
    inbox = await world.recipient(csp)
    customer = await ready_customer(world, csp, "100")
    await world.purchase(customer, "100")
    assert thresholds(await world.outbox(csp, inbox)) == ["100", "75", "90"]


async def test_a_resellers_customer_alerts_the_reseller_and_its_distributor(
    world: BudgetWorld,
) -> None:
    distributor = await world.partner(PartnerType.DISTRIBUTOR)
    reseller = await world.partner(PartnerType.RESELLER, distributor)
    await world.grant(distributor, reseller, monthly_quota=D(500))
    distributor_inbox = await world.recipient(distributor)
    reseller_inbox = await world.recipient(reseller)
    customer = await world.customer(distributor, reseller=reseller)
    await world.set_budget(distributor, customer, "100", lift=True, indirect=reseller)
    await world.purchase(customer, "80")
    assert thresholds(await world.outbox(distributor, distributor_inbox)) == ["75"]
    assert thresholds(await world.outbox(reseller, reseller_inbox)) == ["75"]


# -- exhaustion actions (rules.md §3.13–3.18, §4) ---------------------------------------------


async def test_manual_leaves_the_customer_alone_but_the_budget_still_blocks(
    world: BudgetWorld,
) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "50")
    await world.purchase(customer, "50")
    assert (await world.state(customer)).normal
    assert (await refused(world.reserve(customer, "0.01", "o-1"))).code == "CBC.99003198"


async def test_restrict_on_exhaustion_and_lift_on_restore(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "50", action=ExhaustionAction.RESTRICT)
    await world.purchase(customer, "49.99")
    assert (await world.state(customer)).normal
    await world.purchase(customer, "0.01")
    state = await world.state(customer)
    assert (state.restricted, state.frozen_by, state.freeze_reason) == (
        True,
        None,
        EXHAUSTION_REASON,
    )
    assert (await refused(world.reserve(customer, "0.01", "o-1"))).code == "CBC.99003656"

    world.clock.set(DEC_1)
    await world.restore()
    assert (await world.state(customer)).normal
    await world.purchase(customer, "10")


async def test_raising_the_budget_above_use_lifts_the_exhaustion_restriction(
    world: BudgetWorld,
) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "50", action=ExhaustionAction.RESTRICT)
    await world.purchase(customer, "50")
    assert (await world.state(customer)).restricted
    await world.set_budget(csp, customer, "50")  # still used up: stays restricted
    assert (await world.state(customer)).restricted
    await world.set_budget(csp, customer, "60")
    assert (await world.state(customer)).normal
    await world.purchase(customer, "10")
    assert (await world.state(customer)).restricted  # used up again


async def test_lowering_the_budget_to_its_use_applies_the_action(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "100", action=ExhaustionAction.RESTRICT)
    await world.purchase(customer, "40")
    await world.set_budget(csp, customer, "40")
    assert (await world.state(customer)).restricted
    # Setting it again with cancel_partner_frozen lifts it, and does not re-apply it.
    await world.set_budget(csp, customer, "40", lift=True)
    assert (await world.state(customer)).normal


async def test_a_partners_own_restriction_is_never_lifted_automatically(
    world: BudgetWorld,
) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "50", action=ExhaustionAction.RESTRICT)
    pending = await world.reserve(customer, "50", "o-1")
    async with world.db.unit_of_work() as uow:
        await CustomerControl(uow.session, clock=world.clock).restrict(
            customer, by=csp.partner_id, reason="overdue invoice"
        )
    await world.commit(pending.id)
    world.clock.set(DEC_1)
    await world.restore()
    state = await world.state(customer)
    assert (state.restricted, state.frozen_by, state.freeze_reason) == (
        True,
        csp.partner_id,
        "overdue invoice",
    )


async def test_restrict_and_freeze_stays_frozen_after_the_restore(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "50")
    await world.set_action(csp, customer, ExhaustionAction.RESTRICT_AND_FREEZE)
    await world.purchase(customer, "50")
    state = await world.state(customer)
    assert (state.restricted, state.freeze_type) == (True, FreezeType.ACCOUNT_AND_RESOURCE)

    world.clock.set(DEC_1)
    await world.restore()
    assert (await world.state(customer)).freeze_type == FreezeType.ACCOUNT_AND_RESOURCE
    assert (await refused(world.reserve(customer, "1", "o-1"))).code == "CBC.99003656"
    # The partner unfreezes by setting the budget with cancel_partner_frozen.
    await world.set_budget(csp, customer, "50", lift=True)
    assert (await world.state(customer)).normal
    await world.purchase(customer, "1")


async def test_restrict_and_freeze_needs_the_agreement(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "50")
    async with world.db.unit_of_work() as uow:
        svc = services(uow.session, world.clock)
        error = await refused(
            svc.budgets.set_exhaustion_action(
                await admin_actor(svc, csp.partner_id),
                customer,
                ExhaustionAction.RESTRICT_AND_FREEZE,
                accept_agreement=False,
            )
        )
    assert (error.code, error.details["field"]) == ("CBC.0100", "accept_agreement")
    assert (await world.budget(customer)).exhaustion_action == ExhaustionAction.MANUAL
    other = await world.customer(csp)
    error = await refused(world.set_action(csp, other, ExhaustionAction.RESTRICT))
    assert error.code == "CBC.0100"  # no budget yet


async def test_the_action_is_kept_when_the_budget_changes(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "50", action=ExhaustionAction.RESTRICT)
    view = await world.set_budget(csp, customer, "70", PACKAGE)
    assert view.exhaustion_action == ExhaustionAction.RESTRICT
    view = await world.set_budget(csp, customer, "70", action=ExhaustionAction.MANUAL)
    assert view.exhaustion_action == ExhaustionAction.MANUAL


# -- resellers: quotas and grants (rules.md §1.9–1.13) ----------------------------------------


async def test_reseller_budgets_stay_within_the_quota_per_type(world: BudgetWorld) -> None:
    distributor = await world.partner(PartnerType.DISTRIBUTOR)
    reseller = await world.partner(PartnerType.RESELLER, distributor)
    a = await world.customer(distributor, reseller=reseller)
    b = await world.customer(distributor, reseller=reseller)

    # No quota at all: no budget of either type.
    error = await refused(world.set_budget(distributor, a, "10", indirect=reseller))
    assert (error.code, error.details["reason"]) == ("CBC.0100", "quota_missing")

    await world.grant(distributor, reseller, monthly_quota=D(100))
    await world.set_budget(distributor, a, "60", indirect=reseller)
    error = await refused(world.set_budget(distributor, b, "40.01", indirect=reseller))
    assert (error.code, error.details["reason"]) == ("CBC.0100", "quota_exceeded")
    assert not (await world.budget(b)).is_set
    await world.set_budget(distributor, b, "40", indirect=reseller)

    await world.set_budget(distributor, a, "50", indirect=reseller)  # frees 10
    await world.set_budget(distributor, b, "50", indirect=reseller)
    error = await refused(world.set_budget(distributor, a, "50", PACKAGE, indirect=reseller))
    assert error.details["reason"] == "quota_missing"

    # A one-time quota: switching a frees its monthly share for b.
    await world.grant(distributor, reseller, monthly_quota=D(100), package_quota=D(30))
    await world.set_budget(distributor, a, "30", PACKAGE, indirect=reseller)
    await world.set_budget(distributor, b, "100", indirect=reseller)
    error = await refused(world.set_budget(distributor, a, "30.01", PACKAGE, indirect=reseller))
    assert error.details["reason"] == "quota_exceeded"

    # A quota lowered below what is allocated: nothing can grow, everything can shrink.
    await world.grant(distributor, reseller, monthly_quota=D(80), package_quota=D(30))
    assert (await world.budget(b)).budget_amount == 100  # budgets stay in force
    error = await refused(world.set_budget(distributor, b, "100.01", indirect=reseller))
    assert error.details["reason"] == "quota_exceeded"
    await world.set_budget(distributor, b, "70", indirect=reseller)
    await world.set_budget(distributor, b, "80", indirect=reseller)
    assert await breaches(world, reseller.partner_id, a, b) == []


async def test_a_reseller_sets_budgets_only_while_granted(world: BudgetWorld) -> None:
    distributor = await world.partner(PartnerType.DISTRIBUTOR)
    reseller = await world.partner(PartnerType.RESELLER, distributor)
    customer = await world.customer(distributor, reseller=reseller)
    await world.grant(distributor, reseller, monthly_quota=D(100))

    async def as_reseller(amount: str, *, lift: bool = False) -> object:
        async with world.db.unit_of_work() as uow:
            svc = services(uow.session, world.clock)
            actor = await admin_actor(svc, reseller.partner_id)
        return await world.set_budget(reseller, customer, amount, lift=lift, actor=actor)

    assert (await refused(as_reseller("10"))).code == "CBC.0151"
    await world.grant(distributor, reseller, can_set_budget=True, monthly_quota=D(100))
    await as_reseller("10")
    # Lifting the restriction needs the restrict grant too.
    assert (await refused(as_reseller("20", lift=True))).code == "CBC.0151"
    assert (await world.budget(customer)).budget_amount == 10
    await world.grant(
        distributor, reseller, can_set_budget=True, can_restrict=True, monthly_quota=D(100)
    )
    await as_reseller("20", lift=True)
    assert (await world.state(customer)).normal

    # Revoking leaves the budget in force; the distributor adjusts it itself.
    await world.grant(distributor, reseller, monthly_quota=D(100))
    assert (await refused(as_reseller("30"))).code == "CBC.0151"
    assert (await world.budget(customer)).budget_amount == 20
    await world.set_budget(distributor, customer, "30", indirect=reseller)
    assert (await world.budget(customer)).budget_amount == 30


async def test_a_distributor_needs_its_reseller_and_the_customers_owner(
    world: BudgetWorld,
) -> None:
    distributor = await world.partner(PartnerType.DISTRIBUTOR)
    reseller = await world.partner(PartnerType.RESELLER, distributor)
    stranger = await world.partner(PartnerType.DISTRIBUTOR)
    foreign = await world.partner(PartnerType.RESELLER, stranger)
    await world.grant(distributor, reseller, monthly_quota=D(100))
    customer = await world.customer(distributor, reseller=reseller)

    error = await refused(world.set_budget(stranger, customer, "10", indirect=reseller))
    assert error.code == "CBC.99000037"
    error = await refused(world.set_budget(distributor, customer, "10", indirect=foreign))
    assert error.code == "CBC.99000037"
    # A reseller's customer is addressed through the reseller, not as the distributor's own.
    assert (await refused(world.set_budget(distributor, customer, "10"))).code == "CBC.99000035"


async def test_a_frozen_responsible_partner_cannot_lift(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    async with world.db.unit_of_work() as uow:
        await services(uow.session, world.clock).partners.freeze_account(
            csp.partner_id, reason="unpaid", by_account_id=csp.partner_id
        )
    error = await refused(world.set_budget(csp, customer, "10", lift=True))
    assert error.code == "CBC.0150"
    await world.set_budget(csp, customer, "10")  # setting alone is fine


# -- permission items (rules.md §1.22) --------------------------------------------------------


async def test_member_permission_items(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    async with world.db.unit_of_work() as uow:
        svc = services(uow.session, world.clock)
        manager = await member_actor(svc, csp.partner_id, [Role.ACCOUNT_MANAGER.value])
        finance = await member_actor(svc, csp.partner_id, [Role.FINANCE.value])
    assert (await refused(world.set_budget(csp, customer, "10", actor=manager))).code == (
        "CBC.0151"
    )
    await world.set_budget(csp, customer, "10", actor=finance)
    async with world.db.unit_of_work() as uow:
        svc = services(uow.session, world.clock)
        assert (await refused(svc.budgets.list_budgets(manager, [customer]))).code == "CBC.0151"
        assert len(await svc.budgets.list_budgets(finance, [customer])) == 1
        records, total = await svc.budgets.records(finance, customer, page=Page(0, 10))
    assert total == 1
    assert records[0].operator == finance.caller.member_name


# -- batch setting and records (rules.md §3.19–3.20) ------------------------------------------


async def test_batch_setting_reports_each_failure_and_keeps_the_rest(world: BudgetWorld) -> None:
    distributor = await world.partner(PartnerType.DISTRIBUTOR)
    reseller = await world.partner(PartnerType.RESELLER, distributor)
    other = await world.partner()
    await world.grant(distributor, reseller, monthly_quota=D(200))
    mine = [await world.customer(distributor, reseller=reseller) for _ in range(3)]
    await world.set_budget(distributor, mine[2], "5", indirect=reseller)
    foreign = await world.customer(other)

    async with world.db.unit_of_work() as uow:
        svc = services(uow.session, world.clock)
        outcome = await svc.budgets.set_budgets(
            await admin_actor(svc, distributor.partner_id),
            [*mine, foreign, mine[0]],
            amount=D(100),
            indirect_partner_id=reseller.partner_id,
        )
    # 5 + 100 + 100 > 200: the second fails and keeps no budget; the third only needs 95 more,
    # so it is set after the failure, against the same quota.
    assert outcome.succeeded == (mine[0], mine[2])
    assert [(f.id, f.error_code) for f in outcome.failed] == [
        (mine[1], "CBC.0100"),
        (foreign, "CBC.99000035"),
    ]
    assert [(await world.budget(c)).budget_amount for c in mine] == [100, 0, 100]
    async with world.db.unit_of_work() as uow:
        svc = services(uow.session, world.clock)
        actor = await admin_actor(svc, distributor.partner_id)
        counts = [
            (
                await svc.budgets.records(
                    actor, c, indirect_partner_id=reseller.partner_id, page=Page(0, 10)
                )
            )[1]
            for c in mine
        ]
    assert counts == [1, 0, 2]

    async with world.db.unit_of_work() as uow:
        svc = services(uow.session, world.clock)
        with pytest.raises(DomainError) as info:
            await svc.budgets.set_budgets(
                await admin_actor(svc, distributor.partner_id),
                [f"c{i}" for i in range(101)],
                amount=D(1),
                indirect_partner_id=reseller.partner_id,
            )
    assert info.value.code == "CBC.0100"


async def test_records_of_settings_and_of_the_removed_association(world: BudgetWorld) -> None:
    distributor = await world.partner(PartnerType.DISTRIBUTOR)
    reseller = await world.partner(PartnerType.RESELLER, distributor)
    await world.grant(distributor, reseller, monthly_quota=D(100), package_quota=D(100))
    customer = await world.customer(distributor, reseller=reseller)
    await world.set_budget(distributor, customer, "10", indirect=reseller)
    world.clock.set(DEC_1)
    await world.set_budget(distributor, customer, "20", PACKAGE, indirect=reseller)

    async with world.db.unit_of_work() as uow:
        svc = services(uow.session, world.clock)
        await svc.budgets.record_association_removed(customer)
        await svc.budgets.record_association_removed(customer)  # idempotent
        # What the associations domain does next: the customer leaves the partner's lists.
        await uow.session.execute(
            update(Customer)
            .where(Customer.account_id == customer)
            .values(association_status=AssociationStatus.DISASSOCIATED)
        )
    assert not (await world.budget(customer)).is_set
    # The reseller's quota is free again.
    other = await world.customer(distributor, reseller=reseller)
    await world.set_budget(distributor, other, "100", PACKAGE, indirect=reseller)

    async with world.db.unit_of_work() as uow:
        svc = services(uow.session, world.clock)
        actor = await admin_actor(svc, distributor.partner_id)
        records, total = await svc.budgets.records(
            actor, customer, indirect_partner_id=reseller.partner_id, page=Page(0, 10)
        )
        settings_only, _ = await svc.budgets.records(
            actor,
            customer,
            indirect_partner_id=reseller.partner_id,
            filters=RecordFilter(operation_type=RecordOperation.SETTING),
            page=Page(0, 10),
        )
        page_two, _ = await svc.budgets.records(
            actor, customer, indirect_partner_id=reseller.partner_id, page=Page(1, 1)
        )
    assert total == 3
    assert [(r.operation_type, r.budget_type, r.budget_amount) for r in records] == [
        (RecordOperation.DELETE, PACKAGE, 20),
        (RecordOperation.SETTING, PACKAGE, 20),
        (RecordOperation.SETTING, MONTHLY, 10),
    ]
    assert records[0].operator == "system"
    assert records[0].partner_account_name == reseller.name
    assert records[1].operator == distributor.name
    assert records[1].partner_account_name == distributor.name
    assert records[1].partner_corp_name == distributor.company_name
    assert len(settings_only) == 2
    assert page_two == [records[1]]

    # The history stays with the partner that owned the customer, and with nobody else.
    stranger = await world.partner(PartnerType.DISTRIBUTOR)
    async with world.db.unit_of_work() as uow:
        svc = services(uow.session, world.clock)
        foreign = await refused(
            svc.budgets.records(
                await admin_actor(svc, stranger.partner_id), customer, page=Page(0, 10)
            )
        )
        mistaken = await refused(
            svc.budgets.show_budget(
                await admin_actor(svc, distributor.partner_id),
                customer,
                indirect_partner_id=reseller.partner_id,
            )
        )
    assert (foreign.code, mistaken.code) == ("CBC.99000035", "CBC.99000035")


async def test_a_new_association_starts_without_the_old_budget(world: BudgetWorld) -> None:
    csp = await world.partner()
    customer = await ready_customer(world, csp, "100", action=ExhaustionAction.RESTRICT)
    await world.purchase(customer, "70")
    async with world.db.unit_of_work() as uow:
        await services(uow.session, world.clock).budgets.record_association_removed(customer)
    error = await refused(world.reserve(customer, "1", "o-1"))
    assert error.details["reason"] == "no_budget"

    view = await world.set_budget(csp, customer, "100")
    assert (view.used_amount, view.exhaustion_action) == (0, ExhaustionAction.MANUAL)
    await world.purchase(customer, "100")


# -- the ledger primitive budgets rely on -----------------------------------------------------


async def test_a_limit_can_be_clamped_to_what_is_already_used(world: BudgetWorld) -> None:
    tenant = await world.customer(await world.partner())
    async with world.db.unit_of_work() as uow:
        ledger = LedgerService(uow.session, world.clock)
        guarded = await ledger.open_account(
            tenant_id=tenant,
            code="clamp-test",
            currency="USD",
            guard=Guard.DEBITS_MUST_NOT_EXCEED_CREDITS,
            limit=D(100),
        )
        sink = await ledger.open_account(
            tenant_id=tenant, code="clamp-sink", currency="USD", guard=Guard.NONE
        )
        for kind, amount in ((False, D(60)), (True, D(15))):
            await ledger.transfer(
                transfer_id=f"clamp-{tenant}-{kind}",
                debit_account_id=guarded.id,
                credit_account_id=sink.id,
                amount=amount,
                currency="USD",
                code="test",
                pending=kind,
                tenant_id=tenant,
            )
        with pytest.raises(DomainError) as info:
            await ledger.set_limit(account_id=guarded.id, limit=D(50))
        assert info.value.details["reason"] == "limit_below_usage"
        clamped = await ledger.set_limit(account_id=guarded.id, limit=D(50), clamp_to_usage=True)
        assert (clamped.limit, clamped.available) == (D(75), D(0))
        raised = await ledger.set_limit(account_id=guarded.id, limit=D(80), clamp_to_usage=True)
        assert (raised.limit, raised.available) == (D(80), D(5))
    assert await breaches(world, tenant) == []
