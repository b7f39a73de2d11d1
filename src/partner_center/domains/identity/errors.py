"""Identity error codes (reference codes, api-semantics.md §5)."""

from __future__ import annotations

from partner_center.kernel.errors import DomainError


def unknown_access_key() -> DomainError:
    return DomainError("APIG.0301", "Incorrect IAM authentication information: unknown access key.")


def bad_signature() -> DomainError:
    return DomainError(
        "APIG.0301", "Incorrect IAM authentication information: verify aksk signature fail."
    )


def token_invalid() -> DomainError:
    return DomainError("CBC.0154", "The token is invalid or has expired.")


def no_agency() -> DomainError:
    return DomainError(
        "IAM.0003",
        "The customer has not authorized this partner (no active agency with that name).",
    )


def sign_in_failed() -> DomainError:
    """A wrong account name, user name or password, indistinguishably; the failure it reports
    was counted, so the unit of work commits it (``keep_changes``)."""
    return DomainError("IAM.0001", "The username or password is wrong.", keep_changes=True)


def account_locked(minutes: int) -> DomainError:
    """Huawei IAM's answer for a locked user (401, "The account is locked."), with when to try
    again; the same for an account name or user that does not exist."""
    return DomainError("IAM.0004", f"The account is locked. Try again in {minutes} minute(s).")


def source_throttled(minutes: int) -> DomainError:
    """Too many failed sign-ins from one client address (the gateway's throttling answer)."""
    return DomainError(
        "APIG.0308",
        "The throttling threshold has been reached: too many failed sign-ins from this address; "
        f"try again in {minutes} minute(s).",
    )
