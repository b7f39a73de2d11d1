"""Pay-per-use resources and usage ingest through the official SDK and our signed extension
endpoints: list_customer_on_demand_resources (partner), resource creation by the customer or by
its partner through the agency, bulk usage ingest with per-record rejections."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from huaweicloudsdkbss.v2.model import (
    ListCustomerOnDemandResourcesRequest as CnListRequest,
)
from huaweicloudsdkbss.v2.model import (
    QueryCustomerOnDemandResourcesReq as CnQuery,
)
from huaweicloudsdkbssintl.v2.model import (
    ListCustomerOnDemandResourcesRequest,
    ModSubCustomerBudgetReq,
    QueryCustomerOnDemandResourcesReq,
    UpdateSubCustomerBudgetRequest,
)
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.customers.public import CustomerControl
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import parse_utc
from partner_center.provisioning import (
    Credentials,
    create_credentials,
    ensure_operator,
    import_demo_catalog,
)
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, unique
from tests.signed import sdk_capture, signed_request

HK, BKK = "ap-southeast-1", "ap-southeast-2"
ECS, EVS, OBS = "hws.service.type.ec2", "hws.service.type.ebs", "hws.service.type.obs"
VM, VOLUME, BUCKET = "hws.resource.type.vm", "hws.resource.type.volume", "hws.resource.type.obs"
HOUR, MINUTE, GB, DISK_GB = 4, 5, 10, 17
PASSWORD = "Partner-Pass1"
QUERY = "/v2/partners/sub-customers/on-demand-resources/query"
CREATE = "/v1/partner-center/on-demand-resources"
INGEST = "/v1/partner-center/usage/records"


@pytest.fixture(scope="module", autouse=True)
def demo(server: LiveServer) -> None:
    async def load(state: AppState) -> None:
        await import_demo_catalog(state)

    server._call(load)


async def _operator(state: AppState) -> Credentials:
    return await create_credentials(state, account_id=await ensure_operator(state))


@pytest.fixture(scope="module")
def operator(server: LiveServer) -> Credentials:
    creds: Credentials = server._call(_operator)
    return creds


async def _lift(state: AppState, *, customer_id: str) -> None:
    async with state.db.unit_of_work() as uow:
        await CustomerControl(uow.session, clock=state.clock).lift_restriction(
            customer_id, reason="test: purchases allowed"
        )


def ready(server: LiveServer, partner: Partner, **kwargs: Any) -> Credentials:
    """An associated reseller-model customer allowed to buy: its budget set with the lift, or
    (a reseller's customer, whose budgets need the distributor's quota) lifted directly."""
    customer = server.customer(partner, **kwargs)
    if "reseller" in kwargs:
        server._call(_lift, customer_id=customer.account_id)
        return customer
    server.intl(partner.creds).update_sub_customer_budget(
        UpdateSubCustomerBudgetRequest(
            body=ModSubCustomerBudgetReq(
                customer_id=customer.account_id,
                budget_amount=Decimal(1000),
                cancel_partner_frozen="1",
            )
        )
    )
    return customer


def post(
    server: LiveServer,
    creds: Credentials,
    path: str,
    body: Any,
    *,
    token: str | None = None,
) -> httpx.Response:
    return signed_request(
        server.url,
        creds,
        "POST",
        path,
        body=json.dumps(body).encode() if not isinstance(body, bytes) else body,
        extra_headers={"X-Security-Token": token} if token else None,
    )


def create(server: LiveServer, creds: Credentials, **fields: Any) -> dict[str, Any]:
    body = {"region_code": HK, "resource_name": unique("res"), **fields}
    response = post(server, creds, CREATE, body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def vm(server: LiveServer, creds: Credentials, **fields: Any) -> dict[str, Any]:
    return create(
        server,
        creds,
        service_type_code=ECS,
        resource_type_code=VM,
        resource_spec_code="s6.small.1.linux",
        **fields,
    )


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["error_code"]) == (status, code), response.text


def query(server: LiveServer, partner: Partner, **fields: Any) -> Any:
    return (
        server.intl(partner.creds)
        .list_customer_on_demand_resources(
            ListCustomerOnDemandResourcesRequest(body=QueryCustomerOnDemandResourcesReq(**fields))
        )
        .to_json_object()
    )


def sdk_error(call: Any) -> tuple[int, str]:
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value.status_code, info.value.error_code


def test_the_partner_lists_a_customers_resources(server: LiveServer, csp: Partner) -> None:
    customer = ready(server, csp)
    machine = vm(server, customer, availability_zone_code="ap-southeast-1a")
    disk = create(
        server,
        customer,
        service_type_code=EVS,
        resource_type_code=VOLUME,
        resource_spec_code="SATA",
        resource_size=40,
        size_measure_id=DISK_GB,
    )
    assert disk["resource_info"] == '{"specSize":40.0}'
    assert machine["resource_info"] == "{}"

    listed = query(server, csp, customer_id=customer.account_id)
    assert listed["total_count"] == 2
    by_id = {r["resource_id"]: r for r in listed["resources"]}
    first = by_id[machine["resource_id"]]
    assert first["customer_id"] == customer.account_id
    assert (first["region_code"], first["availability_zone_code"]) == (HK, "ap-southeast-1a")
    assert (first["service_type_code"], first["resource_type_code"]) == (ECS, VM)
    assert (first["status"], first["resource_spec_code"]) == (1, "s6.small.1.linux")
    assert first["product_spec_desc"].startswith("s6.small.1 Linux")
    assert first["service_type_name"] == "Elastic Cloud Server"
    parse_utc(first["effective_time"])
    assert "expire_time" not in first  # still running
    assert by_id[disk["resource_id"]]["resource_info"] == '{"specSize":40.0}'

    # Filters and paging.
    only = query(server, csp, customer_id=customer.account_id, resource_ids=[disk["resource_id"]])
    assert [r["resource_id"] for r in only["resources"]] == [disk["resource_id"]]
    evs = query(server, csp, customer_id=customer.account_id, service_type_code=EVS)
    assert [r["resource_id"] for r in evs["resources"]] == [disk["resource_id"]]
    assert query(server, csp, customer_id=customer.account_id, region_code=BKK)["total_count"] == 0
    assert query(server, csp, customer_id=customer.account_id, status=1)["total_count"] == 2
    assert query(server, csp, customer_id=customer.account_id, status=6)["total_count"] == 0
    page = query(server, csp, customer_id=customer.account_id, offset=1, limit=1)
    assert (page["total_count"], len(page["resources"])) == (2, 1)
    late = (datetime.now(UTC) + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (
        query(server, csp, customer_id=customer.account_id, effective_time_begin=late)[
            "total_count"
        ]
        == 0
    )

    # The China-site client reaches the same operation.
    cn = server.bss(csp.creds).list_customer_on_demand_resources(
        CnListRequest(body=CnQuery(customer_id=customer.account_id))
    )
    assert cn.total_count == 2

    # Closing a resource: status 6 and an expiry.
    closed = post(server, customer, f"{CREATE}/{machine['resource_id']}/close", b"")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == 6 and closed.json()["expire_time"]
    assert query(server, csp, customer_id=customer.account_id, status=6)["total_count"] == 1


def test_list_refusals(server: LiveServer, csp: Partner, distributor: Partner) -> None:
    customer = ready(server, csp)
    intl = server.intl(csp.creds)

    def ask(**fields: Any) -> tuple[int, str]:
        return sdk_error(
            lambda: intl.list_customer_on_demand_resources(
                ListCustomerOnDemandResourcesRequest(
                    body=QueryCustomerOnDemandResourcesReq(**fields)
                )
            )
        )

    cid = customer.account_id
    assert ask(customer_id=cid, resource_ids=[f"r{i}" for i in range(51)]) == (400, "CBC.0100")
    assert ask(customer_id=cid, limit=101) == (400, "CBC.0100")
    assert ask(customer_id=cid, offset=-1) == (400, "CBC.0100")
    assert ask(customer_id=cid, status=7) == (400, "CBC.0100")
    assert ask(customer_id=cid, effective_time_begin="yesterday") == (400, "CBC.0100")
    refused(post(server, csp.creds, QUERY, {}), 400, "CBC.0100")

    # Tenancy: another partner's customer, the customer's own credentials, a CSP naming a reseller.
    stranger = ready(server, server.partner())
    assert ask(customer_id=stranger.account_id) == (400, "CBC.99000035")
    refused(post(server, customer, QUERY, {"customer_id": cid}), 403, "CBC.0151")
    assert ask(customer_id=cid, indirect_partner_id=distributor.id) == (400, "CBC.99000037")


def test_a_distributor_names_its_reseller(
    server: LiveServer, distributor: Partner, reseller: Partner
) -> None:
    customer = ready(server, distributor, reseller=reseller)
    machine = vm(server, customer)
    listed = query(
        server, distributor, customer_id=customer.account_id, indirect_partner_id=reseller.id
    )
    assert [r["resource_id"] for r in listed["resources"]] == [machine["resource_id"]]
    # Without naming the reseller the customer is not the distributor's own.
    assert sdk_error(lambda: query(server, distributor, customer_id=customer.account_id)) == (
        400,
        "CBC.99000035",
    )
    # Another distributor's reseller is refused.
    other = server.partner(PartnerType.DISTRIBUTOR)
    assert sdk_error(
        lambda: query(
            server, other, customer_id=customer.account_id, indirect_partner_id=reseller.id
        )
    ) == (400, "CBC.99000037")


def _partner_token(server: LiveServer, partner: Partner) -> str:
    name = partner.creds.domain_name
    response = httpx.post(
        server.url + "/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": name, "password": PASSWORD, "domain": {"name": name}}
                    },
                },
                "scope": {"domain": {"name": name}},
            }
        },
    )
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def agency_credentials(
    server: LiveServer, partner: Partner, customer: Credentials
) -> tuple[Credentials, str]:
    """The partner's temporary AK/SK as the customer (assume_role through the agency)."""
    response = httpx.post(
        server.url + "/v3.0/OS-CREDENTIAL/securitytokens",
        headers={"X-Auth-Token": _partner_token(server, partner)},
        json={
            "auth": {
                "identity": {
                    "methods": ["assume_role"],
                    "assume_role": {
                        "domain_name": customer.domain_name,
                        "agency_name": partner.xaccount_type,
                        "duration_seconds": 900,
                    },
                }
            }
        },
    )
    assert response.status_code == 201, response.text
    cred = response.json()["credential"]
    return (
        Credentials(customer.account_id, customer.domain_name, cred["access"], cred["secret"]),
        cred["securitytoken"],
    )


def test_the_partner_creates_through_the_agency(server: LiveServer) -> None:
    partner = server.partner(PartnerType.CSP, password=PASSWORD)
    customer = ready(server, partner, authorize=True)
    temp, token = agency_credentials(server, partner, customer)
    response = post(
        server,
        temp,
        CREATE,
        {
            "region_code": HK,
            "service_type_code": ECS,
            "resource_type_code": VM,
            "resource_spec_code": "c7.large.2.linux",
            "resource_name": "by-the-partner",
        },
        token=token,
    )
    assert response.status_code == 200, response.text
    assert response.json()["customer_id"] == customer.account_id
    # Without the agency the partner's own credentials are refused.
    refused(
        post(server, partner.creds, CREATE, {"region_code": HK, "resource_name": "x"}),
        403,
        "CBC.0151",
    )


def test_creation_refusals(server: LiveServer, csp: Partner) -> None:
    customer = ready(server, csp)
    base = {"region_code": HK, "resource_name": "r", "service_type_code": ECS}
    base["resource_type_code"] = VM
    refused(
        post(server, customer, CREATE, {**base, "resource_spec_code": "nope"}), 400, "CBC.99006006"
    )
    refused(post(server, customer, CREATE, {"region_code": HK}), 400, "CBC.0100")
    disk = {
        **base,
        "service_type_code": EVS,
        "resource_type_code": VOLUME,
        "resource_spec_code": "SATA",
    }
    refused(post(server, customer, CREATE, disk), 400, "CBC.0100")  # a linear product needs a size
    refused(
        post(server, customer, CREATE, {**disk, "resource_size": 5, "size_measure_id": DISK_GB}),
        400,
        "CBC.0100",
    )  # below the smallest disk

    # Idempotent by resource_id; the same id with another product is refused.
    rid = unique("vm")
    first = vm(server, customer, resource_id=rid)
    assert vm(server, customer, resource_id=rid)["resource_id"] == first["resource_id"] == rid
    other = {**base, "resource_spec_code": "c7.large.2.linux", "resource_id": rid}
    refused(post(server, customer, CREATE, other), 400, "CBC.99007009")

    # A customer whose purchases are restricted (a new one, no budget yet) cannot buy.
    restricted = server.customer(csp)
    refused(
        post(server, restricted, CREATE, {**base, "resource_spec_code": "s6.small.1.linux"}),
        400,
        "CBC.99003656",
    )


def hour_text(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:00:00Z")


def test_ingest_reports_each_record(
    server: LiveServer, csp: Partner, operator: Credentials
) -> None:
    customer = ready(server, csp)
    machine = vm(server, customer)["resource_id"]
    bucket = create(
        server,
        customer,
        service_type_code=OBS,
        resource_type_code=BUCKET,
        resource_spec_code="obs.standard",
    )["resource_id"]
    clock = parse_utc(
        signed_request(server.url, operator, "GET", "/v1/sandbox/clock").json()["now"]
    )
    # The current hour: it has begun, and the resources (created just now) ran in it.
    hour = clock.replace(minute=0, second=0, microsecond=0)

    def rec(rid: str, **fields: Any) -> dict[str, Any]:
        return {
            "record_id": unique(rid),
            "resource_id": machine,
            "usage_type": "Duration",
            "usage_hour": hour_text(hour),
            "quantity": "1",
            "measure_id": HOUR,
            **fields,
        }

    good = [rec("ok"), rec("minutes", quantity="30", measure_id=MINUTE)]
    good.append(rec("obs", resource_id=bucket, usage_type="upflow", quantity=12.5, measure_id=GB))
    batch = [
        *good,
        rec("unknown", resource_id="no-such-resource"),
        rec("type", usage_type="upflow"),
        rec("measure", measure_id=GB),
        rec("late", usage_hour=hour_text(hour - timedelta(hours=80))),
        rec("future", usage_hour=hour_text(hour + timedelta(hours=3))),
        rec("before", usage_hour=hour_text(hour - timedelta(hours=5))),
        rec("neg", quantity="-1"),
        rec("places", quantity="0.123456789"),
        rec("half", usage_hour=hour_text(hour).replace(":00:00Z", ":30:00Z")),
        {"record_id": ""},
        "not an object",
    ]
    response = post(server, operator, INGEST, batch)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["received"], report["accepted"], report["duplicates"]) == (14, 3, 0)
    assert report["rejected"] == 11
    reasons = {r["line"]: r["reason"] for r in report["rejections"]}
    assert reasons == {
        4: "unknown_resource",
        5: "unknown_usage_type",
        6: "wrong_measure",
        7: "too_late",
        8: "in_the_future",
        9: "outside_resource_lifetime",
        10: "malformed",
        11: "malformed",
        12: "malformed",
        13: "malformed",
        14: "malformed",
    }
    assert report["rejections"][0]["record_id"] == batch[3]["record_id"]

    # Replaying the same records (as JSON lines this time) changes nothing.
    lines = "\n".join(json.dumps(r) for r in good).encode()
    replay = post(server, operator, INGEST, lines)
    assert replay.status_code == 200, replay.text
    assert (replay.json()["accepted"], replay.json()["duplicates"]) == (0, 3)


def test_ingest_refusals(server: LiveServer, csp: Partner, operator: Credentials) -> None:
    refused(post(server, csp.creds, INGEST, []), 403, "CBC.0151")
    refused(post(server, operator, INGEST, b""), 400, "CBC.0100")
    refused(post(server, operator, INGEST, b"\xff\xfe"), 400, "CBC.0100")
    malformed = post(server, operator, INGEST, b"[1, 2")
    assert malformed.status_code == 200, malformed.text
    assert malformed.json()["rejected"] == 1


def test_ingest_survives_json_nested_ten_thousand_levels(
    server: LiveServer, csp: Partner, operator: Credentials
) -> None:
    """Issue 8: a record nested ten thousand levels deep is one malformed record, as JSON lines
    or as an array, never a 500; the other records of the batch are stored."""
    customer = ready(server, csp)
    machine = vm(server, customer)["resource_id"]
    clock = parse_utc(
        signed_request(server.url, operator, "GET", "/v1/sandbox/clock").json()["now"]
    )

    def rec() -> str:
        return json.dumps(
            {
                "record_id": unique("deep"),
                "resource_id": machine,
                "usage_type": "Duration",
                "usage_hour": hour_text(clock),
                "quantity": "1",
                "measure_id": HOUR,
            }
        )

    deep = '{"record_id": "x", "quantity": ' + "[" * 10_000 + "]" * 10_000 + "}"
    lines = post(server, operator, INGEST, f"{rec()}\n{deep}\n{rec()}".encode())
    assert lines.status_code == 200, lines.text
    report = lines.json()
    assert (report["accepted"], report["rejected"]) == (2, 1)
    assert report["rejections"][0]["line"] == 2
    assert report["rejections"][0]["reason"] == "malformed"

    array = post(server, operator, INGEST, ("[" * 10_000 + "]" * 10_000).encode())
    assert array.status_code == 200, array.text
    assert (array.json()["accepted"], array.json()["rejected"]) == (0, 1)


def test_ingest_takes_json_lines_signed_as_the_sdk_signs_an_upload(
    server: LiveServer, csp: Partner, operator: Credentials
) -> None:
    """The usage upload is the one operation that takes an unsigned payload, as the SDK sends
    any non-JSON body (``application/x-ndjson`` here); an operation declared JSON refuses it."""
    customer = ready(server, csp)
    machine = vm(server, customer)["resource_id"]
    clock = parse_utc(
        signed_request(server.url, operator, "GET", "/v1/sandbox/clock").json()["now"]
    )
    record = {
        "record_id": unique("sdk"),
        "resource_id": machine,
        "usage_type": "Duration",
        "usage_hour": hour_text(clock),
        "quantity": "1",
        "measure_id": HOUR,
    }
    client = server.intl(operator)
    upload = sdk_capture(
        client,
        server.url,
        "POST",
        INGEST,
        content_type="application/x-ndjson",
        body=json.dumps(record) + "\n",
    )
    assert ("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD") in upload.headers
    response = upload.send()
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    # A type the upload does not read: authenticated, then refused.
    csv = sdk_capture(client, server.url, "POST", INGEST, content_type="text/csv", body="a,b\n")
    refused(csv.send(), 400, "CBC.0100")
    # The same unsigned payload to a JSON operation: not authenticated.
    other = sdk_capture(
        client,
        server.url,
        "POST",
        CREATE,
        content_type="application/x-ndjson",
        body=json.dumps({"region_code": HK}),
    )
    refused(other.send(), 401, "APIG.0301")
