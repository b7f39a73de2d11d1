"""Every domain's jobs, registered in one registry (the composition root builds it once).

Each job gets the services of its own unit of work from the same container as an API request,
at the job's business time.
"""

from __future__ import annotations

from partner_center.domains.associations import tasks as association_tasks
from partner_center.domains.background import tasks as background_tasks
from partner_center.domains.billing import tasks as billing_tasks
from partner_center.domains.budgets import tasks as budget_tasks
from partner_center.domains.catalog import tasks as catalog_tasks
from partner_center.domains.coupons import tasks as coupon_tasks
from partner_center.domains.invoices import tasks as invoice_tasks
from partner_center.domains.notifications import tasks as notification_tasks
from partner_center.domains.orders import tasks as order_tasks
from partner_center.domains.resources import tasks as resource_tasks
from partner_center.domains.usage import tasks as usage_tasks
from partner_center.kernel.jobs import JobRegistry
from partner_center.services import Services, Wiring


def build_registry(wiring: Wiring) -> JobRegistry[Services]:
    """Collect the periodic and one-off jobs of every domain, their services wired by
    ``wiring``.

    Periodic jobs due at the same instant run in registration order, declared here: at 00:00
    on the 1st the new month of the monthly budgets opens first (``budgets.restore_monthly``),
    then the hand-overs to pay-per-use are taken over (``usage.accept_handoffs``), then the
    arrears cases are settled, frozen or released (``usage.enforce_arrears``), then the hours
    that ended are rated (``usage.rate_hourly``). At 02:00 on the 5th the month that
    ended is billed (``billing.run_monthly``) after that hour's rating, so every usage rated up
    to the run is on its bill. At 03:00 on the 5th the bills are invoiced and the invoices
    e-mailed (``invoices.issue_monthly``).
    """
    registry = JobRegistry(lambda session, clock: Services(session, clock=clock, wiring=wiring))
    budget_tasks.register(registry)
    usage_tasks.register(registry)
    billing_tasks.register(registry)
    invoice_tasks.register(registry)
    for module in (
        association_tasks,
        background_tasks,
        catalog_tasks,
        coupon_tasks,
        notification_tasks,
        order_tasks,
        resource_tasks,
    ):
        module.register(registry)
    return registry
