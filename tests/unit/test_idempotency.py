"""The one ``X-Idempotency-Key`` contract: key format, fingerprints that match what the balance
and coupon records stored before, and the refusal of a reused key."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest

from partner_center.kernel.errors import DomainError
from partner_center.kernel.idempotency import (
    check_key,
    fingerprint,
    key_reused,
    request_fingerprint,
)


def test_keys_are_letters_digits_and_a_few_separators() -> None:
    assert check_key(None) is None
    assert check_key("order-2026.11:0001_a") == "order-2026.11:0001_a"
    for bad in ("", "not a valid key!", "x" * 65, "ключ"):
        with pytest.raises(DomainError) as info:
            check_key(bad)
        assert info.value.code == "CBC.0100"
    assert check_key("x" * 128, max_length=128) == "x" * 128


def test_fingerprints_normalise_amounts() -> None:
    assert fingerprint("allocate", "p", Decimal("10")) == fingerprint(
        "allocate", "p", Decimal("10.00")
    )
    assert fingerprint("allocate", "p", Decimal(10)) != fingerprint("reclaim", "p", Decimal(10))
    request = {"b": [Decimal("1.50")], "a": "x"}
    canonical = json.dumps({"a": "x", "b": ["1.5"]}, sort_keys=True, separators=(",", ":"))
    # The coupon records hold SHA-256 of the canonical JSON: a replay after an upgrade matches.
    assert request_fingerprint(request) == hashlib.sha256(canonical.encode()).hexdigest()


def test_a_reused_key_is_refused_with_the_reference_code() -> None:
    error = key_reused("k-1")
    assert (error.code, error.details) == ("CBC.99007009", {"idempotency_key": "k-1"})
