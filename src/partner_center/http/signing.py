"""SDK-HMAC-SHA256, exactly as ``huaweicloudsdkcore/signer/signer.py`` signs
(api-semantics.md §4.2). Pure functions: the gateway verifies, tests and tools sign."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


class SignatureFormatError(ValueError):
    """The Authorization header or X-Sdk-Date cannot be parsed."""


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
    headers: dict[str, str],
    signed_headers: tuple[str, ...],
    body: bytes,
) -> str:
    """``headers`` maps lower-case names to values as received."""
    canonical_headers = "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed_headers)
    payload_hash = headers.get("x-sdk-content-sha256") or (
        hashlib.sha256(body).hexdigest() if body else EMPTY_BODY_SHA256
    )
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


def string_to_sign(sdk_date: str, creq: str) -> str:
    return "\n".join([ALGORITHM, sdk_date, hashlib.sha256(creq.encode()).hexdigest()])


def compute_signature(secret_key: str, sts: str) -> str:
    return hmac.new(secret_key.encode(), sts.encode(), hashlib.sha256).hexdigest()


def signature_matches(expected: str, given: str) -> bool:
    """Constant-time comparison of hex signatures."""
    return hmac.compare_digest(expected.encode(), given.lower().encode())


def sign_request(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
) -> str:
    """The Authorization header value for a request whose signable headers are ``headers``
    (lower-case names; must include host and x-sdk-date). Used by tools and tests."""
    signed = tuple(sorted(h for h in headers if "_" not in h))
    creq = canonical_request(
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        headers=headers,
        signed_headers=signed,
        body=body,
    )
    signature = compute_signature(secret_key, string_to_sign(headers["x-sdk-date"], creq))
    return (
        f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(signed)}, Signature={signature}"
    )
