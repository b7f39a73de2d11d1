"""Scheduled jobs of the budgets domain."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from partner_center.domains.budgets.engine import BudgetEngine
from partner_center.kernel.jobs import JobContext, JobRegistry, Monthly

#: Monthly budgets are restored at 00:00 on the 1st in the billing time zone (rules.md §3.4).
RESTORE_MONTHLY_BUDGETS = "budgets.restore_monthly"


class BudgetJobServices(Protocol):
    """The services these jobs take from their unit of work's container."""

    @property
    def budget_engine(self) -> BudgetEngine: ...


_S = TypeVar("_S", bound=BudgetJobServices)


async def restore_monthly_budgets(
    ctx: JobContext[BudgetJobServices], _payload: dict[str, Any]
) -> None:
    """Open the new month of every monthly budget and lift the restrictions that the last
    month's exhaustion caused (the clock stands at the 1st, 00:00)."""
    await ctx.services.budget_engine.restore_monthly_budgets()


def register(registry: JobRegistry[_S]) -> None:
    """Register this domain's periodic and one-off jobs."""
    registry.register_periodic(RESTORE_MONTHLY_BUDGETS, Monthly(day=1), restore_monthly_budgets)
