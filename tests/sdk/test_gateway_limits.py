"""The gateway authenticates from the headers before it reads a byte of the body, and reads a
body only up to its limit (issue 8): 16 KiB for operations, 64 KiB for the usage upload on this
module's server. Proven with a plain-socket client that sends its headers and then stalls (an
answer then cannot have come from reading the body) or streams a body chunk by chunk."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import parse_utc
from partner_center.provisioning import Credentials, import_demo_catalog
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, fresh_server, unique
from tests.sdk.test_balance_helpers import cash, customer_balances, funded, operator
from tests.sdk.test_usage import HOUR, hour_text, ready, vm
from tests.signed import chunked, raw_exchange, signed_headers, signed_request, split

BODY_LIMIT = 16 * 1024
UPLOAD_LIMIT = 64 * 1024
QUERY = "/v2/partners/sub-customers/query"
ADJUST = "/v2/accounts/partner-accounts/adjust-amount"
INGEST = "/v1/partner-center/usage/records"
#: What the clients below declare, or could stream, and never get to send.
HUGE = 100_000_000


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with fresh_server(max_body_bytes=BODY_LIMIT, max_upload_bytes=UPLOAD_LIMIT) as live:
        live._call(load_demo_catalog)
        yield live


async def load_demo_catalog(state: AppState) -> None:
    await import_demo_catalog(state)


def host(server: LiveServer) -> str:
    return server.url.split("://", 1)[1]


def stranger_headers(server: LiveServer, csp: Partner, case: str) -> dict[str, str]:
    """Headers that fail authentication in one way, before any body."""
    if case == "no credentials":
        return {"host": host(server), "content-type": "application/json"}
    if case == "unknown IAM token":
        return {"host": host(server), "content-type": "application/json", "x-auth-token": "x" * 64}
    if case == "malformed Authorization":
        return {
            "host": host(server),
            "x-sdk-date": "20260101T000000Z",
            "authorization": "SDK-HMAC-SHA256 garbage",
        }
    creds = csp.creds
    options: dict[str, Any] = {}
    if case == "unknown access key":
        creds = Credentials(csp.id, "x", "UNKNOWNAK00000000000", "s" * 40)
    elif case == "expired X-Sdk-Date":
        options["date_shift"] = timedelta(minutes=-16)
    elif case == "X-Domain-Id of another account":
        options["extra_headers"] = {"X-Domain-Id": "0" * 32}
    return signed_headers(server.url, creds, "POST", QUERY, body=b"{}", **options)


@pytest.mark.parametrize(
    "case",
    [
        "no credentials",
        "unknown IAM token",
        "malformed Authorization",
        "unknown access key",
        "expired X-Sdk-Date",
        "X-Domain-Id of another account",
    ],
)
def test_no_body_byte_is_read_before_the_headers_authenticate(
    server: LiveServer, csp: Partner, case: str
) -> None:
    headers = {**stranger_headers(server, csp, case), "content-length": str(HUGE)}
    answer = raw_exchange(server.url, "POST", QUERY, headers)
    assert answer.sent == 0
    assert answer.status == 401, answer.body
    assert answer.body["error_code"] in {"APIG.0301", "CBC.0154"}


def test_a_declared_oversize_body_is_413_before_it_is_read(
    server: LiveServer, csp: Partner
) -> None:
    headers = signed_headers(server.url, csp.creds, "POST", QUERY, body=b"{}")
    answer = raw_exchange(
        server.url, "POST", QUERY, {**headers, "content-length": str(BODY_LIMIT + 1)}
    )
    assert (answer.status, answer.sent) == (413, 0)
    assert answer.body == {
        "error_code": "APIG.0201",
        "error_msg": f"Request entity too large: this API takes at most {BODY_LIMIT} bytes.",
    }


def padded_query(size: int) -> Iterator[bytes]:
    """A ``size``-byte JSON body, made as it is sent: ``{"limit": 5`` + spaces + ``}``."""
    yield b'{"limit": 5'
    left = size - 12
    while left > 0:
        yield b" " * min(left, 64 * 1024)
        left -= 64 * 1024
    yield b"}"


def test_a_streamed_oversize_body_is_cut_off_as_it_arrives(
    server: LiveServer, csp: Partner
) -> None:
    """Chunked, so no length is declared: the server stops at the limit and answers while the
    client is still sending a 100 MB body (signed by its digest, as a streaming client would).
    A body within the limit, chunked or not, is read and its signature verified."""
    within = b'{"limit": 5' + b" " * (BODY_LIMIT - 20) + b"}"
    response = signed_request(server.url, csp.creds, "POST", QUERY, body=within)
    assert response.status_code == 200, response.text
    streamed = raw_exchange(
        server.url,
        "POST",
        QUERY,
        {
            **signed_headers(server.url, csp.creds, "POST", QUERY, body=within),
            "transfer-encoding": "chunked",
        },
        feed=chunked(split(within, 1000)),
    )
    assert streamed.status == 200, streamed.body

    digest = hashlib.sha256()
    for piece in padded_query(HUGE):
        digest.update(piece)
    headers = signed_headers(
        server.url,
        csp.creds,
        "POST",
        QUERY,
        body=b"streamed",
        extra_headers={"x-sdk-content-sha256": digest.hexdigest()},
    )
    answer = raw_exchange(
        server.url,
        "POST",
        QUERY,
        {**headers, "transfer-encoding": "chunked"},
        feed=chunked(padded_query(HUGE)),
    )
    assert answer.status == 413, answer.body
    assert answer.body["error_code"] == "APIG.0201"
    assert answer.sent < HUGE // 2


def test_an_oversize_allocation_moves_no_money(server: LiveServer) -> None:
    csp = server.partner(PartnerType.CSP)
    customer = server.customer(csp).account_id
    funded(server, csp, "10.00")

    def allocation(padding: int) -> bytes:
        return json.dumps({"customer_id": customer, "amount": 1, "remark": "x" * padding}).encode()

    refused = signed_request(server.url, csp.creds, "POST", ADJUST, body=allocation(BODY_LIMIT))
    assert (refused.status_code, refused.json()["error_code"]) == (413, "APIG.0201")
    assert cash(server, csp) == Decimal("10.00")
    assert customer_balances(server, csp, customer)[customer]["amount"] == Decimal("0.00")
    # The same allocation within the limit goes through.
    accepted = signed_request(server.url, csp.creds, "POST", ADJUST, body=allocation(100))
    assert accepted.status_code == 200, accepted.text
    assert cash(server, csp) == Decimal("9.00")


def test_only_the_usage_upload_takes_more_and_an_oversize_one_stores_nothing(
    server: LiveServer,
) -> None:
    csp = server.partner(PartnerType.CSP)
    customer = ready(server, csp)
    machine = vm(server, customer)["resource_id"]
    now = signed_request(server.url, operator(server), "GET", "/v1/sandbox/clock").json()["now"]
    hour = hour_text(parse_utc(now))

    def records(count: int) -> list[dict[str, Any]]:
        return [
            {
                "record_id": unique("r"),
                "resource_id": machine,
                "usage_type": "Duration",
                "usage_hour": hour,
                "quantity": "0.001",
                "measure_id": HOUR,
            }
            for _ in range(count)
        ]

    def lines(batch: list[dict[str, Any]]) -> bytes:
        return "\n".join(json.dumps(r) for r in batch).encode()

    ops = operator(server)
    # Between the two limits: an operation refuses it, the upload takes it.
    middle = records(150)
    assert BODY_LIMIT < len(lines(middle)) < UPLOAD_LIMIT
    padded = json.dumps({"limit": 5, "padding": lines(middle).decode()}).encode()
    assert signed_request(server.url, csp.creds, "POST", QUERY, body=padded).status_code == 413
    taken = signed_request(server.url, ops, "POST", INGEST, body=lines(middle))
    assert taken.status_code == 200, taken.text
    assert taken.json()["accepted"] == len(middle)

    # Over the upload limit: refused, and none of its records was stored — they are all new
    # when sent again in parts.
    big = records(600)
    assert len(lines(big)) > UPLOAD_LIMIT
    refused = signed_request(server.url, ops, "POST", INGEST, body=lines(big))
    assert (refused.status_code, refused.json()["error_code"]) == (413, "APIG.0201")
    accepted = 0
    for start in range(0, len(big), 200):
        part = signed_request(server.url, ops, "POST", INGEST, body=lines(big[start : start + 200]))
        assert part.status_code == 200, part.text
        assert part.json()["duplicates"] == 0
        accepted += part.json()["accepted"]
    assert accepted == len(big)
