"""A month of pay-per-use billed on the 5th, on a live sandbox server.

A distributor's reseller has three customers and a solution provider (CSP) two; each runs a VM
for a number of hours of the month (the demo catalogue's list prices: s6.small.1.linux 0.0127
an hour, m7.2xlarge.8.linux 0.416). The operator ingests the usage and moves the sandbox clock
past 02:00 on the 5th of the next month (billing time zone): the scheduled bill run issues the
bills once. Every total below is computed by hand, to the cent, including the rounding residue
of the distributor's bill.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from huaweicloudsdkbssintl.v2.model import ModSubCustomerBudgetReq, UpdateSubCustomerBudgetRequest

from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import parse_utc
from partner_center.provisioning import Credentials, import_demo_catalog
from partner_center.state import AppState
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, Partner, unique
from tests.scenarios.test_pay_per_use_month import (
    HK,
    HOUR,
    SHANGHAI,
    VM,
    _operator,
    call,
    month_start,
    usage,
    utc_text,
)
from tests.signed import signed_request

D = Decimal
ECS = "hws.service.type.ec2"
SMALL, LARGE = "s6.small.1.linux", "m7.2xlarge.8.linux"


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


def bills(server: LiveServer, partner: Partner, query: str = "") -> dict[str, Any]:
    return dict(call(server, partner.creds, "GET", "/v1/partner-center/partner-bills", query=query))


def test_a_month_billed_once_to_the_cent(server: LiveServer) -> None:
    operator: Credentials = server._call(_operator)
    distributor = server.partner(PartnerType.DISTRIBUTOR)
    reseller = server.partner(PartnerType.RESELLER, distributor=distributor)
    csp = server.partner()
    outsider = server.partner()
    for partner in (distributor, csp):
        call(
            server,
            operator,
            "PUT",
            f"/v1/partner-center/operator/partners/{partner.id}/consumption-quota",
            {"consumption_quota": 10000},
        )
    call(
        server,
        distributor.creds,
        "PUT",
        f"/v1/partner-center/resellers/{reseller.id}/grants",
        {
            "can_set_budget": True,
            "can_restrict": True,
            "can_freeze_resources": False,
            "monthly_quota": 5000,
        },
    )
    customers = [server.customer(distributor, reseller=reseller) for _ in range(3)]
    customers += [server.customer(csp) for _ in range(2)]
    for index, customer in enumerate(customers):
        owner = distributor if index < 3 else csp
        server.intl(owner.creds).update_sub_customer_budget(
            UpdateSubCustomerBudgetRequest(
                body=ModSubCustomerBudgetReq(
                    customer_id=customer.account_id,
                    budget_amount=D(1000),
                    cancel_partner_frozen="1",
                    indirect_partner_id=reseller.id if index < 3 else None,
                )
            )
        )
    now = parse_utc(call(server, operator, "GET", "/v1/sandbox/clock")["now"])
    t0 = month_start(now)
    call(server, operator, "POST", "/v1/sandbox/clock", {"to": utc_text(t0)})
    # (spec, hours used in the month) per customer
    plan = [(SMALL, 72), (LARGE, 50), (SMALL, 71), (LARGE, 10), (SMALL, 33)]
    vms = [
        call(
            server,
            customer,
            "POST",
            "/v1/partner-center/on-demand-resources",
            {
                "region_code": HK,
                "resource_name": unique("vm"),
                "service_type_code": ECS,
                "resource_type_code": VM,
                "resource_spec_code": spec,
            },
        )["resource_id"]
        for customer, (spec, _hours) in zip(customers, plan, strict=True)
    ]
    for day in range(3):
        start = t0 + timedelta(days=day)
        call(
            server,
            operator,
            "POST",
            "/v1/sandbox/clock",
            {"to": utc_text(start + timedelta(hours=23, minutes=30))},
        )
        batch = [
            usage(vm, "Duration", start + timedelta(hours=h), "1", HOUR)
            for vm, (_spec, hours) in zip(vms, plan, strict=True)
            for h in range(24)
            if day * 24 + h < hours
        ]
        report = call(server, operator, "POST", "/v1/partner-center/usage/records", batch)
        assert report["accepted"] == len(batch)

    # Before the 5th nothing is billed.
    local = t0.astimezone(SHANGHAI)
    next_month = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    fourth = next_month.replace(day=4, hour=23).astimezone(SHANGHAI)
    call(server, operator, "POST", "/v1/sandbox/clock", {"to": utc_text(fourth)})
    assert bills(server, distributor)["total_count"] == 0
    call(
        server,
        operator,
        "POST",
        "/v1/sandbox/clock",
        {"to": utc_text(next_month.replace(day=5, hour=3))},
    )
    cycle = f"{local.year:04d}-{local.month:02d}"

    # Distributor, by hand: 72 × 0.0127 = 0.9144 → 0.91; 50 × 0.416 = 20.80;
    # 71 × 0.0127 = 0.9017 → 0.90. Unrounded 22.6161 → 22.62; parts 22.61: residue 0.01.
    listed = bills(server, distributor)
    assert listed["total_count"] == 1
    detail = bills(server, distributor, f"bill_cycle={cycle}")["bills"][0]
    assert (detail["bill_cycle"], detail["customer_count"]) == (cycle, 3)
    assert (detail["consumption_amount"], detail["total_amount"]) == ("22.62", "22.62")
    assert (detail["tax_amount"], detail["amount_due"], detail["remaining_amount"]) == (
        "0.00",
        "22.62",
        "22.62",
    )
    assert detail["status"] == "unpaid"
    assert detail["resellers"] == [
        {"reseller_id": reseller.id, "customer_count": 3, "total_amount": "22.62"}
    ]
    assert detail["rounding_residue"] == {"CUSTOMERS": "0.01", "RESELLERS": "0.00"}
    # CSP: 10 × 0.416 = 4.16; 33 × 0.0127 = 0.4191 → 0.42; 4.5791 → 4.58, no residue.
    csp_bill = bills(server, csp, f"bill_cycle={cycle}")["bills"][0]
    assert (csp_bill["total_amount"], csp_bill["amount_due"]) == ("4.58", "4.58")
    assert csp_bill["rounding_residue"] == {"CUSTOMERS": "0.00"}

    due = call(server, distributor.creds, "GET", "/v1/partner-center/amount-due")
    assert due["total_amount_due"] == "22.62"
    assert [b["bill_id"] for b in due["unpaid_bills"]] == [detail["bill_id"]]
    quota = call(server, distributor.creds, "GET", "/v1/partner-center/consumption-quota")
    assert (quota["due_amount"], quota["unbilled_amount"]) == ("22.62", "0.00")

    # Tenancy: the reseller and an outsider have no bills; another partner's cycle is not found.
    assert bills(server, reseller)["total_count"] == 0
    assert bills(server, outsider)["total_count"] == 0
    refused = signed_request(
        server.url,
        outsider.creds,
        "GET",
        "/v1/partner-center/partner-bills",
        query=f"bill_cycle={cycle}",
    )
    assert refused.status_code == 400 and refused.json()["error_code"] == "CBC.0100"
    bad = signed_request(
        server.url, csp.creds, "GET", "/v1/partner-center/partner-bills", query="bill_cycle=2027-13"
    )
    assert bad.status_code == 400 and bad.json()["error_code"] == "CBC.0100"

    # Once: a day later (and a re-run) nothing changes.
    call(
        server,
        operator,
        "POST",
        "/v1/sandbox/clock",
        {"to": utc_text(next_month.replace(day=6, hour=3))},
    )
    assert bills(server, distributor, f"bill_cycle={cycle}")["bills"][0] == detail
    assert bills(server, distributor)["total_count"] == 1
    assert json.dumps(bills(server, csp)["bills"][0]["total_amount"]) == '"4.58"'
