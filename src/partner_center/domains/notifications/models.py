"""The notification outbox: every e-mail and SMS the system sends, delivered by a worker."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, TenantOwned, UtcDateTime

#: Longest delivery error kept on a message.
ERROR_MAX = 1000


class Channel(enum.StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class DeliveryStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    """Waiting for its first or next delivery attempt, or for a sender of its channel."""
    SENT = "SENT"
    """Handed to the mail (or SMS) server; final."""
    FAILED = "FAILED"
    """Refused for good, or every attempt failed; final."""


class OutboxMessage(TenantOwned, Base):
    """A message to deliver. ``tenant_id`` is the account on whose behalf it is sent."""

    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=8))
    recipient: Mapped[str] = mapped_column(String(255), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the message was queued (UTC)."""
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=8), default=DeliveryStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Delivery attempts made so far (a message waiting for a sender has made none)."""
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time of the next delivery attempt (UTC); NULL once SENT or FAILED."""
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time of the latest delivery attempt (UTC); NULL before the first."""
    last_error: Mapped[str | None] = mapped_column(String(ERROR_MAX), nullable=True)
    """Why the latest failed attempt failed; kept after a later success, for the record."""
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time of the attempt that handed it to the mail/SMS server (UTC); NULL until
    SENT. Attempts run with the clock at their due time, so this is when the attempt was due,
    at most one runner interval before the real hand-over."""


class Recipient(TenantOwned, Base):
    """Someone an account wants told about a topic (Message Center > SMS & Email Settings),
    e.g. topic ``PARTNER_BUDGET`` for budget alerts. ``tenant_id`` is the account."""

    __tablename__ = "notification_recipients"
    __table_args__ = (
        # One address is told once per topic, however many times it was added.
        UniqueConstraint("tenant_id", "topic", "email"),
        UniqueConstraint("tenant_id", "topic", "mobile"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    """Lower-cased e-mail address, or NULL for an SMS-only recipient."""
    mobile: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Mobile number as given (digits, an optional leading ``+`` and one ``-`` after the
    country code), or NULL for an e-mail-only recipient."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time it was added (UTC)."""
