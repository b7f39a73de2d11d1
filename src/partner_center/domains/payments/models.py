"""Repayments (rules.md §6.10–6.13) and the operator's standard top-up account.

A repayment is one attempt to pay the partner's amount due: online by card (succeeded or
declined) or by a bank transfer the operator confirmed on its ticket. Only the card's brand and
last four digits are stored. A succeeded repayment moved money through the ledger (a top-up,
then the repayment transfer; balances domain) and settled bills oldest first (billing domain).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Enum, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import (
    Base,
    MoneyAmount,
    TenantOwned,
    UtcDateTime,
    global_table,
)


class RepaymentChannel(enum.StrEnum):
    ONLINE = "online"
    BANK_TRANSFER = "bank_transfer"


class RepaymentStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"


class Repayment(TenantOwned, Base):
    """One repayment attempt; ``tenant_id`` is the partner."""

    __tablename__ = "repayments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_repayments_tenant_key"),
        Index("ix_repayments_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[RepaymentChannel] = mapped_column(
        Enum(RepaymentChannel, native_enum=False, length=16)
    )
    status: Mapped[RepaymentStatus] = mapped_column(
        Enum(RepaymentStatus, native_enum=False, length=16)
    )
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """What the partner paid (or tried to), site currency, 10⁻⁸ units, > 0, 2 decimals."""
    repaid_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """The part that paid bills (a bank transfer larger than the amount due keeps the rest as
    cash), site currency, 10⁻⁸ units; 0 when declined."""
    remaining_due: Mapped[Decimal] = mapped_column(MoneyAmount())
    """The amount due after this repayment, site currency, 10⁻⁸ units."""
    currency: Mapped[str] = mapped_column(String(3))
    card_brand: Mapped[str | None] = mapped_column(String(16), nullable=True)
    card_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    processor_reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ticket_id: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    """The bank-transfer ticket confirmed (at most one repayment per ticket)."""
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the attempt (UTC)."""


class TopUpAccount(Base):
    """The standard top-up account the operator publishes (rules.md §6.13). Rows are never
    changed: the newest is current, older ones are what earlier invoices printed."""

    __tablename__ = "top_up_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bank_name: Mapped[str] = mapped_column(String(200))
    account_name: Mapped[str] = mapped_column(String(200))
    account_number: Mapped[str] = mapped_column(String(64))
    swift_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    bank_address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    set_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    """Business time it was published (UTC)."""


global_table("top_up_accounts", "the operator's one published top-up account, for everyone")
