"""Scheduled jobs of the coupons domain.

Why a one-off job per coupon rather than a periodic sweep: each coupon's expiry is known when it
is issued, so ``coupons.expire`` is scheduled for exactly its ``expire_time`` (dedupe key per
coupon); the sandbox clock's time travel then runs each expiry at its own instant, and nothing runs
while no coupon expires. Statuses never wait for the job: "expired" is read from the clock; the
job returns the remaining balance to the quota (operation type 4).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from partner_center.domains.coupons.service import EXPIRE_JOB, CouponService
from partner_center.kernel.jobs import JobContext, JobRegistry


class CouponJobServices(Protocol):
    """The services these jobs take from their unit of work's container."""

    @property
    def coupons(self) -> CouponService: ...


_S = TypeVar("_S", bound=CouponJobServices)


async def expire_coupon(ctx: JobContext[CouponJobServices], payload: dict[str, Any]) -> None:
    """Return what is left of ``payload["coupon_id"]`` to its quota."""
    await ctx.services.coupons.expire(str(payload["coupon_id"]))


def register(registry: JobRegistry[_S]) -> None:
    """Register this domain's jobs."""
    registry.register(EXPIRE_JOB, expire_coupon)
