"""Request headers that operations of several routers take, declared once: ``X-Language`` (the
catalogue's language) and ``X-Idempotency-Key`` (our replay protection for money moves)."""

from __future__ import annotations

from typing import Annotated

from partner_center.domains.catalog.public import Language
from partner_center.http.operations import Header
from partner_center.kernel.errors import invalid_parameter

XLanguage = Annotated[
    str | None, Header("X-Language", "zh_CN | en_US (default: the site's language)")
]
"""The language of catalogue names (``language_of``)."""


def language_of(value: str | None, site: str) -> Language:
    """``X-Language`` (``zh_CN``/``en_US``, any case, ``-`` or ``_``); absent or empty = the
    site's language: Chinese on the China site, English on the international site."""
    value = (value or "").strip()
    if not value:
        return Language.ZH if site == "cn" else Language.EN
    normalized = value.replace("-", "_").lower()
    for language in Language:
        if language.value.lower() == normalized:
            return language
    raise invalid_parameter("X-Language", "Use zh_CN or en_US.")


IDEMPOTENCY_HEADER = "X-Idempotency-Key"

IdempotencyKey = Annotated[
    str | None,
    Header(
        IDEMPOTENCY_HEADER,
        "Ours: a retry with the same key and body moves nothing again.",
        max_length=64,
    ),
]
"""``X-Idempotency-Key`` of the balance operations (1–64 of letters, digits, ``._:-``)."""

CouponIdempotencyKey = Annotated[
    str | None,
    Header(
        IDEMPOTENCY_HEADER,
        "Extension: replaying a key returns the first answer and issues nothing.",
        max_length=128,
    ),
]
"""``X-Idempotency-Key`` of the coupon operations (1–128 letters, digits, ``._:-``)."""

VerificationCodeHeader = Annotated[
    str | None,
    Header(
        "X-Verification-Code",
        "Ours: the code sent for a critical operation while verification protection is on "
        "(rules.md §12.4).",
        max_length=16,
    ),
]
"""``X-Verification-Code`` of the critical operations (``CriticalOperationGuard``)."""
