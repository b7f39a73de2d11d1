"""Identifiers.

* ``new_id()`` (``new_ids(n)`` for many) — UUIDv7-style (48-bit millisecond timestamp, version 7, random tail) as a 32-char
  lower-case hex string; sorts by creation time, so primary-key order is creation order.
* ``new_domain_id()`` — the 32-hex account id the reference system shows (``domain_id``).
* ``new_access_key()`` — a 20-character upper-case AK like the reference's.

The timestamp inside an id is for index locality only; business time comes from the Clock.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_seq = 0
_AK_ALPHABET = string.ascii_uppercase + string.digits


def new_id() -> str:
    """A time-ordered UUIDv7 as 32 hex characters, monotonic within this process."""
    global _last_ms, _seq
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            _seq += 1
            ms = _last_ms
        else:
            _seq = 0
            _last_ms = ms
        seq = _seq & 0xFFF
    rand = int.from_bytes(secrets.token_bytes(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | seq << 64 | 0b10 << 62 | rand
    return uuid.UUID(int=value).hex


def new_ids(count: int) -> list[str]:
    """``count`` ids as ``new_id`` makes them, with one clock reading and one read of the
    random source for all (bulk writers such as the hourly rating)."""
    global _last_ms, _seq
    if count <= 0:
        return []
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            first = _seq + 1
        else:
            first = 0
            _last_ms = ms
        _seq = first + count - 1
    # The layout of ``new_id`` in hex: 12 digits of milliseconds, the version 7 and 3 digits
    # of sequence, then 16 random digits whose first carries the variant bits 10.
    stamp = f"{ms & ((1 << 48) - 1):012x}7"
    tails = secrets.token_bytes(8 * count).hex()
    return [
        f"{stamp}{(first + i) & 0xFFF:03x}{_VARIANT[tails[16 * i]]}{tails[16 * i + 1 : 16 * i + 16]}"
        for i in range(count)
    ]


#: A random hex digit → the digit with the UUID variant bits 10 in its top two bits.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def new_domain_id() -> str:
    """A random 32-hex account id (the reference's ``domain_id`` / ``customer_id`` shape)."""
    return uuid.uuid4().hex


def new_access_key() -> str:
    """A 20-character upper-case alphanumeric access key id."""
    return "".join(secrets.choice(_AK_ALPHABET) for _ in range(20))


def new_secret(length: int = 40) -> str:
    """A random secret of ``length`` alphanumeric characters (secret keys, passwords)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))
