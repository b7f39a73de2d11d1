"""Ledger tables: accounts with cached totals, and immutable transfers between them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    DDL,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.domains.ledger.ddl import immutable_transfers_ddl
from partner_center.kernel.db import Base, MoneyAmount, TenantOwned, UtcDateTime
from partner_center.kernel.ids import new_id


class Guard(StrEnum):
    """Which side of an account may not outgrow the other (TigerBeetle's balance flags)."""

    NONE = "NONE"
    DEBITS_MUST_NOT_EXCEED_CREDITS = "DEBITS_MUST_NOT_EXCEED_CREDITS"
    """debits_posted + debits_pending <= credits_posted + limit (a balance that is spent)."""
    CREDITS_MUST_NOT_EXCEED_DEBITS = "CREDITS_MUST_NOT_EXCEED_DEBITS"
    """credits_posted + credits_pending <= debits_posted + limit (a quota that is drawn on)."""


class TransferKind(StrEnum):
    """What a transfer does to the totals of its two accounts."""

    POSTED = "POSTED"
    """Moves ``amount`` at once (a reversal is a POSTED transfer with ``reverses_id``)."""
    PENDING = "PENDING"
    """Holds ``amount`` in the pending totals until posted or voided."""
    POST_PENDING = "POST_PENDING"
    """Resolves a hold: posts ``amount`` (all or part of it) and releases the whole hold."""
    VOID_PENDING = "VOID_PENDING"
    """Resolves a hold by releasing it; ``amount`` is the amount released."""


POSTING_KINDS = (TransferKind.POSTED.value, TransferKind.POST_PENDING.value)


class LedgerAccount(TenantOwned, Base):
    """One side of double entry, in one currency, owned by ``tenant_id``.

    The four totals are a cache of the sums over ``ledger_transfers`` and are updated in the same
    transaction as each transfer; ``reconcile`` proves they match.
    """

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code", "currency"),
        CheckConstraint(
            "guard IN ('NONE', 'DEBITS_MUST_NOT_EXCEED_CREDITS', 'CREDITS_MUST_NOT_EXCEED_DEBITS')",
            name="guard",
        ),
        CheckConstraint('"limit" >= 0', name="limit_not_negative"),
        CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0"
            " AND debits_pending >= 0 AND credits_pending >= 0",
            name="totals_not_negative",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64))
    """What the account is for, e.g. ``partner_cash``, ``customer_balance``, ``budget:2026-11``."""
    currency: Mapped[str] = mapped_column(String(3))
    guard: Mapped[str] = mapped_column(String(40), default=Guard.NONE.value)
    limit: Mapped[Decimal] = mapped_column("limit", MoneyAmount, default=Decimal(0))
    """Overdraft/credit limit in ``currency``: how far the guarded side may exceed the other side.
    Exact Decimal stored as BIGINT of 10⁻⁸ units; always >= 0; 0 for unguarded accounts."""
    debits_posted: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    """Sum of posted debits in ``currency``; 10⁻⁸ units in a BIGINT; >= 0, only grows."""
    credits_posted: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    """Sum of posted credits in ``currency``; 10⁻⁸ units in a BIGINT; >= 0, only grows."""
    debits_pending: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    """Sum of unresolved pending debits (holds) in ``currency``; 10⁻⁸ units in a BIGINT; >= 0."""
    credits_pending: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    """Sum of unresolved pending credits (holds) in ``currency``; 10⁻⁸ units in a BIGINT; >= 0."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """When the account was opened: business time from the injected Clock, aware UTC."""


class LedgerTransfer(TenantOwned, Base):
    """An immutable movement of ``amount`` from ``debit_account_id`` to ``credit_account_id``.

    ``id`` is chosen by the client, so a retried request cannot post twice. ``tenant_id`` is the
    account that caused the transfer. Rows are never updated or deleted (database triggers
    enforce it); corrections are new reversing transfers.
    """

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
        CheckConstraint(
            "kind IN ('POSTED', 'PENDING', 'POST_PENDING', 'VOID_PENDING')", name="kind"
        ),
        CheckConstraint(
            "(kind IN ('POST_PENDING', 'VOID_PENDING')) = (pending_id IS NOT NULL)",
            name="pending_id_iff_resolution",
        ),
        CheckConstraint("reverses_id IS NULL OR kind = 'POSTED'", name="reversal_is_posted"),
        Index("ix_ledger_transfers_debit_kind", "debit_account_id", "kind"),
        Index("ix_ledger_transfers_credit_kind", "credit_account_id", "kind"),
    )

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    debit_account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    credit_account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Amount moved (or held, posted, released) in ``currency``; 10⁻⁸ units in a BIGINT; > 0."""
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))
    pending_id: Mapped[str | None] = mapped_column(
        ForeignKey("ledger_transfers.id"), unique=True, nullable=True
    )
    """The PENDING transfer this POST_PENDING/VOID_PENDING resolves (unique: resolved once)."""
    reverses_id: Mapped[str | None] = mapped_column(
        ForeignKey("ledger_transfers.id"), unique=True, nullable=True
    )
    """The transfer this one reverses (unique: a transfer is reversed at most once)."""
    code: Mapped[str] = mapped_column(String(64))
    """Short machine-readable reason, e.g. ``top_up``, ``order_payment``."""
    memo: Mapped[str | None] = mapped_column(String(256), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """When the transfer was recorded: business time from the injected Clock, aware UTC."""


for _dialect in ("sqlite", "postgresql"):
    for _statement in immutable_transfers_ddl(_dialect):
        event.listen(
            LedgerTransfer.__table__,
            "after_create",
            DDL(_statement).execute_if(dialect=_dialect),  # type: ignore[no-untyped-call]
        )
