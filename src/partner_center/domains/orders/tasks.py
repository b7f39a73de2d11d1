"""Jobs of the orders domain: unpaid orders past their deadline, auto-renewal attempts."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from partner_center.domains.orders.service import EXPIRE_UNPAID_JOB, OrderService
from partner_center.domains.orders.subscriptions import SubscriptionService
from partner_center.domains.resources.public import AUTO_RENEW_JOB
from partner_center.kernel.jobs import JobContext, JobRegistry


class OrderJobServices(Protocol):
    """The services these jobs take from their unit of work's container."""

    @property
    def orders(self) -> OrderService: ...

    @property
    def subscriptions(self) -> SubscriptionService: ...


_S = TypeVar("_S", bound=OrderJobServices)


async def expire_unpaid(ctx: JobContext[OrderJobServices], payload: dict[str, Any]) -> None:
    """Cancel an order still unpaid at its payment deadline."""
    await ctx.services.orders.expire_unpaid(str(payload["order_id"]))


async def auto_renew(ctx: JobContext[OrderJobServices], payload: dict[str, Any]) -> None:
    """One auto-renewal charge attempt (rules.md §5.11)."""
    await ctx.services.subscriptions.auto_renew_attempt(
        str(payload["resource_ref"]), int(payload["expire"])
    )


def register(registry: JobRegistry[_S]) -> None:
    """Register this domain's one-off jobs."""
    registry.register(EXPIRE_UNPAID_JOB, expire_unpaid)
    registry.register(AUTO_RENEW_JOB, auto_renew)
