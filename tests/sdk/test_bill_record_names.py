"""Yearly/monthly records name their resource through the official SDK: an ECS with its disk
bought and paid, then read back by the customer (``list_customerself_resource_records``,
``list_customerself_resource_record_details``, the monthly break-down's ``resource_name``
filter) and by its partner (``list_sub_customer_bill_detail``): the order lines carry the
names of the resources they provisioned, as the resources list shows them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from huaweicloudsdkbss.v2 import model as bss

from tests.harness import LiveServer, Partner
from tests.sdk.test_orders import DISK_MONTH, VM_MONTH, business_now, load_catalog, ready_customer
from tests.sdk.test_resources import bought


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
