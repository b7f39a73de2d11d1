"""One-time verification codes (six digits, SHA-256 at rest, never logged): sent to an e-mail
address or a mobile number on behalf of a tenant (a partner creating a customer, an enterprise
master creating a member account), consumed once by that same tenant.

Limits (api-semantics.md §3.2, §5): 15 sends an hour and 60 a day per receiver; a code expires
after its timeout (wall clock: a code's lifetime is security time, like a token's, so moving
the sandbox clock neither revives nor kills it); a code that failed 3 times is dead. Two
requests presenting the same code: the second waits on the row lock and finds it used.
"""

from __future__ import annotations

import secrets
import string
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.customers.errors import CustomerErrorCode
from partner_center.domains.customers.models import VerificationCode
from partner_center.domains.identity.public import hash_token, same_secret
from partner_center.domains.notifications.public import Channel, NotificationService
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.ids import new_id

CODE_SENDS_PER_HOUR = 15
CODE_SENDS_PER_DAY = 60
CODE_MAX_FAILURES = 3
#: ``scene`` of a code sent to create a customer (the reference's registration scene).
REGISTRATION_SCENE = 29


def code_minutes(timeout_minutes: int | None) -> int:
    """The reference's timeout rule: default 10 minutes; more than 60 is clamped to 5."""
    minutes = 10 if timeout_minutes is None else timeout_minutes
    if minutes <= 0:
        raise invalid_parameter("timeout", "Must be a positive number of minutes.")
    return 5 if minutes > 60 else minutes


class VerificationCodes:
    """Sends and checks codes; flushes only."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        wall: Clock,
        notifications: NotificationService,
        site: str,
    ) -> None:
        self.session = session
        self.wall = wall
        self.notifications = notifications
        self.site = site

    async def send(
        self,
        *,
        tenant_id: str,
        receiver: str,
        channel: Channel,
        minutes: int,
        lang: str | None,
        scene: int = REGISTRATION_SCENE,
        customer_id: str | None = None,
    ) -> None:
        """Queue a new code for ``receiver`` (``CBC.99004015`` over the send limits); a
        scene-18 code is for ``customer_id``."""
        now = self.wall.now()
        day_ago, hour_ago = now - timedelta(days=1), now - timedelta(hours=1)
        rows = (
            (
                await self.session.execute(
                    select(VerificationCode.created_at).where(
                        VerificationCode.receiver == receiver, VerificationCode.created_at > day_ago
                    )
                )
            )
            .scalars()
            .all()
        )
        if len(rows) >= CODE_SENDS_PER_DAY or sum(1 for r in rows if r > hour_ago) >= (
            CODE_SENDS_PER_HOUR
        ):
            raise DomainError(
                CustomerErrorCode.TOO_MANY_CODES,
                "Verification codes are limited to 15 an hour and 60 a day for one receiver.",
            )
        code = "".join(secrets.choice(string.digits) for _ in range(6))
        self.session.add(
            VerificationCode(
                id=new_id(),
                tenant_id=tenant_id,
                receiver=receiver,
                scene=scene,
                customer_id=customer_id,
                code_hash=hash_token(code),
                created_at=now,
                expires_at=now + timedelta(minutes=minutes),
            )
        )
        # Without a language, a message speaks the site's: Chinese on the China site.
        chinese = (lang or ("zh-cn" if self.site == "cn" else "en-us")).lower() == "zh-cn"
        subject = "验证码" if chinese else "Your verification code"
        body = (
            f"您的验证码是 {code}，{minutes} 分钟内有效。"
            if chinese
            else f"Your verification code is {code}. It is valid for {minutes} minutes."
        )
        await self.notifications.queue(
            tenant_id=tenant_id, channel=channel, recipient=receiver, subject=subject, body=body
        )

    async def consume(
        self,
        *,
        tenant_id: str,
        receiver: str,
        code: str,
        scene: int = REGISTRATION_SCENE,
        customer_id: str | None = None,
    ) -> None:
        """Check ``code`` against the newest unused code of the scene that ``tenant_id`` sent
        to ``receiver``, and use it up.

        Raises:
            DomainError: ``CBC.99004010`` wrong (a failure is counted and kept),
                ``CBC.99004009`` failed 3 times, ``CBC.99004008`` expired.
        """
        stmt = (
            select(VerificationCode)
            .where(
                VerificationCode.tenant_id == tenant_id,
                VerificationCode.receiver == receiver,
                VerificationCode.scene == scene,
                VerificationCode.customer_id == customer_id
                if customer_id
                else VerificationCode.customer_id.is_(None),
                VerificationCode.consumed_at.is_(None),
            )
            .order_by(VerificationCode.created_at.desc(), VerificationCode.id.desc())
            .limit(1)
            .with_for_update()
        )
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        if row is None:
            raise DomainError(CustomerErrorCode.CODE_WRONG, "The verification code is wrong.")
        if row.failed_attempts >= CODE_MAX_FAILURES:
            raise DomainError(
                CustomerErrorCode.CODE_FAILED_TOO_OFTEN,
                "The verification code failed more than 3 times; send a new one.",
            )
        if row.expires_at <= self.wall.now():
            raise DomainError(CustomerErrorCode.CODE_EXPIRED, "The verification code has expired.")
        if not same_secret(row.code_hash, hash_token(code)):
            row.failed_attempts += 1
            await self.session.flush()
            raise DomainError(
                CustomerErrorCode.CODE_WRONG, "The verification code is wrong.", keep_changes=True
            )
        row.consumed_at = self.wall.now()
