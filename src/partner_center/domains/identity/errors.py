"""Identity error codes (reference codes, api-semantics.md §5)."""

from __future__ import annotations

import enum

from partner_center.kernel.errors import DomainError


class IdentityErrorCode(enum.StrEnum):
    """The reference error codes of this domain."""

    AUTHENTICATION_FAILED = "APIG.0301"
    CREDENTIAL_EXPIRED = "APIG.0303"
    TOKEN_INVALID = "CBC.0154"  # noqa: S105  (an error code, not a token)
    BAD_CREDENTIALS = "IAM.0001"
    BAD_REQUEST = "IAM.0002"
    NO_AGENCY = "IAM.0003"
    INVALID_PARAMETER = "CBC.0100"
    ACCOUNT_NAME_TAKEN = "CBC.99000038"
    ACCOUNT_DOES_NOT_EXIST = "CBC.99000047"


def unknown_access_key() -> DomainError:
    return DomainError(
        IdentityErrorCode.AUTHENTICATION_FAILED,
        "Incorrect IAM authentication information: unknown access key.",
    )


def bad_signature() -> DomainError:
    return DomainError(
        IdentityErrorCode.AUTHENTICATION_FAILED,
        "Incorrect IAM authentication information: verify aksk signature fail.",
    )


def token_invalid() -> DomainError:
    return DomainError(IdentityErrorCode.TOKEN_INVALID, "The token is invalid or has expired.")


def bad_credentials() -> DomainError:
    return DomainError(IdentityErrorCode.BAD_CREDENTIALS, "The username or password is wrong.")


def no_agency() -> DomainError:
    return DomainError(
        IdentityErrorCode.NO_AGENCY,
        "The customer has not authorized this partner (no active agency with that name).",
    )
