"""On the 5th, after the bill run (``worker.registry`` declares the order): the invoices are
issued and e-mailed, and the subscribers' consumption detail files written."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from partner_center.domains.billing.public import previous_cycle
from partner_center.domains.invoices.consumption import ConsumptionFiles
from partner_center.domains.invoices.service import InvoiceService
from partner_center.kernel.jobs import JobContext, JobRegistry, Monthly

ISSUE_INVOICES = "invoices.issue_monthly"
#: 03:00 on the 5th (billing time zone): after the 02:00 bill run, before the 12:00 deadline.
ISSUE_INVOICES_SCHEDULE = Monthly(day=5, hour=3)


class InvoiceJobServices(Protocol):
    @property
    def invoices(self) -> InvoiceService: ...

    @property
    def consumption_files(self) -> ConsumptionFiles: ...


_S = TypeVar("_S", bound=InvoiceJobServices)


async def issue_monthly(ctx: JobContext[InvoiceJobServices], _payload: dict[str, Any]) -> None:
    """Invoice the bills of the cycle before the occurrence's month and write its consumption
    detail files."""
    local = ctx.as_of.astimezone(ctx.zone)
    cycle = previous_cycle(f"{local.year:04d}-{local.month:02d}")
    await ctx.services.invoices.issue_cycle(cycle)
    await ctx.services.consumption_files.write_cycle(cycle)


def register(registry: JobRegistry[_S]) -> None:
    registry.register_periodic(ISSUE_INVOICES, ISSUE_INVOICES_SCHEDULE, issue_monthly)
