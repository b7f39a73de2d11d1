"""Replaying what the official SDK sent, tampered with, within the signature's 15 minutes
(issue 8): an eavesdropper who captured a signed allocation of 0.01 to customer X tries to make
it 2.00 to customer Y, reversed, re-routed or re-keyed. Every attempt is 401 and moves no money;
the ledger still balances."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from huaweicloudsdkcore.http.http_handler import HttpHandler
from huaweicloudsdkcore.sdk_request import SdkRequest

from partner_center.domains.partners.public import PartnerType
from tests.harness import LiveServer
from tests.sdk.test_balance_helpers import (
    allocate,
    assert_books_balance,
    cash,
    customer_balances,
    funded,
    operator,
)
from tests.signed import Captured, sdk_capture, signed_request

ADJUST = "/v2/accounts/partner-accounts/adjust-amount"
RECLAIM = "/v2/accounts/partner-accounts/reclaim"
D = Decimal


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class Books:
    """A CSP with 100.00, customers X and Y, and a captured SDK allocation of 0.01 to X."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.csp = server.partner(PartnerType.CSP)
        self.x = server.customer(self.csp).account_id
        self.y = server.customer(self.csp).account_id
        funded(server, self.csp, "100.00")
        seen: list[SdkRequest] = []
        handler = HttpHandler().add_request_handler(lambda **kw: seen.append(kw["request"]))
        client = server.bss(self.csp.creds, http_handler=handler)
        allocate(server, self.csp, self.x, "0.01", client=client)
        (request,) = seen
        self.captured = Captured.of(request, server.url)
        assert json.loads(self.captured.body) == {"customer_id": self.x, "amount": 0.01}
        self.swapped = json.dumps({"customer_id": self.y, "amount": 2.00}).encode()

    def amounts(self) -> tuple[Decimal, Decimal, Decimal]:
        """(partner cash, X's balance, Y's balance)."""
        rows = customer_balances(self.server, self.csp, self.x, self.y)
        return cash(self.server, self.csp), rows[self.x]["amount"], rows[self.y]["amount"]

    def assert_untouched(self) -> None:
        assert self.amounts() == (D("99.99"), D("0.01"), D("0.00"))
        assert_books_balance(self.server)


@pytest.fixture
def books(server: LiveServer) -> Books:
    return Books(server)


def refused(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error_code"] == "APIG.0301"


def test_the_issue_exploit_swapped_body_with_an_unsigned_digest(books: Books) -> None:
    """The attack that moved money: the body replaced, and the original body's SHA-256 put in
    an X-Sdk-Content-Sha256 header the client never signed."""
    attack = replace(books.captured, body=books.swapped).with_header(
        "X-Sdk-Content-Sha256", sha256(books.captured.body)
    )
    refused(attack.send())
    books.assert_untouched()


def test_every_tampering_of_a_captured_request_is_refused(books: Books) -> None:
    """Each part of a captured request changed in turn (the ones the signature always covered
    among them): 401 every time, and neither money nor the sandbox clock moves."""
    captured, swapped = books.captured, books.swapped
    clock = capture_clock_read(books.server)
    attacks: dict[str, Captured] = {
        "body": replace(captured, body=swapped),
        "body, digest of the original": replace(captured, body=swapped).with_header(
            "X-Sdk-Content-Sha256", sha256(captured.body)
        ),
        "body, digest of the new body": replace(captured, body=swapped).with_header(
            "X-Sdk-Content-Sha256", sha256(swapped)
        ),
        "body, UNSIGNED-PAYLOAD": replace(captured, body=swapped).with_header(
            "X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD"
        ),
        "path: reclaim instead of allocate": replace(captured, uri=RECLAIM),
        "query": replace(captured, uri=ADJUST + "?indirect_partner_id=x"),
        "content type": captured.with_headers_changed(content_type="text/plain"),
        "content type, UNSIGNED-PAYLOAD": captured.with_headers_changed(
            content_type="text/plain"
        ).with_header("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD"),
        "X-Domain-Id": captured.with_headers_changed(x_domain_id=books.y),
        "method: read of the clock replayed as a move": replace(
            clock, method="POST", body=b'{"days": 30}'
        ),
        "method, no body": replace(clock, method="POST"),
    }
    offset = clock.send().json()["offset_seconds"]
    answers = {name: attack.send() for name, attack in attacks.items()}
    accepted = {name: r.status_code for name, r in answers.items() if r.status_code != 401}
    assert accepted == {}
    assert {r.json()["error_code"] for r in answers.values()} == {"APIG.0301"}
    books.assert_untouched()
    assert clock.send().json()["offset_seconds"] == offset


def capture_clock_read(server: LiveServer) -> Captured:
    """The operator's signed read of the sandbox clock, as sent."""
    read = signed_request(server.url, operator(server), "GET", "/v1/sandbox/clock")
    assert read.status_code == 200, read.text
    return sent(server, read, b"")


def sent(server: LiveServer, response: Any, body: bytes) -> Captured:
    """The request behind ``response`` as it went on the wire (httpx adds Content-Length)."""
    request = response.request
    headers = tuple((k, v) for k, v in request.headers.items() if k.lower() != "content-length")
    return Captured(server.url, request.method, request.url.raw_path.decode(), headers, body)


def test_a_signed_digest_must_be_the_body_received(books: Books) -> None:
    """A client may sign its body's digest in X-Sdk-Content-Sha256 (the SDK then signs that
    value): the body received must have that digest."""
    original = json.dumps({"customer_id": books.x, "amount": 0.01}).encode()
    captured = sdk_capture(
        books.server.bss(books.csp.creds),
        books.server.url,
        "POST",
        ADJUST,
        body=original.decode(),
        headers={"X-Sdk-Content-Sha256": sha256(original)},
    )
    refused(replace(captured, body=books.swapped).send())
    books.assert_untouched()
    assert captured.send().status_code == 200  # the genuine request goes through
    assert books.amounts() == (D("99.98"), D("0.02"), D("0.00"))


def test_a_json_body_the_sdk_sent_unsigned_is_refused(books: Books) -> None:
    """Sent as text/plain, the SDK signs UNSIGNED-PAYLOAD: for a JSON operation the body is then
    unauthenticated, so it is refused, swapped or not."""
    captured = sdk_capture(
        books.server.bss(books.csp.creds),
        books.server.url,
        "POST",
        ADJUST,
        content_type="text/plain",
        body=json.dumps({"customer_id": books.x, "amount": 0.01}),
    )
    assert ("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD") in captured.headers
    refused(captured.send())
    refused(replace(captured, body=books.swapped).send())
    books.assert_untouched()


def test_a_signed_header_sent_twice_is_refused(books: Books) -> None:
    """A replay that puts a second idempotency key before the signed one: the signature reads
    one, the operation the other, so the replay would count as a new allocation."""
    body = json.dumps({"customer_id": books.x, "amount": 0.01}).encode()
    first = signed_request(
        books.server.url,
        books.csp.creds,
        "POST",
        ADJUST,
        body=body,
        extra_headers={"X-Idempotency-Key": "alloc-1"},
    )
    assert first.status_code == 200, first.text
    assert books.amounts() == (D("99.98"), D("0.02"), D("0.00"))
    captured = sent(books.server, first, body)
    # Replayed as is, the key answers the first allocation again and moves nothing.
    assert captured.send().json() == first.json()
    refused(captured.with_header("X-Idempotency-Key", "alloc-2", first=True).send())
    refused(captured.with_header("X-Sdk-Date", "20200101T000000Z", first=True).send())
    assert books.amounts() == (D("99.98"), D("0.02"), D("0.00"))
    assert_books_balance(books.server)
