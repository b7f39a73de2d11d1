"""The notification outbox: every e-mail and SMS the system sends, delivered by a worker."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, TenantOwned, UtcDateTime


class Channel(enum.StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class OutboxMessage(TenantOwned, Base):
    """A message to deliver. ``tenant_id`` is the account on whose behalf it is sent."""

    __tablename__ = "notification_outbox"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=8))
    recipient: Mapped[str] = mapped_column(String(255), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the message was queued (UTC)."""
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """When a deliverer handed it to the mail/SMS server; NULL while queued."""


class Recipient(TenantOwned, Base):
    """Someone an account wants told about a topic (Message Center > SMS & Email Settings),
    e.g. topic ``PARTNER_BUDGET`` for budget alerts. ``tenant_id`` is the account."""

    __tablename__ = "notification_recipients"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    mobile: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time it was added (UTC)."""
