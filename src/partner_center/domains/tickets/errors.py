"""The reference error codes of the tickets domain (api-semantics.md §5), one place."""

from __future__ import annotations

import enum

from partner_center.kernel.errors import DomainError


class TicketErrorCode(enum.StrEnum):
    INVALID_PARAMETER = "CBC.0100"


def no_such_ticket() -> DomainError:
    return DomainError(
        TicketErrorCode.INVALID_PARAMETER,
        "Invalid parameter: ticket_id. No ticket of yours has this id.",
        {"field": "ticket_id"},
    )


def wrong_status(status: str, action: str) -> DomainError:
    return DomainError(
        TicketErrorCode.INVALID_PARAMETER,
        f"Invalid parameter: status. A {status} ticket cannot be {action}.",
        {"field": "status", "status": status},
    )
