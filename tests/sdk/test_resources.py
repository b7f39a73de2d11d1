"""Yearly/monthly resources through the official SDK clients: paying with a partner coupon (the
discount first, then the coupon), renewals (pending or paid at once), unsubscription refunds
(five-day full refund, unstarted renewals, coupons kept), auto-renew and its settings, switching
to pay-per-use (api-semantics.md §3.7, §3.8; rules.md §5.11, §7.5–7.7).

Amounts are computed by hand from the demo catalogue: an ECS ``s6.large.2.linux`` with a 40 GB
SSD costs 25.40 + 8.68 = 34.08 a month.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from huaweicloudsdkbss.v2 import model as bss
from huaweicloudsdkbssintl.v2 import model as m

from partner_center.domains.customers.public import CustomerControl
from partner_center.kernel.clock import format_utc, parse_utc
from partner_center.state import AppState
from tests.harness import LiveServer, Partner
from tests.sdk.test_coupons import grant, issue, operator_creds
from tests.sdk.test_orders import (
    DISK_MONTH,
    VM_MONTH,
    D,
    budget_used,
    business_now,
    exact,
    list_orders,
    load_catalog,
    order_details,
    pay,
    placed,
    ready_customer,
    refused,
    resources,
    used_quota,
)

MONTH = VM_MONTH + DISK_MONTH


@pytest.fixture(scope="module", autouse=True)
def demo(server: LiveServer) -> None:
    load_catalog(server)


def bought(server: LiveServer, csp: Partner, customer: Any, **fields: Any) -> tuple[str, Any, Any]:
    """Order and pay an ECS with its disk; returns (order id, vm, disk)."""
    order_id = placed(server, csp, customer, **fields)
    assert pay(server.intl(customer), order_id).status_code == 204
    listed = resources(server.intl(customer), order_id=order_id)
    vm, disk = listed.data
    return order_id, vm, disk


def renew(client: Any, ids: list[str], *, num: int = 1, auto_pay: int | None = None) -> Any:
    return client.renewal_resources(
        m.RenewalResourcesRequest(
            body=m.RenewalResourcesReq(
                resource_ids=ids, period_type=2, period_num=num, is_auto_pay=auto_pay
            )
        )
    )


def unsubscribe(client: Any, ids: list[str], kind: int = 1) -> Any:
    return client.cancel_resources_subscription(
        m.CancelResourcesSubscriptionRequest(
            body=m.UnsubscribeResourcesReq(
                resource_ids=ids, unsubscribe_type=kind, unsubscribe_reason_type=5
            )
        )
    )


def refund_lines(client: Any, order_id: str, **query: Any) -> Any:
    return client.show_refund_order_details(
        m.ShowRefundOrderDetailsRequest(order_id=order_id, **query)
    )


def one(server: LiveServer, customer: Any, resource_id: str) -> Any:
    return resources(server.intl(customer), resource_ids=[resource_id], only_main_resource=1).data[
        0
    ]


def coupon_for(server: LiveServer, csp: Partner, customer: Any, value: str, **quota: Any) -> str:
    quota_id = grant(server, operator_creds(server), csp, "100.00", **quota)
    issued = issue(server, csp, quota_id, [customer.account_id], value)
    assert not issued.error_details, issued.error_details
    coupon_id: str = issued.coupon_infos[0].coupon_id
    return coupon_id


def test_a_coupon_pays_after_the_discount(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    coupon_id = coupon_for(server, csp, customer, "10.00")
    order_id = placed(server, csp, customer)
    usable = server.bss(customer).list_order_coupons_by_order_id(
        bss.ListOrderCouponsByOrderIdRequest(order_id=order_id)
    )
    assert [c.coupon_id for c in usable.user_coupons] == [coupon_id]
    assert exact(usable.user_coupons[0].balance) == D("10.00")
    discounts = server.intl(customer).list_order_discounts(
        m.ListOrderDiscountsRequest(order_id=order_id)
    )
    assert discounts.discounts == []  # none for a reseller-model customer

    before = used_quota(server, csp)
    assert pay(server.intl(customer), order_id, coupon_id=coupon_id).status_code == 204
    info = order_details(server.intl(customer), order_id).order_info
    assert exact(info.official_amount) == MONTH
    assert exact(info.amount_after_discount) == MONTH
    assert exact(info.amount_info.coupon_amount) == D("10.00")
    # The partner is billed what the coupon did not pay; the budget counts the list price.
    assert used_quota(server, csp) - before == MONTH - D("10.00") == D("24.08")
    assert budget_used(server, csp, customer) == MONTH
    # The coupon is spent: it cannot pay another order.
    second = placed(server, csp, customer)
    assert refused(lambda: pay(server.intl(customer), second, coupon_id=coupon_id)).error_code in (
        "CBC.99003112",
        "CBC.99003108",
    )
    assert order_details(server.intl(customer), second).order_info.status == 6


def test_coupons_out_of_scope_or_not_yet_valid_are_refused(
    server: LiveServer, csp: Partner
) -> None:
    customer = ready_customer(server, csp)
    vpc_only = coupon_for(
        server, csp, customer, "5.00", limits={"cloudServiceType": ["hws.service.type.vpc"]}
    )
    order_id = placed(server, csp, customer)
    error = refused(lambda: pay(server.intl(customer), order_id, coupon_id=vpc_only))
    assert (error.status_code, error.error_code) == (400, "CBC.99003108")
    quota_id = grant(server, operator_creds(server), csp, "100.00")
    now = business_now(server)
    not_yet = issue(
        server,
        csp,
        quota_id,
        [customer.account_id],
        "5.00",
        valid_time=format_utc(now + timedelta(days=2)),
        expire_time=format_utc(now + timedelta(days=10)),
    )
    later = not_yet.coupon_infos[0].coupon_id
    assert (
        refused(lambda: pay(server.intl(customer), order_id, coupon_id=later)).error_code
        == "CBC.99003108"
    )
    stranger = ready_customer(server, csp)
    theirs = coupon_for(server, csp, stranger, "5.00")
    assert (
        refused(lambda: pay(server.intl(customer), order_id, coupon_id=theirs)).error_code
        == "CBC.99006016"
    )
    # Nothing was held or charged: the order pays normally afterwards.
    before = used_quota(server, csp)
    assert pay(server.intl(customer), order_id).status_code == 204
    assert used_quota(server, csp) - before == MONTH


def test_renewals_pending_and_paid_at_once(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    client = server.intl(customer)
    _, vm, disk = bought(server, csp, customer)
    expire = parse_utc(vm.expire_time)

    pending = renew(client, [vm.resource_id])
    assert pending.fail_resource_infos == [] and len(pending.order_ids) == 1
    renewal = order_details(client, pending.order_ids[0])
    assert (renewal.order_info.order_type, renewal.order_info.status) == (2, 6)
    assert exact(renewal.order_info.official_amount) == MONTH
    assert renewal.total_count == 2  # the disk is renewed with its server
    # The resource is in an unpaid order: renewing again fails for it.
    again = renew(client, [vm.resource_id])
    assert again.order_ids == []
    assert again.fail_resource_infos[0].error_code == "CBC.99003100"
    assert again.fail_resource_infos[0].resource_id == vm.resource_id

    assert pay(client, pending.order_ids[0]).status_code == 204
    renewed = one(server, customer, vm.resource_id)
    new_expire = parse_utc(renewed.expire_time)
    assert 28 <= (new_expire - expire).days <= 31
    disk_now = resources(client, resource_ids=[vm.resource_id]).data
    assert {parse_utc(r.expire_time) for r in disk_now} == {new_expire}
    assert len(disk_now) == 2 and disk_now[1].resource_id == disk.resource_id

    before = used_quota(server, csp)
    paid_now = renew(server.bss(customer), [vm.resource_id], num=2, auto_pay=1)
    assert paid_now.fail_resource_infos == []
    assert order_details(client, paid_now.order_ids[0]).order_info.status == 5
    assert used_quota(server, csp) - before == 2 * MONTH
    assert list_orders(client, order_type="2").total_count == 2

    mixed = renew(client, [disk.resource_id, "no-such-resource"])
    assert [(f.resource_id, f.error_code) for f in mixed.fail_resource_infos] == [
        (disk.resource_id, "CBC.30010036"),
        ("no-such-resource", "CBC.99003012"),
    ]
    assert renew(client, [vm.resource_id], num=10).fail_resource_infos[0].error_code == (
        "CBC.30010069"
    )
    for ids, num, code in (
        ([vm.resource_id, vm.resource_id], 1, "CBC.30050012"),
        ([vm.resource_id], 12, "CBC.0100"),
        ([], 1, "CBC.0100"),
    ):
        error = refused(lambda i=ids, n=num: renew(client, i, num=n))
        assert (error.status_code, error.error_code) == (400, code)


def test_automatic_payment_of_a_renewal_fails_on_the_budget(
    server: LiveServer, csp: Partner
) -> None:
    customer = ready_customer(server, csp, budget="40.00")
    _, vm, _ = bought(server, csp, customer)
    before = used_quota(server, csp)
    failed = renew(server.intl(customer), [vm.resource_id], auto_pay=1)
    assert failed.order_ids == []
    info = failed.fail_resource_infos[0]
    assert info.error_code == "CBC.30050006" and "CBC.99003198" in info.error_msg
    assert used_quota(server, csp) == before
    assert budget_used(server, csp, customer) == MONTH
    # Nothing is left pending: a renewal order can still be created.
    assert renew(server.intl(customer), [vm.resource_id]).fail_resource_infos == []


def test_unsubscribing_within_five_days_refunds_what_was_paid(
    server: LiveServer, csp: Partner
) -> None:
    customer = ready_customer(server, csp)
    client = server.intl(customer)
    coupon_id = coupon_for(server, csp, customer, "10.00")
    order_id = placed(server, csp, customer)
    pay(client, order_id, coupon_id=coupon_id)
    vm, disk = resources(client, order_id=order_id).data
    before = used_quota(server, csp)

    done = unsubscribe(client, [disk.resource_id])  # an attached id unsubscribes its primary
    assert done.fail_resource_infos == [] and len(done.order_ids) == 1
    refund_order = done.order_ids[0]
    info = order_details(client, refund_order).order_info
    assert (info.order_type, info.status) == (4, 5)
    # Paid 24.08 in money and 10.00 by coupon: the money comes back, the coupon does not.
    assert exact(info.official_amount) == exact(info.amount_after_discount) == D("24.08")
    lines = refund_lines(client, refund_order)
    assert sorted(exact(x.amount) for x in lines.refund_infos) == sorted(
        [-(VM_MONTH - D("7.45")), -(DISK_MONTH - D("2.55"))]
    )
    assert {x.base_order_id for x in lines.refund_infos} == {order_id}
    assert used_quota(server, csp) == before - D("24.08")
    coupons = server.bss(customer).list_sub_customer_coupons(
        bss.ListSubCustomerCouponsRequest(coupon_id=coupon_id)
    )
    assert exact(coupons.user_coupons[0].balance) == 0
    gone = resources(client, resource_ids=[vm.resource_id]).data
    assert {r.status for r in gone} == {3}
    # The partner reads the refund with the customer's id; other orders are not refunds.
    as_partner = refund_lines(server.bss(csp.creds), refund_order, customer_id=customer.account_id)
    assert as_partner.total_count == 2
    assert refused(lambda: refund_lines(client, order_id)).error_code == "CBC.99005026"
    assert unsubscribe(client, [vm.resource_id]).fail_resource_infos[0].error_code == (
        "CBC.30000067"
    )


def test_unsubscribing_only_the_unstarted_renewal(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    client = server.intl(customer)
    _, vm, _ = bought(server, csp, customer)
    assert unsubscribe(client, [vm.resource_id], 2).fail_resource_infos[0].error_code == (
        "CBC.99003128"
    )
    renew(client, [vm.resource_id], auto_pay=1)
    before = used_quota(server, csp)
    done = unsubscribe(client, [vm.resource_id], 2)
    assert done.fail_resource_infos == []
    assert exact(order_details(client, done.order_ids[0]).order_info.official_amount) == MONTH
    assert used_quota(server, csp) == before - MONTH
    back = one(server, customer, vm.resource_id)
    assert (back.status, back.expire_time) == (2, vm.expire_time)


def test_auto_renew_switches_and_settings(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    client = server.intl(customer)
    _, vm, disk = bought(server, csp, customer)
    on = client.auto_renewal_resources(m.AutoRenewalResourcesRequest(resource_id=vm.resource_id))
    assert on.status_code == 204
    listed = resources(client, resource_ids=[vm.resource_id]).data
    assert [r.expire_policy for r in listed] == [3, 3]  # the disk follows
    times = client.auto_renewal_resources(
        m.AutoRenewalResourcesRequest(
            resource_id=vm.resource_id,
            body=m.AutoRenewalResourcesReq(auto_renew_times=2, period_type="MONTH"),
        )
    )
    assert times.status_code == 204
    bad = refused(
        lambda: client.auto_renewal_resources(
            m.AutoRenewalResourcesRequest(
                resource_id=vm.resource_id, body=m.AutoRenewalResourcesReq(auto_renew_times=100)
            )
        )
    )
    assert bad.error_code == "CBC.0100"
    off = server.bss(customer).cancel_auto_renewal_resources(
        bss.CancelAutoRenewalResourcesRequest(resource_id=vm.resource_id)
    )
    assert off.status_code == 204
    assert [r.expire_policy for r in resources(client, resource_ids=[vm.resource_id]).data] == [
        0,
        0,
    ]
    again = refused(
        lambda: client.cancel_auto_renewal_resources(
            m.CancelAutoRenewalResourcesRequest(resource_id=vm.resource_id)
        )
    )
    assert again.error_code == "CBC.99003605"
    unknown = refused(
        lambda: client.auto_renewal_resources(m.AutoRenewalResourcesRequest(resource_id="nope"))
    )
    assert unknown.error_code == "CBC.99003012"
    # Another customer cannot switch this resource.
    other = ready_customer(server, csp)
    assert (
        refused(
            lambda: server.intl(other).auto_renewal_resources(
                m.AutoRenewalResourcesRequest(resource_id=vm.resource_id)
            )
        ).error_code
        == "CBC.99003012"
    )
    assert disk.parent_resource_id == vm.resource_id

    def config(name: str, value: str) -> Any:
        return client.set_resources_renew_config(
            m.SetResourcesRenewConfigRequest(
                body=m.RenewResourceConfigReq(config_name=name, config_value=value)
            )
        )

    assert config("DEDUCTION_DATE", "3").status_code == 200
    assert config("EXPIRE_DATE", "-1").status_code == 200
    for name, value in (
        ("DEDUCTION_DATE", "1"),
        ("DEDUCTION_DATE", "8"),
        ("EXPIRE_DATE", "29"),
        ("EXPIRE_DATE", "x"),
        ("RENEW_DAY", "3"),
    ):
        assert refused(lambda n=name, v=value: config(n, v)).error_code == "CBC.0100"


def test_switching_to_pay_per_use(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    client = server.intl(customer)
    _, vm, disk = bought(server, csp, customer)

    def switch(operation: str, ids: list[str]) -> Any:
        return client.update_period_to_on_demand(
            m.UpdatePeriodToOnDemandRequest(
                body=m.PeriodToOnDemandReq(operation=operation, resource_ids=ids)
            )
        )

    result = switch("SET_UP", [vm.resource_id, disk.resource_id, "nope"])
    assert [(e.id, e.error_code) for e in result.error_details] == [
        (disk.resource_id, "CBC.30010036"),
        ("nope", "CBC.99003012"),
    ]
    assert [r.expire_policy for r in resources(client, resource_ids=[vm.resource_id]).data] == [
        1,
        1,
    ]
    assert switch("CANCEL", [vm.resource_id]).error_details == []
    assert one(server, customer, vm.resource_id).expire_policy == 0
    assert refused(lambda: switch("NOW", [vm.resource_id])).error_code == "CBC.0100"

    # A restricted customer cannot set the switch up.
    restricted = ready_customer(server, csp)
    _, theirs, _ = bought(server, csp, restricted)

    async def restrict(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            await CustomerControl(uow.session, clock=state.clock).restrict(
                restricted.account_id, by=csp.id, reason="test"
            )

    server._call(restrict)
    error = refused(
        lambda: server.intl(restricted).update_period_to_on_demand(
            m.UpdatePeriodToOnDemandRequest(
                body=m.PeriodToOnDemandReq(operation="SET_UP", resource_ids=[theirs.resource_id])
            )
        )
    )
    assert error.error_code == "CBC.99003626"

    # Instantly (China client): the unused time is refunded at once and the resource leaves.
    before = used_quota(server, csp)
    now = server.bss(customer).update_period_to_on_demand_instantly(
        bss.UpdatePeriodToOnDemandInstantlyRequest(
            body=bss.PeriodToOnDemandInstantlyReq(resource_ids=[vm.resource_id, "nope"])
        )
    )
    results = {r.resource_id: r for r in now.to_ondemand_service_results}
    assert results[vm.resource_id].result == "SUCCESS"
    assert (results["nope"].result, results["nope"].error_code) == ("FAIL", "CBC.99003012")
    switched = order_details(client, results[vm.resource_id].order_id).order_info
    assert switched.order_type == 10
    # Seconds of a month were used: each line keeps its first cent (rounded up), the rest
    # (34.08 − 0.02) comes back.
    assert exact(switched.official_amount) == D("34.06")
    assert exact(switched.amount_info.consumed_amount) == D("0.02")
    assert used_quota(server, csp) == before - D("34.06")
    assert {r.status for r in resources(client, resource_ids=[vm.resource_id]).data} == {3}
    assert format_utc(parse_utc(vm.expire_time)) == vm.expire_time


def test_renewals_stop_at_five_years(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp, budget="5000.00", quota="10000")
    _, vm, _ = bought(server, csp, customer)
    client = server.intl(customer)
    three_years = client.renewal_resources(
        m.RenewalResourcesRequest(
            body=m.RenewalResourcesReq(
                resource_ids=[vm.resource_id], period_type=3, period_num=3, is_auto_pay=1
            )
        )
    )
    assert three_years.fail_resource_infos == []
    # A year is sold at 10 months' price: (254.00 + 86.80) × 3 = 1022.40.
    paid = order_details(client, three_years.order_ids[0]).order_info
    assert exact(paid.official_amount) == D("1022.40")
    # 1 month + 3 years + 3 more years would run past 60 months from now.
    again = client.renewal_resources(
        m.RenewalResourcesRequest(
            body=m.RenewalResourcesReq(resource_ids=[vm.resource_id], period_type=3, period_num=3)
        )
    )
    assert again.fail_resource_infos[0].error_code == "CBC.99003154"
