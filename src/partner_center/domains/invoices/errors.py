"""The reference error codes of the invoices domain (api-semantics.md §5), one place."""

from __future__ import annotations

import enum


class InvoiceErrorCode(enum.StrEnum):
    INVALID_PARAMETER = "CBC.0100"
