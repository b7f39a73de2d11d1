"""Verification codes for a partner's critical operations (rules.md §12.4).

Protection is off by default; a partner administrator turns it on. While it is on, each critical
operation (freezing and unfreezing customers, budgets, discounts, order price adjustment) must
carry a code sent to the partner's registered e-mail address: one code, one operation, valid 10
minutes, 5 sends an hour, void after 3 wrong tries. Codes and their expiry follow the wall clock
(security), not the business clock.
"""

from __future__ import annotations

import secrets
import string
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.identity.public import (
    Caller,
    IdentityService,
    hash_token,
    same_secret,
)
from partner_center.domains.notifications.public import Channel, NotificationService
from partner_center.domains.partners.errors import PartnerErrorCode
from partner_center.domains.partners.models import (
    CriticalOperationCode,
    CriticalOperationProtection,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, access_denied
from partner_center.kernel.ids import new_id

CODE_MINUTES = 10
SENDS_PER_HOUR = 5
MAX_FAILURES = 3


class CriticalOperationGuard:
    """Turns protection on and off, sends codes, and checks them before critical operations."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        wall: Clock,
        identity: IdentityService,
        notifications: NotificationService,
    ) -> None:
        self.session = session
        self.wall = wall
        self.identity = identity
        self.notifications = notifications

    async def enabled(self, partner_id: str) -> bool:
        row = await self._setting(partner_id)
        return row is not None and row.enabled

    async def set_enabled(self, caller: Caller, *, enabled: bool) -> None:
        """Only the partner's administrator turns protection on or off."""
        if not caller.is_admin:
            raise access_denied("Only the administrator may change verification protection.")
        row = await self._setting(caller.account_id)
        now = self.wall.now()
        if row is None:
            row = CriticalOperationProtection(
                id=new_id(), tenant_id=caller.account_id, updated_by=caller.account_id
            )
            self.session.add(row)
        row.enabled = enabled
        row.updated_by = caller.member_id or caller.account_id
        row.updated_at = now
        await self.session.flush()

    async def send_code(self, partner_id: str) -> str:
        """E-mail a 6-digit code to the partner's registered address; returns the address."""
        account = await self.identity.get_account(partner_id)
        if account is None or not account.email:
            raise DomainError(
                PartnerErrorCode.INVALID_PARAMETER,
                "The partner has no registered e-mail address to send a verification code to.",
            )
        now = self.wall.now()
        sent = await self.session.scalar(
            select(func.count()).where(
                CriticalOperationCode.tenant_id == partner_id,
                CriticalOperationCode.created_at > now - timedelta(hours=1),
            )
        )
        if int(sent or 0) >= SENDS_PER_HOUR:
            raise DomainError(
                PartnerErrorCode.TOO_MANY_CODES,
                f"At most {SENDS_PER_HOUR} verification codes an hour.",
            )
        code = "".join(secrets.choice(string.digits) for _ in range(6))
        self.session.add(
            CriticalOperationCode(
                id=new_id(),
                tenant_id=partner_id,
                code_hash=hash_token(code),
                created_at=now,
                expires_at=now + timedelta(minutes=CODE_MINUTES),
            )
        )
        await self.notifications.queue(
            tenant_id=partner_id,
            channel=Channel.EMAIL,
            recipient=account.email,
            subject="Verification code for a critical operation",
            body=f"Your verification code is {code}. It is valid for {CODE_MINUTES} minutes.",
        )
        await self.session.flush()
        return account.email

    async def check(self, partner_id: str, code: str | None, *, operation: str) -> None:
        """Before a critical operation: nothing when protection is off; else the newest unused
        code must be given and right (``CBC.99004010`` wrong or missing, ``CBC.99004008``
        expired, ``CBC.99004009`` after 3 wrong tries). A right code is used up."""
        if not await self.enabled(partner_id):
            return
        if not code:
            raise DomainError(
                PartnerErrorCode.CODE_WRONG,
                "Verification protection is on: give the code sent to the partner's e-mail "
                "(X-Verification-Code).",
            )
        row = (
            await self.session.execute(
                select(CriticalOperationCode)
                .where(
                    CriticalOperationCode.tenant_id == partner_id,
                    CriticalOperationCode.consumed_at.is_(None),
                )
                .order_by(CriticalOperationCode.created_at.desc(), CriticalOperationCode.id.desc())
                .limit(1)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            raise DomainError(PartnerErrorCode.CODE_WRONG, "The verification code is wrong.")
        if row.failed_attempts >= MAX_FAILURES:
            raise DomainError(
                PartnerErrorCode.CODE_FAILED_TOO_OFTEN,
                "The verification code failed 3 times; send a new one.",
            )
        if row.expires_at <= self.wall.now():
            raise DomainError(PartnerErrorCode.CODE_EXPIRED, "The verification code has expired.")
        if not same_secret(row.code_hash, hash_token(code)):
            row.failed_attempts += 1
            await self.session.flush()
            raise DomainError(
                PartnerErrorCode.CODE_WRONG, "The verification code is wrong.", keep_changes=True
            )
        row.consumed_at = self.wall.now()
        row.consumed_by = operation
        await self.session.flush()

    async def _setting(self, partner_id: str) -> CriticalOperationProtection | None:
        stmt = select(CriticalOperationProtection).where(
            CriticalOperationProtection.tenant_id == partner_id
        )
        return (await self.session.execute(stmt)).scalars().first()
