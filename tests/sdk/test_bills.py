"""Bill operations through the official SDK on a live server: list_postpaid_bill_sum (intl) and
list_consume_sub_customers (bss), with tenancy. The cycle's activity is written straight into the
orders and pay-per-use tables and billed by the bill run, as on the 5th."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from huaweicloudsdkbss.v2.model import ListConsumeSubCustomersReq, ListConsumeSubCustomersRequest
from huaweicloudsdkbssintl.v2.model import ListPostpaidBillSumRequest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.state import AppState
from tests.factories.bills import add_all, fee_row, order_rows, resource_row
from tests.harness import LiveServer, Partner

D = Decimal
CYCLE = "2026-10"
DAY = datetime(2026, 10, 10, 4, 0, tzinfo=UTC)


async def _activity(state: AppState, *, rows: list[Any]) -> None:
    async with state.work() as services:
        await add_all(services.session, *rows)
        await services.billing.run_cycle(CYCLE)


def test_postpaid_bill_sum_and_consuming_customers(
    server: LiveServer, distributor: Partner, reseller: Partner, csp: Partner
) -> None:
    c1 = server.customer(distributor, reseller=reseller).account_id
    c2 = server.customer(distributor).account_id
    c3 = server.customer(csp).account_id
    d, r, p = distributor.id, reseller.id, csp.id
    rows: list[Any] = [
        resource_row("sdk-r1", c1, r, d, DAY),
        fee_row("sdk-r1", c1, r, "12.345", hour=DAY, rated_at=DAY, cycle=CYCLE),
        fee_row(
            "sdk-r1", c1, r, "0.00000001", hour=DAY + timedelta(hours=1), rated_at=DAY, cycle=CYCLE
        ),
        *order_rows(c2, d, None, "100.00", coupon="10.00", paid_at=DAY),
        *order_rows(c2, d, None, "30.00", refund=True, paid_at=DAY),
        *order_rows(c3, p, None, "5.00", paid_at=DAY),
    ]
    server._call(_activity, rows=rows)

    summary = server.intl(distributor.creds).list_postpaid_bill_sum(
        ListPostpaidBillSumRequest(bill_cycle=CYCLE)
    )
    # consume 12.34500001 + 100 − 10 coupon = 102.35; refunds −30; due 72.35
    assert (summary.bill_cycle, summary.currency) == (CYCLE, "USD")
    assert (summary.consume_amount, summary.refunds, summary.adjustments) == (
        D("102.35"),
        D("-30.00"),
        D("0.00"),
    )
    assert (summary.initial_amount_due, summary.tax_amount) == (D("72.35"), D("0.00"))
    csp_sum = server.intl(csp.creds).list_postpaid_bill_sum(
        ListPostpaidBillSumRequest(bill_cycle=CYCLE)
    )
    assert csp_sum.initial_amount_due == D("5.00")
    # A partner with nothing billed that month: zeros.
    idle = server.intl(server.partner().creds).list_postpaid_bill_sum(
        ListPostpaidBillSumRequest(bill_cycle=CYCLE)
    )
    assert (idle.initial_amount_due, idle.consume_amount) == (D("0.00"), D("0.00"))

    for cycle in ("2026-13", "2026-11"):
        with pytest.raises(ClientRequestException) as refused:
            server.intl(csp.creds).list_postpaid_bill_sum(
                ListPostpaidBillSumRequest(bill_cycle=cycle)
            )
        assert refused.value.error_code == "CBC.0100"

    def consuming(partner: Partner, **kw: Any) -> tuple[int, list[str]]:
        answer = server.bss(partner.creds).list_consume_sub_customers(
            ListConsumeSubCustomersRequest(body=ListConsumeSubCustomersReq(bill_cycle=CYCLE, **kw))
        )
        return answer.total_count, [c.customer_id for c in answer.sub_customers]

    assert consuming(distributor) == (2, sorted([c1, c2]))
    assert consuming(distributor, offset=1, limit=1) == (2, sorted([c1, c2])[1:])
    assert consuming(csp) == (1, [c3])
    assert consuming(server.partner()) == (0, [])
    with pytest.raises(ClientRequestException) as bad:
        consuming(csp, limit=101)
    assert bad.value.error_code == "CBC.0100"
