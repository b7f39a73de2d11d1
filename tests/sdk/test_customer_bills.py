"""Customer-self bill operations through the official SDK on a live server, on a bill issued by
the bill run: show_customer_monthly_sum (bss and intl), with a filter, paging, a refusal and
tenancy. The cycle's activity is written straight into the orders and pay-per-use tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from huaweicloudsdkbss.v2.model import ShowCustomerMonthlySumRequest
from huaweicloudsdkbssintl.v2.model import (
    ShowCustomerMonthlySumRequest as IntlShowCustomerMonthlySumRequest,
)
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.provisioning import Credentials
from partner_center.state import AppState
from tests.factories.bills import ECS, VM, add_all, fee_row, order_rows, resource_row
from tests.harness import LiveServer, Partner

D = Decimal
CYCLE = "2026-10"
DAY = datetime(2026, 10, 10, 4, 0, tzinfo=UTC)
EVS, VOLUME = "hws.service.type.ebs", "hws.resource.type.volume"


async def _bill(state: AppState, *, rows: list[Any]) -> None:
    async with state.work() as services:
        await add_all(services.session, *rows)
        await services.billing.run_cycle(CYCLE)


def _activity(server: LiveServer, partner: Partner) -> tuple[Credentials, Credentials]:
    """One customer's month: an order (10.00 by coupon), a refund, usage of two products;
    another customer of the same partner with a small order."""
    me = server.customer(partner)
    other = server.customer(partner)
    volume = fee_row(
        "sdk-v1", me.account_id, partner.id, "0.005", hour=DAY, rated_at=DAY, cycle=CYCLE
    )
    volume.service_type_code, volume.resource_type_code = EVS, VOLUME
    rows: list[Any] = [
        resource_row("sdk-m1", me.account_id, partner.id, None, DAY),
        fee_row("sdk-m1", me.account_id, partner.id, "12.345", hour=DAY, rated_at=DAY, cycle=CYCLE),
        fee_row(
            "sdk-m1",
            me.account_id,
            partner.id,
            "0.00000001",
            hour=DAY + timedelta(hours=1),
            rated_at=DAY,
            cycle=CYCLE,
        ),
        volume,
        *order_rows(me.account_id, partner.id, None, "100.00", coupon="10.00", paid_at=DAY),
        *order_rows(me.account_id, partner.id, None, "30.00", refund=True, paid_at=DAY),
        *order_rows(other.account_id, partner.id, None, "5.00", paid_at=DAY),
    ]
    server._call(_bill, rows=rows)
    return me, other


def test_show_customer_monthly_sum(server: LiveServer, csp: Partner) -> None:
    me, other = _activity(server, csp)

    def monthly(creds: Credentials, **kw: Any) -> Any:
        return server.bss(creds).show_customer_monthly_sum(
            ShowCustomerMonthlySumRequest(bill_cycle=CYCLE, **kw)
        )

    answer = monthly(me)
    # consume 100 + 12.34500001 + 0.005 − 30 = 82.35000001 → 82.35; coupons 10; owed 72.35
    assert (answer.consume_amount, answer.coupon_amount, answer.debt_amount) == (
        D("82.35"),
        D("10.00"),
        D("72.35"),
    )
    assert (answer.cash_amount, answer.writeoff_amount, answer.measure_id) == (D(0), D(0), 1)
    assert (answer.currency, answer.total_count) == ("USD", 4)
    lines = [
        (s.service_type_code, s.resource_type_code, s.charging_mode, s.bill_type, s.consume_amount)
        for s in answer.bill_sums
    ]
    assert lines == [
        (EVS, VOLUME, 3, 1, D("0.005")),
        (ECS, VM, 1, 1, D("100.00")),
        (ECS, VM, 1, 2, D("-30.00")),
        (ECS, VM, 3, 1, D("12.34500001")),
    ]
    order = answer.bill_sums[1]
    assert (order.coupon_amount, order.debt_amount, order.official_amount) == (
        D("10.00"),
        D("90.00"),
        D("100.00"),
    )
    assert {s.customer_id for s in answer.bill_sums} == {me.account_id}
    assert {s.bill_cycle for s in answer.bill_sums} == {CYCLE}

    # A filter, and paging (the totals stay the month's).
    ecs = monthly(me, service_type_code=ECS)
    assert (ecs.total_count, len(ecs.bill_sums), ecs.consume_amount) == (3, 3, D("82.35"))
    page = monthly(me, offset=2, limit=1)
    assert page.total_count == 4
    assert [(s.charging_mode, s.bill_type) for s in page.bill_sums] == [(1, 2)]

    # The same operation of the intl client.
    intl = server.intl(me).show_customer_monthly_sum(
        IntlShowCustomerMonthlySumRequest(bill_cycle=CYCLE)
    )
    assert (intl.debt_amount, intl.total_count) == (D("72.35"), 4)

    # Tenancy: another customer of the same partner sees only its own bill; nothing billed: zeros.
    theirs = monthly(other)
    assert (theirs.total_count, theirs.consume_amount) == (1, D("5.00"))
    assert [s.customer_id for s in theirs.bill_sums] == [other.account_id]
    empty = monthly(server.customer(csp))
    assert (empty.total_count, empty.bill_sums, empty.debt_amount) == (0, [], D(0))
    with pytest.raises(ClientRequestException) as partner_call:
        monthly(csp.creds)
    assert partner_call.value.status_code == 403

    # Refusals: a malformed cycle, a page too large, someone else's account.
    for kw in (
        {"bill_cycle": "2026-13"},
        {"limit": 101},
        {"sub_customer_id": other.account_id},
    ):
        with pytest.raises(ClientRequestException) as refused:
            server.bss(me).show_customer_monthly_sum(
                ShowCustomerMonthlySumRequest(**{"bill_cycle": CYCLE, **kw})
            )
        assert refused.value.error_code == "CBC.0100", kw
