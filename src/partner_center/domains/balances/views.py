"""Plain values the balances domain returns (never ORM rows). Amounts are exact Decimals in the
site currency; times are aware UTC datetimes (business time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from partner_center.domains.balances.models import (
    ChargeFunding,
    ChargeKind,
    ChargeStatus,
    Direction,
    OperationKind,
    Statement,
)


@dataclass(frozen=True, slots=True)
class MoneyMovement:
    """The outcome of an operation on partner money."""

    id: str
    """The trade id callers see (``transfer_id`` / ``trans_id``)."""
    kind: OperationKind
    partner_id: str
    counterparty_id: str | None
    amount: Decimal
    currency: str
    created_at: datetime
    replayed: bool = False
    """True when an idempotent retry returned an earlier operation (nothing moved now)."""


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """One line of list_partner_balances."""

    account_id: str
    account_type: int
    """1 cash (balance), 2 credit (consumption quota)."""
    amount: Decimal
    """Type 1: cash incl. designated. Type 2: credit still available = quota − consumption owed
    (negative when the owed consumption exceeds the quota)."""
    designated_amount: Decimal
    credit_amount: Decimal | None
    """Type 2 only: the consumption quota."""
    currency: str
    memo: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerBalanceSummary:
    customer_id: str
    amount: Decimal
    """Allocated balance available now (posted minus open holds)."""
    debt_amount: Decimal
    """On-demand usage the balance could not cover."""
    currency: str


@dataclass(frozen=True, slots=True)
class CustomerAccountView:
    account_id: str
    amount: Decimal
    """Balance available now (posted minus open holds)."""
    debt_amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class StatementLine:
    id: str
    statement: Statement
    trade_type: str
    trade_detail_type: str
    trade_time: datetime
    trade_id: str
    amount: Decimal
    """Size of the change (> 0); ``direction`` says which way."""
    balance_after: Decimal
    direction: Direction
    counterparty_id: str | None
    counterparty_account_name: str | None
    payment_channel_id: str | None
    payment_channel_no: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class StatementQuery:
    """Filters of an account change record list. Dates are calendar days in the billing time
    zone, both inclusive."""

    begin: date
    end: date
    trade_type: str | None = None
    direction: Direction | None = None
    trade_id: str | None = None
    payment_channel_ids: tuple[str, ...] = ()
    payment_channel_no: str | None = None
    trade_types: tuple[str, ...] = ()
    """Any of these trade types (with ``trade_type``, both must hold)."""
    trade_detail_types: tuple[str, ...] = ()
    """Any of these detailed trade types."""


@dataclass(frozen=True, slots=True)
class AdjustRecordQuery:
    customer_id: str | None = None
    """A customer or a reseller."""
    kind: OperationKind | None = None
    begin: datetime | None = None
    end: datetime | None = None
    trans_id: str | None = None


@dataclass(frozen=True, slots=True)
class AdjustRecord:
    customer_id: str
    customer_name: str | None
    operation_type: str
    amount: Decimal
    currency: str
    operation_time: datetime
    trans_id: str
    memo: str | None


@dataclass(frozen=True, slots=True)
class ConsumptionQuotaView:
    """show_partner_consumption_quota: ``used = due + unbilled − amount − coupon``."""

    consumption_quota: Decimal
    amount: Decimal
    coupon_amount: Decimal
    due_amount: Decimal
    unbilled_amount: Decimal
    used_consumption_quota: Decimal
    currency: str
    restricted: bool
    """The used quota went over the quota: the partner and its postpaid reseller-model
    customers cannot buy until it is back within."""


@dataclass(frozen=True, slots=True)
class ExpenditureQuotaView:
    granting_amount: Decimal
    granting_amount_used: Decimal
    percentage_granting_amount_used: Decimal
    """Percent (0–100+, 2 decimals) of the granted amount used."""
    currency: str


@dataclass(frozen=True, slots=True)
class ChargeView:
    charge_id: str
    customer_id: str
    billed_partner_id: str
    kind: ChargeKind
    funding: ChargeFunding
    status: ChargeStatus
    amount: Decimal
    captured_amount: Decimal
    arrears_amount: Decimal
    refunded_amount: Decimal
    currency: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StatementMismatch:
    """A statement whose lines disagree with the ledger (see ``verify_statements``)."""

    owner_id: str
    statement: Statement
    problem: str
