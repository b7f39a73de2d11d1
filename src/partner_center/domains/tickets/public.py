"""The tickets domain's public surface (the only module other domains import)."""

from partner_center.domains.tickets.calendar import (
    BANK_TRANSFER_WORKING_DAYS,
    add_working_days,
    is_working_day,
)
from partner_center.domains.tickets.files import MAX_ATTACHMENT_BYTES, sniff
from partner_center.domains.tickets.models import Author, TicketCategory, TicketStatus
from partner_center.domains.tickets.service import (
    OPERATOR_MOVES,
    AttachmentFile,
    AttachmentView,
    BankTransfer,
    MessageView,
    NewTicket,
    TicketDetail,
    TicketFilter,
    TicketService,
    TicketView,
)

__all__ = [
    "BANK_TRANSFER_WORKING_DAYS",
    "MAX_ATTACHMENT_BYTES",
    "OPERATOR_MOVES",
    "AttachmentFile",
    "AttachmentView",
    "Author",
    "BankTransfer",
    "MessageView",
    "NewTicket",
    "TicketCategory",
    "TicketDetail",
    "TicketFilter",
    "TicketService",
    "TicketStatus",
    "TicketView",
    "add_working_days",
    "is_working_day",
    "sniff",
]
