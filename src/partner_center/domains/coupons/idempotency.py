"""Replay protection for batch writes the SDK cannot make idempotent itself (the contract is
``kernel.idempotency``'s).

The reference SDK sends no idempotency key with ``create_partner_coupons`` or
``update_coupon_quotas``; a client that retries after a timeout would issue twice. A partner may
send our ``X-Idempotency-Key`` header: the first request with a key claims it in the same
transaction as its work and stores the answer; a replay with the same key and the same request
gets the stored answer and changes nothing; the same key with a different request is refused
(``CBC.99007009``). Two concurrent requests with one key queue on the key's unique index, and the
second replays the first's answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.coupons.models import CouponIdempotencyKey
from partner_center.kernel.clock import Clock
from partner_center.kernel.idempotency import check_key, key_reused, request_fingerprint
from partner_center.kernel.ids import new_id

#: The longest key of the coupon operations, as their ``/openapi.json`` entries publish.
MAX_KEY_LENGTH = 128


class IdempotencyKeys:
    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def claim(
        self, *, tenant_id: str, operation: str, key: str, request: dict[str, Any]
    ) -> tuple[CouponIdempotencyKey | None, dict[str, Any] | None]:
        """Claim ``key`` for this request.

        Returns:
            ``(row, None)`` when the key is new: do the work, then ``finish(row, answer)``;
            ``(None, answer)`` when it is a replay: return ``answer`` and do nothing.

        Raises:
            DomainError: ``CBC.0100`` malformed key; ``CBC.99007009`` the key was used for a
                different request.
        """
        check_key(key, max_length=MAX_KEY_LENGTH)
        digest = request_fingerprint(request)
        existing = await self._find(tenant_id, operation, key)
        if existing is None:
            row = CouponIdempotencyKey(
                id=new_id(),
                tenant_id=tenant_id,
                operation=operation,
                key=key,
                request_hash=digest,
                response=None,
                created_at=self.clock.now(),
            )
            try:
                async with self.session.begin_nested():
                    self.session.add(row)
                    await self.session.flush()
            except IntegrityError:
                # A concurrent request with this key committed first; replay its answer.
                existing = await self._find(tenant_id, operation, key)
                if existing is None:
                    raise
            else:
                return row, None
        if existing.request_hash != digest:
            raise key_reused(key)
        return None, existing.response or {}

    async def finish(self, row: CouponIdempotencyKey, answer: dict[str, Any]) -> None:
        row.response = answer
        await self.session.flush()

    async def _find(self, tenant_id: str, operation: str, key: str) -> CouponIdempotencyKey | None:
        stmt = (
            select(CouponIdempotencyKey)
            .where(
                CouponIdempotencyKey.tenant_id == tenant_id,
                CouponIdempotencyKey.operation == operation,
                CouponIdempotencyKey.key == key,
            )
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
