"""Reference error codes of orders and payments (api-semantics.md §3.7, §5.2)."""

from __future__ import annotations

import enum

from partner_center.kernel.errors import DomainError


class OrderErrorCode(enum.StrEnum):
    INVALID_ORDER = "CBC.30000010"
    STATUS_CHANGED = "CBC.99003106"
    DISCOUNT_NOT_APPLICABLE = "CBC.99003108"
    DEADLINE_PASSED = "CBC.99003110"
    CANNOT_CANCEL = "CBC.99005010"
    NOT_REFUND_ORDER = "CBC.99005026"
    AUTO_PAY_FAILED = "CBC.30050006"
    NOT_YOUR_CUSTOMER = "CBC.99000035"
    NOT_AUTHORIZED = "CBC.99000000"
    TERM_TOO_LONG = "CBC.99003154"
    RESOURCE_RELEASED = "CBC.30000067"
    RESOURCE_BUSY = "CBC.99003623"
    ADJUSTMENT_NOT_ALLOWED = "CBC.5024"


def order_error(code: OrderErrorCode, message: str) -> DomainError:
    return DomainError(code.value, message)
