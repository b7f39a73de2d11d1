"""Repayments over HTTP on a live server: concurrent clients never pay more than is due, the
idempotency key, malformed cards and bodies refused without echoing the card, tenancy of the
operator's confirmation, and the answer's exact decimals."""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from partner_center.provisioning import services
from partner_center.state import AppState
from tests.factories.bills import add_all, fee_row, resource_row
from tests.harness import LiveServer, Partner, fresh_server
from tests.sdk.test_balance_helpers import PREFIX, operator
from tests.signed import signed_request

D = Decimal
PAN, CVC = "4242424242424242", "5309"
APRIL = datetime(2031, 3, 31, 16, 0, tzinfo=UTC)  # 1 April 2031 00:00 in UTC+8
MAY_RUN = datetime(2031, 5, 4, 18, 0, tzinfo=UTC)  # 5 May 02:00 in UTC+8


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with fresh_server() as live:
        yield live


def repay(
    server: LiveServer, partner: Partner, raw: str, key: str | None = None, client: Any = None
) -> httpx.Response:
    return signed_request(
        server.url,
        partner.creds,
        "POST",
        f"{PREFIX}/repayments",
        body=raw.encode(),
        extra_headers={"X-Idempotency-Key": key} if key else None,
        client=client,
    )


def body(amount: str, number: str = PAN, **card: Any) -> str:
    fields = {"number": number, "exp_month": 12, "exp_year": 2039, "cvc": CVC, "holder_name": "A"}
    fields.update(card)
    return f'{{"amount": {amount}, "card": {json.dumps(fields)}}}'


def due(server: LiveServer, partner: Partner) -> str:
    response = signed_request(server.url, partner.creds, "GET", f"{PREFIX}/amount-due")
    assert response.status_code == 200, response.text
    return str(response.json()["total_amount_due"])


@pytest.fixture(scope="module")
def billed(server: LiveServer) -> tuple[Partner, Partner]:
    """Two CSPs billed in April 2031: 100.00 and 12.34 (the second for the simple checks)."""
    first, second = server.partner(), server.partner()
    customer_first = server.customer(first).account_id
    customer_second = server.customer(second).account_id
    day = APRIL + timedelta(days=3)

    async def go(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            rows: list[object] = []
            for partner, customer, amount in (
                (first, customer_first, "100.00"),
                (second, customer_second, "12.34"),
            ):
                rid = f"res-{customer[:10]}"
                rows.append(resource_row(rid, customer, partner.id, None, day))
                rows.append(
                    fee_row(
                        rid, customer, partner.id, amount, hour=day, rated_at=day, cycle="2031-04"
                    )
                )
            await add_all(uow.session, *rows)
        async with state.db.unit_of_work() as uow:
            svc = await services(state, uow)
            await svc.at(MAY_RUN).billing.run_cycle("2031-04")

    server._call(go)
    return first, second


def test_concurrent_clients_never_pay_more_than_is_due(
    server: LiveServer, billed: tuple[Partner, Partner]
) -> None:
    partner = billed[0]
    assert due(server, partner) == "100.00"
    with httpx.Client(timeout=60) as client, concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda _: repay(server, partner, body("30.00"), client=client), range(8))
        )
    ok = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 400]
    assert len(ok) == 3 and len(refused) == 5, [a.text for a in answers]
    assert {a.json()["error_code"] for a in refused} == {"CBC.0100"}
    assert due(server, partner) == "10.00"
    remaining = sorted(D(str(a.json()["remaining_due"])) for a in ok)
    assert remaining == [D("10.00"), D("40.00"), D("70.00")]


def test_idempotency_and_exact_answer(server: LiveServer, billed: tuple[Partner, Partner]) -> None:
    partner = billed[1]
    first = repay(server, partner, body("0.10"), key="k-1")
    assert first.status_code == 200, first.text
    assert '"amount":0.10' in first.text and '"remaining_due":12.24' in first.text
    again = repay(server, partner, body("0.10"), key="k-1")
    assert again.json()["replayed"] is True
    assert again.json()["repayment_id"] == first.json()["repayment_id"]
    other = repay(server, partner, body("0.20"), key="k-1")
    assert other.status_code == 400 and other.json()["error_code"] == "CBC.99007009"
    bad_key = repay(server, partner, body("0.20"), key="k 1")
    assert bad_key.status_code == 400
    assert due(server, partner) == "12.24"


@pytest.mark.parametrize(
    "raw",
    [
        body("1.00", number=int(PAN)),  # a number, not a string
        body("1.00", cvc=int(CVC)),
        body("1.00", exp_month="12x"),
        body('"1.00"'),  # a string amount
        body("1.00", number=PAN + "0000000000"),  # too long
        '{"amount": 1.00}',
        body("1.00", number="4242 4242 4242 4241"),
    ],
)
def test_malformed_cards_are_refused_without_echo(
    server: LiveServer, billed: tuple[Partner, Partner], raw: str
) -> None:
    partner = billed[1]
    before = due(server, partner)
    response = repay(server, partner, raw)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "CBC.0100"
    assert PAN[:12] not in response.text and CVC not in response.text
    assert due(server, partner) == before


def test_only_the_operator_confirms_transfers(
    server: LiveServer, billed: tuple[Partner, Partner]
) -> None:
    partner = billed[1]
    path = f"{PREFIX}/operator/tickets/nope/confirm-transfer"
    raw = b'{"received_amount": 1.00}'
    assert signed_request(server.url, partner.creds, "POST", path, body=raw).status_code == 403
    missing = signed_request(server.url, operator(server), "POST", path, body=raw)
    assert missing.status_code == 400 and missing.json()["error_code"] == "CBC.0100"
