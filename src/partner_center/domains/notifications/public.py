"""The notifications domain's public surface."""

from partner_center.domains.notifications.models import Channel, OutboxMessage, Recipient
from partner_center.domains.notifications.service import NotificationService

#: Topic of partner-budget alerts (75 %, 90 %, 100 %).
PARTNER_BUDGET = "PARTNER_BUDGET"

__all__ = ["PARTNER_BUDGET", "Channel", "NotificationService", "OutboxMessage", "Recipient"]
