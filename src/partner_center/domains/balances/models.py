"""Metadata of partner and customer money. The money itself lives in the ledger (see
``chart.py``); these tables carry what the SDK shows and the ledger does not: who a movement was
for, its reference trade types, the statement balance after it, and the state of charges.

Every row is tenant-owned. Amounts are exact Decimals stored as BIGINT 10⁻⁸ units in the site
currency, always positive; the direction of a statement line is its ``direction`` column.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Enum, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, MoneyAmount, TenantOwned, UtcDateTime


class OperationKind(enum.StrEnum):
    """A business operation that moves partner money (one ``balance_operations`` row each)."""

    TOP_UP = "TOP_UP"
    """Money entering a partner's cash from outside (bank transfer, online payment)."""
    QUOTA_CHANGE = "QUOTA_CHANGE"
    """The operator sets a partner's consumption quota (credit line); no transfer."""
    ALLOCATE = "ALLOCATE"
    """Partner cash → customer balance, or distributor cash → reseller cash (BEADJUST)."""
    RECLAIM = "RECLAIM"
    """Customer balance → partner cash, or reseller cash → distributor cash (BERETRIEVE)."""
    UNBIND_RETURN = "UNBIND_RETURN"
    """A disassociating customer's remaining balance back to its partner (BEUNBIND)."""
    REFUND = "REFUND"
    """Money of a captured charge given back (to the customer, its partner, or the credit line)."""
    MEMBER_TRANSFER = "MEMBER_TRANSFER"
    """An enterprise master's balance → one of its member accounts' balance (TRANS)."""
    MEMBER_RECLAIM = "MEMBER_RECLAIM"
    """A member account's balance → its enterprise master's balance (TRANS)."""
    REPAYMENT = "REPAYMENT"
    """Partner cash paying what the partner owes for postpaid consumption (its bills)."""


class CounterpartyKind(enum.StrEnum):
    CUSTOMER = "CUSTOMER"
    RESELLER = "RESELLER"


class Statement(enum.StrEnum):
    """Which statement (account change record list) a line belongs to."""

    PARTNER_DEBIT = "PARTNER_DEBIT"
    """A partner's cash: ``partner_cash`` + ``partner_designated`` (BALANCE_TYPE_DEBIT)."""
    PARTNER_CREDIT = "PARTNER_CREDIT"
    """A partner's credit line: consumption quota − postpaid consumption owed
    (BALANCE_TYPE_CREDIT)."""
    CUSTOMER_DEBIT = "CUSTOMER_DEBIT"
    """A customer's allocated balance (``customer_balance``)."""


class Direction(enum.IntEnum):
    """The reference's income/expense type of a statement line."""

    INCOME = 1
    EXPENSE = 2


class ChargeKind(enum.StrEnum):
    PURCHASE = "PURCHASE"
    """A yearly/monthly or one-time purchase: refused when it cannot be paid for."""
    USAGE = "USAGE"
    """Pay-per-use consumption that already happened: always recorded; what the balance cannot
    cover becomes arrears, what the credit line cannot cover restricts the partner."""


class ChargeFunding(enum.StrEnum):
    BALANCE = "BALANCE"
    """Paid from the customer's allocated balance (China-site resale model)."""
    POSTPAID = "POSTPAID"
    """Billed to the partner's postpaid consumption (international reseller model)."""


class ChargeStatus(enum.StrEnum):
    HELD = "HELD"
    """Amount held (pending), not yet captured or released."""
    CAPTURED = "CAPTURED"
    """Posted (directly, or by capturing all or part of a hold)."""
    RELEASED = "RELEASED"
    """Hold released; nothing was paid."""


class PartnerFunds(TenantOwned, Base):
    """One row per partner with money: its consumption quota, the quota restriction state, and
    the row every operation on the partner's money locks first (``tenant_id`` = the partner)."""

    __tablename__ = "partner_funds"

    partner_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    consumption_quota: Mapped[Decimal] = mapped_column(MoneyAmount(), default=Decimal(0))
    """Credit line granted by the operator: the most the partner may owe, site currency,
    2 decimals, >= 0."""
    quota_restricted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time (UTC) the used consumption quota went over the quota; NULL while within it.
    While set, the partner and its postpaid reseller-model customers cannot buy."""
    statement_seq: Mapped[int] = mapped_column(Integer, default=0)
    """Last sequence number used on this partner's statements."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time (UTC) of the last change."""


class CustomerFunds(TenantOwned, Base):
    """One row per customer with money: how its purchases are paid for, and the row every
    operation on the customer's money locks first (``tenant_id`` = the customer)."""

    __tablename__ = "customer_funds"

    customer_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    funded_association_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """``associated_on`` (UTC) of the association in which the customer first received an
    allocation: during that association its charges are paid from its balance, never billed to
    the partner's postpaid consumption. NULL (or an earlier association's time) = not funded."""
    currency: Mapped[str] = mapped_column(String(3))
    """Currency of the customer's ledger accounts (the site currency when first used)."""
    statement_seq: Mapped[int] = mapped_column(Integer, default=0)
    """Last sequence number used on this customer's statement."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time (UTC) of the last change."""


class BalanceOperation(TenantOwned, Base):
    """A business operation on a partner's money. ``tenant_id`` is the partner whose account
    was debited or credited (a reseller for allocations its distributor made on its behalf).
    ``id`` is the trade/transfer id callers see; with an idempotency key it is derived from the
    key, so a retry finds the first operation."""

    __tablename__ = "balance_operations"
    __table_args__ = (
        Index(
            "ix_balance_operations_tenant_kind_created_id", "tenant_id", "kind", "created_at", "id"
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[OperationKind] = mapped_column(Enum(OperationKind, native_enum=False, length=16))
    counterparty_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    """The customer or reseller the money went to or came from."""
    counterparty_kind: Mapped[CounterpartyKind | None] = mapped_column(
        Enum(CounterpartyKind, native_enum=False, length=16), nullable=True
    )
    counterparty_account_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Login name of the counterparty when the operation was made."""
    counterparty_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    """Display name (verified name, else login name) of the counterparty."""
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Amount moved, site currency, > 0 (for QUOTA_CHANGE: the new quota, >= 0)."""
    currency: Mapped[str] = mapped_column(String(3))
    actor_id: Mapped[str] = mapped_column(String(32))
    """Account that made the operation (partner, operator, or the system's caller)."""
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the operation's parameters: a replay with other parameters is refused."""
    reference_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """For REFUND: the charge refunded; for TOP_UP: the payment reference."""
    channel: Mapped[str | None] = mapped_column(String(8), nullable=True)
    """Reference payment channel id (2 bank transfer, 4 online payment, ...)."""
    memo: Mapped[str | None] = mapped_column(String(256), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time (UTC) of the operation."""


class BalanceEntry(TenantOwned, Base):
    """A statement line: one posted change of a statement's balance. ``tenant_id`` is the
    statement's owner (partner or customer). Lines are written under the owner's funds-row lock
    with consecutive ``seq`` numbers, so ``balance_after`` is exact and ordered."""

    __tablename__ = "balance_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "statement", "seq"),
        # Statements (account change records): newest first, tie-broken by ``seq``.
        Index(
            "ix_balance_entries_tenant_statement_created_seq",
            "tenant_id",
            "statement",
            "created_at",
            "seq",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    statement: Mapped[Statement] = mapped_column(Enum(Statement, native_enum=False, length=16))
    seq: Mapped[int] = mapped_column(Integer)
    trade_id: Mapped[str] = mapped_column(String(100), index=True)
    """Operation id, charge id or refund id."""
    transfer_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    """The ledger transfer that made the change; NULL for a consumption-quota change."""
    trade_type: Mapped[str] = mapped_column(String(24))
    """Reference trade type: RECHARGE, DEDEUCT, REFUND, ADJUST, BEADJUST, BERETRIEVE, BEUNBIND."""
    trade_detail_type: Mapped[str] = mapped_column(String(48))
    """Reference detail type, e.g. SOURCE_OPERATION_BEADJUST, SOURCE_OPERAIION_RECHARGE."""
    direction: Mapped[int] = mapped_column(Integer)
    """1 income, 2 expense."""
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Size of the change, site currency, > 0."""
    balance_after: Mapped[Decimal] = mapped_column(MoneyAmount())
    """The statement's balance after the change, site currency (may be negative only on a
    partner's credit statement, when the consumption owed exceeds the quota)."""
    counterparty_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    counterparty_account_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payment_channel_id: Mapped[str | None] = mapped_column(String(8), nullable=True)
    payment_channel_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    description: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """Cloud service type name of a charge, when the charging domain gave one."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time (UTC) of the change."""


class CustomerCharge(TenantOwned, Base):
    """A charge on a customer (an order payment or a usage period), chosen by the charging
    domain's id. ``tenant_id`` is the customer."""

    __tablename__ = "customer_charges"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[ChargeKind] = mapped_column(Enum(ChargeKind, native_enum=False, length=16))
    funding: Mapped[ChargeFunding] = mapped_column(
        Enum(ChargeFunding, native_enum=False, length=16)
    )
    status: Mapped[ChargeStatus] = mapped_column(Enum(ChargeStatus, native_enum=False, length=16))
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    """Created as a hold (to be captured or released), not posted at once."""
    owner_partner_id: Mapped[str] = mapped_column(String(32))
    """The partner that owned the customer when charged (refunds after a disassociation go to
    its cash, rules.md §2.6.10)."""
    associated_on: Mapped[datetime] = mapped_column(UtcDateTime())
    """``associated_on`` (UTC) of the association the charge was made in."""
    billed_partner_id: Mapped[str] = mapped_column(String(32), index=True)
    """The partner whose bill carries the charge: the distributor of a reseller's customer, else
    the owner."""
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Amount asked for, site currency, > 0, up to 8 decimals."""
    captured_amount: Mapped[Decimal] = mapped_column(MoneyAmount(), default=Decimal(0))
    """Amount actually paid (posted), site currency, >= 0."""
    arrears_amount: Mapped[Decimal] = mapped_column(MoneyAmount(), default=Decimal(0))
    """Part of a USAGE charge the balance could not cover (owed by the customer), >= 0."""
    refunded_amount: Mapped[Decimal] = mapped_column(MoneyAmount(), default=Decimal(0))
    """Sum of refunds against this charge, site currency, <= captured_amount."""
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str | None] = mapped_column(String(200), nullable=True)
    memo: Mapped[str | None] = mapped_column(String(256), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time (UTC) of the charge."""
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time (UTC) a hold was captured or released."""
