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


def bad_credentials() -> DomainError:
    return DomainError("IAM.0001", "The username or password is wrong.")


def no_agency() -> DomainError:
    return DomainError(
        "IAM.0003",
        "The customer has not authorized this partner (no active agency with that name).",
    )
