"""Customer-self bill operations through the official SDK on a live server, on a bill issued by
the bill run: show_customer_monthly_sum, list_customerself_resource_records (bss and intl) list_customer_bills_fee_records
(bss), list_customerself_resource_record_details (both), list_costs (both),
list_customer_bills_monthly_break_down, list_resource_usage and list_resource_usage_summary (bss),
with filters, paging, refusals and tenancy. The cycle's activity is written straight into the orders and pay-per-use tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from huaweicloudsdkbss.v2.model import (
    FilterFactor,
    FilterV2,
    GroupBy,
    ListCostsReq,
    ListCostsRequest,
    ListCustomerBillsFeeRecordsRequest,
    ListCustomerBillsMonthlyBreakDownRequest,
    ListCustomerselfResourceRecordDetailsRequest,
    ListCustomerselfResourceRecordsRequest,
    ListResourceUsageRequest,
    ListResourceUsageSummaryRequest,
    QueryResRecordsDetailReq,
    ShowCustomerMonthlySumRequest,
    TimeCondition,
)
from huaweicloudsdkbssintl.v2.model import GroupBy as IntlGroupBy
from huaweicloudsdkbssintl.v2.model import ListCostsReq as IntlListCostsReq
from huaweicloudsdkbssintl.v2.model import ListCostsRequest as IntlListCostsRequest
from huaweicloudsdkbssintl.v2.model import (
    ListCustomerselfResourceRecordDetailsRequest as IntlRecordDetailsRequest,
)
from huaweicloudsdkbssintl.v2.model import (
    ListCustomerselfResourceRecordsRequest as IntlListCustomerselfResourceRecordsRequest,
)
from huaweicloudsdkbssintl.v2.model import QueryResRecordsDetailReq as IntlRecordDetailsReq
from huaweicloudsdkbssintl.v2.model import (
    ShowCustomerMonthlySumRequest as IntlShowCustomerMonthlySumRequest,
)
from huaweicloudsdkbssintl.v2.model import TimeCondition as IntlTimeCondition
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.provisioning import Credentials
from tests.factories.bills import (
    BANDWIDTH,
    ECS,
    EVS,
    VM,
    VOLUME,
    VPC,
    add_rows,
    bandwidth_fee,
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


def _activity(server: LiveServer, partner: Partner, *extra: Any) -> tuple[Credentials, Credentials]:
    """One customer's month: an order (10.00 by coupon), a refund, usage of two products;
    another customer of the same partner with a small order."""
    me = server.customer(partner)
    other = server.customer(partner)
    vm = f"m-{me.account_id}"
    rows: list[Any] = [
        resource_row(vm, me.account_id, partner.id, None, DAY),
        fee_row(vm, me.account_id, partner.id, "12.345", hour=DAY, rated_at=DAY, cycle=CYCLE),
        fee_row(
            vm,
            me.account_id,
            partner.id,
            "0.00000001",
            hour=DAY + timedelta(hours=1),
            rated_at=DAY,
            cycle=CYCLE,
        ),
        volume_fee(f"v-{vm}", me.account_id, partner.id, "0.005", at=DAY, cycle=CYCLE),
        *order_rows(me.account_id, partner.id, None, "100.00", coupon="10.00", paid_at=DAY),
        *order_rows(me.account_id, partner.id, None, "30.00", refund=True, paid_at=DAY),
        *order_rows(other.account_id, partner.id, None, "5.00", paid_at=DAY),
    ]
    rows += [row(me.account_id) for row in extra]
    server._call(bill_rows, rows=rows, cycle=CYCLE)
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
    # Every amount of the sum is written with 2 decimals (the bill's total is stored at scale 8).
    assert [str(a) for a in (answer.consume_amount, answer.coupon_amount, answer.debt_amount)] == [
        "82.35",
        "10.00",
        "72.35",
    ]
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


def test_list_customerself_resource_records(server: LiveServer, csp: Partner) -> None:
    later = DAY + timedelta(days=10)
    me, other = _activity(
        server,
        csp,
        lambda c: fee_row(
            f"m-{c}", c, csp.id, "0", hour=DAY + timedelta(hours=2), rated_at=DAY, cycle=CYCLE
        ),
        lambda c: fee_row(f"m-{c}", c, csp.id, "1.5", hour=later, rated_at=later, cycle=CYCLE),
    )

    def records(creds: Credentials, **kw: Any) -> Any:
        return server.bss(creds).list_customerself_resource_records(
            ListCustomerselfResourceRecordsRequest(cycle=CYCLE, **kw)
        )

    everything = records(me, limit=1000)
    assert (everything.total_count, everything.currency) == (7, "USD")
    got = sorted(
        (r.bill_type, r.charge_mode, r.cloud_service_type, r.amount, r.coupon_amount)
        for r in everything.fee_records
    )
    assert got == [
        (1, "1", ECS, D("100.00"), D("10.00")),
        (4, "1", ECS, D("-30.00"), D(0)),
        (5, "3", EVS, D("0.005"), D(0)),
        (5, "3", ECS, D(0), D(0)),
        (5, "3", ECS, D("0.00000001"), D(0)),
        (5, "3", ECS, D("1.5"), D(0)),
        (5, "3", ECS, D("12.345"), D(0)),
    ]
    # Every record is the caller's; the records add up to the month's consumption to the cent.
    assert {r.customer_id for r in everything.fee_records} == {me.account_id}
    assert sum(r.amount for r in everything.fee_records) == D("83.85000001")
    purchase = next(r for r in everything.fee_records if r.bill_type == 1)
    assert purchase.trade_id.startswith("CS") and purchase.debt_amount == D("90.00")
    assert purchase.bill_date == "2026-10-10" and purchase.trade_time.endswith("Z")

    # Filters.
    assert records(me, charge_mode="1").total_count == 2
    assert records(me, bill_type=4).fee_records[0].amount == D("-30.00")
    assert records(me, cloud_service_type=EVS).total_count == 1
    assert records(me, include_zero_record=False).total_count == 6
    assert records(me, trade_id=purchase.trade_id).total_count == 1
    day = records(me, bill_date_begin="2026-10-20", bill_date_end="2026-10-20")
    assert [(r.amount, r.bill_date) for r in day.fee_records] == [(D("1.5"), "2026-10-20")]

    # Per resource and day (statistic_type 2): the VM's three records of the 10th are one line.
    daily = records(me, statistic_type=2, limit=1000)
    assert sorted((r.bill_type, r.bill_date, r.amount) for r in daily.fee_records) == [
        (1, "2026-10-10", D("100.00")),
        (4, "2026-10-10", D("-30.00")),
        (5, "2026-10-10", D("0.005")),
        (5, "2026-10-10", D("12.34500001")),
        (5, "2026-10-20", D("1.5")),
    ]
    assert daily.total_count == 5 and {r.id for r in daily.fee_records} == {""}
    # Per resource of the cycle (1).
    cycle_sums = records(me, statistic_type=1, charge_mode="3").fee_records
    assert sorted(r.amount for r in cycle_sums) == [D("0.005"), D("13.84500001")]

    # Paging: disjoint pages covering the set, by trade time.
    pages = [records(me, offset=o, limit=3) for o in (0, 3, 6)]
    assert [p.total_count for p in pages] == [7, 7, 7]
    ids = [r.id for p in pages for r in p.fee_records]
    assert sorted(ids) == sorted(r.id for r in everything.fee_records)
    assert pages[2].fee_records[0].bill_date == "2026-10-20"

    # The intl client's operation.
    intl = server.intl(me).list_customerself_resource_records(
        IntlListCustomerselfResourceRecordsRequest(cycle=CYCLE, charge_mode="3")
    )
    assert intl.total_count == 5

    # Tenancy: another customer sees only its own; a partner cannot call it.
    theirs = records(other)
    assert [(r.customer_id, r.amount) for r in theirs.fee_records] == [
        (other.account_id, D("5.00"))
    ]
    assert records(server.customer(csp)).total_count == 0
    with pytest.raises(ClientRequestException) as partner_call:
        records(csp.creds)
    assert partner_call.value.status_code == 403

    # Refusals.
    for kw in (
        {"cycle": "2026/10"},
        {"limit": 1001},
        {"bill_date_begin": "2026-10-01"},
        {"bill_date_begin": "2026-10-01", "bill_date_end": "2026-11-01"},
        {"sub_customer_id": other.account_id},
        {"statistic_type": 4},
    ):
        with pytest.raises(ClientRequestException) as refused:
            server.bss(me).list_customerself_resource_records(
                ListCustomerselfResourceRecordsRequest(**{"cycle": CYCLE, **kw})
            )
        assert refused.value.error_code == "CBC.0100", kw


def test_list_customer_bills_fee_records(server: LiveServer, csp: Partner) -> None:
    me, other = _activity(server, csp)

    def records(creds: Credentials, **kw: Any) -> Any:
        return server.bss(creds).list_customer_bills_fee_records(
            ListCustomerBillsFeeRecordsRequest(bill_cycle=CYCLE, **kw)
        )

    everything = records(me, limit=1000)
    assert (everything.total_count, everything.currency) == (5, "USD")
    got = sorted(
        (r.bill_type, r.charging_mode, r.service_type_code, r.consume_amount, r.debt_amount)
        for r in everything.records
    )
    assert got == [
        (1, 1, ECS, D("100.00"), D("90.00")),
        (4, 1, ECS, D("-30.00"), D("-30.00")),
        (5, 3, EVS, D("0.005"), D("0.005")),
        (5, 3, ECS, D("0.00000001"), D("0.00000001")),
        (5, 3, ECS, D("12.345"), D("12.345")),
    ]
    # To the cent: the records' consumption less coupons is what the bill says is owed.
    owed = sum(r.consume_amount - r.coupon_amount for r in everything.records)
    assert owed.quantize(D("0.01")) == D("72.35")
    assert {(r.customer_id, r.status, r.provider_type) for r in everything.records} == {
        (me.account_id, 1, 1)
    }
    # Filters and paging.
    assert records(me, resource_type_code=VOLUME).total_count == 1
    assert records(me, charging_mode=3).total_count == 3
    assert records(me, bill_type=4).records[0].consume_amount == D("-30.00")
    assert records(me, status=3).total_count == 0
    page = records(me, offset=4, limit=2)
    assert (page.total_count, len(page.records)) == (5, 1)
    # Tenancy.
    assert [r.customer_id for r in records(other).records] == [other.account_id]
    with pytest.raises(ClientRequestException) as partner_call:
        records(csp.creds)
    assert partner_call.value.status_code == 403
    # The enterprise project: an order's own, "0" (the default) for pay-per-use.
    server._call(
        add_rows,
        rows=[
            *order_rows(
                me.account_id, csp.id, None, "7.00", paid_at=DAY, enterprise_project_id="ep-1"
            )
        ],
    )
    assert records(me).total_count == 6
    assert records(me, enterprise_project_id="0").total_count == 5
    ep1 = records(me, enterprise_project_id="ep-1").records
    assert [(r.bill_type, r.consume_amount) for r in ep1] == [(1, D("7.00"))]
    assert records(me, enterprise_project_id="ep-2").total_count == 0
    # Refusals.
    for kw in ({"bill_cycle": "2026-13"}, {"limit": 1001}, {"status": 4}):
        with pytest.raises(ClientRequestException) as refused:
            server.bss(me).list_customer_bills_fee_records(
                ListCustomerBillsFeeRecordsRequest(**{"bill_cycle": CYCLE, **kw})
            )
        assert refused.value.error_code == "CBC.0100", kw


def test_list_customerself_resource_record_details(server: LiveServer, csp: Partner) -> None:
    # 16:00 UTC on the 10th is midnight of the 11th in the billing time zone (UTC+8).
    midnight = DAY + timedelta(hours=12)
    me, other = _activity(
        server,
        csp,
        lambda c: fee_row(f"m-{c}", c, csp.id, "2", hour=midnight, rated_at=midnight, cycle=CYCLE),
    )

    def details(creds: Credentials, **kw: Any) -> Any:
        return server.bss(creds).list_customerself_resource_record_details(
            ListCustomerselfResourceRecordDetailsRequest(
                body=QueryResRecordsDetailReq(cycle=CYCLE, **kw)
            )
        )

    # Per resource (the default): the VM's two usage records are one line.
    summed = details(me, limit=1000)
    assert (summed.total_count, summed.currency) == (4, "USD")
    got = sorted(
        (r.bill_type, r.charge_mode, r.cloud_service_type, r.consume_amount, r.debt_amount)
        for r in summed.monthly_records
    )
    assert got == [
        (1, 1, ECS, D("100.00"), D("90.00")),
        (4, 1, ECS, D("-30.00"), D("-30.00")),
        (5, 3, EVS, D("0.005"), D("0.005")),
        (5, 3, ECS, D("14.34500001"), D("14.34500001")),
    ]
    vm = next(r for r in summed.monthly_records if r.consume_amount == D("14.34500001"))
    assert (vm.res_instance_id, vm.resource_type_code, vm.trade_id) == (
        f"m-{me.account_id}",
        VM,
        "",
    )
    assert {(r.customer_id, r.cycle) for r in summed.monthly_records} == {(me.account_id, CYCLE)}
    # Per record, and the DAILY window.
    assert details(me, statistic_type=3).total_count == 6
    # Per resource and day (2): the VM's day of the 10th and its first hour of the 11th.
    per_day = details(me, statistic_type=2, charge_mode=3).monthly_records
    assert sorted((r.bill_date, r.consume_amount) for r in per_day) == [
        ("2026-10-10", D("0.005")),
        ("2026-10-10", D("12.34500001")),
        ("2026-10-11", D("2")),
    ]
    eleventh = details(
        me,
        statistic_type=2,
        query_type="DAILY",
        bill_cycle_begin="2026-10-11",
        bill_cycle_end="2026-10-11",
    )
    assert [(r.bill_date, r.consume_amount) for r in eleventh.monthly_records] == [
        ("2026-10-11", D("2"))
    ]
    day = details(
        me,
        statistic_type=3,
        query_type="DAILY",
        bill_cycle_begin="2026-10-10",
        bill_cycle_end="2026-10-10",
        charge_mode=3,
    )
    assert day.total_count == 3
    # Filters and paging.
    assert details(me, resource_type=VOLUME).total_count == 1
    assert details(me, enterprise_project_id="0").total_count == 4
    assert details(me, enterprise_project_id="ep-1").total_count == 0
    assert details(me, res_instance_id=f"m-{me.account_id}").total_count == 1
    assert details(me, bill_type=4).monthly_records[0].consume_amount == D("-30.00")
    paged = details(me, offset=3, limit=3)
    assert (paged.total_count, len(paged.monthly_records)) == (4, 1)
    # The intl client.
    intl = server.intl(me).list_customerself_resource_record_details(
        IntlRecordDetailsRequest(body=IntlRecordDetailsReq(cycle=CYCLE, charge_mode=1))
    )
    assert intl.total_count == 2
    # Tenancy.
    assert [r.customer_id for r in details(other).monthly_records] == [other.account_id]
    with pytest.raises(ClientRequestException) as partner_call:
        details(csp.creds)
    assert partner_call.value.status_code == 403
    # Refusals.
    for kw in (
        {"cycle": "2018-12"},
        {"limit": 1001},
        {"statistic_type": 4},
        {"query_type": "DAILY"},
        {"query_type": "DAILY", "statistic_type": 1},
        {"payer_account_id": other.account_id},
    ):
        with pytest.raises(ClientRequestException) as refused:
            server.bss(me).list_customerself_resource_record_details(
                ListCustomerselfResourceRecordDetailsRequest(
                    body=QueryResRecordsDetailReq(**{"cycle": CYCLE, **kw})
                )
            )
        assert refused.value.error_code == "CBC.0100", kw


def _costs_req(**kw: Any) -> ListCostsReq:
    """A monthly ORIGINAL_COST query of the cycle grouped by service type, overridable."""
    fields: dict[str, Any] = {
        "time_condition": TimeCondition(time_measure_id=2, begin_time=CYCLE, end_time=CYCLE),
        "groupby": [GroupBy(type="dimension", key="CLOUD_SERVICE_TYPE")],
        "cost_type": "ORIGINAL_COST",
        "amount_type": "PAYMENT_AMOUNT",
    }
    return ListCostsReq(**{**fields, **kw})


def test_list_costs(server: LiveServer, csp: Partner) -> None:
    later = DAY + timedelta(days=10)
    me, other = _activity(
        server,
        csp,
        lambda c: fee_row(f"m-{c}", c, csp.id, "1.5", hour=later, rated_at=later, cycle=CYCLE),
    )

    def costs(creds: Credentials, **kw: Any) -> Any:
        return server.bss(creds).list_costs(ListCostsRequest(body=_costs_req(**kw)))

    # Per service type: ECS 100 − 30 + 12.345 + 0.00000001 + 1.5 = 83.84500001 → 83.85.
    answer = costs(me)
    assert (answer.total_count, answer.currency) == (2, "USD")
    got = [
        (
            [(d.key, d.value) for d in g.dimensions],
            [(c.time_dimension_value, c.time_measure_id, c.amount) for c in g.costs],
            g.amount_by_costs,
        )
        for g in answer.cost_data
    ]
    assert got == [
        ([("CLOUD_SERVICE_TYPE", EVS)], [(CYCLE, 2, "0.01")], "0.01"),
        ([("CLOUD_SERVICE_TYPE", ECS)], [(CYCLE, 2, "83.85")], "83.85"),
    ]
    # Net of the 10.00 coupon; per day; per charging mode and account.
    net = costs(me, amount_type="NET_AMOUNT")
    assert [g.amount_by_costs for g in net.cost_data] == ["0.01", "73.85"]
    daily = costs(
        me,
        time_condition=TimeCondition(
            time_measure_id=1, begin_time="2026-10-01", end_time="2026-10-31"
        ),
    )
    assert [(c.time_dimension_value, c.amount) for c in daily.cost_data[1].costs] == [
        ("2026-10-10", "82.35"),
        ("2026-10-20", "1.50"),
    ]
    modes = costs(
        me,
        groupby=[
            GroupBy(type="dimension", key="CHARGING_MODE"),
            GroupBy(type="dimension", key="PAYER_ACCOUNT_ID"),
        ],
    )
    assert [([d.value for d in g.dimensions], g.amount_by_costs) for g in modes.cost_data] == [
        (["1", me.account_id], "70.00"),
        (["3", me.account_id], "13.85"),
    ]
    # Filters: only EVS; everything but the purchase and refund (bill types 1 and 4).
    evs = costs(
        me,
        filters=[
            FilterV2(operator=0, filter_factor=FilterFactor(key="CLOUD_SERVICE_TYPE", value=[EVS]))
        ],
    )
    assert [g.dimensions[0].value for g in evs.cost_data] == [EVS]
    usage = costs(
        me,
        filters=[
            FilterV2(operator=1, filter_factor=FilterFactor(key="BILL_TYPE", value=["1", "4"]))
        ],
    )
    assert [g.amount_by_costs for g in usage.cost_data] == ["0.01", "13.85"]
    # Paging over the groups.
    second = costs(me, offset=1, limit=1)
    assert (second.total_count, [g.dimensions[0].value for g in second.cost_data]) == (2, [ECS])
    # The intl client.
    intl = server.intl(me).list_costs(
        IntlListCostsRequest(
            body=IntlListCostsReq(
                time_condition=IntlTimeCondition(
                    time_measure_id=2, begin_time=CYCLE, end_time=CYCLE
                ),
                groupby=[IntlGroupBy(type="dimension", key="RESOURCE_TYPE")],
                cost_type="ORIGINAL_COST",
                amount_type="NET_AMOUNT",
            )
        )
    )
    assert [(g.dimensions[0].value, g.amount_by_costs) for g in intl.cost_data] == [
        (VM, "73.85"),
        (VOLUME, "0.01"),
    ]
    # Tenancy: another customer sees only its own; naming it as the payer gives nothing;
    # a partner cannot call it.
    assert [g.amount_by_costs for g in costs(other).cost_data] == ["5.00"]
    someone_else = FilterV2(
        operator=0, filter_factor=FilterFactor(key="PAYER_ACCOUNT_ID", value=[other.account_id])
    )
    assert costs(me, filters=[someone_else]).total_count == 0
    assert costs(server.customer(csp)).total_count == 0
    with pytest.raises(ClientRequestException) as partner_call:
        costs(csp.creds)
    assert partner_call.value.status_code == 403
    # Refusals.
    for kw in (
        {"cost_type": "AMORTIZED"},
        {
            "time_condition": TimeCondition(
                time_measure_id=2, begin_time="2026-10", end_time="2027-10"
            )
        },
        {"time_condition": TimeCondition(time_measure_id=1, begin_time=CYCLE, end_time=CYCLE)},
        {"groupby": [GroupBy(type="tag", key="env")]},
        {"limit": 101},
    ):
        with pytest.raises(ClientRequestException) as refused:
            costs(me, **kw)
        assert refused.value.error_code == "CBC.0100", kw


def test_list_customer_bills_monthly_break_down(server: LiveServer, csp: Partner) -> None:
    me, other = _activity(server, csp)

    def breakdown(creds: Credentials, **kw: Any) -> Any:
        return server.bss(creds).list_customer_bills_monthly_break_down(
            ListCustomerBillsMonthlyBreakDownRequest(**{"shared_month": CYCLE, **kw})
        )

    # Per resource and bill type: the VM's two usage records are one line.
    answer = breakdown(me, limit=1000)
    assert (answer.total_count, answer.currency) == (4, "USD")
    got = sorted(
        (
            d.bill_type,
            d.charging_mode,
            d.service_type_code,
            d.consume_amount,
            d.current_month_amortized_amount,
            d.amortized_cash_amount,
            d.amortized_coupon_amount,
        )
        for d in answer.details
    )
    assert got == [
        (1, 1, ECS, D("100.00"), D("100.00"), D("90.00"), D("10.00")),
        (4, 1, ECS, D("-30.00"), D("-30.00"), D("-30.00"), D(0)),
        (5, 3, EVS, D("0.005"), D("0.005"), D("0.005"), D(0)),
        (5, 3, ECS, D("12.34500001"), D("12.34500001"), D("12.34500001"), D(0)),
    ]
    # To the cent: the month's share adds up to the bill's consumption.
    month = sum(d.current_month_amortized_amount for d in answer.details)
    assert month.quantize(D("0.01")) == D("82.35")
    assert {(d.customer_id, d.shared_month, d.bill_cycle) for d in answer.details} == {
        (me.account_id, CYCLE, CYCLE)
    }
    assert {
        (d.past_months_amortized_amount, d.future_months_amortized_amount) for d in answer.details
    } == {(D(0), D(0))}
    # Filters and paging.
    assert breakdown(me, charging_mode=3).total_count == 2
    assert breakdown(me, service_type_code=EVS).details[0].resource_type_code == VOLUME
    assert breakdown(me, bill_type=4).details[0].consume_amount == D("-30.00")
    vm = breakdown(me, resource_id=f"m-{me.account_id}")
    assert [d.usage > 0 for d in vm.details] == [True]
    # By the resource's name: the VM (named "vm"; the volume has no resource kept here and
    # orders keep no name).
    named = breakdown(me, resource_name="vm")
    assert [(d.resource_id, d.consume_amount) for d in named.details] == [
        (f"m-{me.account_id}", D("12.34500001"))
    ]
    assert breakdown(me, resource_name="other").total_count == 0
    pages = [breakdown(me, offset=o, limit=3) for o in (0, 3)]
    assert [(p.total_count, len(p.details)) for p in pages] == [(4, 3), (4, 1)]
    # Tenancy: another customer sees only its own; a month without costs is empty; a partner
    # cannot call it.
    theirs = breakdown(other)
    assert [(d.customer_id, d.consume_amount) for d in theirs.details] == [
        (other.account_id, D("5.00"))
    ]
    assert breakdown(me, shared_month="2026-09").total_count == 0
    with pytest.raises(ClientRequestException) as partner_call:
        breakdown(csp.creds)
    assert partner_call.value.status_code == 403
    # Refusals.
    for kw in ({"shared_month": "2026-13"}, {"limit": 1001}, {"sub_customer_id": other.account_id}):
        with pytest.raises(ClientRequestException) as refused:
            breakdown(me, **kw)
        assert refused.value.error_code == "CBC.0100", kw


def _subscriptions(server: LiveServer, partner: Partner) -> Credentials:
    """A customer's yearly/monthly orders and a pay-per-use fee (billing time zone UTC+8):
    a month for 30.00 (6.00 by coupon) bought 2026-06-16 10:00, so June 16 to July 15, 30 days
    of 1.00 (0.20 coupon); a year for 100.00 bought 2026-07-01 04:00 (June 30 in UTC), so 365
    days of 0.27397260 and a residue of 0.00000100 on 2027-06-30; 2.50 of usage on July 10."""
    me = server.customer(partner)
    month = datetime(2026, 6, 16, 2, 0, tzinfo=UTC)
    year = datetime(2026, 6, 30, 20, 0, tzinfo=UTC)
    july = datetime(2026, 7, 10, 4, 0, tzinfo=UTC)
    c = me.account_id
    rows: list[Any] = [
        *order_rows(
            c,
            partner.id,
            None,
            "30.00",
            coupon="6.00",
            paid_at=month,
            expire_at=datetime(2026, 7, 16, 2, 0, tzinfo=UTC),
        ),
        *order_rows(
            c,
            partner.id,
            None,
            "100.00",
            paid_at=year,
            expire_at=datetime(2027, 6, 30, 20, 0, tzinfo=UTC),
        ),
        resource_row(f"m-{c}", c, partner.id, None, july),
        fee_row(f"m-{c}", c, partner.id, "2.50", hour=july, rated_at=july, cycle="2026-07"),
    ]
    server._call(add_rows, rows=rows)
    return me


def test_amortized_costs(server: LiveServer, csp: Partner) -> None:
    me = _subscriptions(server, csp)

    def costs(first: str, last: str, measure: int = 2, **kw: Any) -> Any:
        fields: dict[str, Any] = {
            "time_condition": TimeCondition(
                time_measure_id=measure, begin_time=first, end_time=last
            ),
            "groupby": [GroupBy(type="dimension", key="CHARGING_MODE")],
            "cost_type": "AMORTIZED_COST",
            **kw,
        }
        return server.bss(me).list_costs(ListCostsRequest(body=_costs_req(**fields)))

    def per_mode(answer: Any) -> list[Any]:
        return [
            (
                g.dimensions[0].value,
                [(c.time_dimension_value, c.amount) for c in g.costs],
                g.amount_by_costs,
            )
            for g in answer.cost_data
        ]

    # June: half the month's fee; July: the other half + 31 × 0.27397260 = 8.4931506 of the
    # year; usage in full.
    assert per_mode(costs("2026-06", "2026-07")) == [
        ("1", [("2026-06", "15.00"), ("2026-07", "23.49")], "38.49"),
        ("3", [("2026-07", "2.50")], "2.50"),
    ]
    # Net of coupons: 15 − 3 = 12 per half.
    net = costs("2026-06", "2026-07", amount_type="NET_AMOUNT")
    assert per_mode(net)[0] == ("1", [("2026-06", "12.00"), ("2026-07", "20.49")], "32.49")
    # Paid as is: the month's fee in June, the year's in July (bill date in UTC+8).
    original = costs("2026-06", "2026-07", cost_type="ORIGINAL_COST")
    assert per_mode(original)[0] == ("1", [("2026-06", "30.00"), ("2026-07", "100.00")], "130.00")
    # The year's twelve months sum exactly to 100.00 with July's half month: June 2027 bears
    # 30 × 0.27397260 + the residue 0.00000100 = 8.219179.
    year = per_mode(costs("2026-07", "2027-06"))[0]
    assert year[2] == "115.00"
    assert (year[1][0], year[1][-1], len(year[1])) == (
        ("2026-07", "23.49"),
        ("2027-06", "8.22"),
        12,
    )
    # Per day: both fees on July 15 (the month's last day), only the year's from July 16.
    daily = costs("2026-07-14", "2026-07-16", measure=1)
    assert per_mode(daily)[0][1] == [
        ("2026-07-14", "1.27"),
        ("2026-07-15", "1.27"),
        ("2026-07-16", "0.27"),
    ]
    assert per_mode(costs("2026-05", "2026-05")) == []

    def breakdown(month: str, **kw: Any) -> Any:
        return server.bss(me).list_customer_bills_monthly_break_down(
            ListCustomerBillsMonthlyBreakDownRequest(shared_month=month, **kw)
        )

    def shares(answer: Any) -> list[Any]:
        return [
            (
                d.charging_mode,
                d.bill_cycle,
                d.consume_amount,
                d.past_months_amortized_amount,
                d.current_month_amortized_amount,
                d.future_months_amortized_amount,
                d.amortized_cash_amount,
                d.amortized_coupon_amount,
            )
            for d in answer.details
        ]

    july = breakdown("2026-07")
    assert july.total_count == 3
    assert sorted(shares(july)) == [
        (1, "2026-06", D("30.00"), D("15.00"), D("15.00"), D("0.00"), D("12.00"), D("3.00")),
        (
            1,
            "2026-07",
            D("100.00"),
            D("0.00"),
            D("8.4931506"),
            D("91.5068494"),
            D("8.4931506"),
            D("0.00"),
        ),
        (3, "2026-07", D("2.50"), D("0.00"), D("2.50"), D("0.00"), D("2.50"), D("0.00")),
    ]
    assert {d.shared_month for d in july.details} == {"2026-07"}
    assert shares(breakdown("2026-06")) == [
        (1, "2026-06", D("30.00"), D("0.00"), D("15.00"), D("15.00"), D("12.00"), D("3.00"))
    ]
    last = shares(breakdown("2027-06"))
    assert last == [
        (
            1,
            "2026-07",
            D("100.00"),
            D("91.780821"),
            D("8.219179"),
            D("0.00"),
            D("8.219179"),
            D("0.00"),
        )
    ]
    # Filters: the mode, and the paid cycle's orders stay out of a month they do not reach.
    assert [d.charging_mode for d in breakdown("2026-07", charging_mode=3).details] == [3]
    assert breakdown("2026-07", charging_mode=1).total_count == 2
    assert breakdown("2027-07").total_count == 0
    page = breakdown("2026-07", offset=1, limit=1)
    assert (page.total_count, len(page.details)) == (3, 1)


def test_list_resource_usage(server: LiveServer, csp: Partner) -> None:
    """95th percentile of 40 hours over two days: 1..40 Mbit/s → the 38th (ceil(0.95 × 40)),
    an hour rated twice counts once, summed; another resource and another customer apart."""
    me, other = _activity(server, csp)
    bw, bw2 = f"bw-{me.account_id}", f"bw2-{me.account_id}"
    start = datetime(2026, 10, 5, 0, 0, tzinfo=UTC)
    rows: list[Any] = [
        bandwidth_fee(
            bw, me.account_id, csp.id, str(n), hour=start + timedelta(hours=n - 1), cycle=CYCLE
        )
        for n in range(1, 40)
    ]
    # Hour 40 (2026-10-06 15:00 UTC) rated in two parts: 30 + 10 = 40.
    last = start + timedelta(hours=39)
    rows += [
        bandwidth_fee(bw, me.account_id, csp.id, q, hour=last, cycle=CYCLE) for q in ("30", "10")
    ]
    rows[-1].rated_at = last + timedelta(hours=1)
    rows += [
        bandwidth_fee(bw2, me.account_id, csp.id, "7.5", hour=start, cycle=CYCLE),
        bandwidth_fee(
            f"bw-{other.account_id}", other.account_id, csp.id, "99", hour=start, cycle=CYCLE
        ),
    ]
    server._call(add_rows, rows=rows)

    def details(creds: Credentials, **kw: Any) -> Any:
        fields = {
            "bill_cycle": CYCLE,
            "service_type_code": VPC,
            "resource_type_code": BANDWIDTH,
            "usage_type": "95Peak",
            "resource_id": bw,
            **kw,
        }
        return server.bss(creds).list_resource_usage(ListResourceUsageRequest(**fields))

    def summary(creds: Credentials, **kw: Any) -> Any:
        fields = {
            "bill_cycle": CYCLE,
            "service_type_code": VPC,
            "resource_type_code": BANDWIDTH,
            "usage_type": "95Peak",
            **kw,
        }
        return server.bss(creds).list_resource_usage_summary(
            ListResourceUsageSummaryRequest(**fields)
        )

    answer = details(me)
    assert (answer.band_width, answer.monthly_peak_band_width, answer.actual_days) == (
        "38.00",
        "40.00",
        "2",
    )
    assert (answer.band_width_measure_id, answer.monthly_guaranteed_band_width) == (15, "0")
    # Per day of the billing time zone (UTC+8: 2026-10-05 ends at 16:00 UTC), the day's peak.
    assert answer.total_count == 2
    assert [(u.stat_time, u.usage, u.measure_id) for u in answer.usage_info_list] == [
        ("2026-10-05", "16.00", 15),
        ("2026-10-06", "40.00", 15),
    ]
    # Paging over the days.
    assert [u.stat_time for u in details(me, offset=1, limit=1).usage_info_list] == ["2026-10-06"]
    # The summary: one line per resource, by resource id; a filter on the usage type.
    got = summary(me)
    assert got.total_count == 2
    assert [(s.resource_id, s.band_width, s.actual_days) for s in got.summary_usage_info_list] == [
        (bw, "38.00", "2"),
        (bw2, "7.50", "1"),
    ]
    assert [s.resource_id for s in summary(me, offset=1, limit=1).summary_usage_info_list] == [bw2]
    assert summary(me, usage_type="95peak_plus").total_count == 0
    # Tenancy: another customer's resource is not the caller's (the empty result), and its
    # summary holds only its own; a partner cannot call them.
    assert details(me, resource_id=f"bw-{other.account_id}").total_count == 0
    assert details(other).band_width == "0"
    assert [s.band_width for s in summary(other).summary_usage_info_list] == ["99.00"]
    with pytest.raises(ClientRequestException) as partner_call:
        summary(csp.creds)
    assert partner_call.value.status_code == 403
    # Refusals.
    for kw in ({"bill_cycle": "2026-13"}, {"usage_type": "Duration"}, {"limit": 101}):
        for call in (details, summary):
            with pytest.raises(ClientRequestException) as refused:
                call(me, **kw)
            assert refused.value.error_code == "CBC.0100", kw
