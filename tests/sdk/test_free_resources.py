"""Resource packages through the official SDK with customer credentials (the customer's own
AK/SK, and the partner's temporary credentials through the customer's agency):
list_free_resource_infos, list_free_resource_usages, list_free_resources_usage_records."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from huaweicloudsdkbss.v2.model import ListFreeResourceInfosReq as CnInfosReq
from huaweicloudsdkbss.v2.model import ListFreeResourceInfosRequest as CnInfosRequest
from huaweicloudsdkbssintl.v2.model import (
    ListFreeResourceInfosReq,
    ListFreeResourceInfosRequest,
    ListFreeResourcesUsageRecordsRequest,
    ListFreeResourceUsagesReq,
    ListFreeResourceUsagesRequest,
)
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import parse_utc
from partner_center.provisioning import Credentials, import_demo_catalog
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_usage import (
    ECS,
    HK,
    HOUR,
    OBS,
    PASSWORD,
    VM,
    _operator,
    agency_credentials,
    post,
    ready,
    vm,
)
from tests.signed import signed_request

SHANGHAI = ZoneInfo("Asia/Shanghai")
BUCKET = "hws.resource.type.obs"


@pytest.fixture(scope="module", autouse=True)
def demo(server: LiveServer) -> None:
    async def load(state: AppState) -> None:
        await import_demo_catalog(state)

    server._call(load)


@pytest.fixture(scope="module")
def operator(server: LiveServer) -> Credentials:
    creds: Credentials = server._call(_operator)
    return creds


def utc_text(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def give(server: LiveServer, operator: Credentials, customer: Credentials, **body: Any) -> Any:
    response = post(
        server,
        operator,
        f"/v1/partner-center/operator/customers/{customer.account_id}/free-resource-packages",
        {"service_type_code": ECS, "region_code": HK, **body},
    )
    assert response.status_code == 200, response.text
    return response.json()


def clock_now(server: LiveServer, operator: Credentials) -> datetime:
    return parse_utc(signed_request(server.url, operator, "GET", "/v1/sandbox/clock").json()["now"])


def move_clock(server: LiveServer, operator: Credentials, to: datetime) -> None:
    response = post(server, operator, "/v1/sandbox/clock", {"to": utc_text(to)})
    assert response.status_code == 200, response.text


def sdk_error(call: Any) -> tuple[int, str]:
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value.status_code, info.value.error_code


def infos(client: Any, **fields: Any) -> Any:
    return client.list_free_resource_infos(
        ListFreeResourceInfosRequest(body=ListFreeResourceInfosReq(**fields))
    )


def test_packages_are_used_first_and_shown_to_the_customer(
    server: LiveServer,
    operator: Credentials,
) -> None:
    partner = server.partner(PartnerType.CSP, password=PASSWORD)
    customer = ready(server, partner, authorize=True)
    now = clock_now(server, operator)
    hour0 = now.replace(minute=0, second=0, microsecond=0)
    machine = vm(server, customer)["resource_id"]
    spec = "s6.small.1.linux"
    soon = give(
        server,
        operator,
        customer,
        product_name="10 hours of s6.small.1",
        effective_time=utc_text(hour0),
        expire_time=utc_text(hour0 + timedelta(hours=3)),
        free_resources=[
            {
                "resource_type_code": VM,
                "usage_type": "Duration",
                "amount": 10,
                "measure_id": HOUR,
                "resource_spec_code": spec,
            }
        ],
    )
    monthly = give(
        server,
        operator,
        customer,
        product_name="Starter bundle",
        product_id="starter",
        effective_time=utc_text(hour0),
        expire_time=utc_text(hour0 + timedelta(days=365)),
        quota_reuse_mode=1,
        quota_reuse_cycle=4,
        free_resources=[
            {"resource_type_code": VM, "usage_type": "Duration", "amount": 2, "measure_id": HOUR},
            {
                "resource_type_code": BUCKET,
                "usage_type": "upflow",
                "amount": "5.5",
                "measure_id": 10,
            },
        ],
    )
    later = give(
        server,
        operator,
        customer,
        product_name="Next year's hours",
        effective_time=utc_text(hour0 + timedelta(days=200)),
        expire_time=utc_text(hour0 + timedelta(days=400)),
        free_resources=[
            {"resource_type_code": VM, "usage_type": "Duration", "amount": 1, "measure_id": HOUR}
        ],
    )
    assert (soon["bundle_type"], monthly["bundle_type"]) == ("ATOMIC_PKG", "BUNDLE_PKG")
    assert (soon["status"], later["status"], soon["source_type"], soon["order_id"]) == (
        1,
        0,
        1,
        "",
    )

    # 13 hours of the VM in the current hour: the soonest-expiring package first (10), then
    # the monthly one (2), then 1 hour is charged.
    record = {
        "record_id": unique("u"),
        "resource_id": machine,
        "usage_type": "Duration",
        "usage_hour": utc_text(hour0),
        "quantity": "13",
        "measure_id": HOUR,
    }
    report = post(server, operator, "/v1/partner-center/usage/records", [record]).json()
    assert report["accepted"] == 1, report
    move_clock(server, operator, hour0 + timedelta(hours=1, minutes=1))

    client = server.intl(customer)
    listed = infos(client)
    assert listed.total_count == 3
    by_name = {p.product_name: p for p in listed.free_resource_packages}
    first = by_name["10 hours of s6.small.1"]
    assert (first.status, first.quota_reuse_mode) == (2, 2)
    assert [(f.amount, f.original_amount, f.measure_id) for f in first.free_resources] == [
        ("0", "10", HOUR)
    ]
    bundle = by_name["Starter bundle"]
    assert (bundle.status, bundle.quota_reuse_mode, bundle.product_id) == (1, 1, "starter")
    assert sorted((f.amount, f.original_amount) for f in bundle.free_resources) == [
        ("0", "2"),
        ("5.5", "5.5"),
    ]
    assert by_name["Next year's hours"].status == 0

    # Filters and paging.
    assert infos(client, status=0).total_count == 1
    assert infos(client, service_type_code_list=["HWS.SERVICE.TYPE.EC2"]).total_count == 3
    assert infos(client, service_type_code_list=[OBS]).total_count == 0
    assert infos(client, product_name="starter").total_count == 1
    assert infos(client, product_id="starter").total_count == 1
    assert infos(client, region_code="ap-southeast-2").total_count == 0
    assert infos(client, enterprise_project_id="all").total_count == 3
    assert infos(client, enterprise_project_id="some-project").total_count == 0
    page = infos(client, offset=2, limit=2)
    assert (page.total_count, len(page.free_resource_packages)) == (3, 1)
    cn = server.bss(customer).list_free_resource_infos(CnInfosRequest(body=CnInfosReq()))
    assert cn.total_count == 3

    # The current cycle of each quota: the bundle's is the calendar month in UTC+8.
    ids = [f.free_resource_id for f in first.free_resources + bundle.free_resources]
    stranger = ready(server, server.partner())
    stranger_package = give(
        server,
        operator,
        stranger,
        product_name="Someone else's",
        effective_time=utc_text(hour0),
        expire_time=utc_text(hour0 + timedelta(days=1)),
        free_resources=[
            {"resource_type_code": VM, "usage_type": "Duration", "amount": 1, "measure_id": HOUR}
        ],
    )
    foreign = stranger_package["free_resources"][0]["free_resource_id"]
    details = client.list_free_resource_usages(
        ListFreeResourceUsagesRequest(
            body=ListFreeResourceUsagesReq(free_resource_ids=[*ids, foreign])
        )
    ).free_resources
    assert [d.free_resource_id for d in details] == ids  # the stranger's quota is left out
    assert (details[0].quota_reuse_cycle, details[0].amount) == (None, 0)
    assert (parse_utc(details[0].start_time), parse_utc(details[0].end_time)) == (
        hour0,
        hour0 + timedelta(hours=3),
    )
    local = (hour0 + timedelta(hours=1, minutes=1)).astimezone(SHANGHAI)
    month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for detail in details[1:]:
        assert (detail.quota_reuse_cycle, detail.quota_reuse_cycle_type) == (4, 1)
        assert parse_utc(detail.start_time) == max(month, hour0)
    assert sorted(d.amount for d in details[1:]) == [0, 5.5]

    # The deduction records (dates in UTC+8).
    today = local.strftime("%Y-%m-%d")
    records = client.list_free_resources_usage_records(
        ListFreeResourcesUsageRecordsRequest(deduct_time_begin=today, deduct_time_end=today)
    )
    assert records.total_count == 2
    seen = {
        (r.free_resource_id, r.available_amount, r.used_amount, r.remaining_amount)
        for r in records.free_resource_records
    }
    assert seen == {(ids[0], "10", "10", "0"), (ids[1], "2", "2", "0")}
    assert {r.resource_id for r in records.free_resource_records} == {machine}
    assert {r.usage_type_code for r in records.free_resource_records} == {"Duration"}
    only = client.list_free_resources_usage_records(
        ListFreeResourcesUsageRecordsRequest(
            deduct_time_begin=today, deduct_time_end=today, free_resource_id=ids[1]
        )
    )
    assert [r.product_name for r in only.free_resource_records] == ["Starter bundle"]

    # The partner, through the customer's agency, sees the same.
    temp, token = agency_credentials(server, partner, customer)
    delegated = server.intl(temp, security_token=token)
    assert infos(delegated).total_count == 3

    # Time passes: the short package expires (3).
    move_clock(server, operator, hour0 + timedelta(hours=3, minutes=1))
    statuses = {p.product_name: p.status for p in infos(client).free_resource_packages}
    assert statuses["10 hours of s6.small.1"] == 3


def test_refusals(server: LiveServer, csp: Partner, operator: Credentials) -> None:
    customer = ready(server, csp)
    client = server.intl(customer)

    def records(**fields: Any) -> tuple[int, str]:
        return sdk_error(
            lambda: client.list_free_resources_usage_records(
                ListFreeResourcesUsageRecordsRequest(**fields)
            )
        )

    assert records(deduct_time_begin="2026-01-01", deduct_time_end="2026-04-01") == (
        400,
        "CBC.0100",
    )  # 91 days
    assert records(deduct_time_begin="2026-01-01") == (400, "CBC.0100")
    assert records(deduct_time_begin="2026/01/01", deduct_time_end="2026-01-02") == (
        400,
        "CBC.0100",
    )
    assert records(deduct_time_begin="2026-01-02", deduct_time_end="2026-01-01") == (
        400,
        "CBC.0100",
    )
    assert records(deduct_time_begin="2026-01-01", deduct_time_end="2026-03-31", limit=101) == (
        400,
        "CBC.0100",
    )
    ok = client.list_free_resources_usage_records(
        ListFreeResourcesUsageRecordsRequest(
            deduct_time_begin="2026-01-01", deduct_time_end="2026-03-31"
        )
    )
    assert ok.total_count == 0  # exactly 90 days

    def usages(ids: list[str]) -> tuple[int, str]:
        return sdk_error(
            lambda: client.list_free_resource_usages(
                ListFreeResourceUsagesRequest(body=ListFreeResourceUsagesReq(free_resource_ids=ids))
            )
        )

    assert usages([]) == (400, "CBC.0100")
    assert usages([f"id{i}" for i in range(101)]) == (400, "CBC.0100")
    assert usages(["x" * 65]) == (400, "CBC.0100")
    assert sdk_error(lambda: infos(client, status=5)) == (400, "CBC.0100")
    assert sdk_error(lambda: infos(client, limit=0)) == (400, "CBC.0100")

    # Partner credentials are refused: these are the customer's own operations.
    partner = server.intl(csp.creds)
    assert sdk_error(lambda: infos(partner)) == (403, "CBC.0151")
    path = "/v2/payments/free-resources/usages/details/query"
    response = post(server, csp.creds, path, {"free_resource_ids": ["a"]})
    assert (response.status_code, response.json()["error_code"]) == (403, "CBC.0151")

    # Giving a package: operator only, and checked.
    url = f"/v1/partner-center/operator/customers/{customer.account_id}/free-resource-packages"
    body = {
        "product_name": "p",
        "service_type_code": ECS,
        "region_code": HK,
        "effective_time": "2026-01-01T00:00:00Z",
        "expire_time": "2027-01-01T00:00:00Z",
        "free_resources": [
            {"resource_type_code": VM, "usage_type": "Duration", "amount": 1, "measure_id": HOUR}
        ],
    }
    assert post(server, csp.creds, url, body).json()["error_code"] == "CBC.0151"
    for bad in (
        {"expire_time": "2025-01-01T00:00:00Z"},
        {"quota_reuse_mode": 1},
        {"quota_reuse_mode": 2, "quota_reuse_cycle": 4},
        {"free_resources": []},
        {"free_resources": [{**body["free_resources"][0], "amount": 0}]},  # type: ignore[index]
        {"effective_time": "soon"},
    ):
        response = post(server, operator, url, {**body, **bad})
        assert (response.status_code, response.json()["error_code"]) == (400, "CBC.0100"), bad
    unknown = post(
        server,
        operator,
        "/v1/partner-center/operator/customers/nobody/free-resource-packages",
        body,
    )
    assert unknown.json()["error_code"] == "CBC.99000035"
    assert json.loads(post(server, operator, url, body).text)["status"] == 1
