"""JSON text from outside (request bodies, usage files) decoded with exact Decimals and a nesting
limit.

The standard decoder recurses once per nesting level, so a body of ten thousand ``[`` raises
``RecursionError`` — an error nobody expects and that surfaces as a 500. ``loads`` measures
the nesting first and refuses anything deeper than ``MAX_DEPTH`` with ``TooDeeplyNested`` (a
``ValueError``, like any other malformed JSON). The measure runs at C speed: bracket counting
answers most texts at once, and the rest are reduced to their brackets outside strings with
``bytes`` methods, so measuring a 100 MB usage upload costs less than half of decoding it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from itertools import accumulate
from typing import Any

#: Deepest nesting of arrays and objects accepted (System.Text.Json's default). The deepest
#: request body the SDKs or IAM clients send nests 6 levels (a password sign-in).
MAX_DEPTH = 64

_KEPT = b'"[]{}'
_DROPPED = bytes(b for b in range(256) if b not in _KEPT)
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


class TooDeeplyNested(ValueError):
    """The JSON text nests arrays/objects deeper than allowed."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"arrays and objects nest deeper than {max_depth} levels")
        self.max_depth = max_depth


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in UTF-8 JSON text ``data``, brackets inside
    strings not counted. Exact for valid JSON; for invalid JSON only an estimate (the decoder
    refuses that text anyway)."""
    # Escaped backslashes go first, then escaped quotes: what is left of a string holds no
    # backslash-quote, so every remaining quote opens or closes a string. (UTF-8 never uses
    # the bytes of '"' or '\\' inside a multi-byte character.)
    skeleton = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _DROPPED)
    # Two adjacent quotes (an empty string, or one string's end and the next one's start with
    # no bracket between) can go without changing which brackets lie inside strings.
    skeleton = skeleton.replace(b'""', b"")
    if b'"' in skeleton:
        skeleton = b"".join(skeleton.split(b'"')[::2])
    return max(accumulate(map(_STEP.__getitem__, skeleton)), default=0)


def exceeds_depth(text: str | bytes, max_depth: int = MAX_DEPTH) -> bool:
    """Whether ``text`` nests deeper than ``max_depth``; cheap when it cannot."""
    if isinstance(text, str):
        if text.count("[") + text.count("{") <= max_depth:
            return False
        return nesting_depth(text.encode("utf-8", "surrogatepass")) > max_depth
    if text.count(b"[") + text.count(b"{") <= max_depth:
        return False
    return nesting_depth(text) > max_depth


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Decode JSON text (bytes: UTF-8), numbers with a fraction as exact ``Decimal``.

    Raises:
        TooDeeplyNested: arrays/objects nest deeper than ``max_depth``.
        ValueError: not JSON (``json.JSONDecodeError``) or not UTF-8 (``UnicodeDecodeError``).
    """
    decoded = text.decode("utf-8") if isinstance(text, bytes) else text
    if exceeds_depth(text, max_depth):
        raise TooDeeplyNested(max_depth)
    try:
        return json.loads(decoded, parse_float=Decimal)
    except RecursionError as exc:
        # Only malformed text the measure misjudged can get here; it is refused all the same.
        raise TooDeeplyNested(max_depth) from exc
