"""Queue notifications; delivery happens after commit, outside the request."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.notifications.models import Channel, OutboxMessage
from partner_center.kernel.clock import Clock
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
