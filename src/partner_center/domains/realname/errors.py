"""The reference error codes of the real-name domain (api-semantics.md §5), one place."""

from __future__ import annotations

import enum


class RealnameErrorCode(enum.StrEnum):
    """The reference error codes of this domain."""

    INVALID_PARAMETER = "CBC.0100"
    NOT_YOUR_CUSTOMER = "CBC.99000035"
    BAD_ATTACHMENT = "CBC.99000100"
    BUSINESS_CHECK_FAILED = "CBC.99007004"
    ALREADY_SUBMITTED = "CBC.99007188"
    TOO_MANY_ATTEMPTS = "CBC.99007191"
    NOT_REVIEWABLE = "CBC.70600026"
