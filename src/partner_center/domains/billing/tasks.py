"""The scheduled bill run."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from partner_center.domains.billing.service import BillingService
from partner_center.kernel.jobs import Daily, JobContext, JobRegistry, Monthly

#: Bills the month that ended: at 02:00 on the 5th (billing time zone), before the 12:00
#: deadline of rule 6.2, after the hourly rating of 02:00 (``worker.registry`` declares the
#: order), so usage rated up to the run belongs to its cycle.
BILL_RUN = "billing.run_monthly"
BILL_RUN_SCHEDULE = Monthly(day=5, hour=2)
#: Every day at 09:00: consumption-quota thresholds passed and bills newly overdue are notified.
CHECK_CREDIT = "billing.check_credit"
CHECK_CREDIT_SCHEDULE = Daily(hour=9)


class BillingJobServices(Protocol):
    @property
    def billing(self) -> BillingService: ...


_S = TypeVar("_S", bound=BillingJobServices)


async def run_monthly(ctx: JobContext[BillingJobServices], _payload: dict[str, Any]) -> None:
    """Bill the cycle before the occurrence's month (and finish any earlier incomplete run):
    in this job, or fanned out as one procrastinate task per batch when a worker installed its
    dispatcher (``fanout.py``)."""
    billing = ctx.services.billing
    await billing.run_cycle(billing.runner.cycle_to_bill(ctx.as_of), fan_out=True)


async def check_credit(ctx: JobContext[BillingJobServices], _payload: dict[str, Any]) -> None:
    """Notify thresholds reached and bills newly overdue."""
    await ctx.services.billing.check_credit()


def register(registry: JobRegistry[_S]) -> None:
    registry.register_periodic(BILL_RUN, BILL_RUN_SCHEDULE, run_monthly)
    registry.register_periodic(CHECK_CREDIT, CHECK_CREDIT_SCHEDULE, check_credit, coalesce=True)
