"""Property: random sequences of top-ups, allocations, reclaims, purchases (held or not),
captures, releases, usage and refunds on one partner and two balance-funded customers behave
exactly as a small model predicts, never take any balance below zero, conserve money
(what entered = partner cash + customer balances + what was spent − arrears), and keep every
statement equal to the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances.public import (
    BalanceService,
    ChargeKind,
    CustomerBalanceSummary,
)
from partner_center.domains.partners.public import PartnerView
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_id
from tests.factories.budgets import BudgetWorld, admin_actor, services
from tests.integration.test_balance_service import World

D = Decimal
cents = st.integers(1, 5_000).map(lambda n: D(n).scaleb(-2))


@dataclass(frozen=True)
class TopUp:
    amount: Decimal


@dataclass(frozen=True)
class Allocate:
    who: int
    amount: Decimal


@dataclass(frozen=True)
class Reclaim:
    who: int
    amount: Decimal


@dataclass(frozen=True)
class Buy:
    who: int
    amount: Decimal
    hold: bool


@dataclass(frozen=True)
class Use:
    who: int
    amount: Decimal


@dataclass(frozen=True)
class Resolve:
    pick: int
    percent: int | None
    """Capture this share of the hold (None: release it)."""


@dataclass(frozen=True)
class Refund:
    pick: int
    amount: Decimal


Step = TopUp | Allocate | Reclaim | Buy | Use | Resolve | Refund

steps = st.one_of(
    st.builds(TopUp, cents),
    st.builds(Allocate, st.integers(0, 1), cents),
    st.builds(Reclaim, st.integers(0, 1), cents),
    st.builds(Buy, st.integers(0, 1), cents, st.booleans()),
    st.builds(Use, st.integers(0, 1), cents),
    st.builds(Resolve, st.integers(0, 20), st.none() | st.integers(1, 100)),
    st.builds(Refund, st.integers(0, 20), cents),
)


@dataclass
class Model:
    cash: Decimal = field(default_factory=Decimal)
    free: list[Decimal] = field(default_factory=lambda: [D(0), D(0)])
    debt: list[Decimal] = field(default_factory=lambda: [D(0), D(0)])
    entered: Decimal = field(default_factory=Decimal)
    spent: Decimal = field(default_factory=Decimal)
    holds: list[tuple[str, int, Decimal]] = field(default_factory=list)
    refundable: list[tuple[str, int, Decimal]] = field(default_factory=list)

    def write_off(self, who: int) -> None:
        paid = min(self.debt[who], self.free[who])
        self.debt[who] -= paid
        self.free[who] -= paid


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(steps, min_size=3, max_size=12))
async def test_random_money_histories_follow_the_rules(
    database: Database, history: list[Step]
) -> None:
    world = World(BudgetWorld(database, FixedClock(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))))
    csp = await world.partner()
    customers = [await world.customer(csp), await world.customer(csp)]
    model = Model()
    # Both customers are balance-funded from the start (an allocation makes them so).
    await world.fund(csp, "0.02")
    for customer in customers:
        await world.allocate(csp, customer, "0.01")
    model.entered = D("0.02")
    model.free = [D("0.01"), D("0.01")]

    for step in history:
        if isinstance(step, TopUp):
            await world.fund(csp, str(step.amount))
            model.cash += step.amount
            model.entered += step.amount
        elif isinstance(step, Allocate | Reclaim):
            customer = customers[step.who]
            giving = isinstance(step, Allocate)
            fits = step.amount <= (model.cash if giving else model.free[step.who])
            try:
                if giving:
                    await world.allocate(csp, customer, str(step.amount))
                else:
                    await world.reclaim(csp, customer, step.amount)
            except DomainError as exc:
                assert not fits and exc.code == "CBC.99005003", exc.message
            else:
                assert fits
                sign = 1 if giving else -1
                model.cash -= sign * step.amount
                model.free[step.who] += sign * step.amount
                if giving:
                    model.write_off(step.who)
        elif isinstance(step, Buy):
            charge_id = new_id()
            fits = step.amount <= model.free[step.who]
            try:
                await world.charge(customers[step.who], str(step.amount), charge_id, hold=step.hold)
            except DomainError as exc:
                assert not fits and exc.code == "CBC.99005003", exc.message
            else:
                assert fits
                model.free[step.who] -= step.amount
                if step.hold:
                    model.holds.append((charge_id, step.who, step.amount))
                else:
                    model.spent += step.amount
                    model.refundable.append((charge_id, step.who, step.amount))
        elif isinstance(step, Use):
            charge_id = new_id()
            view = await world.charge(
                customers[step.who], str(step.amount), charge_id, kind=ChargeKind.USAGE
            )
            covered = min(model.free[step.who], step.amount)
            assert view.arrears_amount == step.amount - covered
            model.free[step.who] -= covered
            model.debt[step.who] += step.amount - covered
            model.spent += step.amount
            model.refundable.append((charge_id, step.who, step.amount))
        elif isinstance(step, Resolve) and model.holds:
            charge_id, who, held = model.holds.pop(step.pick % len(model.holds))
            if step.percent is None:
                await world.run(lambda b, _s, c=charge_id: b.release_charge(c))
                model.free[who] += held
            else:
                paid = max(D("0.01"), (held * step.percent / 100).quantize(D("0.01")))
                await world.run(lambda b, _s, c=charge_id, p=paid: b.capture_charge(c, amount=p))
                model.free[who] += held - paid
                model.spent += paid
                model.refundable.append((charge_id, who, paid))
        elif isinstance(step, Refund) and model.refundable:
            index = step.pick % len(model.refundable)
            charge_id, who, left = model.refundable[index]
            fits = step.amount <= left
            try:
                await world.run(
                    lambda b, _s, c=charge_id, w=who, a=step.amount: b.refund_customer(
                        customers[w], a, new_id(), charge_id=c
                    )
                )
            except DomainError as exc:
                assert not fits and exc.code == "CBC.0100", exc.message
            else:
                assert fits
                model.refundable[index] = (charge_id, who, left - step.amount)
                model.free[who] += step.amount
                model.spent -= step.amount
                model.write_off(who)

        cash, rows = await world.run(lambda b, s: _snapshot(world, b, s, csp, customers))
        assert cash == model.cash >= 0
        for who, customer in enumerate(customers):
            assert (rows[customer].amount, rows[customer].debt_amount) == (
                model.free[who],
                model.debt[who],
            )
            assert model.free[who] >= 0
        owed = sum(model.debt, D(0))
        assert model.entered == model.cash + sum(model.free, D(0)) + _held(model) + (
            model.spent - owed
        )

    assert await world.proof(csp.partner_id, *customers) == []


def _held(model: Model) -> Decimal:
    return sum((amount for _, _, amount in model.holds), D(0))


async def _snapshot(
    world: World,
    balances: BalanceService,
    session: AsyncSession,
    csp: PartnerView,
    customers: list[str],
) -> tuple[Decimal, dict[str, CustomerBalanceSummary]]:
    """The partner's cash and the customers' balances, read in one unit of work."""
    actor = await admin_actor(services(session, world.clock), csp.partner_id)
    cash = (await balances.partner_balances(actor))[0].amount
    rows = await balances.customer_balances(actor, customers)
    return cash, {r.customer_id: r for r in rows}
