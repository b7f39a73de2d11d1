"""A partner's reads of its customers' consumption records need the permission item
BPC_ITEM_FINANCE_020101 (VIEW_EXPENDITURE, held by Admin and Finance; rules.md §1.22): through
the official SDK a member without it is refused ``CBC.0151`` by list_consume_sub_customers,
list_subcustomer_monthly_bills and list_sub_customer_bill_detail, and a Finance member's
customer records are answered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from huaweicloudsdkbss.v2.model import (
    ListConsumeSubCustomersReq,
    ListConsumeSubCustomersRequest,
    ListSubCustomerBillDetailRequest,
    ListSubcustomerMonthlyBillsRequest,
)
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from tests.harness import LiveServer, Partner
from tests.sdk.test_association_helpers import member

CYCLE = "2026-10"

READS: dict[str, Callable[[Any, str], Any]] = {
    "list_consume_sub_customers": lambda bss, _c: bss.list_consume_sub_customers(
        ListConsumeSubCustomersRequest(body=ListConsumeSubCustomersReq(bill_cycle=CYCLE))
    ),
    "list_subcustomer_monthly_bills": lambda bss, _c: bss.list_subcustomer_monthly_bills(
        ListSubcustomerMonthlyBillsRequest(cycle=CYCLE, charge_mode="3")
    ),
    "list_sub_customer_bill_detail": lambda bss, customer: bss.list_sub_customer_bill_detail(
        ListSubCustomerBillDetailRequest(bill_cycle=CYCLE, customer_id=customer)
    ),
}


@pytest.mark.parametrize("operation", sorted(READS))
def test_a_member_without_the_expenditure_permission_is_refused(
    server: LiveServer, csp: Partner, operation: str
) -> None:
    customer = server.customer(csp).account_id
    _, sales = member(server, csp, ["SALES_MANAGER", "OPERATIONS"])
    with pytest.raises(ClientRequestException) as refused:
        READS[operation](server.bss(sales), customer)
    assert refused.value.status_code == 403
    assert refused.value.error_code == "CBC.0151"


@pytest.mark.parametrize("operation", sorted(READS))
def test_a_finance_member_reads_the_consumption_records(
    server: LiveServer, csp: Partner, operation: str
) -> None:
    customer = server.customer(csp).account_id
    _, finance = member(server, csp, ["FINANCE"])
    answer = READS[operation](server.bss(finance), customer)
    assert answer.status_code == 200
