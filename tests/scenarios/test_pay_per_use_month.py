"""A month of pay-per-use on a live sandbox server.

Customer A (budget 2,000, a package of 500 free hours of its small VM) runs three pay-per-use
resources for 30 days: the VM (the package is consumed first, then each hour is charged), an
OBS bucket storing 100 GB (GB-hours rated per GB-month: every hour rounds to 8 decimals) and the
bucket's outbound traffic, 25 GB an hour, whose price tier changes inside hour 410 of the month.
Customer B (budget 10, "restrict purchases and freeze resources" on exhaustion) runs a large VM
until its budget runs out: then its resources are frozen and its usage is no longer charged.

Usage is ingested a day at a time through the operator's bulk endpoint and the operator moves
the sandbox clock (POST /v1/sandbox/clock), so the hourly rating job runs as time passes. Every
expected amount is computed by hand below from the demo catalogue's list prices.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from huaweicloudsdkbssintl.v2.model import (
    ListCustomerOnDemandResourcesRequest,
    ListFreeResourceInfosReq,
    ListFreeResourceInfosRequest,
    ListFreeResourcesUsageRecordsRequest,
    ListFreeResourceUsagesReq,
    ListFreeResourceUsagesRequest,
    ModSubCustomerBudgetReq,
    QueryCustomerOnDemandResourcesReq,
    ShowSubCustomerBudgetRequest,
    UpdateSubCustomerBudgetRequest,
)

from partner_center.domains.customers.models import Customer
from partner_center.domains.customers.public import CustomerControl, FreezeType
from partner_center.kernel.clock import parse_utc
from partner_center.provisioning import (
    Credentials,
    create_credentials,
    ensure_operator,
    import_demo_catalog,
)
from partner_center.state import AppState
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, unique
from tests.signed import signed_request

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
HK = "ap-southeast-1"
ECS, OBS = "hws.service.type.ec2", "hws.service.type.obs"
VM, BUCKET = "hws.resource.type.vm", "hws.resource.type.obs"
HOUR, GB, GB_HOUR = 4, 10, 44
DAYS = 30


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    live = LiveServer(url).start()

    async def load(state: AppState) -> None:
        await import_demo_catalog(state)

    live._call(load)
    yield live
    live.stop()
    asyncio.run(drop_database(pg_name))


async def _operator(state: AppState) -> Credentials:
    return await create_credentials(state, account_id=await ensure_operator(state))


async def _frozen_at(state: AppState, *, customer_id: str) -> datetime:
    async with state.db.unit_of_work() as uow:
        row = await uow.session.get(Customer, customer_id)
        assert row is not None and row.frozen_at is not None
        return row.frozen_at


async def _freeze_type(state: AppState, *, customer_id: str) -> FreezeType | None:
    async with state.db.unit_of_work() as uow:
        return (
            await CustomerControl(uow.session, clock=state.clock).state(customer_id)
        ).freeze_type


def utc_text(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def call(
    server: LiveServer,
    creds: Credentials,
    method: str,
    path: str,
    body: Any = None,
    query: str = "",
) -> Any:
    response = signed_request(
        server.url,
        creds,
        method,
        path,
        query=query,
        body=b"" if body is None else json.dumps(body).encode(),
    )
    assert response.status_code == 200, response.text
    return response.json()


def month_start(now: datetime) -> datetime:
    """00:00 on the 1st of the next month with at least 30 days (billing zone)."""
    local = now.astimezone(SHANGHAI)
    first = (local.replace(day=1) + timedelta(days=32)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    if first.month == 2:
        first = first.replace(month=3)
    return first.astimezone(UTC)


def usage(
    resource_id: str, usage_type: str, hour: datetime, quantity: str, measure: int
) -> dict[str, Any]:
    return {
        "record_id": f"{resource_id}:{usage_type}:{utc_text(hour)}",
        "resource_id": resource_id,
        "usage_type": usage_type,
        "usage_hour": utc_text(hour),
        "quantity": quantity,
        "measure_id": measure,
    }


def test_a_month_of_pay_per_use(server: LiveServer) -> None:
    operator: Credentials = server._call(_operator)
    csp = server.partner()
    other = server.partner()
    call(
        server,
        operator,
        "PUT",
        f"/v1/partner-center/operator/partners/{csp.id}/consumption-quota",
        {"consumption_quota": 10000},
    )
    a = server.customer(csp)
    b = server.customer(csp)
    intl = server.intl(csp.creds)
    for customer, amount in ((a, 2000), (b, 10)):
        intl.update_sub_customer_budget(
            UpdateSubCustomerBudgetRequest(
                body=ModSubCustomerBudgetReq(
                    customer_id=customer.account_id,
                    budget_amount=D(amount),
                    cancel_partner_frozen="1",
                )
            )
        )
    call(
        server,
        csp.creds,
        "POST",
        "/v1/partner-center/budgets/exhaustion-action",
        {"customer_id": b.account_id, "action": "RESTRICT_AND_FREEZE", "accept_agreement": True},
    )

    now = parse_utc(call(server, operator, "GET", "/v1/sandbox/clock")["now"])
    t0 = month_start(now)
    call(server, operator, "POST", "/v1/sandbox/clock", {"to": utc_text(t0)})

    def create(customer: Credentials, **fields: Any) -> str:
        body = {"region_code": HK, "resource_name": unique("res"), **fields}
        return str(
            call(server, customer, "POST", "/v1/partner-center/on-demand-resources", body)[
                "resource_id"
            ]
        )

    vm = create(
        a, service_type_code=ECS, resource_type_code=VM, resource_spec_code="s6.small.1.linux"
    )
    bucket = create(
        a, service_type_code=OBS, resource_type_code=BUCKET, resource_spec_code="obs.standard"
    )
    big = create(
        b, service_type_code=ECS, resource_type_code=VM, resource_spec_code="m7.2xlarge.8.linux"
    )
    package = call(
        server,
        operator,
        "POST",
        f"/v1/partner-center/operator/customers/{a.account_id}/free-resource-packages",
        {
            "product_name": "500 hours of s6.small.1",
            "service_type_code": ECS,
            "region_code": HK,
            "effective_time": utc_text(t0),
            "expire_time": utc_text(t0 + timedelta(days=365)),
            "free_resources": [
                {
                    "resource_type_code": VM,
                    "usage_type": "Duration",
                    "amount": 500,
                    "measure_id": HOUR,
                    "resource_spec_code": "s6.small.1.linux",
                }
            ],
        },
    )
    free_id = package["free_resources"][0]["free_resource_id"]

    last_batch: list[dict[str, Any]] = []
    for day in range(DAYS):
        start = t0 + timedelta(days=day)
        # The day's hours have all begun: the metering reports them.
        call(
            server,
            operator,
            "POST",
            "/v1/sandbox/clock",
            {"to": utc_text(start + timedelta(hours=23, minutes=30))},
        )
        batch = []
        for h in range(24):
            hour = start + timedelta(hours=h)
            batch += [
                usage(vm, "Duration", hour, "1", HOUR),
                usage(bucket, "storage", hour, "100", GB_HOUR),
                usage(bucket, "upflow", hour, "25", GB),
                usage(big, "Duration", hour, "60", 5),  # 60 minutes
            ]
        report = call(server, operator, "POST", "/v1/partner-center/usage/records", batch)
        assert report == {
            "received": 96,
            "accepted": 96,
            "duplicates": 0,
            "rejected": 0,
            "rejections": [],
        }
        last_batch = batch
    end = t0 + timedelta(days=DAYS)
    call(
        server, operator, "POST", "/v1/sandbox/clock", {"to": utc_text(end + timedelta(minutes=5))}
    )

    def fees(customer: Credentials) -> dict[str, Any]:
        return dict(
            call(
                server,
                csp.creds,
                "GET",
                "/v1/partner-center/usage/fee-records",
                query=f"customer_id={customer.account_id}",
            )
        )

    # Customer A, by hand:
    #   VM: 720 h, 500 free, 220 × 0.0127                      =    2.794
    #   storage: 100 GB-h/h = 100/720 GB-month × 0.023 = 0.0031944…/h → 0.00319444 × 720
    #                                                          =    2.2999968
    #   upflow: 25 GB/h; the first 10,240 GB of the month at 0.12, then 0.085:
    #     409 h × 3.0 (10,225 GB) + (15 × 0.12 + 10 × 0.085 = 2.65) + 310 h × 2.125
    #                                                          = 1888.4
    records = fees(a)["fee_records"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_type.setdefault(record["usage_type"] + ":" + record["resource_spec_code"], []).append(
            record
        )
    vm_fees = by_type["Duration:s6.small.1.linux"]
    storage = by_type["storage:obs.standard"]
    upflow = by_type["upflow:obs.standard"]
    assert len(vm_fees) == len(storage) == len(upflow) == 720
    assert [f["official_amount"] for f in vm_fees[:500]] == ["0"] * 500
    assert {f["charge_state"] for f in vm_fees[:500]} == {"FREE"}
    assert {f["official_amount"] for f in vm_fees[500:]} == {"0.0127"}
    assert {f["official_amount"] for f in storage} == {"0.00319444"}
    assert [f["official_amount"] for f in upflow[408:411]] == ["3", "2.65", "2.125"]
    assert sum(D(f["official_amount"]) for f in vm_fees) == D("2.794")
    assert sum(D(f["official_amount"]) for f in storage) == D("2.2999968")
    assert sum(D(f["official_amount"]) for f in upflow) == D("1888.4")
    total_a = D("1893.4939968")
    assert D(fees(a)["total_amount"]) == total_a

    # Customer B: 0.416/h; day 1 (24 h) = 9.984 leaves 0.016 of the budget of 10. Day 2's
    # usage is ingested at 23:30 of day 2; the next rating run charges it all (it happened
    # before any freeze), takes the last 0.016 of the budget, and the exhaustion action freezes
    # the resources at that run's time. The hourly runs coalesce while nothing else is due, so
    # that run is the last top of an hour before the next ingest (23:00 of day 3) unless another
    # domain's job falls in between; whichever it is, usage of the hours that began before the
    # freeze is charged and none after it.
    frozen_at = server._call(_frozen_at, customer_id=b.account_id)
    assert server._call(_freeze_type, customer_id=b.account_id) == FreezeType.ACCOUNT_AND_RESOURCE
    assert t0 + timedelta(hours=47, minutes=30) < frozen_at <= t0 + timedelta(hours=71)
    charged_hours = sum(1 for h in range(DAYS * 24) if t0 + timedelta(hours=h) < frozen_at)
    b_fees = fees(b)["fee_records"]
    assert len(b_fees) == charged_hours
    assert {f["official_amount"] for f in b_fees} == {"0.416"}
    total_b = D("0.416") * charged_hours
    assert D(fees(b)["total_amount"]) == total_b

    # Budgets at list price (cents on the wire).
    def used(customer: Credentials) -> Decimal:
        return D(
            intl.show_sub_customer_budget(
                ShowSubCustomerBudgetRequest(customer_id=customer.account_id)
            ).used_amount
        )

    assert used(a) == D("1893.49")
    assert used(b) == D("10.00")  # never more than the budget: used-up, then frozen

    # The partner's postpaid consumption: every charge of both customers.
    quota = call(server, csp.creds, "GET", "/v1/partner-center/consumption-quota")
    assert D(quota["unbilled_amount"]) == (total_a + total_b).quantize(
        D("0.01"), rounding=ROUND_HALF_UP
    )

    # The package: used up, 500 deductions, the last one took the last hour.
    customer_a = server.intl(a)
    infos = customer_a.list_free_resource_infos(
        ListFreeResourceInfosRequest(body=ListFreeResourceInfosReq())
    )
    assert infos.total_count == 1
    pkg = infos.free_resource_packages[0]
    assert (pkg.status, pkg.source_type, pkg.order_id, pkg.quota_reuse_mode) == (2, 1, "", 2)
    assert (pkg.free_resources[0].amount, pkg.free_resources[0].original_amount) == ("0", "500")
    detail = customer_a.list_free_resource_usages(
        ListFreeResourceUsagesRequest(body=ListFreeResourceUsagesReq(free_resource_ids=[free_id]))
    ).free_resources
    assert [(d.amount, d.original_amount) for d in detail] == [(D(0), D(500))]
    first_day = t0.astimezone(SHANGHAI).strftime("%Y-%m-%d")
    last_day = end.astimezone(SHANGHAI).strftime("%Y-%m-%d")
    deductions = customer_a.list_free_resources_usage_records(
        ListFreeResourcesUsageRecordsRequest(
            deduct_time_begin=first_day, deduct_time_end=last_day, limit=100
        )
    )
    assert deductions.total_count == 500
    newest = deductions.free_resource_records[0]
    assert (newest.available_amount, newest.used_amount, newest.remaining_amount) == ("1", "1", "0")

    # Replaying the last batch changes nothing.
    report = call(server, operator, "POST", "/v1/partner-center/usage/records", last_batch)
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (0, 96, 0)
    call(server, operator, "POST", "/v1/sandbox/clock", {"to": utc_text(end + timedelta(hours=2))})
    assert D(fees(a)["total_amount"]) == total_a
    assert D(fees(b)["total_amount"]) == total_b

    # B's frozen resources read as frozen (3) for its partner; another partner is refused.
    resources = intl.list_customer_on_demand_resources(
        ListCustomerOnDemandResourcesRequest(
            body=QueryCustomerOnDemandResourcesReq(customer_id=b.account_id)
        )
    )
    assert [(r.resource_id, r.status) for r in resources.resources] == [(big, 3)]
    refused = signed_request(
        server.url,
        other.creds,
        "POST",
        "/v2/partners/sub-customers/on-demand-resources/query",
        body=json.dumps({"customer_id": a.account_id}).encode(),
    )
    assert refused.status_code == 400 and refused.json()["error_code"] == "CBC.99000035"
