"""Service tickets (rules.md §9): a partner's ticket, the messages both ways, and the files
attached to them. A bank-transfer ticket (category ``bank_transfer``, rules.md §6.13) also
carries what the partner declares it transferred and, once the operator confirms it, what was
received and the repayment it paid."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Enum, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, MoneyAmount, TenantOwned, UtcDateTime


class TicketStatus(enum.StrEnum):
    """Progress of a ticket (rules.md §9.6). ``CANCELED`` only from ``PENDING``."""

    PENDING = "pending"
    PROCESSING = "processing"
    WAITING_FOR_REPLY = "waiting_for_reply"
    """The operator asked the partner something; the partner's reply puts it back to
    ``PROCESSING``."""
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELED = "canceled"


class TicketCategory(enum.StrEnum):
    GENERAL = "general"
    BANK_TRANSFER = "bank_transfer"
    """Confirm a bank transfer to the standard top-up account (rules.md §6.13)."""
    INVOICE = "invoice"
    """A missing or returned invoice (rules.md §6.19)."""
    STATEMENT = "statement"
    """Account statements older than 12 months (rules.md §6.16)."""
    ASSOCIATION = "association"
    """Back-end association or an extra disassociation request (rules.md §9.5)."""


class Author(enum.StrEnum):
    PARTNER = "partner"
    OPERATOR = "operator"


class Ticket(TenantOwned, Base):
    """A service ticket; ``tenant_id`` is the partner that opened it."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_tenant_created", "tenant_id", "created_at"),
        Index("ix_tickets_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    category: Mapped[TicketCategory] = mapped_column(
        Enum(TicketCategory, native_enum=False, length=16)
    )
    status: Mapped[TicketStatus] = mapped_column(Enum(TicketStatus, native_enum=False, length=20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    remind_mail: Mapped[str | None] = mapped_column(String(255), nullable=True)
    """Where the partner wants the ticket's e-mails (besides its SERVICE_TICKET recipients)."""
    opened_by: Mapped[str] = mapped_column(String(64))
    """The member (or account) that opened it."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the ticket was submitted (UTC)."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the latest change of state or message (UTC)."""
    transfer_amount: Mapped[Decimal | None] = mapped_column(MoneyAmount(), nullable=True)
    """Bank transfer: the amount the partner says it sent, site currency, 10⁻⁸ units."""
    transfer_date: Mapped[date | None] = mapped_column(Date(), nullable=True)
    """Bank transfer: the day the partner made it (its own calendar day)."""
    payer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """Bank transfer: the remitter's name."""
    deadline: Mapped[date | None] = mapped_column(Date(), nullable=True)
    """Bank transfer: the last working day (billing time zone) by which the account is topped
    up: three working days after submission, holidays skipped."""
    received_amount: Mapped[Decimal | None] = mapped_column(MoneyAmount(), nullable=True)
    """Bank transfer: the amount the operator confirmed received, site currency, 10⁻⁸ units."""
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time the operator confirmed the transfer (UTC)."""
    repayment_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The repayment the confirmed transfer paid (payments domain)."""


class TicketMessage(TenantOwned, Base):
    """A message on a ticket, from the partner or the operator (``tenant_id``: the partner)."""

    __tablename__ = "ticket_messages"
    __table_args__ = (Index("ix_ticket_messages_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"))
    author: Mapped[Author] = mapped_column(Enum(Author, native_enum=False, length=16))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the message was written (UTC)."""


class TicketAttachment(TenantOwned, Base):
    """A file the partner (``tenant_id``) uploaded; linked to a ticket (and a message) when the
    ticket or message that names it is submitted, deletable until then (rules.md §9.3)."""

    __tablename__ = "ticket_attachments"
    __table_args__ = (Index("ix_ticket_attachments_ticket", "ticket_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    message_id: Mapped[str | None] = mapped_column(ForeignKey("ticket_messages.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(512))
    media_type: Mapped[str] = mapped_column(String(100))
    """What the content is (sniffed from its first bytes, never taken from the name)."""
    size: Mapped[int] = mapped_column(Integer)
    """Bytes."""
    content: Mapped[bytes] = mapped_column(LargeBinary())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the upload (UTC)."""
