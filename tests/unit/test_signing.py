"""Our canonicalisation against the official SDK's signer: same inputs, same signature."""

from __future__ import annotations

from typing import Any

from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from partner_center.http import signing


def sdk_sign(
    method: str, path: str, query: list[tuple[str, Any]], body: str, headers: dict[str, str]
) -> dict[str, str]:
    request = SdkRequest(
        method=method,
        schema="http",
        host="127.0.0.1:8999",
        resource_path=path,
        query_params=query,
        header_params=dict(headers),
        body=body,
    )
    signed = Signer(GlobalCredentials("AKTEST123", "SKsecret", "domain-1")).sign(request)
    return {k.lower(): v for k, v in signed.header_params.items()}


def verify(
    method: str, raw_path: str, raw_query: str, body: bytes, headers: dict[str, str]
) -> bool:
    header = signing.parse_authorization(headers["authorization"])
    creq = signing.canonical_request(
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=headers,
        signed_headers=header.signed_headers,
        body=body,
    )
    expected = signing.compute_signature(
        "SKsecret", signing.string_to_sign(headers["x-sdk-date"], creq)
    )
    return signing.signature_matches(expected, header.signature)


def test_post_with_json_body_matches_sdk() -> None:
    body = '{"customer_id": "c-1", "budget_amount": 100.50, "budget_type": "MONTHLY"}'
    headers = sdk_sign(
        "POST",
        "/v2/partners/sub-customers/budget",
        [],
        body,
        {"Content-Type": "application/json", "X-Domain-Id": "domain-1"},
    )
    assert headers["authorization"].startswith("SDK-HMAC-SHA256 Access=AKTEST123, SignedHeaders=")
    assert verify("POST", "/v2/partners/sub-customers/budget", "", body.encode(), headers)
    assert not verify(
        "POST", "/v2/partners/sub-customers/budget", "", body.encode() + b" ", headers
    )


def test_get_with_encoded_query_matches_sdk() -> None:
    query = [("indirect_partner_id", "ip 1/x"), ("customer_id", "c1"), ("limit", 20)]
    headers = sdk_sign(
        "GET", "/v2/orders/customer-orders", query, "", {"Content-Type": "application/json"}
    )
    raw_query = "customer_id=c1&indirect_partner_id=ip%201%2Fx&limit=20"
    assert verify("GET", "/v2/orders/customer-orders", raw_query, b"", headers)
    assert not verify(
        "GET", "/v2/orders/customer-orders", raw_query.replace("20", "21"), b"", headers
    )


def test_our_signer_produces_what_we_verify() -> None:
    headers = {"host": "h:1", "x-sdk-date": "20261129T070008Z", "content-type": "application/json"}
    auth = signing.sign_request(
        method="POST",
        raw_path="/a/b",
        raw_query="",
        headers=headers,
        body=b"{}",
        access_key="AK",
        secret_key="SKsecret",
    )
    assert verify("POST", "/a/b", "", b"{}", {**headers, "authorization": auth})


def test_canonical_uri_appends_slash_and_escapes() -> None:
    assert signing.canonical_uri("/v2/partners/sub-customers/query") == (
        "/v2/partners/sub-customers/query/"
    )
    assert signing.canonical_uri("/v1.0/a%20b/") == "/v1.0/a%20b/"


def test_malformed_authorization_is_rejected() -> None:
    for value in ("Bearer x", "SDK-HMAC-SHA256 Access=AK", "SDK-HMAC-SHA256 garbage"):
        try:
            signing.parse_authorization(value)
        except signing.SignatureFormatError:
            continue
        raise AssertionError(value)
