"""The JSON decoder of request bodies and usage files: exact Decimals, and a nesting limit that
is measured before decoding, so no text makes it raise RecursionError (issue 8)."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_center.domains.usage.public import read_records, records_from_body
from partner_center.kernel import jsontext

# Strings full of what a careless scanner would count: brackets, quotes, backslashes.
tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\ aé\n/'), max_size=8)
documents = st.recursive(
    st.none() | st.booleans() | st.integers() | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=40,
)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


@given(documents, st.booleans())
def test_the_measured_depth_is_the_real_one(document: Any, ascii_only: bool) -> None:
    text = json.dumps(document, ensure_ascii=ascii_only)
    assert jsontext.nesting_depth(text.encode()) == depth(document)


@given(documents, st.integers(min_value=0, max_value=12))
def test_loads_decodes_within_the_limit_and_refuses_beyond(document: Any, limit: int) -> None:
    text = json.dumps(document)
    if depth(document) <= limit:
        assert jsontext.loads(text, max_depth=limit) == json.loads(text)
    else:
        with pytest.raises(jsontext.TooDeeplyNested):
            jsontext.loads(text, max_depth=limit)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,
        '{"a":' * 10_000 + "1" + "}" * 10_000,
        "[" * 100_000,  # unterminated
        '["\\\\", ' + "[" * 10_000 + "]" * 10_000 + "]",  # an escaped backslash before
        '"\\"' + "[" * 10_000,  # an open string that never closes, then brackets
        '"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",'
        + "[" * 10_000,  # closing brackets in a string to mask the depth
    ],
)
def test_ten_thousand_levels_never_raise_recursion_error(text: str) -> None:
    for data in (text, text.encode()):
        with pytest.raises(ValueError) as info:
            jsontext.loads(data)
        assert not isinstance(info.value, RecursionError)


def test_the_default_limit() -> None:
    assert jsontext.loads("[" * 64 + "]" * 64) is not None
    with pytest.raises(jsontext.TooDeeplyNested, match="deeper than 64 levels"):
        jsontext.loads("[" * 65 + "]" * 65)


def test_numbers_are_exact() -> None:
    assert jsontext.loads(b'{"amount": 0.10}') == {"amount": Decimal("0.10")}


def test_a_deep_usage_line_is_one_malformed_record() -> None:
    """The CLI import (``usage import FILE``) and the JSON-lines upload read lines this way."""
    good = '{"record_id": "r1", "resource_id": "vm", "quantity": "1"}'
    deep = '{"record_id": "r2", "quantity": ' + "[" * 10_000 + "]" * 10_000 + "}"
    records = list(read_records(io.StringIO(f"{good}\n{deep}\n{good}\n")))
    assert len(records) == 3
    assert records[1] == deep[:200]
    assert records[0] == records[2] and not isinstance(records[0], str)


def test_a_deep_usage_array_is_one_malformed_record() -> None:
    body = b"[" + b"[" * 10_000 + b"]" * 10_000 + b"]"
    assert list(records_from_body(body)) == [body.decode()[:200]]
