"""Invoices (rules.md §6.19): one per partner bill, numbered without gaps per issuer, with the
PDF kept as issued (it prints the top-up account current at issue), and each partner's invoice
address and e-mail settings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, MoneyAmount, TenantOwned, UtcDateTime, global_table


class InvoiceCounter(Base):
    """The last number an issuer gave; its row is locked by the transaction that issues the
    next invoice, so numbers never repeat and never skip (a rolled back issue gives its number
    back)."""

    __tablename__ = "invoice_counters"

    issuer: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


global_table("invoice_counters", "one gap-free invoice number sequence per issuer")


class Invoice(TenantOwned, Base):
    """An issued invoice; ``tenant_id`` is the partner billed. Never changed once issued."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("issuer", "number", name="uq_invoices_issuer_number"),
        Index("ix_invoices_tenant_issued", "tenant_id", "issued_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bill_id: Mapped[str] = mapped_column(String(64), unique=True)
    """The partner bill invoiced (at most one invoice each)."""
    cycle: Mapped[str] = mapped_column(String(7))
    issuer: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    """The issuer's sequence number: 1, 2, 3 ... without gaps."""
    invoice_no: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    """Who is invoiced (the partner's company name)."""
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """The bill's amount due incl. tax, site currency, 10⁻⁸ units."""
    tax_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Tax on the bill, site currency, 10⁻⁸ units."""
    tax_rate: Mapped[Decimal] = mapped_column(MoneyAmount())
    """The bill's tax rate as a fraction (0.06 = 6 %), 10⁻⁸ units."""
    currency: Mapped[str] = mapped_column(String(3))
    pdf: Mapped[bytes] = mapped_column(LargeBinary())
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of issue (UTC)."""
    emailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time the invoice e-mail was queued (UTC); NULL when none was sent."""


class InvoiceSettings(TenantOwned, Base):
    """A partner's invoice address and e-mail (rules.md §6.19)."""

    __tablename__ = "invoice_settings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """The partner (one row each)."""
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    email_zero_months: Mapped[bool] = mapped_column(Boolean, default=False)
    """Send the invoice e-mail for a month with nothing to pay too."""
    consumption_file: Mapped[bool] = mapped_column(Boolean, default=False)
    """Subscribed to the monthly consumption detail file (rules.md §6.21)."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the last change (UTC)."""


class ConsumptionFile(TenantOwned, Base):
    """A monthly consumption detail file written for a subscribed partner (rules.md §6.21):
    its customers' bill lines of the cycle as CSV, in the configured folder."""

    __tablename__ = "consumption_files"
    __table_args__ = (UniqueConstraint("tenant_id", "cycle", name="uq_consumption_files_cycle"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    cycle: Mapped[str] = mapped_column(String(7))
    name: Mapped[str] = mapped_column(String(128))
    """The file's name in the partner's folder."""
    size: Mapped[int] = mapped_column(Integer)
    """Bytes."""
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time it was written (UTC)."""
