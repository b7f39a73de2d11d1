"""Domain errors and the registry of reference error codes.

A ``DomainError`` carries a reference code (``CBC.*``, ``APIG.*``), a message a person can act on,
and optional details. The HTTP status comes from ``ERROR_STATUS`` (one place), so domains never
think in HTTP. Unknown codes default to 400.
"""

from __future__ import annotations

from typing import Any

#: Reference code -> HTTP status (../shared/spec/api-semantics.md §5).
ERROR_STATUS: dict[str, int] = {
    # general / authentication / authorisation
    "CBC.0100": 400,
    "CBC.0101": 400,
    "CBC.0150": 403,
    "CBC.0151": 403,
    "CBC.0154": 401,
    "CBC.0155": 403,
    "CBC.0156": 403,
    "CBC.0250": 429,
    "CBC.0999": 500,
    "APIG.0101": 404,
    "APIG.0201": 413,  # the reference gateway's "Request entity too large"
    "APIG.0301": 401,
    "APIG.0302": 401,
    "APIG.0303": 401,
    "APIG.0304": 401,
    "APIG.0305": 401,
    "APIG.0308": 429,
    "IAM.0001": 401,
    "IAM.0002": 400,
    "IAM.0003": 403,
    "IAM.0004": 401,
    # partners, customers, association, registration
    "CBC.5001": 400,
    "CBC.5017": 400,
    "CBC.99000000": 400,
    "CBC.99000004": 400,
    "CBC.99000029": 400,
    "CBC.99000030": 400,
    "CBC.99000031": 400,
    "CBC.99000035": 400,
    "CBC.99000036": 400,
    "CBC.99000037": 400,
    "CBC.99000038": 400,
    "CBC.99000039": 400,
    "CBC.99000050": 500,
    "CBC.50010059": 400,
    "CBC.50010065": 400,
    "CBC.50010085": 400,
    "CBC.50010086": 400,
    # verification codes
    "CBC.99004003": 400,
    "CBC.99004008": 400,
    "CBC.99004009": 400,
    "CBC.99004010": 400,
    "CBC.99004015": 400,
    # money
    "CBC.5003": 400,
    "CBC.99005003": 400,
    "CBC.99000047": 400,
    "CBC.99007009": 400,
}


class DomainError(Exception):
    """An expected business error with a reference code; never a 500 unless the code says so."""

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        keep_changes: bool = False,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = str(code)  # a domain's code enum member, or a plain code
        self.message = message
        self.details = details or {}
        #: Commit what the transaction did before failing (e.g. a counted failed attempt).
        self.keep_changes = keep_changes

    @property
    def status(self) -> int:
        return ERROR_STATUS.get(self.code, 400)


def invalid_parameter(field: str, reason: str) -> DomainError:
    """``CBC.0100`` naming the field at fault."""
    return DomainError("CBC.0100", f"Invalid parameter: {field}. {reason}", {"field": field})


def access_denied(reason: str = "Access denied.") -> DomainError:
    return DomainError("CBC.0151", reason)
