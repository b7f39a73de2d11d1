"""The reference error codes of the partners domain (api-semantics.md §5), one place."""

from __future__ import annotations

import enum


class PartnerErrorCode(enum.StrEnum):
    """The reference error codes of this domain."""

    INVALID_PARAMETER = "CBC.0100"
    ACCESS_DENIED = "CBC.0151"
    NOT_YOUR_RESELLER = "CBC.99000037"
    ACCOUNT_DOES_NOT_EXIST = "CBC.99000047"
    ALREADY_FROZEN = "CBC.30000052"
    TOO_MANY_CODES = "CBC.99004015"
    CODE_WRONG = "CBC.99004010"
    CODE_FAILED_TOO_OFTEN = "CBC.99004009"
    CODE_EXPIRED = "CBC.99004008"
