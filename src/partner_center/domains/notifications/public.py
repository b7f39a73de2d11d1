"""The notifications domain's public surface."""

from partner_center.domains.notifications.delivery import (
    DELIVER_JOB,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    DeliveryError,
    OutboxDelivery,
    OutgoingMessage,
    Sender,
    Senders,
)
from partner_center.domains.notifications.models import (
    Channel,
    DeliveryStatus,
)
from partner_center.domains.notifications.service import (
    MAX_RECIPIENTS_PER_TOPIC,
    MessageView,
    NotificationService,
    RecipientView,
)
from partner_center.domains.notifications.smtp import SMTPS_PORT, SmtpConfig, SmtpSender
from partner_center.domains.notifications.topics import (
    CUSTOMER_ASSOCIATION,
    INVOICE,
    PARTNER_BILLING,
    PARTNER_BUDGET,
    SERVICE_TICKET,
    TOPICS,
    Topic,
    may_manage,
    require_manager,
)

__all__ = [
    "CUSTOMER_ASSOCIATION",
    "DELIVER_JOB",
    "INVOICE",
    "MAX_ATTEMPTS",
    "MAX_RECIPIENTS_PER_TOPIC",
    "PARTNER_BILLING",
    "PARTNER_BUDGET",
    "RETRY_DELAYS",
    "SERVICE_TICKET",
    "SMTPS_PORT",
    "TOPICS",
    "Channel",
    "DeliveryError",
    "DeliveryStatus",
    "MessageView",
    "NotificationService",
    "OutboxDelivery",
    "OutgoingMessage",
    "RecipientView",
    "Sender",
    "Senders",
    "SmtpConfig",
    "SmtpSender",
    "Topic",
    "may_manage",
    "require_manager",
]
