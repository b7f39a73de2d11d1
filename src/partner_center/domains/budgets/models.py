"""Customer budgets (rules.md §3): the budget each reseller-model customer may spend, its periods,
the purchases reserved against it, the alerts it raised and the adjustment records.

What a period has used lives in the ledger, not here: every period owns a guarded ledger account
(see engine.py), so a purchase can only be reserved while the guard allows it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, MoneyAmount, TenantOwned, UtcDateTime


class BudgetType(enum.StrEnum):
    MONTHLY = "MONTHLY"
    """Restored at 00:00 on the 1st of every month in the billing time zone."""
    PACKAGE = "PACKAGE"
    """One-time: counts everything spent since it took effect and is never restored."""


class ExhaustionAction(enum.StrEnum):
    """What happens automatically when a period's budget is used up (rules.md §3.14)."""

    MANUAL = "MANUAL"
    """Nothing beyond the built-in block on new purchases; the partner acts by hand."""
    RESTRICT = "RESTRICT"
    """Restrict purchases (lifted again when the budget is restored or raised above use)."""
    RESTRICT_AND_FREEZE = "RESTRICT_AND_FREEZE"
    """Restrict purchases and freeze resources; the freeze stays until the partner unfreezes."""


class BudgetStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    REMOVED = "REMOVED"
    """The association ended; a new association starts without a budget (rules.md §3.8)."""


class RecordOperation(enum.StrEnum):
    SETTING = "SETTING"
    DELETE = "DELETE"


class ReservationStatus(enum.StrEnum):
    RESERVED = "RESERVED"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"


class CustomerBudget(TenantOwned, Base):
    """The budget of one customer. ``tenant_id`` is the partner that owns the customer (the
    reseller for a reseller's customer, whose distributor is ``distributor_id``)."""

    __tablename__ = "customer_budgets"

    customer_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    distributor_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    """Distributor above the owning reseller (it receives the alerts too); NULL otherwise."""
    status: Mapped[BudgetStatus] = mapped_column(
        Enum(BudgetStatus, native_enum=False, length=16), default=BudgetStatus.ACTIVE
    )
    generation: Mapped[int] = mapped_column(Integer, default=1)
    """Incremented every time a removed budget is set again (a new association), so the new
    association's periods and month-to-date spend never mix with the old one's."""
    budget_type: Mapped[BudgetType] = mapped_column(Enum(BudgetType, native_enum=False, length=16))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """The budget as set, in ``currency``, at most 2 decimals; > 0 (10⁻⁸ units in a BIGINT)."""
    currency: Mapped[str] = mapped_column(String(3))
    exhaustion_action: Mapped[ExhaustionAction] = mapped_column(
        Enum(ExhaustionAction, native_enum=False, length=32), default=ExhaustionAction.MANUAL
    )
    current_period_id: Mapped[str | None] = mapped_column(
        ForeignKey("budget_periods.id"), nullable=True
    )
    """The period purchases are reserved against now (a new month may not have been opened yet:
    the first access after 00:00 on the 1st, or the monthly job, opens it)."""
    restricted_by_exhaustion: Mapped[bool] = mapped_column(Boolean, default=False)
    """The system restricted purchases because this budget ran out; lifted automatically when
    the budget is restored or raised above use. A freeze of resources that came with it is
    never lifted automatically: the partner unfreezes."""
    first_set_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the budget of the current generation was first set (UTC)."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the last change (UTC)."""


class BudgetPeriod(TenantOwned, Base):
    """One period of a customer's budget: a calendar month (MONTHLY) or the time since a
    one-time budget took effect (PACKAGE). ``tenant_id`` is the owning partner."""

    __tablename__ = "budget_periods"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    budget_type: Mapped[BudgetType] = mapped_column(Enum(BudgetType, native_enum=False, length=16))
    period_key: Mapped[str] = mapped_column(String(48))
    """``M:YYYY-MM`` (billing time zone) for a month; ``P:<period id>`` for a one-time budget.
    Not unique: switching MONTHLY → PACKAGE → MONTHLY within a month opens the month again
    (with the month-to-date spend carried in). Periods are opened only under the budget's row
    lock, so two never open at once."""
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """When the period began (UTC): 00:00 on the 1st in the billing zone, or the type change."""
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """When another period replaced it (UTC); NULL while current."""
    ledger_account_id: Mapped[str] = mapped_column(String(32))
    """The guarded ledger account whose debits are this period's use and holds."""
    opening_usage: Mapped[Decimal] = mapped_column(MoneyAmount(), default=Decimal(0))
    """Spend carried in when the period opened on a type change (the month-to-date spend,
    rules.md §3.6), in the budget's currency; 0 for a period opened by the calendar."""


class BudgetReservation(TenantOwned, Base):
    """Budget held for one purchase until it is charged (committed) or abandoned (released).

    ``tenant_id`` is the partner owning the customer at reservation time. One reservation per
    ``(customer_id, purchase_id)``: retrying a purchase never reserves twice.
    """

    __tablename__ = "budget_reservations"
    __table_args__ = (UniqueConstraint("customer_id", "purchase_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32), index=True)
    purchase_id: Mapped[str] = mapped_column(String(128))
    period_id: Mapped[str] = mapped_column(ForeignKey("budget_periods.id"))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """List-price amount held, in the budget's currency; > 0, at most 8 decimals."""
    committed_amount: Mapped[Decimal | None] = mapped_column(MoneyAmount(), nullable=True)
    """List-price amount actually charged (<= ``amount``); NULL until committed."""
    status: Mapped[ReservationStatus] = mapped_column(
        Enum(ReservationStatus, native_enum=False, length=16), default=ReservationStatus.RESERVED
    )
    hold_transfer_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the reservation (UTC)."""
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time it was committed or released (UTC)."""


class BudgetAlert(TenantOwned, Base):
    """A usage alert (75, 90 or 100 %) that fired for a period. Unique per (period, threshold),
    so an alert can never be sent twice for the same period, even by concurrent purchases."""

    __tablename__ = "budget_alerts"
    __table_args__ = (UniqueConstraint("period_id", "threshold"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32), index=True)
    period_id: Mapped[str] = mapped_column(ForeignKey("budget_periods.id"))
    threshold: Mapped[int] = mapped_column(Integer)
    """Percent of the period's budget: 75, 90 or 100."""
    used_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Use of the period when the alert fired, in the budget's currency."""
    budget_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Budget in force when the alert fired, in the budget's currency."""
    fired_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the alert fired (UTC)."""


class BudgetRecord(TenantOwned, Base):
    """An adjustment record (rules.md §3.20): every setting, and the removal with the
    association. ``tenant_id`` is the partner that owned the customer at the time, so the
    history stays readable to it after the association ends. Names are copied as they were."""

    __tablename__ = "budget_records"
    __table_args__ = (
        Index("ix_budget_records_customer_time", "customer_id", "tenant_id", "operation_time"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    operation_type: Mapped[RecordOperation] = mapped_column(
        Enum(RecordOperation, native_enum=False, length=16)
    )
    budget_type: Mapped[BudgetType] = mapped_column(Enum(BudgetType, native_enum=False, length=16))
    budget_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """The budget set (SETTING) or removed (DELETE), in ``currency``."""
    currency: Mapped[str] = mapped_column(String(3))
    operation_time: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the change (UTC)."""
    operator: Mapped[str] = mapped_column(String(64))
    """The member who made the change, or ``system``."""
    partner_id: Mapped[str] = mapped_column(String(32))
    """The partner that made the change (a distributor acting for its reseller included)."""
    partner_corp_name: Mapped[str] = mapped_column(String(128))
    partner_account_name: Mapped[str] = mapped_column(String(64))
