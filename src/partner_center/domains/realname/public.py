"""The real-name domain's public surface (the only module other domains import)."""

from partner_center.domains.realname.models import IdentifyType, ReviewResult
from partner_center.domains.realname.service import (
    FACE_PATH,
    EnterpriseIdentity,
    LegalPerson,
    PersonalIdentity,
    RealnameService,
    RealnameStatus,
    ReviewView,
    is_mainland_region,
)

__all__ = [
    "FACE_PATH",
    "EnterpriseIdentity",
    "IdentifyType",
    "LegalPerson",
    "PersonalIdentity",
    "RealnameService",
    "RealnameStatus",
    "ReviewResult",
    "ReviewView",
    "is_mainland_region",
]
