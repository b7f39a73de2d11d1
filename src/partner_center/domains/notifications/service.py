"""Queue notifications; delivery happens after commit, outside the request."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.notifications.models import Channel, OutboxMessage, Recipient
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_id


class NotificationService:
    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def queue(
        self, *, tenant_id: str, channel: Channel, recipient: str, subject: str, body: str
    ) -> OutboxMessage:
        message = OutboxMessage(
            id=new_id(),
            tenant_id=tenant_id,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            created_at=self.clock.now(),
        )
        self.session.add(message)
        await self.session.flush()
        return message

    async def add_recipient(
        self,
        *,
        tenant_id: str,
        topic: str,
        name: str,
        email: str | None = None,
        mobile: str | None = None,
    ) -> Recipient:
        """Subscribe someone to a topic of the account (e-mail and/or SMS)."""
        if not email and not mobile:
            raise DomainError(
                "CBC.0100", "Invalid parameter: a recipient needs an e-mail or mobile."
            )
        recipient = Recipient(
            id=new_id(),
            tenant_id=tenant_id,
            topic=topic,
            name=name,
            email=email,
            mobile=mobile,
            created_at=self.clock.now(),
        )
        self.session.add(recipient)
        await self.session.flush()
        return recipient

    async def recipients(self, *, tenant_id: str, topic: str) -> list[Recipient]:
        stmt = (
            select(Recipient)
            .where(Recipient.tenant_id == tenant_id, Recipient.topic == topic)
            .order_by(Recipient.id)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def notify_topic(
        self, *, tenant_id: str, topic: str, subject: str, body: str
    ) -> list[OutboxMessage]:
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

    async def messages_for(
        self, recipient: str, *, tenant_id: str, limit: int = 50
    ) -> list[OutboxMessage]:
        """Messages the tenant sent to ``recipient``, newest first (the sandbox mailbox)."""
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.recipient == recipient, OutboxMessage.tenant_id == tenant_id)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars().all())
