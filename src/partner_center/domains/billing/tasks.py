"""The scheduled bill run."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from partner_center.domains.billing.service import BillingService
from partner_center.kernel.jobs import JobContext, JobRegistry, Monthly

#: Bills the month that ended: at 02:00 on the 5th (billing time zone), before the 12:00
#: deadline of rule 6.2, after the hourly rating of 02:00 (``worker.registry`` declares the
#: order), so usage rated up to the run belongs to its cycle.
BILL_RUN = "billing.run_monthly"
BILL_RUN_SCHEDULE = Monthly(day=5, hour=2)


class BillingJobServices(Protocol):
    @property
    def billing(self) -> BillingService: ...


_S = TypeVar("_S", bound=BillingJobServices)


async def run_monthly(ctx: JobContext[BillingJobServices], _payload: dict[str, Any]) -> None:
    """Bill the cycle before the occurrence's month (and finish any earlier incomplete run)."""
    billing = ctx.services.billing
    await billing.run_cycle(billing.runner.cycle_to_bill(ctx.as_of))


def register(registry: JobRegistry[_S]) -> None:
    registry.register_periodic(BILL_RUN, BILL_RUN_SCHEDULE, run_monthly)
