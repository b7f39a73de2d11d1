"""Scheduled jobs of the budgets domain."""

from __future__ import annotations

from typing import Any

from partner_center.domains.budgets.engine import BudgetEngine
from partner_center.domains.notifications.public import NotificationService
from partner_center.kernel.jobs import JobContext, JobRegistry, Monthly

#: Monthly budgets are restored at 00:00 on the 1st in the billing time zone (rules.md §3.4).
RESTORE_MONTHLY_BUDGETS = "budgets.restore_monthly"


async def restore_monthly_budgets(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Open the new month of every monthly budget and lift the restrictions that the last
    month's exhaustion caused (the clock stands at the 1st, 00:00)."""
    engine = BudgetEngine(
        ctx.session,
        clock=ctx.clock,
        zone=ctx.zone,
        notifications=NotificationService(ctx.session, clock=ctx.clock),
    )
    await engine.restore_monthly_budgets()


def register(registry: JobRegistry) -> None:
    """Register this domain's periodic and one-off jobs."""
    registry.register_periodic(RESTORE_MONTHLY_BUDGETS, Monthly(day=1), restore_monthly_budgets)
