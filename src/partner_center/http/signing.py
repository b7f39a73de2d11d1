"""SDK-HMAC-SHA256, exactly as ``huaweicloudsdkcore/signer/signer.py`` signs
(api-semantics.md §4.2). Pure functions: the gateway verifies, tests and tools sign.

The payload hash is where a verifier can go wrong. The SDK signs (``_process_hash_payload``):
the empty-body hash for an empty body, whatever the headers say; else the value of
``X-Sdk-Content-Sha256`` if the request has one (``UNSIGNED-PAYLOAD``, which the SDK adds
itself for any Content-Type but ``application/json``/``application/bson``, or a hex digest a
caller set); else the SHA-256 of the body. The SDK signs every header it sends, that one
included. The verifier (``received_payload_hash``) always starts from the body it received:
an ``X-Sdk-Content-Sha256`` outside the signed headers is ignored, a signed hex digest must be
the received body's, and ``UNSIGNED-PAYLOAD`` is honoured only where the operation allows it
(uploads with a non-JSON body). So a captured request's body cannot be exchanged.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
CONTENT_SHA256_HEADER = "x-sdk-content-sha256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class SignatureFormatError(ValueError):
    """The Authorization header or X-Sdk-Date cannot be parsed."""


class PayloadNotAuthenticated(SignatureFormatError):
    """The signature cannot cover the body received: an unsigned payload where the operation
    needs a signed one, or a signed body digest that is not the received body's."""


@dataclass(frozen=True, slots=True)
class AuthorizationHeader:
    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> AuthorizationHeader:
    """Parse ``SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex``."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SignatureFormatError(f"unsupported signing algorithm {algorithm!r}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            raise SignatureFormatError("malformed Authorization header")
        fields[key] = val
    try:
        access = fields["Access"]
        signed = tuple(fields["SignedHeaders"].split(";"))
        signature = fields["Signature"]
    except KeyError as exc:
        raise SignatureFormatError(f"Authorization header lacks {exc.args[0]}") from exc
    if not access or not signature or not all(signed):
        raise SignatureFormatError("malformed Authorization header")
    return AuthorizationHeader(access, signed, signature)


def parse_sdk_date(value: str) -> datetime:
    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise SignatureFormatError("X-Sdk-Date must look like 20261129T070008Z") from exc


def canonical_uri(raw_path: str) -> str:
    path = "/".join(quote(segment, safe="~") for segment in unquote(raw_path).split("/"))
    return path if path.endswith("/") else path + "/"


def canonical_query(raw_query: str) -> str:
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)


def canonical_request(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    signed_headers: tuple[str, ...],
    payload_hash: str,
) -> str:
    """``headers`` maps lower-case names to values as received."""
    canonical_headers = "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed_headers)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path),
            canonical_query(raw_query),
            canonical_headers,
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def sdk_marks_unsigned(content_type: str | None) -> bool:
    """Whether the SDK sends ``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`` with this Content-Type
    (``Signer._process_content_header``: any type but JSON and BSON)."""
    if not content_type:
        return False
    return not content_type.startswith(("application/json", "application/bson"))


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest() if body else EMPTY_BODY_SHA256


def sdk_payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    """The payload hash the SDK signs for ``body`` sent with ``headers`` (lower-case names)."""
    if not body:
        return EMPTY_BODY_SHA256
    return headers.get(CONTENT_SHA256_HEADER) or body_sha256(body)


def received_payload_hash(
    body: bytes,
    headers: Mapping[str, str],
    signed_headers: tuple[str, ...],
    *,
    unsigned_allowed: bool,
) -> str:
    """The payload hash to verify a signature with, from the body actually received.

    Raises:
        PayloadNotAuthenticated: ``UNSIGNED-PAYLOAD`` where ``unsigned_allowed`` is false, or a
            signed digest that differs from the received body's.
    """
    if not body:
        return EMPTY_BODY_SHA256
    actual = body_sha256(body)
    if CONTENT_SHA256_HEADER not in signed_headers:
        return actual
    declared = headers.get(CONTENT_SHA256_HEADER, "").strip()
    if declared == UNSIGNED_PAYLOAD:
        if not unsigned_allowed:
            raise PayloadNotAuthenticated(
                "this API needs a signed body: send it as application/json, without "
                "X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD."
            )
        return UNSIGNED_PAYLOAD
    if not hmac.compare_digest(declared.lower().encode(), actual.encode()):
        raise PayloadNotAuthenticated("X-Sdk-Content-Sha256 is not the SHA-256 of the body.")
    return declared


def string_to_sign(sdk_date: str, creq: str) -> str:
    return "\n".join([ALGORITHM, sdk_date, hashlib.sha256(creq.encode()).hexdigest()])


def compute_signature(secret_key: str, sts: str) -> str:
    return hmac.new(secret_key.encode(), sts.encode(), hashlib.sha256).hexdigest()


def signature_matches(expected: str, given: str) -> bool:
    """Constant-time comparison of hex signatures."""
    return hmac.compare_digest(expected.encode(), given.lower().encode())


def signature_valid(
    *,
    authorization: AuthorizationHeader,
    secret_key: str,
    sdk_date: str,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    unsigned_allowed: bool,
) -> bool:
    """Whether ``authorization`` signs this request as received (``headers``: lower-case names
    → values as received; ``body``: the bytes received).

    Raises:
        PayloadNotAuthenticated: see ``received_payload_hash``.
    """
    creq = canonical_request(
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=headers,
        signed_headers=authorization.signed_headers,
        payload_hash=received_payload_hash(
            body, headers, authorization.signed_headers, unsigned_allowed=unsigned_allowed
        ),
    )
    expected = compute_signature(secret_key, string_to_sign(sdk_date, creq))
    return signature_matches(expected, authorization.signature)


def sign_request(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
) -> str:
    """The Authorization header value for a request whose signable headers are ``headers``
    (lower-case names; must include host and x-sdk-date), signed as the SDK signs (the payload
    hash by ``sdk_payload_hash``). Used by tools and tests."""
    signed = tuple(sorted(h for h in headers if "_" not in h))
    creq = canonical_request(
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=headers,
        signed_headers=signed,
        payload_hash=sdk_payload_hash(body, headers),
    )
    signature = compute_signature(secret_key, string_to_sign(headers["x-sdk-date"], creq))
    return (
        f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(signed)}, Signature={signature}"
    )
