"""The reference error codes of the notifications domain (api-semantics.md §5), one place."""

from __future__ import annotations

import enum


class NotificationErrorCode(enum.StrEnum):
    """The reference error codes of this domain."""

    INVALID_PARAMETER = "CBC.0100"
