"""The product catalogue through the official SDK clients: service, resource and usage types,
measure units and conversions, specifications (marker paging) and list prices, with languages,
filters and reference errors. Any authenticated account may read the catalogue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from huaweicloudsdkbss.v2 import model as bss_model
from huaweicloudsdkbssintl.v2 import model as m
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.provisioning import Credentials, import_demo_catalog
from partner_center.state import AppState
from tests.harness import LiveServer, Partner

ECS, VPC, OBS = "hws.service.type.ec2", "hws.service.type.vpc", "hws.service.type.obs"
VM, BANDWIDTH = "hws.resource.type.vm", "hws.resource.type.bandwidth"
HK, BKK = "ap-southeast-1", "ap-southeast-2"


@pytest.fixture(scope="module", autouse=True)
def demo_catalog(server: LiveServer) -> None:
    async def load(state: AppState) -> None:
        await import_demo_catalog(state)

    server._call(load)


@pytest.fixture
def customer(server: LiveServer, csp: Partner) -> Credentials:
    return server.customer(csp)


def refused(call: Callable[[], Any]) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def test_service_types_paging_names_and_fuzzy_filter(server: LiveServer, csp: Partner) -> None:
    client = server.intl(csp.creds)
    listed = client.list_service_types(m.ListServiceTypesRequest())
    assert listed.total_count == 5
    assert [
        (t.service_type_code, t.service_type_name, t.abbreviation) for t in listed.service_types
    ] == [
        ("hws.service.type.ebs", "Elastic Volume Service", "EVS"),
        (ECS, "Elastic Cloud Server", "ECS"),
        (OBS, "Object Storage Service", "OBS"),
        ("hws.service.type.rds", "Relational Database Service", "RDS"),
        (VPC, "Virtual Private Cloud", "VPC"),
    ]
    second = client.list_service_types(m.ListServiceTypesRequest(offset=2, limit=2))
    assert (second.total_count, [t.service_type_code for t in second.service_types]) == (
        5,
        [OBS, "hws.service.type.rds"],
    )
    chinese = client.list_service_types(m.ListServiceTypesRequest(x_language="zh_CN", limit=1))
    assert chinese.service_types[0].service_type_name == "云硬盘"
    fuzzy = client.list_service_types(m.ListServiceTypesRequest(service_type_name="cLOUD"))
    assert [t.service_type_code for t in fuzzy.service_types] == [ECS, VPC]
    assert fuzzy.total_count == 2
    suffix = client.list_service_types(
        m.ListServiceTypesRequest(service_type_name="存储服务", x_language="zh_CN")
    )
    assert [t.service_type_code for t in suffix.service_types] == [OBS]
    percent = client.list_service_types(m.ListServiceTypesRequest(service_type_name="%"))
    assert percent.total_count == 0  # a literal percent sign, not a wildcard
    unfiltered = client.list_service_types(m.ListServiceTypesRequest(service_type_name=""))
    assert unfiltered.total_count == 5
    bss = server.bss(csp.creds).list_service_types(bss_model.ListServiceTypesRequest(limit=1))
    assert (bss.total_count, bss.service_types[0].service_type_code) == (5, "hws.service.type.ebs")


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"x_language": "fr_FR"}, "X-Language"),
        ({"service_type_name": "x" * 129}, "service_type_name"),
    ],
)
def test_service_type_parameter_errors(
    server: LiveServer, csp: Partner, request_fields: dict[str, Any], field: str
) -> None:
    error = refused(
        lambda: server.intl(csp.creds).list_service_types(
            m.ListServiceTypesRequest(**request_fields)
        )
    )
    assert (error.status_code, error.error_code) == (400, "CBC.0100")
    assert field in error.error_msg


def test_resource_types_and_service_resources(server: LiveServer, customer: Credentials) -> None:
    client = server.intl(customer)  # customers read the catalogue too
    types = client.list_resource_types(m.ListResourceTypesRequest(limit=100))
    assert types.total_count == 6
    owners = {t.resource_type_code: t.service_type_code for t in types.resource_types}
    assert owners["hws.resource.type.volume"] == "hws.service.type.ebs"
    assert owners[BANDWIDTH] == VPC
    volume = next(t for t in types.resource_types if t.resource_type_code.endswith("volume"))
    assert (volume.resource_type_name, volume.resource_type_desc) == (
        "Disk",
        "Block storage volume",
    )

    ecs = client.list_service_resources(m.ListServiceResourcesRequest(service_type_code=ECS))
    assert ecs.total_count == 2
    assert [
        (i.basic_info.resource_type_code, i.basic_info.product_owner_service, i.basic_info.name)
        for i in ecs.infos
    ] == [(VM, ECS, "Cloud server"), ("hws.resource.type.volume", "hws.service.type.ebs", "Disk")]
    page = client.list_service_resources(
        m.ListServiceResourcesRequest(service_type_code=ECS, offset=1, limit=1, x_language="zh_CN")
    )
    assert (page.total_count, page.infos[0].basic_info.name) == (2, "云硬盘")
    unknown = client.list_service_resources(
        m.ListServiceResourcesRequest(service_type_code="hws.service.type.nothing")
    )
    assert (unknown.total_count, unknown.infos) == (0, [])
    error = refused(
        lambda: client.list_service_resources(m.ListServiceResourcesRequest(service_type_code=""))
    )
    assert (error.status_code, error.error_code) == (400, "CBC.0100")
    bss = server.bss(customer).list_service_resources(
        bss_model.ListServiceResourcesRequest(service_type_code=VPC)
    )
    assert [i.basic_info.resource_type_code for i in bss.infos] == [
        "hws.resource.type.ip",
        BANDWIDTH,
    ]


def test_usage_types_filter_and_empty_string(server: LiveServer, csp: Partner) -> None:
    client = server.intl(csp.creds)
    everything = client.list_usage_types(m.ListUsageTypesRequest(limit=100))
    assert everything.total_count == 9
    obs = client.list_usage_types(
        m.ListUsageTypesRequest(resource_type_code="hws.resource.type.obs", x_language="zh_CN")
    )
    assert [(u.code, u.name) for u in obs.usage_types] == [
        ("reqNumber", "请求次数"),
        ("storage", "存储容量"),
        ("upflow", "公网流出流量"),
    ]
    first = obs.usage_types[0]
    assert (first.resource_type_code, first.resource_type_name) == ("hws.resource.type.obs", "桶")
    assert (first.service_type_code, first.service_type_name) == (OBS, "对象存储服务")
    # an empty string is a literal filter (the reference's documented behaviour): nothing matches
    empty = client.list_usage_types(m.ListUsageTypesRequest(resource_type_code=""))
    assert (empty.total_count, empty.usage_types) == (0, [])
    paged = server.bss(csp.creds).list_usage_types(
        bss_model.ListUsageTypesRequest(offset=8, limit=5)
    )
    assert (paged.total_count, len(paged.usage_types)) == (9, 1)


def test_measure_units_and_conversions(server: LiveServer, csp: Partner) -> None:
    client = server.intl(csp.creds)
    units = {
        u.measure_id: u
        for u in client.list_measure_units(m.ListMeasureUnitsRequest()).measure_units
    }
    assert (units[10].measure_name, units[10].abbreviation, units[10].measure_type) == (
        "GB",
        "GB",
        3,
    )
    assert (units[4].measure_name, units[4].measure_type) == ("Hour", 2)
    assert units[1].measure_type == 1
    zh = server.bss(csp.creds).list_measure_units(
        bss_model.ListMeasureUnitsRequest(x_language="zh_CN")
    )
    assert {u.measure_id: u.measure_name for u in zh.measure_units}[4] == "小时"

    traffic = client.list_conversions(m.ListConversionsRequest(measure_type=3)).conversions
    assert [
        (c.measure_id, c.ref_measure_id, c.conversion_ratio, c.measure_type) for c in traffic
    ] == [
        (9, 10, 1024, 3),
        (10, 11, 1024, 3),
        (11, 12, 1024, 3),
        (12, 13, 1024, 3),
    ]
    everything = server.bss(csp.creds).list_conversions(bss_model.ListConversionsRequest())
    assert len(everything.conversions) == 9
    assert client.list_conversions(m.ListConversionsRequest(measure_type=41)).conversions == []


def specs_query(client: Any, module: Any = m, **body: Any) -> Any:
    return client.list_resource_specs(
        module.ListResourceSpecsRequest(body=module.ResourceSpecsQueryReq(**body))
    )


def test_resource_specs_marker_paging(server: LiveServer, csp: Partner) -> None:
    client = server.intl(csp.creds)
    base = {"cloud_service_type": ECS, "resource_type": VM, "region_code": HK, "charge_mode": "1"}
    everything = specs_query(client, **base)
    codes = [s.resource_spec for s in everything.cloud_service_basics]
    assert len(codes) == 24 and everything.page_info.next_marker is None
    assert codes[:4] == [
        "s6.small.1.linux",
        "s6.small.1.win",
        "s6.medium.2.linux",
        "s6.medium.2.win",
    ]
    first = everything.cloud_service_basics[0]
    assert (first.cloud_service_type_name, first.resource_type_name, first.charge_mode) == (
        "Elastic Cloud Server",
        "Cloud server",
        "1",
    )
    assert (first.resource_spec_name, first.region_code) == (
        "s6.small.1 Linux (1 vCPUs | 1 GiB)",
        HK,
    )

    paged: list[str] = []
    marker = None
    pages = 0
    while True:
        page = specs_query(client, **base, limit=10, marker=marker)
        paged += [s.resource_spec for s in page.cloud_service_basics]
        pages += 1
        marker = page.page_info.next_marker
        if marker is None:
            break
    assert (pages, paged) == (3, codes)
    assert b'"next_marker":null' in page.raw_content

    only = specs_query(
        server.bss(csp.creds),
        bss_model,
        **base,
        filters=[bss_model.ResourceSpecsFilter(key="RESOURCE_SPEC", value="c7.large.2.win")],
    )
    assert [s.resource_spec for s in only.cloud_service_basics] == ["c7.large.2.win"]
    # OBS is sold only pay-per-use; EVS disks are not under the ECS service type
    obs = specs_query(
        client,
        cloud_service_type=OBS,
        resource_type="hws.resource.type.obs",
        region_code=HK,
        charge_mode="1",
    )
    assert obs.cloud_service_basics == []
    on_demand = specs_query(
        client,
        cloud_service_type=OBS,
        resource_type="hws.resource.type.obs",
        region_code=HK,
        charge_mode="3",
    )
    assert [s.resource_spec for s in on_demand.cloud_service_basics] == ["obs.standard"]
    nowhere = specs_query(client, **{**base, "region_code": "eu-west-0"})
    assert nowhere.cloud_service_basics == []


@pytest.mark.parametrize(
    "changes",
    [
        {"charge_mode": ""},
        {"charge_mode": "2"},
        {"cloud_service_type": ""},
        {"limit": 0},
        {"limit": 101},
        {"marker": "not-a-marker"},
        {"filters": [m.ResourceSpecsFilter(key="CHARGING_MODE", value="PERIOD")]},
        {"filters": [m.ResourceSpecsFilter(key="RESOURCE_SPEC", value="")]},
        {
            "filters": [
                m.ResourceSpecsFilter(key="RESOURCE_SPEC", value="a"),
                m.ResourceSpecsFilter(key="RESOURCE_SPEC", value="b"),
            ]
        },
    ],
)
def test_resource_specs_refusals(server: LiveServer, csp: Partner, changes: dict[str, Any]) -> None:
    body = {"cloud_service_type": ECS, "resource_type": VM, "region_code": HK, "charge_mode": "1"}
    body.update(changes)
    error = refused(lambda: specs_query(server.intl(csp.creds), **body))
    assert (error.status_code, error.error_code) == (400, "CBC.0100")


def prices_query(client: Any, **body: Any) -> Any:
    return client.list_resource_specs_price(
        m.ListResourceSpecsPriceRequest(body=m.ResourceSpecsPriceQueryReq(**body))
    )


def test_resource_specs_price_lists_attributes_and_prices(
    server: LiveServer, customer: Credentials
) -> None:
    client = server.intl(customer)
    result = prices_query(
        client,
        region_code=BKK,
        cloud_service_type=VPC,
        resource_type=BANDWIDTH,
        need_attributes=True,
        need_price=True,
    )
    assert (result.region_code, result.page_info.next_marker) == (BKK, None)
    by_spec = {s.resource_spec: s for s in result.resource_spec_infos}
    assert list(by_spec) == ["19_bgp", "12_bgp"]
    bandwidth = by_spec["19_bgp"]
    size = next(a for a in bandwidth.attributes if a.code == "resource_size")
    assert (size.unit, size.linear_range.min, size.linear_range.max, size.linear_range.step) == (
        "Mbps",
        1,
        2000,
        1,
    )
    prices = {(p.charging_mode, p.period_type): p for p in bandwidth.price_lists}
    hourly = prices[("ON_DEMAND", 4)]
    # Bangkok is 95 % of Hong Kong; a tiered price shows its first tier
    assert (hourly.official_price, hourly.currency, hourly.billing_usage_factor) == (
        "0.02375",
        "USD",
        "Duration",
    )
    assert hourly.period_nums is None
    monthly = prices[("PERIOD", 2)]
    assert (monthly.official_price, monthly.period_nums) == ("3.61", list(range(1, 10)))
    assert prices[("PERIOD", 3)].period_nums == [1, 2, 3]
    assert len({p.offering_id for p in bandwidth.price_lists}) == 3
    traffic = by_spec["12_bgp"].price_lists
    assert [
        (p.charging_mode, p.period_type, p.official_price, p.billing_usage_factor) for p in traffic
    ] == [("ON_DEMAND", None, "0.114", "upflow")]

    bare = prices_query(client, region_code=BKK, cloud_service_type=VPC, resource_type=BANDWIDTH)
    assert all(s.attributes is None and s.price_lists is None for s in bare.resource_spec_infos)

    period_only = prices_query(
        client,
        region_code=BKK,
        cloud_service_type=VPC,
        need_price=True,
        filters=[m.ResourceSpecsPriceFilter(key="CHARGING_MODE", value="PERIOD")],
    )
    assert [s.resource_spec for s in period_only.resource_spec_infos] == ["5_bgp", "19_bgp"]
    assert all(
        p.charging_mode == "PERIOD" for s in period_only.resource_spec_infos for p in s.price_lists
    )
    packages = prices_query(
        client,
        region_code=BKK,
        filters=[m.ResourceSpecsPriceFilter(key="CHARGING_MODE", value="ON_DEMAND_PKG")],
    )
    assert packages.resource_spec_infos == []
    one = prices_query(
        client,
        region_code=HK,
        need_attributes=True,
        filters=[m.ResourceSpecsPriceFilter(key="RESOURCE_SPEC", value="m7.xlarge.8.win")],
    )
    attributes = {a.code: (a.value, a.unit) for a in one.resource_spec_infos[0].attributes}
    assert attributes["vcpus"] == ("4", "vCPUs") and attributes["os"] == ("Windows", None)


def test_resource_specs_price_marker_paging(server: LiveServer, csp: Partner) -> None:
    client = server.intl(csp.creds)
    seen: list[str] = []
    marker = None
    while True:
        page = prices_query(client, region_code=HK, limit=15, marker=marker)
        assert len(page.resource_spec_infos) <= 15
        seen += [s.resource_spec for s in page.resource_spec_infos]
        marker = page.page_info.next_marker
        if marker is None:
            break
    assert len(seen) == len(set(seen)) == 38
    default = prices_query(client, region_code=HK)
    assert len(default.resource_spec_infos) == 38 and default.page_info.next_marker is None


@pytest.mark.parametrize(
    "changes",
    [
        {"region_code": ""},
        {"cloud_service_type": ""},
        {"limit": 51},
        {"limit": 0},
        {"filters": [m.ResourceSpecsPriceFilter(key="CHARGING_MODE", value="MONTHLY")]},
        {"filters": [m.ResourceSpecsPriceFilter(key="REGION", value=HK)]},
    ],
)
def test_resource_specs_price_refusals(
    server: LiveServer, csp: Partner, changes: dict[str, Any]
) -> None:
    body: dict[str, Any] = {"region_code": HK}
    body.update(changes)
    error = refused(lambda: prices_query(server.intl(csp.creds), **body))
    assert (error.status_code, error.error_code) == (400, "CBC.0100")


def policies(client: Any, **fields: Any) -> Any:
    return client.list_incentive_discount_policies(
        bss_model.ListIncentiveDiscountPoliciesRequest(**fields)
    )


def test_incentive_and_discount_policies_by_month(server: LiveServer, csp: Partner) -> None:
    client = server.bss(csp.creds)
    listed = policies(client, time="2026-11")
    assert listed.total_count == 5
    assert [
        (p.service_type_code, p.service_type_name, p.incentive_policy, p.allow_discount)
        for p in listed.policies
    ] == [
        ("hws.service.type.ebs", "Elastic Volume Service", "0", "YES"),
        (ECS, "Elastic Cloud Server", "0", "YES"),
        (OBS, "Object Storage Service", "1", "YES"),
        ("hws.service.type.rds", "Relational Database Service", "13", "NO"),
        (VPC, "Virtual Private Cloud", "0", "YES"),
    ]
    one = policies(client, time="2026-11", service_type_code="hws.service.type.rds", limit=1)
    assert (one.total_count, [p.allow_discount for p in one.policies]) == (1, ["NO"])
    page = policies(client, time="2026-11", offset=3, limit=2)
    assert [p.service_type_code for p in page.policies] == ["hws.service.type.rds", VPC]
    # the demo catalogue takes effect on 2025-01-01: no policy was in force before
    assert policies(client, time="2024-12").total_count == 0
    assert (
        policies(client, time="2026-11", service_type_code="hws.service.type.none").policies == []
    )


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-11", "", "1969-12", "2026-11-01"])
def test_policies_need_a_month(server: LiveServer, csp: Partner, month: str) -> None:
    error = refused(lambda: policies(server.bss(csp.creds), time=month))
    assert (error.status_code, error.error_code) == (400, "CBC.0100")


def test_policies_are_for_partners(server: LiveServer, customer: Credentials) -> None:
    error = refused(lambda: policies(server.bss(customer), time="2026-11"))
    assert error.status_code == 403
