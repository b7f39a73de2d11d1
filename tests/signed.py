"""Raw signed requests for tests that must tamper with what the SDK would send: our signer
(``signed_request``, ``signed_headers``), requests captured from the official SDK's own
builder (``sdk_capture``, ``Captured``), and a plain-socket client that can stall or stream a
body (``raw_exchange``)."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import requests
from huaweicloudsdkcore.sdk_request import SdkRequest

from partner_center.http.signing import DATE_FORMAT, sign_request
from partner_center.provisioning import Credentials


def signed_headers(
    base_url: str,
    creds: Credentials,
    method: str,
    path: str,
    *,
    query: str = "",
    body: bytes = b"",
    date_shift: timedelta = timedelta(0),
    secret_key: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """The headers, Authorization included, of (path, query, body) signed as the SDK does."""
    host = base_url.split("://", 1)[1]
    headers = {
        "content-type": "application/json",
        "host": host,
        "user-agent": "partner-center-tests",
        "x-domain-id": creds.account_id,
        "x-sdk-date": (datetime.now(UTC) + date_shift).strftime(DATE_FORMAT),
        **{k.lower(): v for k, v in (extra_headers or {}).items()},
    }
    authorization = sign_request(
        method=method,
        raw_path=path,
        raw_query=query,
        headers=headers,
        body=body,
        access_key=creds.access_key,
        secret_key=secret_key or creds.secret_key,
    )
    return {**headers, "authorization": authorization}


def signed_request(
    base_url: str,
    creds: Credentials,
    method: str,
    path: str,
    *,
    query: str = "",
    body: bytes = b"",
    sent_body: bytes | None = None,
    sent_query: str | None = None,
    client: httpx.Client | None = None,
    **signing: Any,
) -> httpx.Response:
    """Sign (path, query, body) as the SDK does (``signing``: the further options of
    ``signed_headers``), then send ``sent_*`` instead if given."""
    headers = signed_headers(base_url, creds, method, path, query=query, body=body, **signing)
    q = sent_query if sent_query is not None else query
    url = f"{base_url}{path}" + (f"?{q}" if q else "")
    content = sent_body if sent_body is not None else body
    if client is not None:
        return client.request(method, url, headers=headers, content=content)
    # A loaded machine may take longer than httpx's 5 s default to answer a burst.
    return httpx.request(method, url, headers=headers, content=content, timeout=60)


def sdk_wire_body(request: SdkRequest) -> bytes:
    """The body of an SDK request as its transport (``requests``) puts it on the wire."""
    body = request.body
    if hasattr(body, "read"):  # a file, or the multipart encoder
        body = body.read()
    prepared = requests.Request(
        request.method, request.url, headers=request.header_params, data=body
    ).prepare()
    raw = prepared.body or b""
    return raw.encode() if isinstance(raw, str) else raw


def sdk_build(
    client: Any,
    method: str,
    path: str,
    *,
    content_type: str | None = "application/json",
    body: Any = None,
    query: list[tuple[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> SdkRequest:
    """A request exactly as the official SDK ``client`` builds and signs it: the body turned
    into what goes on the wire for the content type, then signed."""
    params = {**({"Content-Type": content_type} if content_type else {}), **(headers or {})}
    request: SdkRequest = client.build_future_request(
        method, path, None, query or [], params, body, None, None, None, {}, None
    ).result()
    return request


@dataclass(frozen=True)
class Captured:
    """A request as the official SDK signed and sent it: what an eavesdropper could record
    and replay, as is or tampered with."""

    base_url: str
    method: str
    uri: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def of(cls, request: SdkRequest, base_url: str) -> Captured:
        return cls(
            base_url,
            request.method,
            request.uri,
            tuple((k, str(v)) for k, v in request.header_params.items()),
            sdk_wire_body(request),
        )

    def with_header(self, name: str, value: str, *, first: bool = False) -> Captured:
        """Another header added (unsigned): at the end, or before all the others."""
        added = ((name, value),)
        return replace(self, headers=added + self.headers if first else self.headers + added)

    def with_headers_changed(self, **values: str) -> Captured:
        """Header values replaced (names in lower case, ``_`` for ``-``)."""
        wanted = {k.replace("_", "-"): v for k, v in values.items()}
        return replace(self, headers=tuple((k, wanted.get(k.lower(), v)) for k, v in self.headers))

    def send(self, client: httpx.Client | None = None) -> httpx.Response:
        url = self.base_url + self.uri
        if client is not None:
            return client.request(self.method, url, headers=list(self.headers), content=self.body)
        return httpx.request(self.method, url, headers=list(self.headers), content=self.body)


def sdk_capture(client: Any, base_url: str, method: str, path: str, **options: Any) -> Captured:
    """``sdk_build`` recorded as a ``Captured`` request (not sent)."""
    return Captured.of(sdk_build(client, method, path, **options), base_url)


@dataclass
class RawAnswer:
    status: int
    body: dict[str, Any]
    sent: int
    """Body bytes the client had sent when the answer came."""


def raw_exchange(
    base_url: str,
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    feed: Iterable[bytes] = (),
    timeout: float = 30,
) -> RawAnswer:
    """Send the request line and ``headers`` over a plain socket, then the ``feed`` chunks one
    at a time while the server has not answered; return its answer and how much was sent.

    With an empty ``feed`` the client stalls after the headers: an answer then proves the
    server decided without reading any of the body (``timeout`` only bounds a failing test)."""
    host, _, port = base_url.split("://", 1)[1].partition(":")
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    received = b""
    sent = 0
    pending = iter(feed)
    chunk: bytes | None = next(pending, None)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall((head + "\r\n").encode("latin-1"))
        while not _complete(received):
            writers = [sock] if chunk is not None else []
            readable, writable, _ = select.select([sock], writers, [], timeout)
            if not readable and not writable:
                raise TimeoutError(f"no answer after {timeout} s ({sent} body bytes sent)")
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                received += data
            elif chunk is not None:
                try:
                    count = sock.send(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    chunk = None
                    continue
                sent += count
                chunk = chunk[count:] or next(pending, None)
    status_line, _, rest = received.partition(b"\r\n")
    _, _, body = rest.partition(b"\r\n\r\n")
    return RawAnswer(int(status_line.split()[1]), json.loads(body) if body else {}, sent)


def _complete(received: bytes) -> bool:
    head, sep, body = received.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def chunked(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """``pieces`` in HTTP/1.1 chunked transfer coding, one chunk each."""
    for piece in pieces:
        if piece:
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def split(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
