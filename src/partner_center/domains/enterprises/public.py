"""The enterprises domain's public surface (the only module other packages import)."""

from partner_center.domains.enterprises.funds import (
    AvailableAmount,
    CouponShareOutcome,
    EnterpriseFunds,
    SharedCouponView,
    parse_amount,
)
from partner_center.domains.enterprises.models import MemberStatus
from partner_center.domains.enterprises.service import (
    MEMBER_MOBILE_SCENE,
    SAME_LEGAL_ENTITY,
    EnterpriseService,
    MemberFilter,
    MemberView,
    NewMember,
    OrgNode,
    OrgTree,
    root_org_id,
)

__all__ = [
    "MEMBER_MOBILE_SCENE",
    "SAME_LEGAL_ENTITY",
    "AvailableAmount",
    "CouponShareOutcome",
    "EnterpriseFunds",
    "EnterpriseService",
    "MemberFilter",
    "MemberStatus",
    "MemberView",
    "NewMember",
    "OrgNode",
    "OrgTree",
    "SharedCouponView",
    "parse_amount",
    "root_org_id",
]
