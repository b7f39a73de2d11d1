"""The Account Statements page (rules.md §6.16) and the standard top-up account (§6.13) on a
live server: every movement with the balance after it, across months, by type, paged, and the
CSV export with counterparties and payment references masked."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from partner_center.kernel.clock import format_utc
from tests.harness import LiveServer, Partner, fresh_server
from tests.sdk.test_balance_helpers import PREFIX, allocate, operator, reclaim, signed, top_up
from tests.signed import signed_request


def _month_end() -> datetime:
    """12:00 in Shanghai on the last day of the next month (the sandbox clock only moves
    forward, and moving it far runs every job on the way)."""
    today = datetime.now(UTC).date()
    first_after_next = (today.replace(day=1) + timedelta(days=62)).replace(day=1)
    last = first_after_next - timedelta(days=1)
    return datetime(last.year, last.month, last.day, 4, 0, tzinfo=UTC)


FIRST_MONTH_NOON = _month_end()
"""The first month of the test (whichever month it is)."""
SECOND_MONTH_END = (FIRST_MONTH_NOON.date() + timedelta(days=32)).replace(day=1) - timedelta(days=1)
FIRST = FIRST_MONTH_NOON.date().replace(day=1).isoformat()
FIRST_MONTH_END = FIRST_MONTH_NOON.date().isoformat()
LAST = SECOND_MONTH_END.isoformat()
RANGE = f"begin_date={FIRST}&end_date={LAST}"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with fresh_server() as live:
        response = signed(
            live, operator(live), "POST", "/v1/sandbox/clock", {"to": format_utc(FIRST_MONTH_NOON)}
        )
        assert response.status_code == 200, response.text
        yield live


def statements(server: LiveServer, partner: Partner, query: str) -> Any:
    response = signed_request(
        server.url, partner.creds, "GET", f"{PREFIX}/account-statements", query=query
    )
    assert response.status_code == 200, response.text
    return response


def test_statement_lists_every_movement_with_the_balance_after(
    server: LiveServer, csp: Partner
) -> None:
    op = operator(server)
    customer = server.customer(csp)
    assert top_up(server, csp, "1000.00", reference="BANKREF-2026-0001").status_code == 200
    allocate(server, csp, customer.account_id, "100.25")
    move = signed(server, op, "POST", "/v1/sandbox/clock", {"days": 2})  # into the second month
    assert move.status_code == 200, move.text
    reclaim(server, csp, customer.account_id, "50.00")
    assert top_up(server, csp, "20.10", channel="ONLINE_PAYMENT").status_code == 200

    page = statements(server, csp, RANGE).json()
    assert page["count"] == 4
    rows = [(r["type"], r["direction"], r["amount"], r["balance_after"]) for r in page["records"]]
    assert rows == [
        ("top_up", "income", "20.10", "969.85"),
        ("reclaim", "income", "50.00", "949.75"),
        ("allocation", "expense", "100.25", "899.75"),
        ("top_up", "income", "1000.00", "1000.00"),
    ]
    assert page["records"][3]["payment_reference"].endswith("0001")
    channels = [r.get("payment_channel") for r in page["records"]]
    assert channels == ["online_payment", None, None, "bank_transfer"]
    assert "BANKREF" not in str(page)

    only_first_month = statements(
        server, csp, f"begin_date={FIRST}&end_date={FIRST_MONTH_END}"
    ).json()
    assert only_first_month["count"] == 2
    tops = statements(server, csp, RANGE + "&type=top_up").json()
    assert [r["amount"] for r in tops["records"]] == ["20.10", "1000.00"]
    second = statements(server, csp, RANGE + "&offset=1&limit=2").json()
    assert [r["type"] for r in second["records"]] == ["reclaim", "allocation"]
    assert second["count"] == 4

    export = statements(server, csp, RANGE + "&format=csv")
    assert export.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(export.text)))
    assert [r["type"] for r in table] == ["top_up", "reclaim", "allocation", "top_up"]
    assert [r["balance_after"] for r in table] == ["969.85", "949.75", "899.75", "1000.00"]
    allocation = table[2]
    assert customer.account_id not in export.text
    assert allocation["counterparty_id"].endswith(customer.account_id[-4:])
    assert allocation["counterparty_id"].startswith("*")
    assert "BANKREF" not in export.text
    assert table[3]["payment_channel_no"].endswith("0001")
    assert [r["payment_channel"] for r in table] == ["online_payment", "", "", "bank_transfer"]

    other = server.partner()
    assert statements(server, other, RANGE).json() == {
        "records": [],
        "count": 0,
    }


@pytest.mark.parametrize(
    "query",
    [
        f"begin_date={SECOND_MONTH_END.replace(year=SECOND_MONTH_END.year - 1, day=1)}&end_date={LAST}",
        f"begin_date={LAST}&end_date={FIRST}",
        "begin_date=2026-13-01",
        "type=gift",
        "format=xml",
        "limit=101",
    ],
)
def test_bad_queries(server: LiveServer, csp: Partner, query: str) -> None:
    response = signed_request(
        server.url, csp.creds, "GET", f"{PREFIX}/account-statements", query=query
    )
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "CBC.0100"


def test_top_up_account_published_by_the_operator(server: LiveServer, csp: Partner) -> None:
    op = operator(server)
    path = f"{PREFIX}/top-up-account"
    missing = signed(server, csp.creds, "GET", path)
    if missing.status_code == 400:
        assert missing.json()["error_code"] == "CBC.99000047"
    account = {
        "bank_name": "Bank of Sandbox",
        "account_name": "Partner Center Ltd",
        "account_number": "DE89370400440532013000",
        "swift_code": "SANDDEFF",
    }
    assert (
        signed(server, csp.creds, "PUT", f"{PREFIX}/operator/top-up-account", account).status_code
        == 403
    )
    published = signed(server, op, "PUT", f"{PREFIX}/operator/top-up-account", account)
    assert published.status_code == 200, published.text
    shown = signed(server, csp.creds, "GET", path).json()
    assert shown["account_number"] == "DE89370400440532013000"
    assert shown["currency"] == "USD"
    assert "bank_transfer" in shown["note"]
    newer = {**account, "account_number": "GB33BUKB20201555555555"}
    assert signed(server, op, "PUT", f"{PREFIX}/operator/top-up-account", newer).status_code == 200
    assert (
        signed(server, csp.creds, "GET", path).json()["account_number"] == newer["account_number"]
    )
    blank = signed(
        server, op, "PUT", f"{PREFIX}/operator/top-up-account", {**account, "bank_name": " "}
    )
    assert blank.status_code == 400
