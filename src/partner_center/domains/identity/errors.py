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
    ACCOUNT_LOCKED = "IAM.0004"
    SIGN_IN_THROTTLED = "APIG.0308"
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


def no_agency() -> DomainError:
    return DomainError(
        IdentityErrorCode.NO_AGENCY,
        "The customer has not authorized this partner (no active agency with that name).",
    )


def sign_in_failed() -> DomainError:
    """A wrong account name, user name or password, indistinguishably; the failure it reports
    was counted, so the unit of work commits it (``keep_changes``)."""
    return DomainError(
        IdentityErrorCode.BAD_CREDENTIALS, "The username or password is wrong.", keep_changes=True
    )


def account_locked(minutes: int) -> DomainError:
    """Huawei IAM's answer for a locked user (401, "The account is locked."), with when to try
    again; the same for an account name or user that does not exist."""
    return DomainError(
        IdentityErrorCode.ACCOUNT_LOCKED,
        f"The account is locked. Try again in {minutes} minute(s).",
    )


def source_throttled(minutes: int) -> DomainError:
    """Too many failed sign-ins from one client address (the gateway's throttling answer)."""
    return DomainError(
        IdentityErrorCode.SIGN_IN_THROTTLED,
        "The throttling threshold has been reached: too many failed sign-ins from this address; "
        f"try again in {minutes} minute(s).",
    )
