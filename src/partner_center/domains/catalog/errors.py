"""Catalogue and inquiry error reasons, each reported with its reference (``CBC.*``) code."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from partner_center.kernel.errors import DomainError


class CatalogErrorCode(StrEnum):
    """Why a catalogue query, an inquiry, an import or a discount was refused."""

    INVALID_PARAMETER = "invalid_parameter"
    PRODUCT_NOT_FOUND = "product_not_found"
    WRONG_USAGE_MEASURE = "wrong_usage_measure"
    AMOUNT_TOO_LARGE = "amount_too_large"
    PROJECT_NOT_FOUND = "project_not_found"
    INVALID_FILE = "invalid_file"
    VERSION_CONFLICT = "version_conflict"
    DISCOUNT_NOT_ALLOWED = "discount_not_allowed"
    NOT_YOUR_CUSTOMER = "not_your_customer"
    DISCOUNT_NOT_FOUND = "discount_not_found"


#: Reason -> reference error code (api-semantics.md §5.2). Import errors are the operator's
#: (CLI only) and carry codes of their own.
REFERENCE_CODES: dict[CatalogErrorCode, str] = {
    CatalogErrorCode.INVALID_PARAMETER: "CBC.0100",
    CatalogErrorCode.PRODUCT_NOT_FOUND: "CBC.99006006",
    CatalogErrorCode.WRONG_USAGE_MEASURE: "CBC.99006050",
    CatalogErrorCode.AMOUNT_TOO_LARGE: "CBC.99006055",
    CatalogErrorCode.PROJECT_NOT_FOUND: "CBC.99006073",
    CatalogErrorCode.INVALID_FILE: "CATALOG.INVALID_FILE",
    CatalogErrorCode.VERSION_CONFLICT: "CATALOG.VERSION_CONFLICT",
    CatalogErrorCode.DISCOUNT_NOT_ALLOWED: "CBC.5024",
    CatalogErrorCode.NOT_YOUR_CUSTOMER: "CBC.99000035",
    CatalogErrorCode.DISCOUNT_NOT_FOUND: "CBC.0100",
}


def catalog_error(reason: CatalogErrorCode, message: str, **details: Any) -> DomainError:
    """A :class:`DomainError` with the reference code of ``reason`` and the reason in details."""
    return DomainError(REFERENCE_CODES[reason], message, {"reason": reason.value, **details})


def invalid(field: str, reason: str) -> DomainError:
    """``CBC.0100`` naming the field at fault."""
    return catalog_error(
        CatalogErrorCode.INVALID_PARAMETER, f"Invalid parameter: {field}. {reason}", field=field
    )
