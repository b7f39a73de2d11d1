"""Raw signed requests for tests that must tamper with what the SDK would send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from partner_center.http.signing import DATE_FORMAT, sign_request
from partner_center.provisioning import Credentials


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
    date_shift: timedelta = timedelta(0),
    secret_key: str | None = None,
    extra_headers: dict[str, str] | None = None,
    client: httpx.Client | None = None,
) -> httpx.Response:
    """Sign (path, query, body) as the SDK does, then send ``sent_*`` instead if given."""
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
    q = sent_query if sent_query is not None else query
    url = f"{base_url}{path}" + (f"?{q}" if q else "")
    send_headers: dict[str, Any] = {**headers, "authorization": authorization}
    content = sent_body if sent_body is not None else body
    if client is not None:
        return client.request(method, url, headers=send_headers, content=content)
    # A loaded machine may take longer than httpx's 5 s default to answer a burst.
    return httpx.request(method, url, headers=send_headers, content=content, timeout=60)
