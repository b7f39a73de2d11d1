"""Scheduled jobs of this domain: delivering the outbox.

Why a one-off job per message rather than a periodic sweep: the scheduler's periodic jobs run at
every occurrence, and the sandbox clock's time travel replays each occurrence on the way, so a
sweep every minute would cost 57,600 empty runs when a developer advances the clock 40 days (an
hourly sweep would delay a verification code, valid for 10 minutes, by up to an hour). A
one-off ``notifications.deliver`` job, enqueued in the transaction that queues the message
(dedupe key per message and attempt), runs at the next pass of the runner (every
``PARTNER_CENTER_JOB_INTERVAL`` seconds, or the procrastinate worker's minute), costs nothing
while the outbox is empty, and its retries are jobs due at the retry time.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from partner_center.domains.notifications.delivery import DELIVER_JOB, OutboxDelivery
from partner_center.kernel.jobs import JobContext, JobRegistry


class NotificationJobServices(Protocol):
    """The services these jobs take from their unit of work's container (its ``OutboxDelivery``
    holds the configured senders: without ``SMTP_HOST`` messages stay queued, readable in the
    sandbox outbox)."""

    @property
    def outbox_delivery(self) -> OutboxDelivery: ...


_S = TypeVar("_S", bound=NotificationJobServices)


async def deliver(ctx: JobContext[NotificationJobServices], payload: dict[str, Any]) -> None:
    """Make the due delivery attempt of ``payload["message_id"]``."""
    await ctx.services.outbox_delivery.deliver(str(payload["message_id"]))


def register(registry: JobRegistry[_S]) -> None:
    """Register this domain's jobs."""
    registry.register(DELIVER_JOB, deliver)
