"""The notifications domain's public surface."""

from partner_center.domains.notifications.models import Channel, OutboxMessage
from partner_center.domains.notifications.service import NotificationService

__all__ = ["Channel", "NotificationService", "OutboxMessage"]
