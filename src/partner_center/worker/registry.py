"""Every domain's jobs, registered in one registry (the composition root builds it once)."""

from __future__ import annotations

from partner_center.domains.associations import tasks as association_tasks
from partner_center.domains.budgets import tasks as budget_tasks
from partner_center.domains.coupons import tasks as coupon_tasks
from partner_center.domains.notifications import tasks as notification_tasks
from partner_center.domains.orders import tasks as order_tasks
from partner_center.domains.orders.public import OrderPolicy
from partner_center.domains.resources import tasks as resource_tasks
from partner_center.domains.usage import tasks as usage_tasks
from partner_center.kernel.jobs import JobRegistry
from partner_center.services import notification_senders
from partner_center.settings import Settings, load_settings


def build_registry(settings: Settings | None = None) -> JobRegistry:
    """Collect the periodic and one-off jobs of every domain, configured from ``settings``
    (the environment's when None, as the CLI commands run)."""
    configured = settings or load_settings()
    registry = JobRegistry()
    for module in (budget_tasks, association_tasks, coupon_tasks, resource_tasks):
        module.register(registry)
    notification_tasks.register(registry, senders=notification_senders(configured))
    order_tasks.register(
        registry,
        currency=configured.currency,
        policy=OrderPolicy(**configured.order_policy()),
    )
    usage_tasks.register(registry, currency=configured.currency)
    return registry
