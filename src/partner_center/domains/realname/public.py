"""The real-name domain's public surface (the only module other domains import)."""

from partner_center.domains.realname.models import IdentifyType, ReviewResult
from partner_center.domains.realname.service import (
    EnterpriseIdentity,
    LegalPerson,
    PersonalIdentity,
    RealnameService,
    RealnameStatus,
    ReviewView,
)

__all__ = [
    "EnterpriseIdentity",
    "IdentifyType",
    "LegalPerson",
    "PersonalIdentity",
    "RealnameService",
    "RealnameStatus",
    "ReviewResult",
    "ReviewView",
]
