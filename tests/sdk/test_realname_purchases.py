"""What an unverified customer may not do (api-semantics.md §3.12; Huawei's real-name
overview): buy cloud services in the Chinese mainland. A catalogue with a ``cn-north-4`` price
next to Hong Kong's; an unverified customer's mainland order is refused when it is paid and
nothing is charged, its Hong Kong order goes through (and the same for a pay-per-use
resource); once the operator approves its real-name
authentication the same mainland order is paid. Its own server: it imports its own catalogue."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

from partner_center.provisioning import import_catalog
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, fresh_server, unique
from tests.sdk.enterprise_helpers import approve
from tests.sdk.test_orders import budget_used, pay, placed, ready_customer, refused, vm_with_disk
from tests.sdk.test_realname import submit_personal
from tests.sdk.test_usage import CREATE, post, ready
from tests.sdk.test_usage import refused as refused_http

MAINLAND = "cn-north-4"


def catalog_with_mainland() -> dict[str, Any]:
    raw = resources.files("partner_center.catalog_data").joinpath("demo-catalog.json").read_text()
    doc: dict[str, Any] = json.loads(raw)
    doc["regions"].append({"code": MAINLAND, "name": {"en_US": "CN North-Beijing4"}})
    for spec in doc["specs"]:
        extra = [
            {**copy.deepcopy(price), "region": MAINLAND}
            for price in spec.get("prices", [])
            if price["region"] == "ap-southeast-1"
        ]
        spec["prices"] = spec.get("prices", []) + extra
    return doc


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with fresh_server() as live:

        async def load(state: AppState) -> None:
            await import_catalog(state, catalog_with_mainland(), source="test-mainland")

        live._call(load)
        yield live


def mainland_products() -> list[dict[str, Any]]:
    return [{**p, "region": MAINLAND} for p in vm_with_disk()]


def test_an_unverified_customer_cannot_buy_in_the_mainland(
    server: LiveServer, csp: Partner
) -> None:
    customer = ready_customer(server, csp)
    mainland = placed(server, csp, customer, product_infos=mainland_products())
    error = refused(lambda: pay(server.bss(customer), mainland))
    assert (error.status_code, error.error_code) == (400, "CBC.99007004")
    assert MAINLAND in error.error_msg
    assert budget_used(server, csp, customer) == 0
    # Hong Kong needs no real-name authentication
    assert pay(server.bss(customer), placed(server, csp, customer)).status_code in (200, 204)
    used = budget_used(server, csp, customer)
    assert used > 0

    # in review is not verified yet
    submit_personal(server, csp, customer.account_id)
    error = refused(lambda: pay(server.bss(customer), mainland))
    assert error.error_code == "CBC.99007004"
    approve(server, customer.account_id)
    assert pay(server.bss(customer), mainland).status_code in (200, 204)
    assert budget_used(server, csp, customer) > used


def test_an_unverified_customer_cannot_start_pay_per_use_in_the_mainland(
    server: LiveServer, csp: Partner
) -> None:
    customer = ready(server, csp)
    refused_http(post(server, customer, CREATE, on_demand_vm(MAINLAND)), 400, "CBC.99007004")
    assert post(server, customer, CREATE, on_demand_vm("ap-southeast-1")).status_code == 200
    submit_personal(server, csp, customer.account_id)
    approve(server, customer.account_id)
    assert post(server, customer, CREATE, on_demand_vm(MAINLAND)).status_code == 200


def on_demand_vm(region: str) -> dict[str, Any]:
    return {
        "region_code": region,
        "resource_name": unique("res"),
        "service_type_code": "hws.service.type.ec2",
        "resource_type_code": "hws.resource.type.vm",
        "resource_spec_code": "s6.small.1.linux",
    }
