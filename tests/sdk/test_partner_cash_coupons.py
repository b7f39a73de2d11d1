"""Partner cash coupons on a live server (rules.md §7.8): the operator issues them, the bill run
deducts them (the customer-tied one first, then the one expiring first), the partner bill lists
which coupons paid it, the partner lists its coupons with their balances, and the official
SDK's ``show_partner_consumption_quota`` reports their balance as ``coupon_amount``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from huaweicloudsdkbssintl.v2 import model as intl

from partner_center.provisioning import services
from partner_center.state import AppState
from tests.factories.bills import add_all, fee_row, resource_row
from tests.harness import LiveServer, Partner, fresh_server
from tests.sdk.test_balance_helpers import PREFIX, exact, operator, signed
from tests.signed import signed_request

D = Decimal
APRIL = datetime(2031, 3, 31, 16, 0, tzinfo=UTC)  # 1 April 2031 00:00 in UTC+8
MAY_RUN = datetime(2031, 5, 4, 18, 0, tzinfo=UTC)  # 5 May 02:00 in UTC+8


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with fresh_server() as live:
        yield live


def issue(server: LiveServer, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"X-Idempotency-Key": key} if key else None
    return signed(
        server, operator(server), "POST", f"{PREFIX}/partner-cash-coupons", body, headers=headers
    )


def bill_april(server: LiveServer, partner: Partner, customer: str, amount: str) -> None:
    day = APRIL + timedelta(days=3)

    async def go(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            rid = f"res-{customer[:10]}"
            await add_all(
                uow.session,
                resource_row(rid, customer, partner.id, None, day),
                fee_row(rid, customer, partner.id, amount, hour=day, rated_at=day, cycle="2031-04"),
            )
        async with state.db.unit_of_work() as uow:
            svc = await services(state, uow)
            await svc.at(MAY_RUN).billing.run_cycle("2031-04")

    server._call(go)


def test_bills_deduct_the_partners_cash_coupons(server: LiveServer) -> None:
    csp, other = server.partner(), server.partner()
    customer = server.customer(csp).account_id
    september, december, later = (
        "2031-09-30T16:00:00Z",
        "2031-12-31T16:00:00Z",
        "2032-06-30T00:00:00Z",
    )

    def coupon(amount: Any, expire: str, **more: Any) -> str:
        answer = issue(
            server, {"partner_id": csp.id, "amount": amount, "expire_time": expire, **more}
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["coupon_id"])

    late = coupon(50, december, source="incentive", remark="Q1 incentive payout")
    tied = coupon(20, december, customer_id=customer)
    early = coupon(40, september, source="test")
    # Retried with its key: the first coupon, nothing issued twice.
    keyed = issue(server, {"partner_id": csp.id, "amount": 5, "expire_time": later}, "k-1")
    again = issue(server, {"partner_id": csp.id, "amount": 5, "expire_time": later}, "k-1")
    assert keyed.json()["coupon_id"] == again.json()["coupon_id"]
    # Refused: partner credentials, three decimals, a string amount, an unknown source, another
    # partner's customer.
    as_partner = signed(
        server,
        csp.creds,
        "POST",
        f"{PREFIX}/partner-cash-coupons",
        {"partner_id": csp.id, "amount": 5, "expire_time": december},
    )
    assert (as_partner.status_code, as_partner.json()["error_code"]) == (403, "CBC.0151")
    for bad, field in (
        ({"amount": 1.001}, "amount"),
        ({"amount": "5"}, "amount"),
        ({"amount": 5, "source": "gift"}, "source"),
        ({"amount": 5, "customer_id": server.customer(other).account_id}, "customer_id"),
    ):
        refused = issue(server, {"partner_id": csp.id, "expire_time": december, **bad})
        assert refused.status_code == 400, refused.text
        assert refused.json()["error_code"] == "CBC.0100", refused.text
        assert field in refused.json()["error_msg"], refused.text

    bill_april(server, csp, customer, "100.00")

    # 100.00: the tied 20.00, September's 40.00, then 40.00 of December's 50.00 (10.00 left);
    # the 5.00 coupon expiring last is not reached.
    found = signed_request(
        server.url, csp.creds, "GET", f"{PREFIX}/partner-bills", query="bill_cycle=2031-04"
    )
    assert found.status_code == 200, found.text
    bill = found.json()["bills"][0]
    assert (bill["total_amount"], bill["partner_coupon_amount"], bill["amount_due"]) == (
        "100.00",
        "100.00",
        "0.00",
    )
    assert bill["status"] == "paid"
    assert [(u["coupon_id"], u["amount"], u["balance_after"]) for u in bill["partner_coupons"]] == [
        (tied, "20.00", "0.00"),
        (early, "40.00", "0.00"),
        (late, "40.00", "10.00"),
    ]
    listed = signed(server, csp.creds, "GET", f"{PREFIX}/partner-cash-coupons").json()
    assert listed["total_count"] == 4
    balances = {c["coupon_id"]: (c["balance"], c["face_value"]) for c in listed["coupons"]}
    assert balances == {
        early: ("0.00", "40.00"),
        tied: ("0.00", "20.00"),
        late: ("10.00", "50.00"),
        keyed.json()["coupon_id"]: ("5.00", "5.00"),
    }
    assert listed["coupons"][0]["coupon_id"] == early  # expiring first
    # Another partner sees none of them.
    assert signed(server, other.creds, "GET", f"{PREFIX}/partner-cash-coupons").json() == {
        "total_count": 0,
        "coupons": [],
    }
    quota = exact(
        server.intl(csp.creds).show_partner_consumption_quota(
            intl.ShowPartnerConsumptionQuotaRequest()
        )
    )
    assert (quota["coupon_amount"], quota["due_amount"]) == ("15.00", "0.00")
    idle = exact(
        server.intl(other.creds).show_partner_consumption_quota(
            intl.ShowPartnerConsumptionQuotaRequest()
        )
    )
    assert idle["coupon_amount"] == "0.00"
