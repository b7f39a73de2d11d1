"""The reference error codes of the enterprise members domain (api-semantics.md §5), one place."""

from __future__ import annotations

import enum


class EnterpriseErrorCode(enum.StrEnum):
    """The reference error codes of this domain."""

    INVALID_PARAMETER = "CBC.0100"
    ACCESS_DENIED = "CBC.0151"
    ACCOUNT_NAME_TAKEN = "CBC.99000038"
