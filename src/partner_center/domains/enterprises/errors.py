"""The reference error codes of the enterprise members domain (api-semantics.md §5), one place."""

from __future__ import annotations

import enum


class EnterpriseErrorCode(enum.StrEnum):
    """The reference error codes of this domain."""

    INVALID_PARAMETER = "CBC.0100"
    ACCESS_DENIED = "CBC.0151"
    ACCOUNT_NAME_TAKEN = "CBC.99000038"
    NOT_LINKED = "CBC.7001"
    """The account is not a member of this master (the reference answers it with 500; we
    answer 400: it is the caller's mistake)."""
    BUSINESS_CHECK_FAILED = "CBC.99007004"
    NOT_A_MASTER = "CBC.70300008"
    DUPLICATE_TRANSACTION = "CBC.99007009"
