"""The partners domain's public surface."""

from partner_center.domains.partners.models import PartnerStatus, PartnerType
from partner_center.domains.partners.service import GrantView, PartnerService, PartnerView

__all__ = ["GrantView", "PartnerService", "PartnerStatus", "PartnerType", "PartnerView"]
