"""The budget engine: periods, reservations against them, alerts and the exhaustion action.

It acts for the system, not for a partner: purchases (orders, pay-per-use) reserve and charge
budget through it, and the monthly job restores budgets through it. ``BudgetService`` adds the
partner-facing rules (who may set what, quotas, records) on top.

How budget use is kept (TigerBeetle-style holds in the ledger):

* Every period of a customer's budget owns a ledger account guarded
  ``DEBITS_MUST_NOT_EXCEED_CREDITS`` whose ``limit`` is the budget. A purchase is a PENDING
  transfer from the period account to the customer's spend account of the month
  (``budget_spend:<generation>:<YYYY-MM>``); charging posts it, abandoning voids it. The guard
  counts holds, so concurrent purchases can never reserve more than the budget: the ledger
  locks the account row and refuses the one that does not fit.
* The period's use is its account's posted debits; what is held, its pending debits.
* A budget lowered below what the period already used or holds keeps the lowest limit that
  leaves the guard intact (``clamp_to_usage``): nothing more can be reserved, nothing spent is
  undone, and ``reconcile`` never sees a broken guard.
* A type change opens a new period that starts with the month-to-date spend (rules.md §3.6): a
  POSTED transfer from the new period account to the customer's ``budget_carry`` account.
* A reservation belongs to the period it was made in. A purchase in flight across a period
  change (the 1st of a month, a type change) is charged to the period that reserved it.

Locks, always in this order so concurrent work queues instead of deadlocking: the customer row,
then the budget row, then ledger accounts (the ledger sorts its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, and_, case, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.budgets.errors import (
    BudgetErrorCode,
    budget_error,
    budget_insufficient,
    invalid,
    no_budget,
    not_your_customer,
)
from partner_center.domains.budgets.models import (
    BudgetAlert,
    BudgetPeriod,
    BudgetReservation,
    BudgetStatus,
    BudgetType,
    CustomerBudget,
    ExhaustionAction,
    ReservationStatus,
)
from partner_center.domains.customers.public import (
    Action,
    AssociationStatus,
    AssociationType,
    CustomerControl,
    CustomerRecord,
    CustomerRecords,
    FreezeType,
)
from partner_center.domains.ledger.public import (
    BalanceView,
    Guard,
    LedgerErrorCode,
    LedgerService,
)
from partner_center.domains.notifications.public import PARTNER_BUDGET, NotificationService
from partner_center.kernel.clock import Clock, format_utc, start_of_month, utc
from partner_center.kernel.db import MoneyAmount
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_id
from partner_center.kernel.money import (
    MAX_STORABLE,
    STORAGE_SCALE,
    MoneyError,
    decimal_places,
    to_cents,
    to_decimal,
)

ZERO = Decimal(0)
#: Usage alerts, percent of the period's budget (rules.md §3.12). An alert fires when use
#: reaches the threshold (use >= budget × threshold / 100).
ALERT_THRESHOLDS = (75, 90, 100)
#: The reason written on the customer when the system restricts or freezes it; the automatic
#: lift recognises its own restriction by it (and by ``frozen_by`` being None).
EXHAUSTION_REASON = "The customer's budget is used up."
RESTORED_REASON = "The customer's budget was restored or raised above its use."
SYSTEM = "system"


_UNITS_PER_CENT = 10 ** (STORAGE_SCALE - 2)


def _to_cents_units(units: ColumnElement[int]) -> ColumnElement[int]:
    """``to_cents`` in SQL on an amount of 10⁻⁸ units (still in units): half away from zero,
    in integers (``//`` of non-negative integers truncates alike on SQLite and PostgreSQL)."""
    half = _UNITS_PER_CENT // 2
    return case(
        (units >= 0, (units + half) // _UNITS_PER_CENT * _UNITS_PER_CENT),
        else_=-((half - units) // _UNITS_PER_CENT) * _UNITS_PER_CENT,
    )


@dataclass(frozen=True, slots=True)
class BudgetUsageSummary:
    """Budget use over all of a partner's customers with a budget. Amounts in the site
    currency."""

    budgets: int
    budget_amount: Decimal
    used_amount: Decimal
    """The sum of each customer's use rounded to cents (``to_cents``, half up), so it equals
    the rows of the customers as a page shows them, not the exact sum rounded once."""
    reached_75: int
    """Customers that used at least 75 % of their budget (the first alert)."""
    reached_90: int
    exhausted: int
    """Customers that used all of it."""
    top: list[tuple[str, Decimal, Decimal]]
    """``(customer id, budget, used)`` of the customers using the most, most first; ``used``
    rounded to cents like ``used_amount``'s terms."""


@dataclass(frozen=True, slots=True)
class BudgetView:
    """A customer's budget as it stands now. Amounts in ``currency``."""

    customer_id: str
    is_set: bool
    """False when no budget was ever set (or the association that had one ended): the customer
    then cannot buy, as with a budget of 0."""
    budget_type: BudgetType
    budget_amount: Decimal
    """The budget as set (0 when none is set)."""
    used_amount: Decimal
    """List-price spend charged to the current period (carried month-to-date spend included)."""
    reserved_amount: Decimal
    """List-price amount held by purchases not yet charged or abandoned."""
    currency: str
    exhaustion_action: ExhaustionAction
    period_starts_at: datetime | None
    """When the current period began (UTC); None when no budget is set."""
    owner_partner_id: str | None = None

    @property
    def remaining(self) -> Decimal:
        """Budget left for new purchases (holds count); negative after a budget was lowered
        below what the period had already used."""
        return self.budget_amount - self.used_amount - self.reserved_amount


@dataclass(frozen=True, slots=True)
class Reservation:
    """Budget held for one purchase."""

    id: str
    customer_id: str
    purchase_id: str
    amount: Decimal
    """List-price amount held (budget currency)."""
    committed_amount: Decimal | None
    """List-price amount charged; None until committed."""
    status: ReservationStatus
    period_id: str
    created_at: datetime


def _reservation_view(row: BudgetReservation) -> Reservation:
    return Reservation(
        id=row.id,
        customer_id=row.customer_id,
        purchase_id=row.purchase_id,
        amount=row.amount,
        committed_amount=row.committed_amount,
        status=ReservationStatus(row.status),
        period_id=row.period_id,
        created_at=row.created_at,
    )


def check_list_price_amount(value: object, field: str = "amount") -> Decimal:
    """A positive list-price amount: a Decimal or int with at most 8 decimals."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise invalid(field, f"Must be a Decimal, got {type(value).__name__}.")
    try:
        amount = to_decimal(value)
    except MoneyError as exc:
        raise invalid(field, str(exc)) from exc
    if amount <= 0:
        raise invalid(field, "Must be greater than 0.")
    if decimal_places(amount) > STORAGE_SCALE:
        raise invalid(field, f"At most {STORAGE_SCALE} decimal places are allowed.")
    if amount > MAX_STORABLE:
        raise invalid(field, f"Must not exceed {MAX_STORABLE:f}.")
    return amount


def display_amount(value: Decimal) -> Decimal:
    """Amounts on the wire: 2 decimals, half-up (api-semantics.md §1.7)."""
    return to_cents(value)


class BudgetEngine:
    """Budget periods and their use. Flushes, never commits."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        zone: ZoneInfo,
        notifications: NotificationService,
        ledger: LedgerService,
        control: CustomerControl,
        customer_records: CustomerRecords,
    ) -> None:
        self.session = session
        self.clock = clock
        self.zone = zone
        self.notifications = notifications
        self.ledger = ledger
        self.control = control
        self.customer_records = customer_records

    # -- time -------------------------------------------------------------------------------

    def month_of(self, when: datetime) -> str:
        """``YYYY-MM`` of an instant in the billing time zone."""
        local = utc(when).astimezone(self.zone)
        return f"{local.year:04d}-{local.month:02d}"

    # -- rows and locks ---------------------------------------------------------------------

    async def lock_customer(self, customer_id: str) -> CustomerRecord | None:
        """Lock the customer row first (see the module docstring for the lock order)."""
        return await self.customer_records.lock(customer_id)

    async def lock_budget(self, customer_id: str) -> CustomerBudget | None:
        stmt = (
            select(CustomerBudget)
            .where(CustomerBudget.customer_id == customer_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def budget_row(self, customer_id: str) -> CustomerBudget | None:
        return await self.session.get(CustomerBudget, customer_id)

    async def _period(self, period_id: str) -> BudgetPeriod:
        period = await self.session.get(BudgetPeriod, period_id)
        assert period is not None, f"budget period {period_id} is missing"
        return period

    # -- ledger accounts --------------------------------------------------------------------

    async def _spend_account(self, budget: CustomerBudget, month: str) -> str:
        account = await self.ledger.open_account(
            tenant_id=budget.customer_id,
            code=f"budget_spend:{budget.generation}:{month}",
            currency=budget.currency,
            guard=Guard.NONE,
        )
        return account.id

    async def _carry_account(self, budget: CustomerBudget) -> str:
        account = await self.ledger.open_account(
            tenant_id=budget.customer_id,
            code="budget_carry",
            currency=budget.currency,
            guard=Guard.NONE,
        )
        return account.id

    async def month_to_date_spend(self, budget: CustomerBudget, now: datetime) -> Decimal:
        """List-price spend charged for purchases reserved this month (billing time zone), in
        this association's budget."""
        account = await self.ledger.find_account(
            budget.customer_id,
            f"budget_spend:{budget.generation}:{self.month_of(now)}",
            budget.currency,
        )
        if account is None:
            return ZERO
        return (await self.ledger.balance(account.id)).credits_posted

    async def usage(self, period: BudgetPeriod) -> tuple[Decimal, Decimal]:
        """(used, held) of a period: posted and pending debits of its account."""
        balance = await self.ledger.balance(period.ledger_account_id)
        return balance.debits_posted - balance.credits_posted, balance.debits_pending

    # -- periods ----------------------------------------------------------------------------

    def _period_is_current(
        self, budget: CustomerBudget, period: BudgetPeriod, now: datetime
    ) -> bool:
        """A one-time period lasts until the type changes; a month, until the next month begins
        (a period that began this month or later is never replaced by an earlier one)."""
        if budget.budget_type == BudgetType.PACKAGE:
            return period.budget_type == BudgetType.PACKAGE
        return period.starts_at >= start_of_month(self.zone, now)

    async def open_period(
        self, budget: CustomerBudget, *, now: datetime, carry: Decimal, calendar: bool
    ) -> BudgetPeriod:
        """Close the current period and open the next one for ``budget.budget_type``.

        Args:
            calendar: the month began (the period starts at 00:00 on the 1st); otherwise the
                budget was set or changed type now and the period starts now.
            carry: spend the new period starts with (month-to-date spend on a type change).
        """
        if budget.current_period_id is not None:
            (await self._period(budget.current_period_id)).ended_at = now
        period_id = new_id()
        if budget.budget_type == BudgetType.MONTHLY:
            key = f"M:{self.month_of(now)}"
            starts_at = start_of_month(self.zone, now) if calendar else now
        else:
            key, starts_at = f"P:{period_id}", now
        account = await self.ledger.open_account(
            tenant_id=budget.customer_id,
            code=f"budget_period:{period_id}",
            currency=budget.currency,
            guard=Guard.DEBITS_MUST_NOT_EXCEED_CREDITS,
            limit=max(budget.amount, carry),
        )
        if carry > 0:
            await self.ledger.transfer(
                transfer_id=f"budget-carry:{period_id}",
                debit_account_id=account.id,
                credit_account_id=await self._carry_account(budget),
                amount=carry,
                currency=budget.currency,
                code="budget_carry",
                memo="Month-to-date spend carried into the period on a budget type change.",
                tenant_id=budget.tenant_id,
            )
            # The carry may exceed the new budget; the clamp keeps the guard intact with no
            # headroom left, exactly as lowering a budget below use does.
            await self.ledger.set_limit(
                account_id=account.id, limit=budget.amount, clamp_to_usage=True
            )
        period = BudgetPeriod(
            id=period_id,
            tenant_id=budget.tenant_id,
            customer_id=budget.customer_id,
            generation=budget.generation,
            budget_type=budget.budget_type,
            period_key=key,
            starts_at=starts_at,
            ledger_account_id=account.id,
            opening_usage=carry,
        )
        self.session.add(period)
        await self.session.flush()
        budget.current_period_id = period_id
        await self.session.flush()
        return period

    async def current_period(self, budget: CustomerBudget, *, now: datetime) -> BudgetPeriod:
        """The period purchases go against now, opening the new month of a monthly budget if
        nobody has yet (the monthly job or the first purchase after 00:00 on the 1st).

        The budget row must be locked.
        """
        assert budget.status == BudgetStatus.ACTIVE and budget.current_period_id is not None
        period = await self._period(budget.current_period_id)
        if self._period_is_current(budget, period, now):
            return period
        period = await self.open_period(budget, now=now, carry=ZERO, calendar=True)
        await self.lift_exhaustion_restriction(budget)
        return period

    async def sync_limit(self, budget: CustomerBudget, period: BudgetPeriod) -> Decimal:
        """Make the period's guard follow the budget (never below what it already uses);
        returns the period's use as its account, locked, has it."""
        balance = await self.ledger.set_limit(
            account_id=period.ledger_account_id, limit=budget.amount, clamp_to_usage=True
        )
        return balance.debits_posted - balance.credits_posted

    # -- reading ----------------------------------------------------------------------------

    async def view(self, customer_id: str, *, currency: str) -> BudgetView:
        """The budget as it stands now, without writing anything (a month that has begun but
        not been opened yet reads as restored)."""
        return (await self.views([customer_id], currency=currency))[0]

    async def usage_summary(self, partner_id: str, *, top: int = 10) -> BudgetUsageSummary:
        """Budget use of every customer with an active budget that the partner owns or, as a
        distributor, whose reseller it is above, in two statements whatever their number: the
        totals and threshold counts (75 %, 90 %, 100 %, rules.md §3.12), and the ``top``
        customers by use. Use is read as ``views`` reads it (a month not opened yet is 0)."""
        net = self.ledger.posted_net_debits()
        month = start_of_month(self.zone, self.clock.now())
        current = or_(
            and_(
                CustomerBudget.budget_type == BudgetType.PACKAGE,
                BudgetPeriod.budget_type == BudgetType.PACKAGE,
            ),
            and_(
                CustomerBudget.budget_type == BudgetType.MONTHLY,
                BudgetPeriod.starts_at >= month,
            ),
        )
        used = case((current, func.coalesce(net.c.net, 0)), else_=0)
        amount = type_coerce(CustomerBudget.amount, BigInteger)
        joined = (
            select(
                CustomerBudget.customer_id,
                amount.label("amount"),
                used.label("used"),
                _to_cents_units(used).label("shown"),
            )
            .join(BudgetPeriod, BudgetPeriod.id == CustomerBudget.current_period_id)
            .outerjoin(net, net.c.account_id == BudgetPeriod.ledger_account_id)
            .where(
                CustomerBudget.status == BudgetStatus.ACTIVE,
                or_(
                    CustomerBudget.tenant_id == partner_id,
                    CustomerBudget.distributor_id == partner_id,
                ),
            )
            .subquery()
        )

        def reaching(times: int, of: int) -> ColumnElement[int]:
            # used / amount >= of / times, in integers (no overflow: amounts < 10^17 units)
            return func.coalesce(
                func.sum(case((joined.c.used * times >= joined.c.amount * of, 1), else_=0)), 0
            )

        totals = (
            await self.session.execute(
                select(
                    func.count(),
                    type_coerce(func.coalesce(func.sum(joined.c.amount), 0), MoneyAmount()),
                    type_coerce(func.coalesce(func.sum(joined.c.shown), 0), MoneyAmount()),
                    reaching(4, 3),
                    reaching(10, 9),
                    reaching(1, 1),
                )
            )
        ).one()
        leaders = await self.session.execute(
            select(
                joined.c.customer_id,
                type_coerce(joined.c.amount, MoneyAmount()),
                type_coerce(joined.c.shown, MoneyAmount()),
            )
            .order_by(joined.c.used.desc(), joined.c.amount.desc(), joined.c.customer_id)
            .limit(top)
        )
        return BudgetUsageSummary(
            budgets=int(totals[0]),
            budget_amount=totals[1],
            used_amount=totals[2],
            reached_75=int(totals[3]),
            reached_90=int(totals[4]),
            exhausted=int(totals[5]),
            top=[(row[0], row[1], row[2]) for row in leaders.all()],
        )

    async def views(self, customer_ids: list[str], *, currency: str) -> list[BudgetView]:
        """``view`` of many customers, in the order given, in three statements whatever their
        number (budgets, their current periods, the periods' ledger balances)."""
        budgets = {
            row.customer_id: row
            for row in await self.session.scalars(
                select(CustomerBudget).where(CustomerBudget.customer_id.in_(customer_ids))
            )
            if row.status == BudgetStatus.ACTIVE
        }
        period_ids = [b.current_period_id for b in budgets.values() if b.current_period_id]
        periods = (
            {
                p.id: p
                for p in await self.session.scalars(
                    select(BudgetPeriod).where(BudgetPeriod.id.in_(period_ids))
                )
            }
            if period_ids
            else {}
        )
        now = self.clock.now()
        current = {
            customer_id: periods[budget.current_period_id]
            for customer_id, budget in budgets.items()
            if budget.current_period_id is not None
            and self._period_is_current(budget, periods[budget.current_period_id], now)
        }
        balances = await self.ledger.balances(p.ledger_account_id for p in current.values())
        views = []
        for customer_id in customer_ids:
            budget = budgets.get(customer_id)
            if budget is None:
                views.append(_unset_view(customer_id, currency))
                continue
            period = current.get(customer_id)
            balance = balances[period.ledger_account_id] if period is not None else None
            views.append(self._set_view(budget, period, balance, now))
        return views

    async def view_of(self, budget: CustomerBudget, *, currency: str) -> BudgetView:
        """``view`` of a budget row this unit of work holds (one just set): its period comes
        from the unit of work, its use from one read of the period's account."""
        if budget.status != BudgetStatus.ACTIVE or budget.current_period_id is None:
            return _unset_view(budget.customer_id, currency)
        now = self.clock.now()
        period = await self._period(budget.current_period_id)
        if not self._period_is_current(budget, period, now):
            return self._set_view(budget, None, None, now)
        balance = await self.ledger.balance(period.ledger_account_id)
        return self._set_view(budget, period, balance, now)

    def _set_view(
        self,
        budget: CustomerBudget,
        period: BudgetPeriod | None,
        balance: BalanceView | None,
        now: datetime,
    ) -> BudgetView:
        """An active budget's view: ``period`` and its account's ``balance`` when the period
        is current, else None (a month not opened yet reads as restored)."""
        if period is not None and balance is not None:
            used = balance.debits_posted - balance.credits_posted
            held, starts_at = balance.debits_pending, period.starts_at
        else:
            used, held, starts_at = ZERO, ZERO, start_of_month(self.zone, now)
        return BudgetView(
            customer_id=budget.customer_id,
            is_set=True,
            budget_type=BudgetType(budget.budget_type),
            budget_amount=budget.amount,
            used_amount=used,
            reserved_amount=held,
            currency=budget.currency,
            exhaustion_action=ExhaustionAction(budget.exhaustion_action),
            period_starts_at=starts_at,
            owner_partner_id=budget.tenant_id,
        )

    async def applies_to(self, customer_id: str) -> bool:
        """Whether purchases of this customer go through its budget: an associated
        reseller-model customer (a referral customer pays for itself)."""
        customer = await self.customer_records.get(customer_id)
        return (
            customer is not None
            and customer.association_status == AssociationStatus.ASSOCIATED
            and customer.association_type == AssociationType.RESELLER
        )

    # -- purchases --------------------------------------------------------------------------

    async def reserve(self, customer_id: str, amount: Decimal, purchase_id: str) -> Reservation:
        """Hold ``amount`` (list price) of the customer's budget for one purchase.

        Idempotent by ``(customer_id, purchase_id)``: a retry returns the first reservation.

        Raises:
            DomainError: ``CBC.0100`` invalid amount or id; ``CBC.99000035`` unknown or no
                longer associated customer; ``CBC.99003656`` restricted or frozen customer
                (CustomerControl); ``CBC.5024`` a referral customer (budgets do not apply);
                ``CBC.99003198`` no budget set, or not enough budget left;
                ``CBC.99007009`` the purchase id was reserved with another amount.
        """
        amount = check_list_price_amount(amount)
        if not isinstance(purchase_id, str) or not purchase_id or len(purchase_id) > 128:
            raise invalid("purchase_id", "Required, at most 128 characters.")
        customer = await self.lock_customer(customer_id)
        if customer is None:
            raise not_your_customer()
        budget = await self.lock_budget(customer_id)
        existing = await self._reservation_for(customer_id, purchase_id)
        if existing is not None:
            if existing.amount != amount:
                raise budget_error(
                    BudgetErrorCode.DUPLICATE_PURCHASE,
                    f"Purchase {purchase_id} already reserved {existing.amount:f}, not "
                    f"{amount:f}; use a new purchase id for a different purchase.",
                    reservation_id=existing.id,
                )
            return _reservation_view(existing)
        now = self.clock.now()
        active = budget is not None and budget.status == BudgetStatus.ACTIVE
        period = await self.current_period(budget, now=now) if budget and active else None
        await self.control.ensure_allowed(customer_id, Action.PURCHASE)
        if customer.association_type != AssociationType.RESELLER:
            raise budget_error(
                BudgetErrorCode.NOT_RESELLER_MODEL,
                "Budgets apply only to reseller-model customers; a referral customer pays for "
                "its own purchases.",
            )
        if budget is None or period is None:
            raise no_budget(customer_id)
        reservation_id = new_id()
        hold_id = f"budget-hold:{reservation_id}"
        try:
            await self.ledger.transfer(
                transfer_id=hold_id,
                debit_account_id=period.ledger_account_id,
                credit_account_id=await self._spend_account(budget, self.month_of(now)),
                amount=amount,
                currency=budget.currency,
                code="budget_hold",
                memo=f"purchase {purchase_id}"[:256],
                pending=True,
                tenant_id=budget.tenant_id,
            )
        except DomainError as exc:
            if exc.details.get("reason") == LedgerErrorCode.INSUFFICIENT_BALANCE.value:
                used, held = await self.usage(period)
                raise budget_insufficient(customer_id, budget.amount - used - held, amount) from exc
            raise
        row = BudgetReservation(
            id=reservation_id,
            tenant_id=budget.tenant_id,
            customer_id=customer_id,
            purchase_id=purchase_id,
            period_id=period.id,
            amount=amount,
            status=ReservationStatus.RESERVED,
            hold_transfer_id=hold_id,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return _reservation_view(row)

    async def _reservation_for(
        self, customer_id: str, purchase_id: str
    ) -> BudgetReservation | None:
        stmt = (
            select(BudgetReservation)
            .where(
                BudgetReservation.customer_id == customer_id,
                BudgetReservation.purchase_id == purchase_id,
            )
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def _locked_reservation(
        self, reservation_id: str
    ) -> tuple[BudgetReservation, CustomerBudget | None]:
        if not isinstance(reservation_id, str) or not reservation_id:
            raise invalid("reservation_id", "Required.")
        found = await self.session.get(BudgetReservation, reservation_id)
        if found is None:
            raise budget_error(
                BudgetErrorCode.RESERVATION_NOT_FOUND,
                f"Invalid parameter: reservation_id. Reservation {reservation_id} does not exist.",
                field="reservation_id",
            )
        await self.lock_customer(found.customer_id)
        budget = await self.lock_budget(found.customer_id)
        stmt = (
            select(BudgetReservation)
            .where(BudgetReservation.id == reservation_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one(), budget

    async def commit(self, reservation_id: str, amount: Decimal | None = None) -> Reservation:
        """Charge a reservation: all of it (``amount=None``) or part of it; the rest of the hold
        is freed. Raises the usage alerts and applies the exhaustion action when due.

        Idempotent: committing again with no amount or the same amount returns the reservation.

        Raises:
            DomainError: ``CBC.0100`` unknown or released reservation, or an amount above the
                reserved one; ``CBC.99007009`` committed before with another amount.
        """
        wanted = None if amount is None else check_list_price_amount(amount)
        row, budget = await self._locked_reservation(reservation_id)
        if row.status == ReservationStatus.COMMITTED:
            if wanted is None or wanted == row.committed_amount:
                return _reservation_view(row)
            raise budget_error(
                BudgetErrorCode.DUPLICATE_PURCHASE,
                f"Reservation {row.id} was already committed with {row.committed_amount:f}.",
                reservation_id=row.id,
            )
        if row.status == ReservationStatus.RELEASED:
            raise budget_error(
                BudgetErrorCode.RESERVATION_RESOLVED,
                f"Invalid parameter: reservation_id. Reservation {row.id} was released.",
                field="reservation_id",
            )
        charged = row.amount if wanted is None else wanted
        if charged > row.amount:
            raise invalid(
                "amount", f"{charged:f} exceeds the {row.amount:f} reserved for this purchase."
            )
        now = self.clock.now()
        current: BudgetPeriod | None = None
        if budget is not None and budget.status == BudgetStatus.ACTIVE:
            current = await self.current_period(budget, now=now)
        period = await self._period(row.period_id)
        used_before, _ = await self.usage(period)
        await self.ledger.post_pending(
            transfer_id=f"budget-post:{row.id}",
            pending_id=row.hold_transfer_id,
            amount=charged,
            code="budget_charge",
            tenant_id=row.tenant_id,
        )
        row.status = ReservationStatus.COMMITTED
        row.committed_amount = charged
        row.resolved_at = now
        await self.session.flush()
        if budget is not None and current is not None and current.id == period.id:
            await self.evaluate(
                budget, period, used_before=used_before, budget_before=budget.amount
            )
        return _reservation_view(row)

    async def release(self, reservation_id: str) -> Reservation:
        """Abandon a reservation (the purchase failed); its whole hold is freed. Idempotent.

        Raises:
            DomainError: ``CBC.0100`` unknown or already committed reservation.
        """
        row, _budget = await self._locked_reservation(reservation_id)
        if row.status == ReservationStatus.RELEASED:
            return _reservation_view(row)
        if row.status == ReservationStatus.COMMITTED:
            raise budget_error(
                BudgetErrorCode.RESERVATION_RESOLVED,
                f"Invalid parameter: reservation_id. Reservation {row.id} was already committed.",
                field="reservation_id",
            )
        await self.ledger.void_pending(
            transfer_id=f"budget-void:{row.id}",
            pending_id=row.hold_transfer_id,
            code="budget_release",
            tenant_id=row.tenant_id,
        )
        row.status = ReservationStatus.RELEASED
        row.resolved_at = self.clock.now()
        await self.session.flush()
        return _reservation_view(row)

    # -- setting ----------------------------------------------------------------------------

    async def apply_setting(
        self,
        *,
        customer: CustomerRecord,
        budget: CustomerBudget | None,
        amount: Decimal,
        budget_type: BudgetType,
        action: ExhaustionAction | None,
        currency: str,
        apply_action: bool = True,
    ) -> CustomerBudget:
        """Set the customer's budget (rows locked by the caller); the new value overwrites the
        previous one.

        * First budget (or first of a new association): the exhaustion action defaults to
          MANUAL (rules.md §3.16) and the period opens empty.
        * Same type: the budget of the current period changes at once.
        * Other type: a new period opens now with the month-to-date spend (rules.md §3.6).

        Alerts now due are sent; if the budget is used up by the change the exhaustion action
        applies (unless ``apply_action`` is False: the partner is lifting restrictions in the
        same step); a restriction from exhaustion is lifted once use is below the budget again.
        """
        now = self.clock.now()
        if budget is None or budget.status != BudgetStatus.ACTIVE:
            if budget is None:
                budget = CustomerBudget(customer_id=customer.account_id, generation=1)
                self.session.add(budget)
            else:
                budget.generation += 1
                budget.current_period_id = None
            budget.tenant_id = customer.tenant_id
            budget.distributor_id = customer.distributor_id
            budget.status = BudgetStatus.ACTIVE
            budget.budget_type = budget_type
            budget.amount = amount
            budget.currency = currency
            budget.exhaustion_action = action or ExhaustionAction.MANUAL
            budget.restricted_by_exhaustion = False
            budget.first_set_at = now
            budget.updated_at = now
            await self.session.flush()
            await self.open_period(budget, now=now, carry=ZERO, calendar=True)
            return budget
        period = await self.current_period(budget, now=now)
        used_before, _ = await self.usage(period)
        budget_before = budget.amount
        # Every change of the row before the first flush: one UPDATE.
        budget.updated_at = now
        if action is not None:
            budget.exhaustion_action = action
        used: Decimal | None = None
        if budget_type != budget.budget_type:
            carry = await self.month_to_date_spend(budget, now)
            budget.budget_type = budget_type
            budget.amount = amount
            period = await self.open_period(budget, now=now, carry=carry, calendar=False)
        else:
            budget.amount = amount
            used = await self.sync_limit(budget, period)
        await self.session.flush()
        # Alerts and exhaustion record no transfer: the use they saw is the use after them.
        used_after = await self.evaluate(
            budget,
            period,
            used_before=used_before,
            budget_before=budget_before,
            apply_action=apply_action,
            used=used,
        )
        if used_after < budget.amount:
            await self.lift_exhaustion_restriction(budget)
        return budget

    async def remove(self, budget: CustomerBudget) -> None:
        """End the budget with its association (rows locked by the caller). Purchases still in
        flight are charged to the period that reserved them."""
        now = self.clock.now()
        if budget.current_period_id is not None:
            (await self._period(budget.current_period_id)).ended_at = now
        budget.status = BudgetStatus.REMOVED
        budget.current_period_id = None
        budget.restricted_by_exhaustion = False
        budget.updated_at = now
        await self.session.flush()

    # -- alerts and exhaustion --------------------------------------------------------------

    async def evaluate(
        self,
        budget: CustomerBudget,
        period: BudgetPeriod,
        *,
        used_before: Decimal,
        budget_before: Decimal,
        apply_action: bool = True,
        used: Decimal | None = None,
    ) -> Decimal:
        """After use or the budget changed: send the alerts now due (each once per period) and,
        if the budget has just run out, apply the exhaustion action. ``used``: the period's use
        if the caller has just read it with the account locked (else it is read here).
        Returns the use evaluated."""
        if used is None:
            used, _held = await self.usage(period)
        amount = budget.amount
        for threshold in ALERT_THRESHOLDS:
            if used * 100 >= amount * threshold:
                await self._fire_alert(budget, period, threshold, used)
        exhausted = used >= amount
        was_exhausted = used_before >= budget_before
        if apply_action and exhausted and not was_exhausted:
            await self.apply_exhaustion_action(budget)
        return used

    async def _fire_alert(
        self, budget: CustomerBudget, period: BudgetPeriod, threshold: int, used: Decimal
    ) -> None:
        now = self.clock.now()
        values = {
            "id": new_id(),
            "tenant_id": budget.tenant_id,
            "customer_id": budget.customer_id,
            "period_id": period.id,
            "threshold": threshold,
            "used_amount": used,
            "budget_amount": budget.amount,
            "fired_at": now,
        }
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        # INSERT .. ON CONFLICT DO NOTHING: whoever inserts the row sends the alert; a
        # concurrent or repeated evaluation inserts nothing and sends nothing.
        result = await self.session.execute(
            insert(BudgetAlert)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["period_id", "threshold"])
            .returning(BudgetAlert.id)
        )
        if result.scalar_one_or_none() is None:
            return
        customer = await self.customer_records.get(budget.customer_id)
        name = customer.account_name if customer is not None else budget.customer_id
        kind = "monthly" if budget.budget_type == BudgetType.MONTHLY else "one-time"
        subject = f"Budget alert: {name} has used {threshold}% of its {kind} budget"
        body = (
            f"Customer {name} ({budget.customer_id}) has used "
            f"{display_amount(used):f} {budget.currency} of its {kind} budget of "
            f"{display_amount(budget.amount):f} {budget.currency} ({threshold}% reached) in the "
            f"period that began {format_utc(period.starts_at)}. Amounts are at list price and "
            "are estimates."
        )
        if threshold >= 100:
            body += (
                " New purchases and renewals are blocked until the budget is raised or restored."
            )
        for tenant_id in (budget.tenant_id, budget.distributor_id):
            if tenant_id:
                await self.notifications.notify_topic(
                    tenant_id=tenant_id, topic=PARTNER_BUDGET, subject=subject, body=body
                )

    async def apply_exhaustion_action(self, budget: CustomerBudget) -> None:
        """Restrict (and freeze resources) as the budget's exhaustion action says. A customer
        the partner already restricted or froze keeps the partner's state."""
        action = ExhaustionAction(budget.exhaustion_action)
        if action == ExhaustionAction.MANUAL:
            return
        state = await self.control.state(budget.customer_id)
        if not state.restricted and state.freeze_type is None:
            await self.control.restrict(budget.customer_id, by=None, reason=EXHAUSTION_REASON)
            budget.restricted_by_exhaustion = True
        if (
            action == ExhaustionAction.RESTRICT_AND_FREEZE
            and state.freeze_type != FreezeType.ACCOUNT_AND_RESOURCE
        ):
            await self.control.freeze(
                budget.customer_id,
                freeze_type=FreezeType.ACCOUNT_AND_RESOURCE,
                by=None,
                reason=EXHAUSTION_REASON,
            )
        await self.session.flush()

    async def lift_exhaustion_restriction(self, budget: CustomerBudget) -> None:
        """Lift the purchase restriction the system applied when this budget ran out, if it is
        still the system's. A freeze of resources stays until the partner unfreezes."""
        if not budget.restricted_by_exhaustion:
            return
        budget.restricted_by_exhaustion = False
        customer = await self.customer_records.get(budget.customer_id)
        if customer is None or customer.association_status != AssociationStatus.ASSOCIATED:
            return
        state = await self.control.state(budget.customer_id)
        if (
            state.restricted
            and state.freeze_type is None
            and state.frozen_by is None
            and state.freeze_reason == EXHAUSTION_REASON
        ):
            await self.control.lift_restriction(budget.customer_id, reason=RESTORED_REASON)
        await self.session.flush()

    # -- the monthly restore ----------------------------------------------------------------

    async def restore_monthly_budgets(self) -> int:
        """Open the new month of every monthly budget (use back to 0) and lift the restrictions
        their exhaustion caused. Returns how many budgets were restored."""
        now = self.clock.now()
        stmt = (
            select(CustomerBudget.customer_id)
            .join(BudgetPeriod, BudgetPeriod.id == CustomerBudget.current_period_id)
            .where(
                CustomerBudget.status == BudgetStatus.ACTIVE,
                CustomerBudget.budget_type == BudgetType.MONTHLY,
                BudgetPeriod.starts_at < start_of_month(self.zone, now),
            )
            .order_by(CustomerBudget.customer_id)
        )
        restored = 0
        for customer_id in (await self.session.execute(stmt)).scalars().all():
            await self.lock_customer(customer_id)
            budget = await self.lock_budget(customer_id)
            if budget is None or budget.status != BudgetStatus.ACTIVE:
                continue
            if budget.budget_type != BudgetType.MONTHLY:
                continue
            before = budget.current_period_id
            await self.current_period(budget, now=now)
            if budget.current_period_id != before:
                restored += 1
        return restored


def _unset_view(customer_id: str, currency: str) -> BudgetView:
    """A customer without an active budget: nothing set, nothing used."""
    return BudgetView(
        customer_id=customer_id,
        is_set=False,
        budget_type=BudgetType.MONTHLY,
        budget_amount=ZERO,
        used_amount=ZERO,
        reserved_amount=ZERO,
        currency=currency,
        exhaustion_action=ExhaustionAction.MANUAL,
        period_starts_at=None,
    )
