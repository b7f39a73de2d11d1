"""The reference error codes of the customers domain (api-semantics.md §5), one place."""

from __future__ import annotations

import enum


class CustomerErrorCode(enum.StrEnum):
    """The reference error codes of this domain."""

    INVALID_PARAMETER = "CBC.0100"
    PARTNER_FROZEN = "CBC.0150"
    ALREADY_FROZEN = "CBC.30000052"
    NOT_YOUR_CUSTOMER = "CBC.99000035"
    NOT_YOUR_RESELLER = "CBC.99000037"
    ALREADY_ASSOCIATED = "CBC.99110009"
    TOO_MANY_CODES = "CBC.99004015"
    CODE_WRONG = "CBC.99004010"
    CODE_FAILED_TOO_OFTEN = "CBC.99004009"
    CODE_EXPIRED = "CBC.99004008"
    PARTNER_RESTRICTED = "CBC.50010085"
    PARTNER_EXITED = "CBC.50010065"
    XACCOUNT_ID_TAKEN = "CBC.99000039"
    EMAIL_TAKEN = "CBC.99000051"
    ACCOUNT_NAME_TAKEN = "CBC.99000038"
    MOBILE_TOO_MANY_ACCOUNTS = "CBC.99000030"
    ACCOUNT_NAME_INVALID = "CBC.99000031"
    PASSWORD_INVALID = "CBC.99000036"  # noqa: S105  (an error code, not a password)
    MOBILE_INVALID = "CBC.5017"
