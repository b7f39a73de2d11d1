"""The reference error codes of the background domain (api-semantics.md §5), one place."""

from __future__ import annotations

import enum

from partner_center.kernel.errors import DomainError


class BackgroundErrorCode(enum.StrEnum):
    INVALID_PARAMETER = "CBC.0100"


def no_such_work(work_id: str) -> DomainError:
    """Work that does not exist, or another account's (never told apart)."""
    return DomainError(
        BackgroundErrorCode.INVALID_PARAMETER,
        f"Invalid parameter: work_id. No work {work_id} of yours.",
        {"field": "work_id"},
    )
