"""Bill records through the official SDK. Yearly/monthly records name their resource: an ECS
with its disk bought and paid, then read back by the customer
(``list_customerself_resource_records``, ``list_customerself_resource_record_details``, the
monthly break-down's ``resource_name`` filter) and by its partner
(``list_sub_customer_bill_detail``). ``show_customer_monthly_sum`` sums one enterprise
project."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from huaweicloudsdkbss.v2 import model as bss

from tests.factories.bills import bill_rows, fee_row, order_rows, resource_row
from tests.harness import LiveServer, Partner
from tests.sdk.test_orders import DISK_MONTH, VM_MONTH, business_now, load_catalog, ready_customer
from tests.sdk.test_resources import bought

D = Decimal


@pytest.fixture(scope="module", autouse=True)
def demo(server: LiveServer) -> None:
    load_catalog(server)


def test_yearly_monthly_records_carry_the_resource_name(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    order_id, vm, disk = bought(server, csp, customer)
    assert vm.resource_name and disk.resource_name and vm.resource_name != disk.resource_name
    now = business_now(server).astimezone(ZoneInfo("Asia/Shanghai"))
    cycle = f"{now.year:04d}-{now.month:02d}"
    client = server.bss(customer)

    records = client.list_customerself_resource_records(
        bss.ListCustomerselfResourceRecordsRequest(cycle=cycle, charge_mode="1")
    ).fee_records
    assert sorted((r.trade_id, r.resource_name, r.amount) for r in records) == sorted(
        [(order_id, vm.resource_name, VM_MONTH), (order_id, disk.resource_name, DISK_MONTH)]
    )
    per_resource = client.list_customerself_resource_records(
        bss.ListCustomerselfResourceRecordsRequest(cycle=cycle, charge_mode="1", statistic_type=1)
    ).fee_records
    assert {r.resource_name for r in per_resource} == {vm.resource_name, disk.resource_name}

    details = client.list_customerself_resource_record_details(
        bss.ListCustomerselfResourceRecordDetailsRequest(
            body=bss.QueryResRecordsDetailReq(cycle=cycle, charge_mode="1")
        )
    ).monthly_records
    assert {(d.resource_name, d.consume_amount) for d in details} == {
        (vm.resource_name, VM_MONTH),
        (disk.resource_name, DISK_MONTH),
    }

    # The partner's view of the customer's records, filtered by the VM's name.
    named = (
        server.bss(csp.creds)
        .list_sub_customer_bill_detail(
            bss.ListSubCustomerBillDetailRequest(
                bill_cycle=cycle, customer_id=customer.account_id, resource_name=vm.resource_name
            )
        )
        .fee_records
    )
    assert [(r.trade_id, r.resource_name, r.payment_amount) for r in named] == [
        (order_id, vm.resource_name, VM_MONTH)
    ]

    # The break-down's resource_name filter keeps the VM's amortized fee (it kept no
    # yearly/monthly line before the lines had names).
    breakdown = client.list_customer_bills_monthly_break_down(
        bss.ListCustomerBillsMonthlyBreakDownRequest(
            shared_month=cycle, resource_name=vm.resource_name
        )
    ).details
    assert [(d.charging_mode, d.consume_amount) for d in breakdown] == [(1, VM_MONTH)]
    none = client.list_customer_bills_monthly_break_down(
        bss.ListCustomerBillsMonthlyBreakDownRequest(shared_month=cycle, resource_name="nothing")
    )
    assert none.total_count == 0


def test_monthly_sum_of_one_enterprise_project(server: LiveServer, csp: Partner) -> None:
    """``show_customer_monthly_sum`` with ``enterprise_project_id``: the cycle's records of that
    project only, per product and bill type, with totals rounded once; without it, the bill."""
    me = server.customer(csp)
    day = datetime(2026, 9, 10, 4, 0, tzinfo=UTC)
    vm = f"m-{me.account_id}"
    rows: list[Any] = [
        resource_row(vm, me.account_id, csp.id, None, day),
        fee_row(vm, me.account_id, csp.id, "12.345", hour=day, rated_at=day, cycle="2026-09"),
        *order_rows(me.account_id, csp.id, None, "100.00", coupon="10.00", paid_at=day),
        *order_rows(
            me.account_id, csp.id, None, "40.004", paid_at=day, enterprise_project_id="ep-1"
        ),
        *order_rows(
            me.account_id,
            csp.id,
            None,
            "15.00",
            refund=True,
            paid_at=day,
            enterprise_project_id="ep-1",
        ),
    ]
    server._call(bill_rows, rows=rows, cycle="2026-09")

    def monthly(**kw: Any) -> Any:
        return server.bss(me).show_customer_monthly_sum(
            bss.ShowCustomerMonthlySumRequest(bill_cycle="2026-09", **kw)
        )

    whole = monthly()
    # 12.345 + 100 − 10 coupon + 40.004 − 15 = 127.349 → 127.35; consume 137.35
    assert (whole.consume_amount, whole.coupon_amount, whole.debt_amount) == (
        D("137.35"),
        D("10.00"),
        D("127.35"),
    )
    project = monthly(enterprise_project_id="ep-1")
    assert (project.consume_amount, project.coupon_amount, project.debt_amount) == (
        D("25.00"),
        D("0.00"),
        D("25.00"),
    )
    assert project.total_count == 2
    assert sorted((s.charging_mode, s.bill_type, s.consume_amount) for s in project.bill_sums) == [
        (1, 1, D("40.004")),
        (1, 2, D("-15.00")),
    ]
    default = monthly(enterprise_project_id="0")
    # The default project: the VM's usage and the first order (its coupon included).
    assert (default.consume_amount, default.coupon_amount, default.debt_amount) == (
        D("112.35"),
        D("10.00"),
        D("102.35"),
    )
    assert sorted((s.charging_mode, s.consume_amount) for s in default.bill_sums) == [
        (1, D("100.00")),
        (3, D("12.345")),
    ]
    assert monthly(enterprise_project_id="ep-1", service_type_code="other").total_count == 0
    assert monthly(enterprise_project_id="nobody").bill_sums == []
