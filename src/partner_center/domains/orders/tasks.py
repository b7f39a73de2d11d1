"""Jobs of the orders domain: unpaid orders past their deadline, auto-renewal attempts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from partner_center.domains.balances.public import BalanceService
from partner_center.domains.notifications.public import NotificationService
from partner_center.domains.orders.service import EXPIRE_UNPAID_JOB, OrderPolicy, OrderService
from partner_center.domains.orders.subscriptions import SubscriptionService
from partner_center.domains.resources.public import AUTO_RENEW_JOB
from partner_center.kernel.jobs import JobContext, JobRegistry


@dataclass(frozen=True, slots=True)
class OrderJobs:
    """The jobs, bound to the site currency and the configured durations."""

    currency: str
    policy: OrderPolicy

    def _orders(self, ctx: JobContext) -> OrderService:
        return OrderService(
            ctx.session,
            clock=ctx.clock,
            zone=ctx.zone,
            currency=self.currency,
            balances=BalanceService(
                ctx.session, clock=ctx.clock, zone=ctx.zone, currency=self.currency
            ),
            notifications=NotificationService(ctx.session, clock=ctx.clock),
            policy=self.policy,
        )

    async def expire_unpaid(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        """Cancel an order still unpaid at its payment deadline."""
        await self._orders(ctx).expire_unpaid(str(payload["order_id"]))

    async def auto_renew(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        """One auto-renewal charge attempt (rules.md §5.11)."""
        await SubscriptionService(self._orders(ctx)).auto_renew_attempt(
            str(payload["resource_ref"]), int(payload["expire"])
        )


def register(
    registry: JobRegistry, *, currency: str = "USD", policy: OrderPolicy | None = None
) -> None:
    """Register this domain's one-off jobs for the site ``currency`` and ``policy``."""
    jobs = OrderJobs(currency, policy or OrderPolicy())
    registry.register(EXPIRE_UNPAID_JOB, jobs.expire_unpaid)
    registry.register(AUTO_RENEW_JOB, jobs.auto_renew)
