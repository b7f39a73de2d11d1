"""Resource packages bought with yearly/monthly orders, on a live sandbox server with the
business clock frozen and moved by the operator.

The operator's catalogue (the demo catalogue plus one package) sells "100 hours of s6.small.1
Linux a month" (5.00 a month, Hong Kong), a resource type of ECS whose attributes name the free
quota: 100 hours of ``Duration`` of ``s6.small.1.linux`` VMs, restored each calendar month
(billing time zone). Pay-per-use s6.small.1 Linux costs 0.0127 an hour.

Customer A buys one month of the package five days before a month begins (t0) and runs a VM:

* its 120 hours before the month ends: 100 free, 20 charged = 0.254;
* the first 30 hours of the new month: free (the quota is restored);
* after the package's expiry (the order's month): every hour charged again.

Customer B buys the same package and unsubscribes it seven days later: refunded pro rata
(``⌈5.00 × 7 / L⌉`` kept, L the term's days), and from then on nothing is free.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from huaweicloudsdkbssintl.v2 import model as m

from partner_center.domains.catalog.public import demo_catalog
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import add_months, format_utc, parse_utc
from partner_center.provisioning import Credentials, import_catalog
from partner_center.state import AppState
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, unique
from tests.scenarios.test_period_resource_lifecycle import move_to
from tests.sdk.test_orders import (
    ECS,
    EXT,
    HK,
    PASSWORD,
    business_now,
    exact,
    operator,
    order_details,
    pay,
    placed,
    ready_customer,
    signed,
)
from tests.sdk.test_resources import renew, unsubscribe
from tests.signed import signed_request

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
PACKAGE_TYPE = "hws.resource.type.ec2.package"
PACKAGE_SPEC = "pkg.s6.small.1.linux.100h"
VM_SPEC = "s6.small.1.linux"
PRICE = D("0.0127")
PACKAGE_PRODUCT = {
    "id": "pkg",
    "cloud_service_type": ECS,
    "resource_type": PACKAGE_TYPE,
    "resource_spec": PACKAGE_SPEC,
    "region": HK,
}


def catalog_with_package() -> dict[str, Any]:
    raw = demo_catalog()
    raw["version"] = 2
    raw["description"] = "demo catalogue and a resource package"
    for service in raw["service_types"]:
        if service["code"] == ECS:
            service["resource_types"].append(PACKAGE_TYPE)
    raw["resource_types"].append(
        {
            "code": PACKAGE_TYPE,
            "service_type": ECS,
            "name": {"en_US": "ECS resource package", "zh_CN": "云主机资源包"},
            "description": {"en_US": "Free VM hours", "zh_CN": "云主机免费时长"},
            "usage_types": [],
        }
    )

    def attribute(code: str, value: str) -> dict[str, Any]:
        return {"code": code, "name": {"en_US": code, "zh_CN": code}, "value": value}

    raw["specs"].append(
        {
            "service_type": ECS,
            "resource_type": PACKAGE_TYPE,
            "code": PACKAGE_SPEC,
            "name": {
                "en_US": "100 hours of s6.small.1 Linux a month",
                "zh_CN": "每月100小时 s6.small.1 Linux",
            },
            "attributes": [
                attribute("package_resource_type", "hws.resource.type.vm"),
                attribute("package_resource_spec", VM_SPEC),
                attribute("package_usage_type", "Duration"),
                attribute("package_amount", "100"),
                attribute("package_measure_id", "4"),
                attribute("package_reuse_cycle", "4"),
            ],
            "prices": [
                {
                    "region": HK,
                    "charging_mode": "PERIOD",
                    "period_type": 2,
                    "period_nums": [1, 2, 3],
                    "price": "5.00",
                }
            ],
        }
    )
    return raw


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    live = LiveServer(url, bill_overdue_restrict_days=365).start()

    async def load(state: AppState) -> None:
        await import_catalog(state, catalog_with_package(), source="test")

    live._call(load)
    yield live
    live.stop()
    asyncio.run(drop_database(pg_name))


def start_vm(server: LiveServer, customer: Credentials) -> str:
    response = signed(
        server,
        customer,
        "POST",
        f"{EXT}/on-demand-resources",
        {
            "region_code": HK,
            "service_type_code": ECS,
            "resource_type_code": "hws.resource.type.vm",
            "resource_spec_code": VM_SPEC,
            "resource_name": unique("vm"),
        },
    )
    assert response.status_code == 200, response.text
    resource_id: str = response.json()["resource_id"]
    return resource_id


def ingest(server: LiveServer, resource_id: str, t0: datetime, hours: range) -> None:
    batch = [
        {
            "record_id": f"{resource_id}:{h}",
            "resource_id": resource_id,
            "usage_type": "Duration",
            "usage_hour": format_utc(t0 + timedelta(hours=h)),
            "quantity": "1",
            "measure_id": 4,
        }
        for h in hours
    ]
    response = signed(server, operator(server), "POST", f"{EXT}/usage/records", batch)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(batch), response.text


def charged(
    server: LiveServer, partner: Any, customer: Credentials, t0: datetime
) -> dict[int, Decimal]:
    """Hour from ``t0`` → the fee, for every fee record of the customer."""
    response = signed_request(
        server.url,
        partner.creds,
        "GET",
        f"{EXT}/usage/fee-records",
        query=f"customer_id={customer.account_id}",
    )
    assert response.status_code == 200, response.text
    return {
        hours_between(t0, parse_utc(f["usage_hour"])): D(str(f["official_amount"]))
        for f in response.json()["fee_records"]
    }


def hours_between(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 3600)


def packages(client: Any) -> list[Any]:
    infos = client.list_free_resource_infos(
        m.ListFreeResourceInfosRequest(body=m.ListFreeResourceInfosReq())
    )
    return list(infos.free_resource_packages)


def package_resource(client: Any, order_id: str) -> Any:
    listed = client.list_pay_per_use_customer_resources(
        m.ListPayPerUseCustomerResourcesRequest(body=m.QueryResourcesReq(order_id=order_id))
    ).data
    assert len(listed) == 1
    return listed[0]


def test_a_package_bought_monthly_covers_usage_resets_expires_and_refunds(
    server: LiveServer,
) -> None:
    now = business_now(server)
    local = now.astimezone(SHANGHAI)
    month = (local.replace(day=1) + timedelta(days=40)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    month_start = month.astimezone(UTC)
    t0 = month_start - timedelta(days=5)
    move_to(server, t0 - timedelta(minutes=10))

    csp = server.partner(PartnerType.CSP, password=PASSWORD)
    a = ready_customer(server, csp)
    b = ready_customer(server, csp)
    client_a, client_b = server.intl(a), server.intl(b)
    order_a = placed(server, csp, a, products=[PACKAGE_PRODUCT])
    order_b = placed(server, csp, b, products=[PACKAGE_PRODUCT])
    move_to(server, t0)
    assert pay(client_a, order_a).status_code == 204
    assert pay(client_b, order_b).status_code == 204
    assert exact(order_details(client_a, order_a).order_info.official_amount) == D("5.00")
    expiry = add_months(SHANGHAI, t0, 1)

    [pkg_a] = packages(client_a)
    assert (pkg_a.status, pkg_a.source_type, pkg_a.order_id) == (1, 0, order_a)
    assert pkg_a.quota_reuse_mode == 1
    assert (pkg_a.effective_time, pkg_a.expire_time) == (format_utc(t0), format_utc(expiry))
    resource_a = package_resource(client_a, order_a)
    assert resource_a.expire_time == format_utc(expiry)

    move_to(server, t0 + timedelta(minutes=5))
    vm_a, vm_b = start_vm(server, a), start_vm(server, b)

    # The 5 days before the month begins: 100 of 120 hours free, 20 × 0.0127 = 0.254.
    for day in range(5):
        move_to(server, t0 + timedelta(days=day, hours=23, minutes=30))
        ingest(server, vm_a, t0, range(day * 24, day * 24 + 24))
    # The new month: the quota is restored, its first 30 hours are free.
    move_to(server, month_start + timedelta(hours=30, minutes=30))
    ingest(server, vm_a, t0, range(120, 150))
    move_to(server, month_start + timedelta(hours=31, minutes=5))
    fees = charged(server, csp, a, t0)
    assert len(fees) == 150
    assert [h for h, fee in sorted(fees.items()) if fee > 0] == list(range(100, 120))
    assert sum(fees.values()) == D("0.254")
    assert {fees[h] for h in range(100, 120)} == {PRICE}

    # B unsubscribes its package 7 days after buying it: pro rata, the used days kept.
    move_to(server, t0 + timedelta(days=7))
    resource_b = package_resource(client_b, order_b)
    done = client_b.cancel_resources_subscription(
        m.CancelResourcesSubscriptionRequest(
            body=m.UnsubscribeResourcesReq(
                resource_ids=[resource_b.resource_id], unsubscribe_type=1
            )
        )
    )
    assert done.fail_resource_infos == []
    days = (expiry - t0).days
    kept = D(math.ceil(D("500") * 7 / days)) / 100
    refund_order = order_details(client_b, done.order_ids[0]).order_info
    assert (refund_order.order_type, exact(refund_order.official_amount)) == (4, D("5.00") - kept)
    assert exact(refund_order.amount_info.consumed_amount) == kept
    [pkg_b] = packages(client_b)
    assert pkg_b.status == 4
    # Nothing of B's usage from then on is free.
    move_to(server, t0 + timedelta(days=7, hours=5, minutes=30))
    ingest(server, vm_b, t0, range(168, 173))
    move_to(server, t0 + timedelta(days=7, hours=6, minutes=5))
    assert charged(server, csp, b, t0) == dict.fromkeys(range(168, 173), PRICE)

    # After the order's month, A's package has expired with it: every hour is charged again.
    move_to(server, expiry + timedelta(hours=10, minutes=30))
    [pkg_a] = packages(client_a)
    assert pkg_a.status == 3
    after = hours_between(t0, expiry)
    ingest(server, vm_a, t0, range(after, after + 10))
    move_to(server, expiry + timedelta(hours=11, minutes=5))
    fees = charged(server, csp, a, t0)
    assert [fees[h] for h in range(after, after + 10)] == [PRICE] * 10


def test_a_renewal_extends_the_package_and_unsubscribing_it_takes_it_back(
    server: LiveServer,
) -> None:
    csp = server.partner(PartnerType.CSP, password=PASSWORD)
    customer = ready_customer(server, csp)
    client = server.intl(customer)
    order_id = placed(server, csp, customer, products=[PACKAGE_PRODUCT])
    assert pay(client, order_id).status_code == 204
    bought = package_resource(client, order_id)
    first_expiry = parse_utc(bought.expire_time)

    paid = renew(client, [bought.resource_id], num=2, auto_pay=1)
    assert paid.order_ids
    renewed = add_months(SHANGHAI, first_expiry, 2)
    assert package_resource(client, order_id).expire_time == format_utc(renewed)
    [package] = packages(client)
    assert (package.expire_time, package.status) == (format_utc(renewed), 1)

    # Only the renewal, which has not started, is unsubscribed: back to the first expiry.
    done = unsubscribe(client, [bought.resource_id], kind=2)
    assert done.fail_resource_infos == []
    [package] = packages(client)
    assert (package.expire_time, package.status) == (format_utc(first_expiry), 1)
