"""Scheduled jobs of the coupons domain.

Why a one-off job per coupon rather than a periodic sweep: each coupon's expiry is known when it
is issued, so ``coupons.expire`` is scheduled for exactly its ``expire_time`` (dedupe key per
coupon); the sandbox clock's time travel then runs each expiry at its own instant, and nothing runs
while no coupon expires. Statuses never wait for the job: "expired" is read from the clock; the
job returns the remaining balance to the quota (operation type 4).
"""

from __future__ import annotations

from typing import Any

from partner_center.domains.coupons.service import EXPIRE_JOB, CouponService
from partner_center.kernel.jobs import JobContext, JobRegistry


def register(registry: JobRegistry) -> None:
    """Register this domain's jobs."""

    async def expire(ctx: JobContext, payload: dict[str, Any]) -> None:
        """Return what is left of ``payload["coupon_id"]`` to its quota."""
        service = CouponService(ctx.session, clock=ctx.clock)
        await service.expire(str(payload["coupon_id"]))

    registry.register(EXPIRE_JOB, expire)
