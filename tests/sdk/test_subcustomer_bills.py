"""Partner views of its customers' bills through the official SDK on a live server, on bills
issued by the bill run: list_subcustomer_monthly_bills (bss), with filters, paging, refusals and
tenancy (a distributor sees its reseller's customers only when it names the reseller)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from huaweicloudsdkbss.v2.model import ListSubcustomerMonthlyBillsRequest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from tests.factories.bills import (
    ECS,
    EVS,
    VM,
    bill_rows,
    fee_row,
    order_rows,
    resource_row,
    volume_fee,
)
from tests.harness import LiveServer, Partner

D = Decimal
CYCLE = "2026-10"
DAY = datetime(2026, 10, 10, 4, 0, tzinfo=UTC)


def test_list_subcustomer_monthly_bills(
    server: LiveServer, distributor: Partner, reseller: Partner, csp: Partner
) -> None:
    c1 = server.customer(distributor, reseller=reseller).account_id
    c2 = server.customer(distributor).account_id
    c3 = server.customer(csp).account_id
    d, r, p = distributor.id, reseller.id, csp.id
    rows: list[Any] = [
        resource_row(f"m-{c1}", c1, r, d, DAY),
        fee_row(f"m-{c1}", c1, r, "12.345", hour=DAY, rated_at=DAY, cycle=CYCLE),
        fee_row(
            f"m-{c1}", c1, r, "0.00000001", hour=DAY + timedelta(hours=1), rated_at=DAY, cycle=CYCLE
        ),
        resource_row(f"v-{c2}", c2, d, None, DAY),
        volume_fee(f"v-{c2}", c2, d, "2.5", at=DAY, cycle=CYCLE),
        *order_rows(c2, d, None, "100.00", coupon="10.00", paid_at=DAY),
        *order_rows(c2, d, None, "30.00", refund=True, paid_at=DAY),
        *order_rows(c3, p, None, "5.00", paid_at=DAY),
    ]
    server._call(bill_rows, rows=rows, cycle=CYCLE)

    def sums(partner: Partner, **kw: Any) -> tuple[int, list[tuple[Any, ...]]]:
        answer = server.bss(partner.creds).list_subcustomer_monthly_bills(
            ListSubcustomerMonthlyBillsRequest(cycle=CYCLE, **kw)
        )
        assert answer.currency == "USD"
        return answer.count, [
            (
                s.customer_id,
                s.cloud_service_type,
                s.bill_type,
                s.charge_mode,
                s.amount,
                s.debt_amount,
            )
            for s in answer.bill_sums
        ]

    yearly = [
        (c2, ECS, "0", "1", D("100.00"), D("90.00")),
        (c2, ECS, "1", "1", D("-30.00"), D("-30.00")),
    ]
    assert sums(distributor, charge_mode="1") == (2, yearly)
    assert sums(distributor, charge_mode="3") == (1, [(c2, EVS, "0", "3", D("2.50"), D("2.50"))])
    answer = server.bss(distributor.creds).list_subcustomer_monthly_bills(
        ListSubcustomerMonthlyBillsRequest(cycle=CYCLE, charge_mode="1", limit=1)
    )
    coupon = answer.bill_sums[0].account_details
    assert [(a.balance_type, a.amount) for a in coupon] == [("BALANCE_TYPE_COUPON", D("10.00"))]
    assert answer.bill_sums[0].resource_type_code == VM

    # Filters and paging.
    assert sums(distributor, charge_mode="1", bill_type="1") == (1, yearly[1:])
    assert sums(distributor, charge_mode="1", offset=1, limit=1) == (2, yearly[1:])
    assert sums(distributor, charge_mode="1", customer_id=c1) == (0, [])
    assert sums(distributor, charge_mode="3", cloud_service_type=ECS) == (0, [])
    assert sums(distributor, charge_mode="11") == (0, [])
    # The reseller's customers: for the distributor naming the reseller.
    usage = [(c1, ECS, "0", "3", D("12.34500001"), D("12.34500001"))]
    assert sums(distributor, charge_mode="3", indirect_partner_id=r) == (1, usage)

    # Tenancy: another partner sees none of these customers.
    assert sums(csp, charge_mode="1") == (1, [(c3, ECS, "0", "1", D("5.00"), D("5.00"))])
    assert sums(csp, charge_mode="1", customer_id=c2) == (0, [])
    assert sums(csp, charge_mode="3", indirect_partner_id=r) == (0, [])
    with pytest.raises(ClientRequestException) as customer_call:
        server.bss(server.customer(csp)).list_subcustomer_monthly_bills(
            ListSubcustomerMonthlyBillsRequest(cycle=CYCLE, charge_mode="1")
        )
    assert customer_call.value.status_code == 403

    # Refusals.
    for kw in (
        {"charge_mode": "2"},
        {"charge_mode": "1", "limit": 101},
        {"charge_mode": "1", "bill_type": "7"},
    ):
        with pytest.raises(ClientRequestException) as refused:
            sums(distributor, **kw)
        assert refused.value.error_code == "CBC.0100", kw
    with pytest.raises(ClientRequestException) as bad_cycle:
        server.bss(distributor.creds).list_subcustomer_monthly_bills(
            ListSubcustomerMonthlyBillsRequest(cycle="2026-1", charge_mode="1")
        )
    assert bad_cycle.value.error_code == "CBC.0100"
