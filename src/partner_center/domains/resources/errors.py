"""Reference error codes of yearly/monthly resources (api-semantics.md §3.8, §5.2)."""

from __future__ import annotations

import enum

from partner_center.kernel.errors import DomainError


class ResourceErrorCode(enum.StrEnum):
    NOT_FOUND = "CBC.99003012"
    EXPIRED_AND_DELETED = "CBC.99003016"
    IN_UNPAID_ORDER = "CBC.99003100"
    NO_RENEWED_PERIOD = "CBC.99003128"
    AUTO_RENEW_NOT_ALLOWED = "CBC.99003602"
    AUTO_RENEW_ALREADY_CANCELLED = "CBC.99003605"
    IN_GRACE_OR_RETENTION = "CBC.99003610"
    NOT_PRIMARY = "CBC.30010036"
    INVALID_PERIOD = "CBC.30010069"
    DUPLICATE_IDS = "CBC.30050012"


def resource_error(code: ResourceErrorCode, message: str) -> DomainError:
    return DomainError(code.value, message)
