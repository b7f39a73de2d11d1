"""The pay-per-use domain's public surface (the only module other domains import).

Yearly/monthly resources that switch to pay-per-use are taken over every hour from the
resources domain's hand-over outbox (``HandoffTakeover.take_over``), which calls::

    await usage.start_on_demand(
        customer_id, ResourceSpec(...), since=expired_at, source_id=period_resource_id)

Orders that sell a resource package deliver it with
``PackageService.grant(customer_id, PackageGrant(..., order_id=order_id))``.
"""

from partner_center.domains.usage.arrears import (
    ArrearsCaseView,
    ArrearsPolicy,
    ArrearsService,
    ArrearsView,
    GraceAdjustmentView,
)
from partner_center.domains.usage.billing_feed import fee_lines, fee_records
from partner_center.domains.usage.errors import RejectReason
from partner_center.domains.usage.handoffs import HandoffTakeover
from partner_center.domains.usage.ingest import (
    BATCH_SIZE,
    CSV_FIELDS,
    DEFAULT_LATE_WINDOW,
    IngestReport,
    Rejection,
    UsageIngest,
    read_records,
    records_from_body,
)
from partner_center.domains.usage.models import (
    ArrearsState,
    ChargeState,
    GraceReason,
    PackageStatus,
    QuotaReuseMode,
    ResourceStatus,
    ReuseCycle,
    UsageStatus,
)
from partner_center.domains.usage.packages import (
    MAX_DEDUCTION_WINDOW_DAYS,
    MAX_FREE_RESOURCE_IDS,
    DeductionView,
    FreeQuota,
    FreeResourceView,
    PackageGrant,
    PackageQuery,
    PackageService,
    PackageView,
)
from partner_center.domains.usage.queries import FeeRecordView, ResourceBandwidth, UsageQueries
from partner_center.domains.usage.rating import RatingSummary, UsageRating
from partner_center.domains.usage.resources import (
    MAX_RESOURCE_IDS,
    ResourceQuery,
    ResourceSpec,
    ResourceView,
    UsageService,
)
from partner_center.domains.usage.tasks import ENFORCE_ARREARS, RATE_HOURLY, TAKE_OVER_HANDOFFS

__all__ = [
    "BATCH_SIZE",
    "CSV_FIELDS",
    "DEFAULT_LATE_WINDOW",
    "ENFORCE_ARREARS",
    "MAX_DEDUCTION_WINDOW_DAYS",
    "MAX_FREE_RESOURCE_IDS",
    "MAX_RESOURCE_IDS",
    "RATE_HOURLY",
    "TAKE_OVER_HANDOFFS",
    "ArrearsCaseView",
    "ArrearsPolicy",
    "ArrearsService",
    "ArrearsState",
    "ArrearsView",
    "ChargeState",
    "DeductionView",
    "FeeRecordView",
    "FreeQuota",
    "FreeResourceView",
    "GraceAdjustmentView",
    "GraceReason",
    "HandoffTakeover",
    "IngestReport",
    "PackageGrant",
    "PackageQuery",
    "PackageService",
    "PackageStatus",
    "PackageView",
    "QuotaReuseMode",
    "RatingSummary",
    "RejectReason",
    "Rejection",
    "ResourceBandwidth",
    "ResourceQuery",
    "ResourceSpec",
    "ResourceStatus",
    "ResourceView",
    "ReuseCycle",
    "UsageIngest",
    "UsageQueries",
    "UsageRating",
    "UsageService",
    "UsageStatus",
    "fee_lines",
    "fee_records",
    "read_records",
    "records_from_body",
]
