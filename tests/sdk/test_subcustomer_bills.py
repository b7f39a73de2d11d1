"""Partner views of its customers' bills through the official SDK on a live server, on bills
issued by the bill run: list_subcustomer_monthly_bills and list_sub_customer_bill_detail (bss), with
filters, paging, refusals and tenancy (a distributor sees its reseller's customers only when it names the reseller)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from huaweicloudsdkbss.v2.model import (
    ListSubCustomerBillDetailRequest,
    ListSubcustomerMonthlyBillsRequest,
)
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from sqlalchemy import update

from partner_center.domains.customers.models import Customer
from partner_center.state import AppState
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

    _bill_detail(server, distributor, reseller, csp, c1, c2)


async def _assign_manager(state: AppState, *, customer_id: str, manager_id: str) -> None:
    async with state.work() as services:
        await services.session.execute(
            update(Customer)
            .where(Customer.account_id == customer_id)
            .values(account_manager_id=manager_id)
        )


def _bill_detail(
    server: LiveServer, distributor: Partner, reseller: Partner, csp: Partner, c1: str, c2: str
) -> None:
    def detail(partner: Partner, customer: str, **kw: Any) -> Any:
        return server.bss(partner.creds).list_sub_customer_bill_detail(
            ListSubCustomerBillDetailRequest(bill_cycle=CYCLE, customer_id=customer, **kw)
        )

    mine = detail(distributor, c2)
    assert (mine.total_count, mine.currency) == (3, "USD")
    got = sorted(
        (r.bill_detail_type, r.charging_mode, r.service_type_code, r.payment_amount, r.debt_amount)
        for r in mine.fee_records
    )
    assert got == [
        (1, 1, ECS, D("100.00"), D("90.00")),
        (4, 1, ECS, D("-30.00"), D("-30.00")),
        (5, 3, EVS, D("2.50"), D("2.50")),
    ]
    # The records add up to the customer's consumption on the bill to the cent.
    assert sum(r.payment_amount for r in mine.fee_records) == D("72.50")
    assert {(r.customer_id, r.partner_id, r.bill_cycle) for r in mine.fee_records} == {
        (c2, distributor.id, CYCLE)
    }
    assert detail(distributor, c2, charging_mode=1).total_count == 2
    refund = detail(distributor, c2, bill_detail_type=4).fee_records
    assert [r.payment_amount for r in refund] == [D("-30.00")]
    assert detail(distributor, c2, service_type_code=EVS).total_count == 1
    # By the resource's name: the pay-per-use volume (named "vm"); orders keep no name.
    named = detail(distributor, c2, resource_name="vm").fee_records
    assert [(r.bill_detail_type, r.payment_amount) for r in named] == [(5, D("2.50"))]
    assert detail(distributor, c2, resource_name="other").total_count == 0
    paged = detail(distributor, c2, offset=1, limit=2)
    assert (paged.total_count, len(paged.fee_records)) == (3, 2)
    # The customer's association type and account manager filter for real.
    assert detail(distributor, c2, association_type="2").total_count == 3
    assert detail(distributor, c2, association_type="1").total_count == 0
    assert detail(distributor, c2, account_manager_id="m-nobody").total_count == 0
    server._call(_assign_manager, customer_id=c2, manager_id="m-c2")
    assert detail(distributor, c2, account_manager_id="m-c2").total_count == 3
    assert detail(distributor, c2, account_manager_id="m-c2", association_type="1").total_count == 0

    # A reseller's customer: only when the distributor names the reseller.
    assert detail(distributor, c1).total_count == 0
    theirs = detail(distributor, c1, indirect_partner_id=reseller.id)
    assert sorted(r.payment_amount for r in theirs.fee_records) == [D("0.00000001"), D("12.345")]

    # Tenancy: another partner sees nothing of these customers, nor of the reseller.
    assert detail(csp, c2).total_count == 0
    with pytest.raises(ClientRequestException) as not_theirs:
        detail(csp, c1, indirect_partner_id=reseller.id)
    assert not_theirs.value.error_code == "CBC.99000037"

    # Refusals.
    for kw in (
        {"limit": 1001},
        {"association_type": "9"},
        {"bill_date_begin": "2026-10-01"},
        {"bill_date_begin": "2026-09-30", "bill_date_end": "2026-10-01"},
    ):
        with pytest.raises(ClientRequestException) as refused:
            detail(distributor, c2, **kw)
        assert refused.value.error_code == "CBC.0100", kw
    with pytest.raises(ClientRequestException) as bad_cycle:
        server.bss(distributor.creds).list_sub_customer_bill_detail(
            ListSubCustomerBillDetailRequest(bill_cycle="2026-1", customer_id=c2)
        )
    assert bad_cycle.value.error_code == "CBC.0100"
