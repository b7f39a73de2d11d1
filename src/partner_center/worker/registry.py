"""Every domain's jobs, registered in one registry (the composition root builds it once)."""

from __future__ import annotations

from partner_center.domains.associations import tasks as association_tasks
from partner_center.domains.budgets import tasks as budget_tasks
from partner_center.domains.notifications import tasks as notification_tasks
from partner_center.kernel.jobs import JobRegistry


def build_registry() -> JobRegistry:
    """Collect the periodic and one-off jobs of every domain."""
    registry = JobRegistry()
    for module in (budget_tasks, notification_tasks, association_tasks):
        module.register(registry)
    return registry
