"""A yearly/monthly resource's life on a live sandbox server, every amount to the cent.

The partner sets a one-time budget of 100.00 (lifting the new customer's restriction), orders a
one-month ECS with a 40 GB disk (34.08) and a lone ECS (25.40) for the customer; the customer pays
the first with a 5.00 partner coupon (issued within a quota the operator granted); the partner,
through the customer's agency, pays the second and turns auto-renew on. The business clock is
frozen and moved by the operator (``POST /v1/sandbox/clock``): an unpaid order is cancelled at
its deadline, the lone ECS is unsubscribed after 10 days (pro-rata refund), the first expiry is
renewed automatically seven days before (budget 93.56 of 100 used), the second renewal finds the
budget too small, and the resource goes through grace (15 days) and retention (15 days) to
release (api-semantics.md §3.7, §3.8; rules.md §3, §5.11, §7.5–7.7).

Hand-computed amounts (demo catalogue, per month): ECS 25.40, 40 GB SSD 8.68.

    order A  34.08 list; coupon 5.00 → partner billed 29.08; budget 34.08
    order B  25.40 → partner billed 54.48 in all; budget 59.48
    B unsubscribed at T0 + 10 days of a month of L days: consumed = ⌈25.40 × 10 / L⌉ (cents),
             refund = 25.40 − consumed (table below)
    A renewed automatically: 34.08 → budget 93.56; the next renewal needs 34.08 > 6.44 left
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from huaweicloudsdkbssintl.v2 import model as m
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from sqlalchemy import select

from partner_center.domains.partners.public import PartnerType
from partner_center.domains.resources.models import OnDemandHandoff
from partner_center.domains.resources.public import ResourceService
from partner_center.kernel.clock import add_months, format_utc
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer
from tests.sdk.test_coupons import grant, issue, ledger_is_clean
from tests.sdk.test_orders import (
    PASSWORD,
    budget_used,
    business_now,
    exact,
    list_orders,
    load_catalog,
    operator,
    order_details,
    pay,
    placed,
    resources,
    set_budget,
    set_consumption_quota,
    signed,
    temporary_customer_client,
    used_quota,
    vm_with_disk,
)

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Refund of the lone ECS (25.40) unsubscribed 10 days into a month of L days:
#: consumed = 25.40 × 10 / L rounded up to the cent; refund = 25.40 − consumed.
REFUND_AFTER_10_DAYS = {
    28: D("16.32"),  # 9.0714… → 9.08
    29: D("16.64"),  # 8.7586… → 8.76
    30: D("16.93"),  # 8.4666… → 8.47
    31: D("17.20"),  # 8.1935… → 8.20
}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    # The partner in this story never repays its monthly bills: that restriction (overdue bills,
    # tests/integration/test_bill_run.py) is not what this scenario is about, so it lies beyond
    # the months the clock crosses here.
    live = LiveServer(url, bill_overdue_restrict_days=365).start()
    yield live
    live.stop()
    asyncio.run(drop_database(pg_name))


def move_to(server: LiveServer, when: datetime) -> list[dict[str, Any]]:
    """The operator moves the frozen business clock to ``when``; due jobs run on the way."""
    response = signed(
        server,
        operator(server),
        "POST",
        "/v1/sandbox/clock",
        {"to": format_utc(when), "freeze": True},
        timeout=600,
    )
    assert response.status_code == 200, response.text
    jobs: list[dict[str, Any]] = response.json()["jobs_run"]
    return jobs


def resource_state(client: Any, resource_id: str) -> list[tuple[int, int]]:
    listed = resources(client, resource_ids=[resource_id]).data
    return [(r.status, r.expire_policy) for r in listed]


def test_a_resource_from_order_to_release(server: LiveServer) -> None:
    load_catalog(server)
    start = business_now(server) + timedelta(days=2)
    t0 = start.replace(hour=2, minute=0, second=0, microsecond=0)  # 10:00 in Shanghai
    move_to(server, t0)
    assert business_now(server) == t0

    csp = server.partner(PartnerType.CSP, password=PASSWORD)
    customer = server.customer(csp, authorize=True)
    set_consumption_quota(server, csp, "1000")
    quota_id = grant(server, operator(server), csp, "50.00", days=90)

    # Budgets take 2 decimals: 100.005 is refused and changes nothing.
    with pytest.raises(ClientRequestException) as info:
        set_budget(server, csp, customer, "100.005")
    assert info.value.error_code == "CBC.0100"
    set_budget(server, csp, customer, "100.00")

    coupon = issue(server, csp, quota_id, [customer.account_id], "5.00")
    coupon_id = coupon.coupon_infos[0].coupon_id
    short = issue(
        server,
        csp,
        quota_id,
        [customer.account_id],
        "3.00",
        valid_time=format_utc(t0),
        expire_time=format_utc(t0 + timedelta(days=3)),
    )
    short_id = short.coupon_infos[0].coupon_id

    # Order A: an ECS with its disk, paid by the customer with the 5.00 coupon.
    order_a = placed(server, csp, customer)
    client = server.intl(customer)
    assert pay(client, order_a, coupon_id=coupon_id).status_code == 204
    a_info = order_details(client, order_a).order_info
    assert exact(a_info.official_amount) == D("34.08")
    assert exact(a_info.amount_info.coupon_amount) == D("5.00")
    assert used_quota(server, csp) == D("29.08")
    assert budget_used(server, csp, customer) == D("34.08")

    # Order B: a lone ECS, paid by the partner acting through the customer's agency.
    acting = temporary_customer_client(server, csp, customer)
    order_b = placed(server, csp, customer, products=vm_with_disk()[:1])
    assert pay(acting, order_b).status_code == 204
    assert used_quota(server, csp) == D("54.48")
    assert budget_used(server, csp, customer) == D("59.48")

    # Order C stays unpaid; the partner turns auto-renew on for A's server.
    order_c = placed(server, csp, customer, products=[{**vm_with_disk()[1], "parent_id": None}])
    vm_a, disk_a = resources(client, order_id=order_a).data
    vm_b = resources(client, order_id=order_b).data[0]
    on = acting.auto_renewal_resources(m.AutoRenewalResourcesRequest(resource_id=vm_a.resource_id))
    assert on.status_code == 204
    assert resource_state(client, vm_a.resource_id) == [(2, 3), (2, 3)]
    e1 = add_months(SHANGHAI, t0, 1)
    length = (e1 - t0).days
    assert vm_a.expire_time == format_utc(e1)

    # Ten days later: C was cancelled at its 7-day deadline, the short coupon expired.
    jobs = move_to(server, t0 + timedelta(days=10))
    assert {"orders.expire_unpaid"} <= {j["name"] for j in jobs}
    assert order_details(client, order_c).order_info.status == 4
    with pytest.raises(ClientRequestException) as info:
        pay(client, order_c)
    assert info.value.error_code == "CBC.99003106"

    # B is unsubscribed: 10 of its L days are kept, the rest refunded to the partner's account.
    refund = REFUND_AFTER_10_DAYS[length]
    done = client.cancel_resources_subscription(
        m.CancelResourcesSubscriptionRequest(
            body=m.UnsubscribeResourcesReq(resource_ids=[vm_b.resource_id], unsubscribe_type=1)
        )
    )
    assert done.fail_resource_infos == []
    refund_order = order_details(client, done.order_ids[0]).order_info
    assert (refund_order.order_type, exact(refund_order.official_amount)) == (4, refund)
    assert exact(refund_order.amount_info.consumed_amount) == D("25.40") - refund
    lines = server.intl(csp.creds).show_refund_order_details(
        m.ShowRefundOrderDetailsRequest(order_id=done.order_ids[0], customer_id=customer.account_id)
    )
    assert sorted(exact(x.amount) for x in lines.refund_infos) == sorted(
        [-refund, D("25.40") - refund]
    )
    assert used_quota(server, csp) == D("54.48") - refund
    assert budget_used(server, csp, customer) == D("59.48")  # budgets measure purchases

    # An expired coupon cannot pay; the order stays payable without it.
    order_d = placed(server, csp, customer)
    with pytest.raises(ClientRequestException) as info:
        pay(client, order_d, coupon_id=short_id)
    assert info.value.error_code == "CBC.99003108"
    client.cancel_customer_order(
        m.CancelCustomerOrderRequest(body=m.CancelCustomerOrderReq(order_id=order_d))
    )

    # Past the first expiry: renewed automatically at 03:00 Shanghai, seven days before.
    jobs = move_to(server, e1 + timedelta(hours=1))
    attempts = [j for j in jobs if j["name"] == "orders.auto_renew"]
    first_attempt = datetime.combine(
        e1.astimezone(SHANGHAI).date() - timedelta(days=7),
        datetime.min.time().replace(hour=3),
        tzinfo=SHANGHAI,
    )
    assert [j["due_at"] for j in attempts] == [format_utc(first_attempt)]
    renewals = list_orders(client, order_type="2")
    assert renewals.total_count == 1
    renewal = renewals.order_infos[0]
    assert (renewal.status, renewal.source_type) == (5, 8)
    assert exact(renewal.official_amount) == D("34.08")
    assert exact(renewal.amount_info.coupon_amount) == 0
    assert budget_used(server, csp, customer) == D("93.56")
    assert used_quota(server, csp) == D("54.48") - refund + D("34.08")
    e2 = add_months(SHANGHAI, e1, 1)
    assert {r.expire_time for r in resources(client, resource_ids=[vm_a.resource_id]).data} == {
        format_utc(e2)
    }
    assert resource_state(client, vm_a.resource_id) == [(2, 3), (2, 3)]

    # Past the second expiry: 6.44 of budget left, every daily attempt fails; grace period.
    jobs = move_to(server, e2 + timedelta(hours=1))
    failed = [j for j in jobs if j["name"] == "orders.auto_renew"]
    assert len(failed) == 8  # 03:00 on each of the last 7 days and on the expiry day
    assert list_orders(client, order_type="2", status=5).total_count == 1
    assert budget_used(server, csp, customer) == D("93.56")
    billed = used_quota(server, csp)
    assert billed == D("54.48") - refund + D("34.08")
    assert resource_state(client, vm_a.resource_id) == [(5, 3), (5, 3)]
    with pytest.raises(ClientRequestException) as info:
        pay(client, placed(server, csp, customer))
    assert info.value.error_code == "CBC.99003198"

    # Grace (15 days) → retention (frozen), retention (15 days) → released.
    move_to(server, e2 + timedelta(days=15, hours=1))
    assert resource_state(client, vm_a.resource_id) == [(4, 3), (4, 3)]
    move_to(server, e2 + timedelta(days=30, hours=1))
    assert resource_state(client, vm_a.resource_id) == [(3, 3), (3, 3)]
    assert disk_a.parent_resource_id == vm_a.resource_id
    late = client.renewal_resources(
        m.RenewalResourcesRequest(
            body=m.RenewalResourcesReq(resource_ids=[vm_a.resource_id], period_type=2, period_num=1)
        )
    )
    assert late.fail_resource_infos[0].error_code == "CBC.99003016"
    assert used_quota(server, csp) == billed
    assert budget_used(server, csp, customer) == D("93.56")
    assert httpx.get(server.url + "/health").status_code == 200
    assert ledger_is_clean(server)  # every cached balance equals its transfers


def test_switch_to_pay_per_use_at_expiry_and_an_earlier_deduction_day(server: LiveServer) -> None:
    load_catalog(server)
    csp = server.partner(PartnerType.CSP)
    customer = server.customer(csp, authorize=True)
    set_consumption_quota(server, csp, "1000")
    set_budget(server, csp, customer, "500.00")
    client = server.intl(customer)
    lone = [{**vm_with_disk()[0]}]
    switching = placed(server, csp, customer, products=lone)
    renewing = placed(server, csp, customer, products=lone)
    pay(client, switching)
    pay(client, renewing)
    x = resources(client, order_id=switching).data[0]
    y = resources(client, order_id=renewing).data[0]
    set_up = client.update_period_to_on_demand(
        m.UpdatePeriodToOnDemandRequest(
            body=m.PeriodToOnDemandReq(operation="SET_UP", resource_ids=[x.resource_id])
        )
    )
    assert set_up.error_details == []
    client.set_resources_renew_config(
        m.SetResourcesRenewConfigRequest(
            body=m.RenewResourceConfigReq(config_name="DEDUCTION_DATE", config_value="3")
        )
    )
    client.auto_renewal_resources(m.AutoRenewalResourcesRequest(resource_id=y.resource_id))
    expire = datetime.fromisoformat(y.expire_time.replace("Z", "+00:00"))

    jobs = move_to(server, expire + timedelta(hours=1))
    attempts = [j for j in jobs if j["name"] == "orders.auto_renew"]
    three_days_before = datetime.combine(
        expire.astimezone(SHANGHAI).date() - timedelta(days=3),
        datetime.min.time().replace(hour=3),
        tzinfo=SHANGHAI,
    )
    assert [(j["due_at"], j["outcome"]) for j in attempts] == [
        (format_utc(three_days_before), "DONE")
    ]
    assert resource_state(client, y.resource_id) == [(2, 3)]
    # X left yearly/monthly billing at its expiry and waits for the pay-per-use domain.
    assert resource_state(client, x.resource_id) == [(3, 1)]

    async def handoffs(state: Any) -> list[Any]:
        async with state.db.unit_of_work() as uow:
            service = ResourceService(uow.session, clock=state.clock, zone=SHANGHAI)
            for handoff in await service.pending_handoffs():
                if handoff.customer_id == customer.account_id:
                    await service.accept_handoff(handoff.id)
            rows = await uow.session.execute(
                select(OnDemandHandoff).where(OnDemandHandoff.tenant_id == customer.account_id)
            )
            return [
                (h.resource_id, format_utc(h.switch_at), h.order_id, h.status)
                for h in rows.scalars()
            ]

    # The pay-per-use domain takes the hand-over (its hourly job may have done so already).
    assert server._call(handoffs) == [(x.resource_id, x.expire_time, None, "ACCEPTED")]
    # The renewal was charged at the list price: two purchases and one renewal of 25.40.
    assert budget_used(server, csp, customer) == D("76.20")
    assert used_quota(server, csp) == D("76.20")
    assert ledger_is_clean(server)
