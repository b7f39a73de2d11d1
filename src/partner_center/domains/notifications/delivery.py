"""Delivering the outbox: one sender per channel, and the attempt that hands a queued message to
its sender, records the outcome and schedules the retry.

A message is delivered by the one-off job ``notifications.deliver`` that ``queue()`` schedules in
the same transaction as the message (see ``tasks.py`` for why a one-off job). An attempt runs in
the job's transaction with the message row locked (``FOR UPDATE``; on SQLite the transaction is
``BEGIN IMMEDIATE``) and re-checked, so two runners, or a retry and a late first attempt, never
hand the same message over twice. The one window left is a crash after the mail server accepted
the message and before the commit: the job is then retried and the message may go out again
(the ``Message-ID`` is stable, so mail clients fold the copies).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.notifications.models import (
    ERROR_MAX,
    Channel,
    DeliveryStatus,
    OutboxMessage,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.jobs import schedule

#: The one-off job that makes a delivery attempt; payload ``{"message_id": ...}``.
DELIVER_JOB = "notifications.deliver"
#: Business time between a failed attempt and the next one: after attempt 1, 2, 3 and 4.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
#: Attempts before a message that keeps failing is given up (FAILED).
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """What a sender gets: the message, and the business time of the attempt."""

    id: str
    channel: Channel
    recipient: str
    subject: str
    body: str
    queued_at: datetime
    attempted_at: datetime


class DeliveryError(Exception):
    """A sender could not hand the message over.

    ``permanent`` means retrying cannot help (the server refused this recipient or this
    content for good); otherwise the attempt is retried after a delay.
    """

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Sender(Protocol):
    """Hands a message to a mail server or SMS gateway; raises ``DeliveryError`` on failure."""

    async def send(self, message: OutgoingMessage) -> None: ...


@dataclass(frozen=True, slots=True)
class Senders:
    """The sender of each channel; a channel without one keeps its messages queued (readable in
    the sandbox outbox). No SMS gateway ships with partner-center: plug one in here."""

    email: Sender | None = None
    sms: Sender | None = None

    def for_channel(self, channel: Channel) -> Sender | None:
        return self.email if channel == Channel.EMAIL else self.sms


def delivery_dedupe_key(message_id: str, attempt: int) -> str:
    """One job per (message, attempt), so re-queueing an attempt is a no-op."""
    return f"{DELIVER_JOB}:{message_id}:{attempt}"


async def schedule_attempt(
    session: AsyncSession, message: OutboxMessage, *, attempt: int, at: datetime
) -> None:
    """Enqueue delivery attempt ``attempt`` of ``message`` at business time ``at``, in the
    caller's transaction."""
    await schedule(
        session,
        name=DELIVER_JOB,
        due_at=at,
        payload={"message_id": message.id},
        dedupe_key=delivery_dedupe_key(message.id, attempt),
        tenant_id=message.tenant_id,
    )


def _clip(text: str) -> str:
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


class OutboxDelivery:
    """Delivery attempts, in the caller's (the job's) transaction."""

    def __init__(self, session: AsyncSession, *, clock: Clock, senders: Senders) -> None:
        self.session = session
        self.clock = clock
        self.senders = senders

    async def deliver(self, message_id: str) -> DeliveryStatus | None:
        """Make the due delivery attempt of one message.

        Nothing happens to a message that is SENT or FAILED, whose next attempt is not due yet
        (a later job owns it), or whose channel has no sender (it stays QUEUED). A failure is
        recorded on the message and retried after ``RETRY_DELAYS``; a permanent failure, or the
        ``MAX_ATTEMPTS``-th, makes it FAILED.

        Returns:
            The message's status afterwards, or None if there is no such message.
        """
        message = await self.session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .with_for_update()
            # A planning query of this transaction may have loaded it: read the locked row.
            .execution_options(populate_existing=True)
        )
        if message is None:
            return None
        now = self.clock.now()
        if message.status != DeliveryStatus.QUEUED or (
            message.next_attempt_at is not None and message.next_attempt_at > now
        ):
            return message.status
        sender = self.senders.for_channel(message.channel)
        if sender is None:
            return message.status
        attempt = message.attempts + 1
        message.attempts = attempt
        message.last_attempt_at = now
        try:
            await sender.send(
                OutgoingMessage(
                    id=message.id,
                    channel=message.channel,
                    recipient=message.recipient,
                    subject=message.subject,
                    body=message.body,
                    queued_at=message.created_at,
                    attempted_at=now,
                )
            )
        except DeliveryError as exc:
            message.last_error = _clip(exc.reason)
            if exc.permanent or attempt >= MAX_ATTEMPTS:
                message.status = DeliveryStatus.FAILED
                message.next_attempt_at = None
            else:
                retry_at = now + RETRY_DELAYS[attempt - 1]
                message.next_attempt_at = retry_at
                await schedule_attempt(self.session, message, attempt=attempt + 1, at=retry_at)
        else:
            message.status = DeliveryStatus.SENT
            message.sent_at = now
            message.next_attempt_at = None
        await self.session.flush()
        return message.status
