"""Property: random sequences of budget settings (both types), purchases reserved, charged in
full or in part, abandoned, and months passing keep a customer's budget exactly as a small model
predicts — and never let charged purchases use more than the budget in force when they were
reserved.

The model knows the rules: a purchase fits when ``amount <= cap - used - held``, where ``cap`` is
the budget, or what the period already used and held when the budget was lowered below that
(rules.md §3.9: nothing more can be bought, nothing spent is undone); a type change opens a
period that starts with the month's spend (§3.6); a monthly period starts empty on the 1st
(§3.4); a reservation belongs to the period it was made in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partner_center.domains.budgets.public import BudgetType, Reservation
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from tests.factories.budgets import ZONE, BudgetWorld
from tests.integration.test_budget_service import breaches

D = Decimal
START = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)

amounts = st.integers(1, 6_000).map(lambda n: D(n).scaleb(-2))


@dataclass(frozen=True)
class SetBudget:
    amount: Decimal
    budget_type: BudgetType


@dataclass(frozen=True)
class Reserve:
    amount: Decimal


@dataclass(frozen=True)
class Commit:
    pick: int
    percent: int | None
    """Charge this share of the hold, or all of it."""


@dataclass(frozen=True)
class Release:
    pick: int


@dataclass(frozen=True)
class NextMonth:
    pass


Step = SetBudget | Reserve | Commit | Release | NextMonth

steps = st.one_of(
    st.builds(
        SetBudget,
        st.integers(1, 100).map(D),
        st.sampled_from([BudgetType.MONTHLY, BudgetType.PACKAGE]),
    ),
    st.builds(Reserve, amounts),
    st.builds(Reserve, amounts),
    st.builds(Commit, st.integers(0, 50), st.none() | st.integers(1, 100)),
    st.builds(Release, st.integers(0, 50)),
    st.just(NextMonth()),
)


@dataclass
class Hold:
    reservation: Reservation
    period: int
    month: str


@dataclass
class Model:
    budget_type: BudgetType | None = None
    budget: Decimal = field(default_factory=Decimal)
    cap: Decimal = field(default_factory=Decimal)
    period: int = 0
    used: Decimal = field(default_factory=Decimal)
    held: Decimal = field(default_factory=Decimal)
    month: str = ""
    charged_by_month: dict[str, Decimal] = field(default_factory=dict)
    open_holds: list[Hold] = field(default_factory=list)

    def new_period(self, used: Decimal) -> None:
        self.period += 1
        self.used, self.held = used, D(0)
        self.cap = max(self.budget, used)


def month_of(when: datetime) -> str:
    return when.astimezone(ZONE).strftime("%Y-%m")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(steps, min_size=3, max_size=16))
async def test_random_budget_histories_follow_the_rules(
    database: Database, history: list[Step]
) -> None:
    world = BudgetWorld(database, FixedClock(START))
    csp = await world.partner()
    customer = await world.customer(csp)
    model = Model(month=month_of(START))

    for n, step in enumerate(history):
        if isinstance(step, SetBudget):
            first = model.budget_type is None
            await world.set_budget(csp, customer, step.amount, step.budget_type, lift=first)
            switched = not first and step.budget_type != model.budget_type
            model.budget_type, model.budget = step.budget_type, step.amount
            if first:
                model.new_period(D(0))
            elif switched:
                model.new_period(model.charged_by_month.get(model.month, D(0)))
            else:
                model.cap = max(step.amount, model.used + model.held)
        elif isinstance(step, Reserve):
            fits = model.budget_type is not None and step.amount <= (
                model.cap - model.used - model.held
            )
            try:
                reservation = await world.reserve(customer, step.amount, f"order-{n}")
            except DomainError as exc:
                assert not fits, exc.message
                # Before its first budget the customer is still purchase-restricted.
                assert exc.code == ("CBC.99003198" if model.budget_type else "CBC.99003656")
            else:
                assert fits
                model.held += step.amount
                model.open_holds.append(Hold(reservation, model.period, model.month))
        elif isinstance(step, Commit | Release) and model.open_holds:
            hold = model.open_holds.pop(step.pick % len(model.open_holds))
            current = hold.period == model.period
            if current:
                model.held -= hold.reservation.amount
            if isinstance(step, Release):
                await world.release(hold.reservation.id)
                continue
            charge = hold.reservation.amount
            if step.percent is not None:
                charge = max(D("0.01"), (charge * step.percent / 100).quantize(D("0.01")))
            committed = await world.commit(hold.reservation.id, charge)
            assert committed.committed_amount == charge
            if current:
                model.used += charge
            model.charged_by_month[hold.month] = (
                model.charged_by_month.get(hold.month, D(0)) + charge
            )
        elif isinstance(step, NextMonth):
            local = world.clock.now().astimezone(ZONE)
            first_of_next = (local.replace(day=1) + timedelta(days=32)).replace(day=1, hour=9)
            world.clock.set(first_of_next.astimezone(UTC))
            model.month = month_of(world.clock.now())
            if model.budget_type == BudgetType.MONTHLY:
                model.new_period(D(0))

        view = await world.budget(customer)
        assert view.used_amount == model.used
        assert view.reserved_amount == model.held
        assert model.used + model.held <= model.cap
        if model.cap == model.budget:
            assert view.remaining >= 0  # negative only after a budget was lowered below use

    assert await breaches(world, customer) == []
