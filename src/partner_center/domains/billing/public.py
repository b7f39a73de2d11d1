"""The billing domain's public surface (the only module other domains import).

``BillingService`` (``services.billing``) answers what a partner owes and applies repayments::

    due: Money = await billing.amount_due(partner_id)
    bills: list[PartnerBillView] = await billing.unpaid_bills(partner_id)   # oldest first
    remaining: Money = await billing.apply_repayment(partner_id, amount, payment_ref="rp-1")

``BillRunner`` (``services.bill_runner``) is the monthly bill run (see ``run.py``).
"""

from partner_center.domains.billing.access import bill_reader, expenditure_reader
from partner_center.domains.billing.adjustments import AdjustmentView, NewAdjustment
from partner_center.domains.billing.cycles import (
    cycle_bounds,
    cycle_of,
    next_cycle,
    parse_cycle,
    previous_cycle,
)
from partner_center.domains.billing.errors import BillingErrorCode
from partner_center.domains.billing.fanout import BatchDispatcher, BillFanOut
from partner_center.domains.billing.models import BillStatus, LineKind, ResidueLevel
from partner_center.domains.billing.records import (
    COST_DIMENSIONS,
    BreakdownRow,
    CostGroup,
    FeeRecordView,
    RecordFilter,
    SubCustomerSum,
    SubCustomerSumFilter,
)
from partner_center.domains.billing.run import BillPolicy, BillRunner, RunReport, bill_id
from partner_center.domains.billing.service import (
    EXPORT_FIELDS,
    AmountDue,
    BilledDebt,
    BillingService,
    CustomerBillLineView,
    CustomerBillView,
    ExpenditureDistribution,
    OverdueSummary,
    PartnerBillDetail,
    PartnerBillView,
    PostpaidSummary,
    ResellerBillView,
)
from partner_center.domains.billing.tasks import BILL_RUN, BILL_RUN_SCHEDULE, CHECK_CREDIT

__all__ = [
    "BILL_RUN",
    "BILL_RUN_SCHEDULE",
    "CHECK_CREDIT",
    "COST_DIMENSIONS",
    "EXPORT_FIELDS",
    "AdjustmentView",
    "AmountDue",
    "BatchDispatcher",
    "BillFanOut",
    "BillPolicy",
    "BillRunner",
    "BillStatus",
    "BilledDebt",
    "BillingErrorCode",
    "BillingService",
    "BreakdownRow",
    "CostGroup",
    "CustomerBillLineView",
    "CustomerBillView",
    "ExpenditureDistribution",
    "FeeRecordView",
    "LineKind",
    "NewAdjustment",
    "OverdueSummary",
    "PartnerBillDetail",
    "PartnerBillView",
    "PostpaidSummary",
    "RecordFilter",
    "ResellerBillView",
    "ResidueLevel",
    "RunReport",
    "SubCustomerSum",
    "SubCustomerSumFilter",
    "bill_id",
    "bill_reader",
    "cycle_bounds",
    "cycle_of",
    "expenditure_reader",
    "next_cycle",
    "parse_cycle",
    "previous_cycle",
]
