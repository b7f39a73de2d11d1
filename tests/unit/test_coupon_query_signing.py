"""``list_partner_coupons_record`` sends ``operation_types`` and ``coupon_ids`` as repeated query
keys (collection format ``multi``). The SDK signs them sorted by key, then by value; the gateway
must canonicalise the received query string the same way, whatever order the keys arrive in."""

from __future__ import annotations

from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from partner_center.http.signing import canonical_query


def sdk_canonical(query: list[tuple[str, object]]) -> str:
    request = SdkRequest(
        method="GET", schema="http", host="h", resource_path="/", query_params=query
    )
    return str(Signer.process_canonical_query_string(request))


def test_repeated_keys_canonicalise_like_the_sdk() -> None:
    query: list[tuple[str, object]] = [
        ("operation_types", ["2", "1"]),
        ("coupon_ids", ["c-b", "c a"]),
        ("limit", 10),
    ]
    expected = sdk_canonical(query)
    assert expected == (
        "coupon_ids=c%20a&coupon_ids=c-b&limit=10&operation_types=1&operation_types=2"
    )
    # The wire order of repeated keys does not matter to the gateway.
    shuffled = "operation_types=2&limit=10&coupon_ids=c-b&operation_types=1&coupon_ids=c%20a"
    assert canonical_query(shuffled) == expected
    assert canonical_query(expected) == expected


def test_two_values_of_one_key_are_both_signed() -> None:
    one = canonical_query("operation_types=1")
    two = canonical_query("operation_types=1&operation_types=2")
    assert one != two
    assert two == sdk_canonical([("operation_types", ["1", "2"])])
