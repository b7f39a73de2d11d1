"""The budgets domain's public surface (the only module other domains import).

Purchases (orders, renewals, pay-per-use) use budget in three steps, each idempotent::

    reservation = await budgets.reserve(customer_id, list_price_amount, purchase_id)
    ...charge the purchase...
    await budgets.commit(reservation.id)            # or commit(reservation.id, actual_amount)
    await budgets.release(reservation.id)           # instead, if the purchase failed

``reserve`` refuses with ``CBC.99003198`` (details ``reason`` ``budget_insufficient`` or
``no_budget``), the CustomerControl codes for a restricted or frozen customer, and ``CBC.5024``
for a referral customer (budgets do not apply; ask ``applies_to(customer_id)`` first).
``BudgetEngine`` offers the same purchase methods to callers without a partner context.
The associations domain calls ``BudgetService.record_association_removed`` when an association
ends.
"""

from partner_center.domains.budgets.engine import (
    ALERT_THRESHOLDS,
    EXHAUSTION_REASON,
    BudgetEngine,
    BudgetUsageSummary,
    BudgetView,
    Reservation,
    display_amount,
)
from partner_center.domains.budgets.errors import (
    BUDGET_INSUFFICIENT,
    REFERENCE_CODES,
    BudgetErrorCode,
)
from partner_center.domains.budgets.models import (
    BudgetType,
    ExhaustionAction,
    RecordOperation,
    ReservationStatus,
)
from partner_center.domains.budgets.service import (
    MAX_BUDGET,
    MAX_CUSTOMERS,
    BatchOutcome,
    BudgetRecordView,
    BudgetService,
    BudgetSetting,
    ItemError,
    RecordFilter,
)
from partner_center.domains.budgets.tasks import RESTORE_MONTHLY_BUDGETS

__all__ = [
    "ALERT_THRESHOLDS",
    "BUDGET_INSUFFICIENT",
    "EXHAUSTION_REASON",
    "MAX_BUDGET",
    "MAX_CUSTOMERS",
    "REFERENCE_CODES",
    "RESTORE_MONTHLY_BUDGETS",
    "BatchOutcome",
    "BudgetEngine",
    "BudgetErrorCode",
    "BudgetRecordView",
    "BudgetService",
    "BudgetSetting",
    "BudgetType",
    "BudgetUsageSummary",
    "BudgetView",
    "ExhaustionAction",
    "ItemError",
    "RecordFilter",
    "RecordOperation",
    "Reservation",
    "ReservationStatus",
    "display_amount",
]
