"""The partners domain's public surface."""

from partner_center.domains.partners.models import PartnerStatus, PartnerType
from partner_center.domains.partners.protection import CriticalOperationGuard
from partner_center.domains.partners.service import (
    MAX_QUOTA,
    GrantView,
    IndirectPartnerFilter,
    IndirectPartnerView,
    ManagerAssignmentView,
    PartnerService,
    PartnerView,
    ResellerPermission,
)

__all__ = [
    "MAX_QUOTA",
    "CriticalOperationGuard",
    "GrantView",
    "IndirectPartnerFilter",
    "IndirectPartnerView",
    "ManagerAssignmentView",
    "PartnerService",
    "PartnerStatus",
    "PartnerType",
    "PartnerView",
    "ResellerPermission",
]
