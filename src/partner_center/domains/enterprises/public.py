"""The enterprises domain's public surface (the only module other packages import)."""

from partner_center.domains.enterprises.models import MemberStatus
from partner_center.domains.enterprises.service import (
    EnterpriseService,
    MemberFilter,
    MemberView,
    root_org_id,
)

__all__ = ["EnterpriseService", "MemberFilter", "MemberStatus", "MemberView", "root_org_id"]
