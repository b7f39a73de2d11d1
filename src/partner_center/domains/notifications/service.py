"""Queue notifications and manage who receives them; delivery happens after commit, in a job
(``delivery.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.notifications.delivery import schedule_attempt
from partner_center.domains.notifications.errors import NotificationErrorCode
from partner_center.domains.notifications.models import (
    Channel,
    DeliveryStatus,
    OutboxMessage,
    Recipient,
)
from partner_center.domains.notifications.topics import topic as known_topic
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page, paginate

#: Recipients one account may have per topic.
MAX_RECIPIENTS_PER_TOPIC = 50
NAME_MAX = 128
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Digits with an optional leading "+" (or "00") and one "-" after the country code:
# 13800138000, +8613800138000, 0086-13800138000.
_MOBILE = re.compile(r"^\+?\d{1,4}-?\d{4,16}$")


def normalize_email(email: str) -> str:
    """A recipient e-mail address, lower-cased; ``CBC.0100`` if it is not one."""
    value = email.strip().lower()
    if len(value) > 255 or not _EMAIL.match(value):
        raise invalid_parameter("email", "Not a valid e-mail address.")
    return value


def normalize_mobile(mobile: str) -> str:
    """A recipient mobile number without spaces; ``CBC.0100`` if it is not one."""
    value = "".join(mobile.split())
    if len(value) > 32 or not _MOBILE.match(value):
        raise invalid_parameter(
            "mobile", "Use digits with an optional country code, e.g. 0086-13800138000."
        )
    return value


@dataclass(frozen=True, slots=True)
class MessageView:
    """A message of the outbox and its delivery state."""

    id: str
    tenant_id: str
    channel: Channel
    recipient: str
    subject: str
    body: str
    created_at: datetime
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None


def message_view(row: OutboxMessage) -> MessageView:
    return MessageView(
        id=row.id,
        tenant_id=row.tenant_id,
        channel=row.channel,
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        created_at=row.created_at,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
    )


@dataclass(frozen=True, slots=True)
class RecipientView:
    """Someone subscribed to a topic of an account."""

    id: str
    tenant_id: str
    topic: str
    name: str
    email: str | None
    mobile: str | None
    created_at: datetime


def _recipient_view(row: Recipient) -> RecipientView:
    return RecipientView(
        id=row.id,
        tenant_id=row.tenant_id,
        topic=row.topic,
        name=row.name,
        email=row.email,
        mobile=row.mobile,
        created_at=row.created_at,
    )


class NotificationService:
    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- the outbox ------------------------------------------------------------------------

    async def queue(
        self, *, tenant_id: str, channel: Channel, recipient: str, subject: str, body: str
    ) -> MessageView:
        """Queue a message and its first delivery attempt, both in the caller's transaction:
        it is delivered only if the caller commits."""
        now = self.clock.now()
        message = OutboxMessage(
            id=new_id(),
            tenant_id=tenant_id,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            created_at=now,
            status=DeliveryStatus.QUEUED,
            attempts=0,
            next_attempt_at=now,
        )
        self.session.add(message)
        await self.session.flush()
        await schedule_attempt(self.session, message, attempt=1, at=now)
        return message_view(message)

    async def messages_for(
        self, recipient: str, *, tenant_id: str, limit: int = 50
    ) -> list[MessageView]:
        """Messages the tenant sent to ``recipient``, newest first (the sandbox mailbox)."""
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.recipient == recipient, OutboxMessage.tenant_id == tenant_id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
        return [message_view(row) for row in (await self.session.execute(stmt)).scalars()]

    async def messages(
        self,
        *,
        tenant_id: str,
        page: Page,
        status: DeliveryStatus | None = None,
        recipient: str | None = None,
    ) -> tuple[list[MessageView], int]:
        """The tenant's messages with their delivery state, newest first, and how many match."""
        stmt: Select[OutboxMessage] = select(OutboxMessage).where(
            OutboxMessage.tenant_id == tenant_id
        )
        if status is not None:
            stmt = stmt.where(OutboxMessage.status == status)
        if recipient:
            stmt = stmt.where(OutboxMessage.recipient == recipient)
        rows, total = await paginate(
            self.session, stmt, page, OutboxMessage.created_at.desc(), OutboxMessage.id.desc()
        )
        return [message_view(row) for row in rows], int(total or 0)

    # -- recipients ------------------------------------------------------------------------

    async def add_recipient(
        self,
        *,
        tenant_id: str,
        topic: str,
        name: str,
        email: str | None = None,
        mobile: str | None = None,
    ) -> RecipientView:
        """Subscribe someone to a topic of the account, by e-mail and/or SMS.

        Raises:
            DomainError: ``CBC.0100`` for an unknown topic, a missing or too long name, a
                malformed address, no address at all, an address already subscribed to the
                topic, or a topic that has ``MAX_RECIPIENTS_PER_TOPIC`` recipients already.
        """
        known_topic(topic)
        display = name.strip()
        if not display or len(display) > NAME_MAX:
            raise invalid_parameter("name", f"Required, at most {NAME_MAX} characters.")
        address = normalize_email(email) if email else None
        number = normalize_mobile(mobile) if mobile else None
        if address is None and number is None:
            raise DomainError(
                NotificationErrorCode.INVALID_PARAMETER,
                "Invalid parameter: a recipient needs an e-mail address or a mobile number.",
                {"field": "email"},
            )
        existing = await self.recipients(tenant_id=tenant_id, topic=topic)
        for other in existing:
            if address is not None and other.email == address:
                raise invalid_parameter("email", f"{address} already receives {topic}.")
            if number is not None and other.mobile == number:
                raise invalid_parameter("mobile", f"{number} already receives {topic}.")
        if len(existing) >= MAX_RECIPIENTS_PER_TOPIC:
            raise invalid_parameter(
                "topic", f"{topic} has {MAX_RECIPIENTS_PER_TOPIC} recipients already."
            )
        recipient = Recipient(
            id=new_id(),
            tenant_id=tenant_id,
            topic=topic,
            name=display,
            email=address,
            mobile=number,
            created_at=self.clock.now(),
        )
        self.session.add(recipient)
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError as exc:
            # Another request added the same address in the meantime.
            raise invalid_parameter("email", f"The address already receives {topic}.") from exc
        return _recipient_view(recipient)

    async def find_recipient(self, *, tenant_id: str, recipient_id: str) -> RecipientView:
        """One of the account's recipients; ``CBC.0100`` if the account has no recipient with
        that id (another account's recipient is not found either)."""
        return _recipient_view(await self._recipient(tenant_id, recipient_id))

    async def _recipient(self, tenant_id: str, recipient_id: str) -> Recipient:
        recipient = await self.session.scalar(
            select(Recipient).where(Recipient.id == recipient_id, Recipient.tenant_id == tenant_id)
        )
        if recipient is None:
            raise invalid_parameter("recipient_id", "No recipient of yours has this id.")
        return recipient

    async def remove_recipient(self, *, tenant_id: str, recipient_id: str) -> RecipientView:
        """Unsubscribe one of the account's recipients (``find_recipient``'s errors)."""
        recipient = await self._recipient(tenant_id, recipient_id)
        view = _recipient_view(recipient)
        await self.session.delete(recipient)
        await self.session.flush()
        return view

    async def recipients(self, *, tenant_id: str, topic: str | None = None) -> list[RecipientView]:
        """The account's recipients of ``topic`` (of every topic if None), oldest first."""
        stmt = select(Recipient).where(Recipient.tenant_id == tenant_id)
        if topic is not None:
            stmt = stmt.where(Recipient.topic == topic)
        stmt = stmt.order_by(Recipient.topic, Recipient.created_at, Recipient.id)
        return [_recipient_view(row) for row in (await self.session.execute(stmt)).scalars()]

    async def notify_topic(
        self, *, tenant_id: str, topic: str, subject: str, body: str
    ) -> list[MessageView]:
        """Queue one message per channel of every recipient of the account's topic."""
        queued = []
        for recipient in await self.recipients(tenant_id=tenant_id, topic=topic):
            if recipient.email:
                queued.append(
                    await self.queue(
                        tenant_id=tenant_id,
                        channel=Channel.EMAIL,
                        recipient=recipient.email,
                        subject=subject,
                        body=body,
                    )
                )
            if recipient.mobile:
                queued.append(
                    await self.queue(
                        tenant_id=tenant_id,
                        channel=Channel.SMS,
                        recipient=recipient.mobile,
                        subject=subject,
                        body=body,
                    )
                )
        return queued
