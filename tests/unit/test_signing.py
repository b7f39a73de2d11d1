"""Our verification against the official SDK's signer: every content type and body shape the
SDK's request builder produces is accepted where it should be, and no signature covers a body
it did not sign (``signing.signature_valid`` is exactly what the gateway runs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from huaweicloudsdkbssintl.v2 import BssintlClient
from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkcore.http.formdata import FormFile
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from partner_center.http import signing
from partner_center.http.wire import JSON_PAYLOAD, Payload
from tests.signed import sdk_build, sdk_wire_body

AK, SK, DOMAIN = "AKTEST123", "SKsecret", "domain-1"
UPLOAD = Payload(media_types=("application/x-ndjson",), upload=True)


def sdk_client(*, ignore_get_content_type: bool = False) -> Any:
    config = HttpConfig.get_default_config()
    config.ignore_content_type_for_get_request = ignore_get_content_type
    return (
        BssintlClient.new_builder()
        .with_http_config(config)
        .with_credentials(GlobalCredentials(AK, SK, DOMAIN))
        .with_endpoint("http://127.0.0.1:8999")
        .build()
    )


def build(
    method: str,
    path: str,
    *,
    ignore_get_content_type: bool = False,
    **options: Any,
) -> SdkRequest:
    return sdk_build(
        sdk_client(ignore_get_content_type=ignore_get_content_type), method, path, **options
    )


@dataclass
class Received:
    """What the server receives for an SDK request: header values, raw path/query, body."""

    method: str
    raw_path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes


def on_the_wire(request: SdkRequest) -> Received:
    """What the server receives when the SDK's transport sends ``request``."""
    path, _, query = request.uri.partition("?")
    return Received(
        method=request.method,
        raw_path=path,
        raw_query=query,
        headers={k.lower(): v for k, v in request.header_params.items()},
        body=sdk_wire_body(request),
    )


def accepted(received: Received, payload: Payload = JSON_PAYLOAD) -> bool:
    """The gateway's verdict, computed with the gateway's own function."""
    authorization = signing.parse_authorization(received.headers["authorization"])
    return signing.signature_valid(
        authorization=authorization,
        secret_key=SK,
        sdk_date=received.headers["x-sdk-date"],
        method=received.method,
        raw_path=received.raw_path,
        raw_query=received.raw_query,
        headers=received.headers,
        body=received.body,
        unsigned_allowed=payload.accepts_unsigned(received.headers.get("content-type")),
    )


def refused(received: Received, payload: Payload = JSON_PAYLOAD) -> bool:
    """Whether the gateway answers 401: a signature mismatch or an unauthenticated payload."""
    try:
        return not accepted(received, payload)
    except signing.PayloadNotAuthenticated:
        return True


def tampered(received: Received, body: bytes) -> Received:
    return Received(received.method, received.raw_path, received.raw_query, received.headers, body)


JSON_BODY = {"customer_id": "c-1", "amount": 0.01, "indirect_partner_id": None}

# (id, method, content type, body as the SDK's caller hands it, extra builder options)
SIGNED_SHAPES: list[tuple[str, str, str | None, Any, dict[str, Any]]] = [
    ("json-object", "POST", "application/json", JSON_BODY, {}),
    ("json-string", "POST", "application/json", '{"limit": 5}', {}),
    ("json-empty-object", "POST", "application/json", {}, {}),
    ("json-array", "POST", "application/json", [{"a": 1}, {"b": "é"}], {}),
    ("json-charset", "POST", "application/json;charset=utf8", {"auth": {"x": 1}}, {}),
    ("json-get-no-body", "GET", "application/json", None, {}),
    ("json-delete-no-body", "DELETE", "application/json", None, {}),
    ("get-without-content-type", "GET", None, None, {"ignore_get_content_type": True}),
    ("bson", "POST", "application/bson", {"limit": 5}, {}),
    # The SDK adds UNSIGNED-PAYLOAD for these, but an empty body still signs the empty hash.
    ("text-get-empty", "GET", "text/plain", None, {}),
    ("text-delete-empty", "DELETE", "text/plain", None, {}),
    ("form-empty", "DELETE", "application/x-www-form-urlencoded", {}, {}),
]


def usage_file(directory: Path) -> BinaryIO:
    path = directory / "usage.csv"
    path.write_bytes(b"record_id,quantity\nr1,1\n")
    return path.open("rb")


# Bodies the SDK leaves unsigned (X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD, signed); each made
# from a scratch directory, as files must be real and opened "rb".
UNSIGNED_SHAPES: list[tuple[str, str, str, Callable[[Path], Any]]] = [
    ("text-json", "POST", "text/plain", lambda _: json.dumps(JSON_BODY)),
    ("ndjson", "POST", "application/x-ndjson", lambda _: '{"a": 1}\n{"a": 2}\n'),
    (
        "form",
        "POST",
        "application/x-www-form-urlencoded",
        lambda _: {"customer_id": "c-1", "ok": True},
    ),
    ("xml", "POST", "application/xml", lambda _: "<a>1</a>"),
    ("octet-stream", "PUT", "application/octet-stream", usage_file),
    ("multipart-fields", "POST", "multipart/form-data", lambda _: {"name": "x", "flag": False}),
    (
        "multipart-file",
        "POST",
        "multipart/form-data",
        lambda d: {"file": FormFile(usage_file(d), "text/csv"), "kind": "usage"},
    ),
    ("multipart-empty", "POST", "multipart/form-data", lambda _: {}),
]


@pytest.mark.parametrize(
    ("method", "content_type", "body", "options"),
    [shape[1:] for shape in SIGNED_SHAPES],
    ids=[shape[0] for shape in SIGNED_SHAPES],
)
def test_every_signed_sdk_request_is_accepted(
    method: str, content_type: str | None, body: Any, options: dict[str, Any]
) -> None:
    query = [("offset", 0), ("name", "a b/c")]
    received = on_the_wire(
        build(method, "/v2/x/y", content_type=content_type, body=body, query=query, **options)
    )
    assert accepted(received)
    assert accepted(received, UPLOAD)
    # A body the SDK did not send is refused: hashed, or (where it signed the empty hash)
    # no longer empty.
    assert refused(tampered(received, received.body + b" "))
    assert refused(tampered(received, received.body + b" "), UPLOAD)


def test_an_empty_body_with_unsigned_payload_header_signs_the_empty_hash() -> None:
    """Issue 8 point 2: the SDK hashes the empty body before looking at its own header."""
    request = build("GET", "/v3/auth/domains", content_type="text/plain")
    received = on_the_wire(request)
    assert received.headers["x-sdk-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert (
        "x-sdk-content-sha256"
        in signing.parse_authorization(received.headers["authorization"]).signed_headers
    )
    assert received.body == b""
    assert accepted(received)


@pytest.mark.parametrize(
    ("method", "content_type", "body"),
    [shape[1:] for shape in UNSIGNED_SHAPES],
    ids=[shape[0] for shape in UNSIGNED_SHAPES],
)
def test_unsigned_sdk_payloads_only_for_uploads(
    method: str, content_type: str, body: Callable[[Path], Any], tmp_path: Path
) -> None:
    value = body(tmp_path)  # held: a FormFile closes its file when collected
    received = on_the_wire(build(method, "/v1/upload", content_type=content_type, body=value))
    assert received.body
    assert received.headers["x-sdk-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert accepted(received, UPLOAD)
    with pytest.raises(signing.PayloadNotAuthenticated):
        accepted(received)


def test_unsigned_payload_with_a_json_content_type_is_refused_even_for_uploads() -> None:
    """The SDK never sends it (a JSON body is always hashed); a caller who sets it gets 401."""
    received = on_the_wire(
        build(
            "POST",
            "/v1/upload",
            body='[{"a": 1}]',
            headers={"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"},
        )
    )
    with pytest.raises(signing.PayloadNotAuthenticated):
        accepted(received, UPLOAD)


def test_a_digest_the_caller_sets_is_checked_against_the_body() -> None:
    body = json.dumps(JSON_BODY).encode()
    digest = signing.body_sha256(body)
    received = on_the_wire(
        build("POST", "/v2/x", body=body.decode(), headers={"X-Sdk-Content-Sha256": digest})
    )
    assert accepted(received)
    with pytest.raises(signing.PayloadNotAuthenticated):
        accepted(tampered(received, body.replace(b"0.01", b"2.00")))


def test_an_unsigned_digest_header_is_ignored() -> None:
    """The captured-request exploit: a body hash in a header outside SignedHeaders."""
    original = json.dumps({"customer_id": "x", "amount": "0.01"}).encode()
    swapped = json.dumps({"customer_id": "y", "amount": "2.00"}).encode()
    received = on_the_wire(build("POST", "/v2/x", body=original.decode()))
    assert "x-sdk-content-sha256" not in received.headers
    received.headers["x-sdk-content-sha256"] = signing.body_sha256(original)
    assert accepted(received)
    assert not accepted(tampered(received, swapped))


def test_a_signed_wrong_digest_is_refused_even_with_the_body_it_names() -> None:
    body = b'{"limit": 5}'
    received = on_the_wire(
        build(
            "POST",
            "/v2/x",
            body=body.decode(),
            headers={"X-Sdk-Content-Sha256": signing.body_sha256(b'{"limit": 6}')},
        )
    )
    with pytest.raises(signing.PayloadNotAuthenticated):
        accepted(received)


@pytest.mark.parametrize(
    "change",
    ["method", "path", "query", "content-type", "domain"],
)
def test_every_signed_part_is_covered(change: str) -> None:
    received = on_the_wire(
        build("POST", "/v2/x/y", body=JSON_BODY, query=[("offset", 0), ("limit", 10)])
    )
    assert accepted(received)
    if change == "method":
        received.method = "PUT"
    elif change == "path":
        received.raw_path = "/v2/x/z"
    elif change == "query":
        received.raw_query = "limit=10&offset=1"
    elif change == "content-type":
        received.headers["content-type"] = "text/plain"
    else:
        received.headers["x-domain-id"] = "domain-2"
    assert not accepted(received)


def test_our_signer_signs_as_the_sdk_does() -> None:
    headers = {
        "content-type": "text/plain",
        "host": "127.0.0.1:8999",
        "x-sdk-content-sha256": "UNSIGNED-PAYLOAD",
        "x-sdk-date": "20261129T070008Z",
    }
    for body in (b"", b"payload"):
        ours = signing.sign_request(
            method="POST",
            raw_path="/a/b",
            raw_query="k=v",
            headers=headers,
            body=body,
            access_key=AK,
            secret_key=SK,
        )
        request = SdkRequest(
            method="POST",
            schema="http",
            host="127.0.0.1:8999",
            resource_path="/a/b",
            query_params=[("k", "v")],
            header_params={
                "Content-Type": "text/plain",
                "X-Sdk-Date": "20261129T070008Z",
            },
            body=body,
        )
        theirs = Signer(GlobalCredentials(AK, SK)).sign(request).header_params["Authorization"]
        assert ours == theirs


def test_get_with_encoded_query_matches_sdk() -> None:
    query = [("indirect_partner_id", "ip 1/x"), ("customer_id", "c1"), ("limit", 20)]
    received = on_the_wire(build("GET", "/v2/orders/customer-orders", query=query))
    assert received.raw_query == "customer_id=c1&indirect_partner_id=ip%201%2Fx&limit=20"
    assert accepted(received)
    received.raw_query = received.raw_query.replace("20", "21")
    assert not accepted(received)


def test_canonical_uri_appends_slash_and_escapes() -> None:
    assert signing.canonical_uri("/v2/partners/sub-customers/query") == (
        "/v2/partners/sub-customers/query/"
    )
    assert signing.canonical_uri("/v1.0/a%20b/") == "/v1.0/a%20b/"


def test_malformed_authorization_is_rejected() -> None:
    for value in ("Bearer x", "SDK-HMAC-SHA256 Access=AK", "SDK-HMAC-SHA256 garbage"):
        with pytest.raises(signing.SignatureFormatError):
            signing.parse_authorization(value)
