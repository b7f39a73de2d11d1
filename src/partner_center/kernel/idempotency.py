"""The ``X-Idempotency-Key`` contract, one for every money-moving write that accepts it
(allocations, reclaims, top-ups, coupon issues, quota transfers).

The SDK sends no idempotency key, so every SDK call is a new operation; a client may add
``X-Idempotency-Key: <its own id>``. The first request with a key does the work and is
recorded under the key (scoped to the caller and the operation) together with the request's
fingerprint; a replay with the same key and the same request answers what the first call
answered and moves nothing; the same key with a different request is refused with
``CBC.99007009``. Each domain stores its records in its own table; this module is the one
definition of the header, the key format, the fingerprint and the refusal.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from partner_center.kernel.errors import DomainError, invalid_parameter

#: The request header.
IDEMPOTENCY_HEADER = "X-Idempotency-Key"
#: The error code of a key used again for a different request.
KEY_REUSED = "CBC.99007009"
#: The longest key of the balance operations (their records keep it in 64 characters); the
#: coupon operations publish 128 in ``/openapi.json``.
MAX_KEY_LENGTH = 64
_KEY = re.compile(r"^[A-Za-z0-9._:\-]+$")


def check_key(key: str | None, *, max_length: int = MAX_KEY_LENGTH) -> str | None:
    """An idempotency key: 1 to ``max_length`` letters, digits and ``._:-``; None when absent
    (``CBC.0100`` naming the header otherwise)."""
    if key is None:
        return None
    if not 1 <= len(key) <= max_length or not _KEY.match(key):
        raise invalid_parameter(
            IDEMPOTENCY_HEADER, f"Use 1 to {max_length} letters, digits, '.', '_', ':' or '-'."
        )
    return key


def fingerprint(*parts: object) -> str:
    """SHA-256 of a request's parameters (Decimals normalised, so 10 and 10.00 agree)."""
    text = "|".join(format(p.normalize(), "f") if isinstance(p, Decimal) else str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def request_fingerprint(request: Mapping[str, Any]) -> str:
    """``fingerprint`` of a structured request in a canonical form (sorted keys, normalised
    numbers)."""
    return fingerprint(json.dumps(_canonical(request), sort_keys=True, separators=(",", ":")))


def key_reused(key: str) -> DomainError:
    """The refusal of a key already used for a different request."""
    return DomainError(
        KEY_REUSED,
        f"Duplicate transaction id: the idempotency key {key!r} was already used for a "
        "different request.",
        {"idempotency_key": key},
    )
