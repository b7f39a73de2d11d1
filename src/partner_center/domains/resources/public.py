"""The resources domain's public surface (the only module other domains import).

The orders domain provisions resources when an order is paid (``ResourceService.provision``),
adds terms on renewal (``add_term`` + ``extend``), closes them on unsubscription and runs the
auto-renewal attempts this domain schedules under ``AUTO_RENEW_JOB``. The pay-per-use domain
takes over resources switched to pay-per-use: ``pending_handoffs()`` lists them (metering starts
at ``switch_at``) and ``accept_handoff(id)`` acknowledges one.
"""

from partner_center.domains.resources.errors import ResourceErrorCode, resource_error
from partner_center.domains.resources.feed import order_line_resource_name
from partner_center.domains.resources.models import (
    ExpirePolicy,
    ResourceStatus,
    TermKind,
)
from partner_center.domains.resources.service import (
    AUTO_RENEW_JOB,
    DEFAULT_DEDUCTION_DAYS,
    EXPIRE_JOB,
    PERIOD_MONTH,
    PERIOD_YEAR,
    RELEASE_JOB,
    RETAIN_JOB,
    HandoffView,
    NewResource,
    RenewSettings,
    ResourceFilter,
    ResourceService,
    ResourceView,
    TermView,
    term_view,
)

__all__ = [
    "AUTO_RENEW_JOB",
    "DEFAULT_DEDUCTION_DAYS",
    "EXPIRE_JOB",
    "PERIOD_MONTH",
    "PERIOD_YEAR",
    "RELEASE_JOB",
    "RETAIN_JOB",
    "ExpirePolicy",
    "HandoffView",
    "NewResource",
    "RenewSettings",
    "ResourceErrorCode",
    "ResourceFilter",
    "ResourceService",
    "ResourceStatus",
    "ResourceView",
    "TermKind",
    "TermView",
    "order_line_resource_name",
    "resource_error",
    "term_view",
]
