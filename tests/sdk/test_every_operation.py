"""Every operation of ``api-surface.json`` through every official SDK client that has it
(issue 13's acceptance): for each operation × client pair, a valid request whose answer carries
the caller's own objects, a refusal of bad input with the reference's error code, and the
tenancy check (another partner's, reseller's or customer's object is refused or not shown);
paging where the operation pages.

One case per operation, run once per client: the request and body models are the ones the
surface names, built from keyword arguments, so the case is the same text for ``BssClient``
and ``BssintlClient``. ``test_every_pair_has_a_case`` fails when an operation × client pair of
the surface has no case. The objects come from ``tests/outside/world.py`` (one world for the
module); cases that change state make their own objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from huaweicloudsdkbss.v2 import BssClient
from huaweicloudsdkbss.v2 import model as bss_models
from huaweicloudsdkbssintl.v2 import BssintlClient
from huaweicloudsdkbssintl.v2 import model as intl_models
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import format_utc, parse_utc
from partner_center.provisioning import Credentials
from tests.harness import LiveServer, Partner, fresh_server, unique
from tests.outside.world import World, build_world

SURFACE = json.loads(
    (Path(__file__).parents[2] / "src/partner_center/http/bss/api_surface.json").read_text()
)
SPECS: dict[str, dict[str, Any]] = {op["operation"]: op for op in SURFACE["operations"]}
PAIRS = sorted((op, client) for op, spec in SPECS.items() for client in spec["clients"])

D = Decimal
ECS, VM = "hws.service.type.ec2", "hws.resource.type.vm"
HK = "ap-southeast-1"
INVALID, NOT_YOURS, DENIED = "CBC.0100", "CBC.99000035", "CBC.0151"
INVALID_ORDER = "CBC.30000010"  # not the caller's order: never says whose
NO_RESOURCE = "CBC.99003012"  # no such resource of the caller's
NO_PROJECT = "CBC.99006073"  # not one of the caller's projects
NOT_YOUR_QUOTA = "CBC.99000012"  # not one of the caller's coupon quotas
NOT_A_MEMBER = "CBC.7001"  # not one of the enterprise master's member accounts


@dataclass
class Sdk:
    """One client kind (``"bss"`` or ``"bssintl"``) of the official SDK against the server."""

    server: LiveServer
    kind: str
    op: str = ""
    """The operation under test (for a case that serves several)."""
    called: set[str] = field(default_factory=set)
    """The operations this client sent and the server answered (any status)."""

    @property
    def m(self) -> Any:
        return bss_models if self.kind == "bss" else intl_models

    def client(self, creds: Credentials) -> Any:
        return self.server.bss(creds) if self.kind == "bss" else self.server.intl(creds)

    def call(self, creds: Credentials, op: str, body: Any = None, **params: Any) -> Any:
        """``op`` through this client as ``creds``: ``params`` are the request's path and
        query parameters, ``body`` the fields of its body model (nested values as dicts)."""
        spec = SPECS[op]
        if body is not None:
            params["body"] = getattr(self.m, spec["body"]["model"])(**body)
        request = getattr(self.m, spec["request_model"])(**params)
        try:
            return getattr(self.client(creds), op)(request)
        finally:
            self.called.add(op)

    def refused(self, creds: Credentials, op: str, body: Any = None, **params: Any) -> str:
        """The error code of a call that must fail."""
        with pytest.raises(ClientRequestException) as info:
            self.call(creds, op, body, **params)
        assert info.value.status_code in (400, 403, 404, 409), info.value
        return str(info.value.error_code)


def raw(response: Any) -> Any:
    """A response's JSON, numbers as exact Decimals."""
    return json.loads(response.raw_content, parse_float=Decimal) if response.raw_content else None


Case = Callable[[World, Sdk], None]
CASES: dict[str, Case] = {}


def case(*ops: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        for op in ops:
            assert op in SPECS, op
            assert op not in CASES, op
            CASES[op] = fn
        return fn

    return register


@pytest.fixture(scope="module")
def world(server: LiveServer) -> Iterator[World]:
    from tests.sdk.test_orders import ready_customer

    with httpx.Client(timeout=60) as client:
        built = build_world(server, client)
        built.c3 = ready_customer(server, built.p1)
        bill_activity(built)
        yield built


def test_every_pair_has_a_case() -> None:
    assert len(SPECS) == SURFACE["summary"]["total_operations"] == 103
    for op, kind in PAIRS:
        assert callable(getattr(BssClient if kind == "bss" else BssintlClient, op)), (op, kind)
    assert sorted(set(SPECS) - set(CASES)) == []
    assert sorted(set(CASES) - set(SPECS)) == []


@pytest.mark.parametrize(("op", "kind"), PAIRS, ids=[f"{o}[{k}]" for o, k in PAIRS])
def test_operation_through_client(world: World, op: str, kind: str) -> None:
    sdk = Sdk(world.server, kind, op)
    CASES[op](world, sdk)
    assert op in sdk.called, f"the case never sent {op} through the {kind} client"


# -- helpers ------------------------------------------------------------------------------------


def buyer(w: World) -> Credentials:
    """Another customer of ``p1`` that may buy: refusals it meets are about the object."""
    assert w.c3 is not None
    return w.c3


def p1_objects(w: World, kind: str) -> list[str]:
    return w.objects["p1"][kind]


def paged(
    s: Sdk,
    creds: Credentials,
    op: str,
    rows: Callable[[Any], list[Any]],
    *,
    body_paging: bool = False,
    first_offset: int = 0,
    body: dict[str, Any] | None = None,
    **params: Any,
) -> None:
    """Two one-row pages are two different rows (the list must hold at least two);
    ``body_paging``: offset and limit are body fields; ``first_offset`` 1 where the offset is a
    page number."""
    pages = []
    for offset in (first_offset, first_offset + 1):
        window = {"offset": offset, "limit": 1}
        if body_paging:
            answer = s.call(creds, op, {**(body or {}), **window}, **params)
        else:
            answer = s.call(creds, op, body, **window, **params)
        pages.append([str(row) for row in rows(answer)])
    assert len(pages[0]) == len(pages[1]) == 1, pages
    assert pages[0] != pages[1]


def same_for_everyone(s: Sdk, w: World, op: str, body: Any = None, **params: Any) -> Any:
    """A public read: a partner, a foreign partner and a customer read the same answer."""
    answers = [raw(s.call(creds, op, body, **params)) for creds in (w.p1.creds, w.p2.creds, w.c2)]
    assert answers[0] == answers[1] == answers[2]
    return answers[0]


# -- the public catalogue and reference data ---------------------------------------------------


@case("list_conversions")
def _conversions(w: World, s: Sdk) -> None:
    every = same_for_everyone(s, w, "list_conversions")["conversions"]
    kind = every[0]["measure_type"]
    answer = same_for_everyone(s, w, "list_conversions", measure_type=kind)
    assert answer["conversions"] == [c for c in every if c["measure_type"] == kind]
    assert len(answer["conversions"]) < len(every)
    assert s.call(w.p1.creds, "list_conversions", measure_type=99).conversions == []
    assert s.refused(w.p1.creds, "list_conversions", measure_type="one") == INVALID


@case("list_measure_units")
def _measure_units(w: World, s: Sdk) -> None:
    answer = same_for_everyone(s, w, "list_measure_units")
    assert {4, 17} <= {u["measure_id"] for u in answer["measure_units"]}
    with pytest.raises(ClientRequestException) as info:
        s.call(Credentials(w.p1.id, "x", "AKNOTAKEY0000000000", "secret"), "list_measure_units")
    assert info.value.status_code == 401


#: A public list: its rows, the field and value one row must show, and its query.
CATALOGUE_LISTS: dict[str, tuple[str, Callable[[dict[str, Any]], str], str, dict[str, Any]]] = {
    "list_service_types": ("service_types", lambda r: r["service_type_code"], ECS, {}),
    "list_resource_types": ("resource_types", lambda r: r["resource_type_code"], VM, {}),
    "list_service_resources": (
        "infos",
        lambda r: r["basic_info"]["resource_type_code"],
        VM,
        {"service_type_code": ECS},
    ),
}


@case(*CATALOGUE_LISTS)
def _catalogue_lists(w: World, s: Sdk) -> None:
    rows, field, value, query = CATALOGUE_LISTS[s.op]
    answer = same_for_everyone(s, w, s.op, limit=100, **query)
    assert value in {field(row) for row in answer[rows]}
    paged(s, w.p1.creds, s.op, lambda r: getattr(r, rows), **query)
    assert s.refused(w.p1.creds, s.op, limit=0, **query) == INVALID


@case("list_usage_types")
def _usage_types(w: World, s: Sdk) -> None:
    answer = same_for_everyone(s, w, "list_usage_types", resource_type_code=VM, limit=100)
    assert "Duration" in {u["code"] for u in answer["usage_types"]}
    assert {u["resource_type_code"] for u in answer["usage_types"]} == {VM}
    assert s.refused(w.p1.creds, "list_usage_types", limit=0) == INVALID


@case("list_resource_specs")
def _resource_specs(w: World, s: Sdk) -> None:
    body = {
        "cloud_service_type": ECS,
        "resource_type": VM,
        "region_code": HK,
        "charge_mode": "1",
        "limit": 100,
    }
    answer = same_for_everyone(s, w, "list_resource_specs", body)
    specs = {r["resource_spec"] for r in answer["cloud_service_basics"]}
    assert "s6.large.2.linux" in specs
    first = s.call(w.p1.creds, "list_resource_specs", {**body, "limit": 1})
    assert len(first.cloud_service_basics) == 1 and first.page_info.next_marker
    rest = s.call(
        w.p1.creds, "list_resource_specs", {**body, "marker": first.page_info.next_marker}
    )
    assert {r.resource_spec for r in rest.cloud_service_basics} == specs - {
        first.cloud_service_basics[0].resource_spec
    }
    bad = {**body, "charge_mode": "SOMETIMES"}
    assert s.refused(w.p1.creds, "list_resource_specs", bad) == INVALID


@case("list_resource_specs_price")
def _resource_specs_price(w: World, s: Sdk) -> None:
    body = {
        "cloud_service_type": ECS,
        "resource_type": VM,
        "region_code": HK,
        "need_price": True,
        "limit": 50,
    }
    answer = same_for_everyone(s, w, "list_resource_specs_price", body)
    assert "s6.large.2.linux" in text_of(answer)
    assert s.refused(w.p1.creds, "list_resource_specs_price", {**body, "limit": 0}) == INVALID


def business_month(w: World) -> str:
    return str(business_now(w).astimezone(w.server.settings.zone).strftime("%Y-%m"))


def business_now(w: World) -> Any:
    return parse_utc(httpx.get(f"{w.server.url}/health").json()["now"])


def text_of(answer: Any) -> str:
    return json.dumps(answer, default=str)


@case("list_provinces", "list_cities", "list_counties")
def _divisions(w: World, s: Sdk) -> None:
    provinces = same_for_everyone(s, w, "list_provinces", limit=100)
    assert provinces["count"] == 31
    cities = same_for_everyone(s, w, "list_cities", province_code="440000", limit=100)
    assert ("440300", "深圳市") in {(c["code"], c["name"]) for c in cities["cities"]}
    counties = same_for_everyone(s, w, "list_counties", city_code="440300", limit=100)
    assert "440305" in {c["code"] for c in counties["counties"]}
    paged(s, w.p1.creds, "list_provinces", lambda r: r.provinces)
    assert s.refused(w.p1.creds, "list_cities") == INVALID
    assert s.refused(w.p1.creds, "list_counties", city_code="4403") == INVALID


@case("list_incentive_discount_policies")
def _incentive_policies(w: World, s: Sdk) -> None:
    month = business_month(w)
    answer = raw(s.call(w.p1.creds, "list_incentive_discount_policies", time=month, limit=10))
    assert answer == raw(s.call(w.p2.creds, "list_incentive_discount_policies", time=month))
    assert "total_count" in answer, answer
    assert s.refused(w.p1.creds, "list_incentive_discount_policies", time="2026/01") == INVALID
    assert s.refused(w.c1, "list_incentive_discount_policies") == DENIED


# -- customers and the partner's view of them --------------------------------------------------


@case("create_sub_customer")
def _create_sub_customer(w: World, s: Sdk) -> None:
    body = {"xaccount_id": unique("x"), "xaccount_type": w.p1.xaccount_type}
    if s.kind == "bss":
        # The China-site model has no domain_area, which this (international) site requires.
        code = s.refused(w.p1.creds, "create_sub_customer", body)
        assert code == INVALID
        with fresh_server(currency="CNY") as cn:
            partner = cn.partner()
            body["xaccount_type"] = partner.xaccount_type
            created = Sdk(cn, "bss", s.op, s.called).call(
                partner.creds, "create_sub_customer", body
            )
            listed = Sdk(cn, "bss", s.op, s.called).call(
                partner.creds, "list_sub_customers", {"customer_id": created.domain_id}
            )
            assert [c.customer_id for c in listed.customer_infos] == [created.domain_id]
        return
    created = s.call(w.p1.creds, "create_sub_customer", {**body, "domain_area": "MX"})
    assert created.domain_id and created.domain_name
    mine = s.call(w.p1.creds, "list_sub_customers", {"customer_id": created.domain_id})
    assert [c.customer_id for c in mine.customer_infos] == [created.domain_id]
    theirs = s.call(w.p2.creds, "list_sub_customers", {"customer_id": created.domain_id})
    assert theirs.customer_infos == []
    again = {**body, "domain_area": "MX"}  # the same xaccount_id again
    assert s.refused(w.p1.creds, "create_sub_customer", again) == "CBC.99000039"
    assert s.refused(w.c1, "create_sub_customer", {**body, "domain_area": "MX"}) == DENIED


@case("list_sub_customers")
def _list_sub_customers(w: World, s: Sdk) -> None:
    mine = s.call(w.p1.creds, "list_sub_customers", {"limit": 100})
    ids = {c.customer_id for c in mine.customer_infos}
    assert {w.c1.account_id, w.c2.account_id} <= ids
    assert w.cr1.account_id not in ids
    assert mine.count == len(ids)
    paged(s, w.p1.creds, "list_sub_customers", lambda r: r.customer_infos, body_paging=True)
    named = s.call(w.p1.creds, "list_sub_customers", {"customer_id": w.c1.account_id})
    assert [c.customer_id for c in named.customer_infos] == [w.c1.account_id]
    foreign = s.call(w.p2.creds, "list_sub_customers", {"customer_id": w.c1.account_id})
    assert foreign.customer_infos == []
    of_reseller = s.call(w.d1.creds, "list_sub_customers", {"indirect_partner_id": w.r1.id})
    assert w.cr1.account_id in {c.customer_id for c in of_reseller.customer_infos}
    assert s.refused(w.p1.creds, "list_sub_customers", {"limit": 0}) == INVALID
    assert s.refused(w.c1, "list_sub_customers", {}) == DENIED


@case("check_user_identity")
def _check_user_identity(w: World, s: Sdk) -> None:
    taken = s.call(
        w.p1.creds, "check_user_identity", {"search_type": "name", "search_value": w.c1.domain_name}
    )
    assert taken.check_result == "used_by_user"
    free = s.call(
        w.p2.creds, "check_user_identity", {"search_type": "name", "search_value": unique("n")}
    )
    assert free.check_result == "available"
    bad = {"search_type": "passport", "search_value": "x"}
    assert s.refused(w.p1.creds, "check_user_identity", bad) == INVALID
    assert s.refused(w.c1, "check_user_identity", {"search_type": "name", "search_value": "a"}) == (
        DENIED
    )


@case("send_verification_message_code")
def _send_verification_code(w: World, s: Sdk) -> None:
    if s.kind == "bss":
        with fresh_server(currency="CNY") as cn:
            partner = cn.partner()
            client = Sdk(cn, "bss", s.op, s.called)
            sent = client.call(
                partner.creds,
                "send_verification_message_code",
                {"receiver_type": 1, "mobile_phone": "13900001111"},
            )
            assert sent.status_code == 204
            bad = {"receiver_type": 1, "mobile_phone": "12"}
            # The reference's code for a malformed China-site mobile number.
            assert client.refused(partner.creds, "send_verification_message_code", bad) == (
                "CBC.5017"
            )
            customer = cn.customer(partner)
            denied = {"receiver_type": 1, "mobile_phone": "13900001112"}
            assert client.refused(customer, "send_verification_message_code", denied) == DENIED
        return
    email = f"{unique('buyer')}@example.com"
    sent = s.call(
        w.p1.creds, "send_verification_message_code", {"receiver_type": 2, "email": email}
    )
    assert sent.status_code == 204
    outbox = w.ok(w.p1.creds, "GET", "/v1/sandbox/outbox", query={"recipient": email})
    assert len(outbox["messages"]) == 1
    bad = {"receiver_type": 2, "email": "not-an-email"}
    assert s.refused(w.p1.creds, "send_verification_message_code", bad) == INVALID
    assert s.refused(w.c1, "send_verification_message_code", bad) == DENIED


@case("list_sub_customer_new_tag")
def _new_tags(w: World, s: Sdk) -> None:
    tags = s.call(w.p1.creds, "list_sub_customer_new_tag", {"customer_ids": [w.c1.account_id]})
    assert [t.customer_id for t in tags.new_customer_tags] == [w.c1.account_id]
    paged(
        s, w.p1.creds, "list_sub_customer_new_tag", lambda r: r.new_customer_tags, body_paging=True
    )
    foreign = {"customer_ids": [w.c1.account_id]}
    assert s.refused(w.p2.creds, "list_sub_customer_new_tag", foreign) == NOT_YOURS
    assert s.refused(w.p1.creds, "list_sub_customer_new_tag", {"limit": 101}) == INVALID


@case("freeze_sub_customers", "unfreeze_sub_customers")
def _freezing(w: World, s: Sdk) -> None:
    target = w.server.customer(w.p1).account_id
    body = {"customer_ids": [target], "reason": "every operation"}
    done = s.call(w.p1.creds, "freeze_sub_customers", body)
    assert done.error_details == []
    listed = s.call(w.p1.creds, "list_sub_customers", {"customer_id": target})
    assert listed.customer_infos[0].is_frozen == 1
    foreign = s.call(w.p2.creds, "unfreeze_sub_customers", body)
    assert [(d.id, d.error_code) for d in foreign.error_details] == [(target, NOT_YOURS)]
    undone = s.call(w.p1.creds, "unfreeze_sub_customers", body)
    assert undone.error_details == []
    listed = s.call(w.p1.creds, "list_sub_customers", {"customer_id": target})
    assert listed.customer_infos[0].is_frozen == 0
    for op in ("freeze_sub_customers", "unfreeze_sub_customers"):
        assert s.refused(w.p1.creds, op, {"customer_ids": [target], "reason": ""}) == INVALID
        foreign_freeze = s.call(w.p2.creds, op, body)
        assert [d.error_code for d in foreign_freeze.error_details] == [NOT_YOURS]


# -- budgets -------------------------------------------------------------------------------------


@case(
    "update_sub_customer_budget",
    "show_sub_customer_budget",
    "list_sub_customer_budget",
    "list_sub_customer_budget_records",
)
def _budgets(w: World, s: Sdk) -> None:
    target = w.server.customer(w.p1).account_id
    for amount in ("10.50", "20.25"):
        s.call(
            w.p1.creds,
            "update_sub_customer_budget",
            {"customer_id": target, "budget_amount": D(amount), "budget_type": "MONTHLY"},
        )
    shown = raw(s.call(w.p1.creds, "show_sub_customer_budget", customer_id=target))
    assert (shown["budget_amount"], shown["budget_type"]) == (D("20.25"), "MONTHLY")
    listed = s.call(
        w.p1.creds, "list_sub_customer_budget", {"customer_ids": [target, w.c1.account_id]}
    )
    assert {b.customer_id for b in listed.budget_infos} == {target, w.c1.account_id}
    records = s.call(w.p1.creds, "list_sub_customer_budget_records", customer_id=target, limit=10)
    assert records.total_count == 2
    assert [r.budget_amount for r in records.record_list] == [D("20.25"), D("10.50")]
    paged(
        s,
        w.p1.creds,
        "list_sub_customer_budget_records",
        lambda r: r.record_list,
        customer_id=target,
    )
    # refusals
    bad = {"customer_id": target, "budget_amount": D("-1")}
    assert s.refused(w.p1.creds, "update_sub_customer_budget", bad) == INVALID
    assert s.refused(w.p1.creds, "show_sub_customer_budget") == INVALID
    assert s.refused(w.p1.creds, "list_sub_customer_budget", {"customer_ids": []}) == INVALID
    assert (
        s.refused(w.p1.creds, "list_sub_customer_budget_records", customer_id=target, limit=0)
        == INVALID
    )
    # tenancy: another partner names p1's customer
    steal = {"customer_id": target, "budget_amount": D("1")}
    assert s.refused(w.p2.creds, "update_sub_customer_budget", steal) == NOT_YOURS
    assert s.refused(w.p2.creds, "show_sub_customer_budget", customer_id=target) == NOT_YOURS
    # others' customers are left out of the list
    foreign = s.call(w.p2.creds, "list_sub_customer_budget", {"customer_ids": [target]})
    assert foreign.budget_infos == []
    assert s.refused(w.p2.creds, "list_sub_customer_budget_records", customer_id=target) == (
        NOT_YOURS
    )
    assert s.call(w.p1.creds, "show_sub_customer_budget", customer_id=target).budget_amount == D(
        "20.25"
    )


@case("show_customer_expenditure_quota")
def _expenditure_quota(w: World, s: Sdk) -> None:
    mine = raw(s.call(w.c1, "show_customer_expenditure_quota"))
    other = raw(s.call(w.c2, "show_customer_expenditure_quota"))
    assert mine["granting_amount"] == D("1000.00") and mine["granting_amount_used"] > 0
    assert other["granting_amount"] != mine["granting_amount"]
    assert s.refused(w.p1.creds, "show_customer_expenditure_quota") == DENIED


@case("show_partner_consumption_quota")
def _consumption_quota(w: World, s: Sdk) -> None:
    mine = raw(s.call(w.p1.creds, "show_partner_consumption_quota"))
    assert D(mine["consumption_quota"]) == D("5000") and D(mine["used_consumption_quota"]) > 0
    theirs = raw(s.call(w.p2.creds, "show_partner_consumption_quota"))
    assert D(theirs["used_consumption_quota"]) == 0
    assert s.refused(w.c1, "show_partner_consumption_quota") == DENIED


@case("list_indirect_partners")
def _indirect_partners(w: World, s: Sdk) -> None:
    listed = s.call(w.d1.creds, "list_indirect_partners", {"limit": 10})
    assert {p.indirect_partner_id for p in listed.indirect_partners} == {w.r1.id, w.r2.id}
    paged(s, w.d1.creds, "list_indirect_partners", lambda r: r.indirect_partners, body_paging=True)
    one = s.call(w.d1.creds, "list_indirect_partners", {"indirect_partner_id": w.r1.id})
    assert [p.indirect_partner_id for p in one.indirect_partners] == [w.r1.id]
    other = w.server.partner(PartnerType.DISTRIBUTOR)
    none = s.call(other.creds, "list_indirect_partners", {"indirect_partner_id": w.r1.id})
    assert none.indirect_partners == []
    assert s.refused(w.d1.creds, "list_indirect_partners", {"limit": 0}) == INVALID
    assert s.refused(w.p1.creds, "list_indirect_partners", {}) == DENIED


# -- orders ------------------------------------------------------------------------------------


def new_order(w: World) -> str:
    from tests.sdk.test_orders import placed

    return placed(w.server, w.p1, w.c1)


def bought(w: World) -> tuple[str, Any, Any]:
    """A paid ECS with its disk for ``c1``: (order id, vm, disk)."""
    from tests.sdk.test_orders import pay, resources

    order_id = new_order(w)
    pay(w.server.intl(w.c1), order_id)
    vm, disk = resources(w.server.intl(w.c1), order_id=order_id).data
    return order_id, vm, disk


@case("list_customer_orders")
def _list_orders(w: World, s: Sdk) -> None:
    paid, pending = p1_objects(w, "order")
    mine = s.call(w.c1, "list_customer_orders", limit=100)
    assert {paid, pending} <= {o.order_id for o in mine.order_infos}
    assert all(o.customer_id == w.c1.account_id for o in mine.order_infos)
    by_partner = s.call(w.p1.creds, "list_customer_orders", customer_id=w.c1.account_id, limit=100)
    assert {o.order_id for o in by_partner.order_infos} == {o.order_id for o in mine.order_infos}
    one = s.call(w.p1.creds, "list_customer_orders", order_id=paid)
    assert [o.order_id for o in one.order_infos] == [paid]
    unpaid = s.call(w.c1, "list_customer_orders", status=6, limit=100)
    assert pending in {o.order_id for o in unpaid.order_infos}
    assert paid not in {o.order_id for o in unpaid.order_infos}
    paged(s, w.c1, "list_customer_orders", lambda r: r.order_infos)
    assert s.refused(w.c1, "list_customer_orders", limit=0) == INVALID
    # tenancy
    assert s.call(w.c2, "list_customer_orders", order_id=paid).order_infos == []
    foreign = s.call(w.p2.creds, "list_customer_orders", order_id=paid)
    assert foreign.order_infos == []
    theirs = s.call(w.p2.creds, "list_customer_orders", customer_id=w.c1.account_id)
    assert (theirs.total_count, theirs.order_infos) == (0, [])


@case("show_customer_order_details")
def _order_details(w: World, s: Sdk) -> None:
    paid, _ = p1_objects(w, "order")
    mine = s.call(w.c1, "show_customer_order_details", order_id=paid)
    assert (mine.order_info.order_id, mine.order_info.status) == (paid, 5)
    assert D(str(mine.order_info.official_amount)) == D("34.08")
    assert len(mine.order_line_items) == 2
    by_partner = s.call(w.p1.creds, "show_customer_order_details", order_id=paid)
    assert by_partner.order_info.customer_id == w.c1.account_id
    paged(s, w.c1, "show_customer_order_details", lambda r: r.order_line_items, order_id=paid)
    assert s.refused(w.c1, "show_customer_order_details", order_id=paid, limit=0) == INVALID
    for stranger in (w.c2, w.p2.creds, w.r2.creds):
        code = s.refused(stranger, "show_customer_order_details", order_id=paid)
        # a reseller may not call it; anyone else learns nothing of the order
        assert code == (DENIED if stranger is w.r2.creds else INVALID_ORDER), code


@case("pay_orders")
def _pay_orders(w: World, s: Sdk) -> None:
    order_id = new_order(w)
    body = {"order_id": order_id, "use_coupon": "NO", "use_discount": "NO"}
    assert s.refused(w.c2, "pay_orders", body) == INVALID_ORDER
    assert s.refused(w.c1, "pay_orders", {**body, "use_coupon": "MAYBE"}) == INVALID
    assert s.call(w.c1, "pay_orders", body).status_code == 204
    shown = s.call(w.c1, "show_customer_order_details", order_id=order_id)
    assert shown.order_info.status == 5
    # paying twice is refused with the reference's "already paid"
    assert s.refused(w.c1, "pay_orders", body) == "CBC.99003106"


@case("cancel_customer_order")
def _cancel_order(w: World, s: Sdk) -> None:
    order_id = new_order(w)
    assert s.refused(w.c2, "cancel_customer_order", {"order_id": order_id}) == INVALID_ORDER
    assert s.refused(w.c1, "cancel_customer_order", {"order_id": ""}) == INVALID
    done = s.call(w.c1, "cancel_customer_order", {"order_id": order_id})
    assert done.status_code in (200, 204)
    shown = s.call(w.c1, "show_customer_order_details", order_id=order_id)
    assert shown.order_info.status == 4
    paid, _ = p1_objects(w, "order")
    assert s.refused(w.c1, "cancel_customer_order", {"order_id": paid}) == "CBC.99005010"


@case("list_order_discounts")
def _order_discounts(w: World, s: Sdk) -> None:
    _, pending = p1_objects(w, "order")
    mine = s.call(w.c1, "list_order_discounts", order_id=pending)
    assert mine.discounts == []  # a reseller-model customer is offered none
    assert s.refused(w.c1, "list_order_discounts") == INVALID
    assert s.refused(w.c2, "list_order_discounts", order_id=pending) == INVALID_ORDER
    assert s.refused(w.p1.creds, "list_order_discounts", order_id=pending) == DENIED


@case("list_order_coupons_by_order_id")
def _order_coupons(w: World, s: Sdk) -> None:
    _, pending = p1_objects(w, "order")
    (coupon,) = p1_objects(w, "coupon")
    mine = s.call(w.c1, "list_order_coupons_by_order_id", order_id=pending)
    assert coupon in {c.coupon_id for c in mine.user_coupons}
    assert mine.count == len(mine.user_coupons)
    assert s.refused(w.c1, "list_order_coupons_by_order_id") == INVALID
    code = s.refused(w.c2, "list_order_coupons_by_order_id", order_id=pending)
    assert code == INVALID_ORDER


@case("show_refund_order_details")
def _refund_details(w: World, s: Sdk) -> None:
    _, vm, _ = bought(w)
    refund = s.call(
        w.c1,
        "cancel_resources_subscription",
        {"resource_ids": [vm.resource_id], "unsubscribe_type": 1},
    )
    (order_id,) = refund.order_ids
    mine = raw(s.call(w.c1, "show_refund_order_details", order_id=order_id))
    assert mine["total_count"] == len(mine["refund_infos"]) >= 1
    # Negative: the amount refunded (api-semantics.md, show_refund_order_details).
    assert sum(r["amount"] for r in mine["refund_infos"]) == D("-34.08")
    by_partner = raw(
        s.call(
            w.p1.creds,
            "show_refund_order_details",
            order_id=order_id,
            customer_id=w.c1.account_id,
        )
    )
    assert by_partner == mine
    assert s.refused(w.c1, "show_refund_order_details") == INVALID
    assert s.refused(w.c2, "show_refund_order_details", order_id=order_id) == INVALID_ORDER
    code = s.refused(
        w.p2.creds, "show_refund_order_details", order_id=order_id, customer_id=w.c1.account_id
    )
    assert code == INVALID_ORDER


# -- yearly/monthly resources -------------------------------------------------------------------


@case("list_pay_per_use_customer_resources")
def _resources(w: World, s: Sdk) -> None:
    ids = p1_objects(w, "resource")
    mine = s.call(w.c1, "list_pay_per_use_customer_resources", {"resource_ids": ids, "limit": 100})
    assert {r.resource_id for r in mine.data} == set(ids)
    mains = s.call(
        w.c1, "list_pay_per_use_customer_resources", {"resource_ids": ids, "only_main_resource": 1}
    )
    assert [r.resource_type_code for r in mains.data] == [VM]
    by_partner = s.call(
        w.p1.creds,
        "list_pay_per_use_customer_resources",
        {"customer_id": w.c1.account_id, "resource_ids": ids},
    )
    assert {r.resource_id for r in by_partner.data} == set(ids)
    paged(
        s,
        w.c1,
        "list_pay_per_use_customer_resources",
        lambda r: r.data,
        body_paging=True,
        body={"resource_ids": ids},
    )
    assert s.refused(w.c1, "list_pay_per_use_customer_resources", {"limit": 0}) == INVALID
    assert s.call(w.c2, "list_pay_per_use_customer_resources", {"resource_ids": ids}).data == []
    foreign = {"customer_id": w.c1.account_id, "resource_ids": ids}
    assert s.refused(w.p2.creds, "list_pay_per_use_customer_resources", foreign) == NOT_YOURS


@case("auto_renewal_resources", "cancel_auto_renewal_resources")
def _auto_renew(w: World, s: Sdk) -> None:
    _, vm, _ = bought(w)
    for stranger in (buyer(w),):
        # another customer's resource is as unknown as one that does not exist
        code = s.refused(stranger, "auto_renewal_resources", {}, resource_id=vm.resource_id)
        assert code == NO_RESOURCE
        code = s.refused(stranger, "cancel_auto_renewal_resources", resource_id=vm.resource_id)
        assert code == NO_RESOURCE
    s.call(w.c1, "auto_renewal_resources", {"auto_renew_times": 2}, resource_id=vm.resource_id)
    shown = s.call(w.c1, "list_pay_per_use_customer_resources", {"resource_ids": [vm.resource_id]})
    assert shown.data[0].expire_policy == 3
    s.call(w.c1, "cancel_auto_renewal_resources", resource_id=vm.resource_id)
    shown = s.call(w.c1, "list_pay_per_use_customer_resources", {"resource_ids": [vm.resource_id]})
    assert shown.data[0].expire_policy != 3
    bad = {"auto_renew_times": -1}
    assert s.refused(w.c1, "auto_renewal_resources", bad, resource_id=vm.resource_id) == INVALID
    assert s.refused(w.c1, "cancel_auto_renewal_resources", resource_id="nope") == NO_RESOURCE


@case("renewal_resources")
def _renewal(w: World, s: Sdk) -> None:
    _, vm, _ = bought(w)
    body = {"resource_ids": [vm.resource_id], "period_type": 2, "period_num": 1, "is_auto_pay": 0}
    foreign = s.call(buyer(w), "renewal_resources", body)
    assert foreign.order_ids in ([], None)
    assert [f.resource_id for f in foreign.fail_resource_infos] == [vm.resource_id]
    assert s.refused(w.c1, "renewal_resources", {**body, "period_num": 12}) == INVALID
    renewed = s.call(w.c1, "renewal_resources", body)
    (order_id,) = renewed.order_ids
    shown = s.call(w.c1, "show_customer_order_details", order_id=order_id)
    assert D(str(shown.order_info.official_amount)) == D("34.08")


@case("cancel_resources_subscription")
def _unsubscribe(w: World, s: Sdk) -> None:
    _, vm, _ = bought(w)
    body = {"resource_ids": [vm.resource_id], "unsubscribe_type": 1}
    foreign = s.call(buyer(w), "cancel_resources_subscription", body)
    assert foreign.order_ids in ([], None)
    assert [f.resource_id for f in foreign.fail_resource_infos] == [vm.resource_id]
    bad = {**body, "unsubscribe_type": 9}
    assert s.refused(w.c1, "cancel_resources_subscription", bad) == INVALID
    done = s.call(w.c1, "cancel_resources_subscription", {**body, "unsubscribe_reason": "test"})
    assert len(done.order_ids) == 1
    shown = s.call(w.c1, "list_pay_per_use_customer_resources", {"resource_ids": [vm.resource_id]})
    assert shown.data == [] or shown.data[0].status != 2


@case("set_resources_renew_config")
def _renew_config(w: World, s: Sdk) -> None:
    # It names no object: the setting is always the caller's own.
    body = {"config_name": "DEDUCTION_DATE", "config_value": "3"}
    done = s.call(w.c2, "set_resources_renew_config", body)
    assert (done.error_code, done.error_msg) == ("CBC.0000", "success")
    s.call(w.c2, "set_resources_renew_config", {"config_name": "EXPIRE_DATE", "config_value": "-1"})
    assert s.refused(w.c2, "set_resources_renew_config", {**body, "config_value": "9"}) == INVALID
    assert s.refused(w.c2, "set_resources_renew_config", {**body, "config_name": "X"}) == INVALID
    assert s.refused(w.p1.creds, "set_resources_renew_config", body) == DENIED


@case("update_period_to_on_demand")
def _to_on_demand(w: World, s: Sdk) -> None:
    _, vm, _ = bought(w)
    body = {"operation": "SET_UP", "resource_ids": [vm.resource_id]}
    foreign = s.call(buyer(w), "update_period_to_on_demand", body)
    assert [d.id for d in foreign.error_details] == [vm.resource_id]
    assert s.refused(w.c1, "update_period_to_on_demand", {**body, "operation": "LATER"}) == INVALID
    done = s.call(w.c1, "update_period_to_on_demand", body)
    assert done.error_details == []
    undone = s.call(w.c1, "update_period_to_on_demand", {**body, "operation": "CANCEL"})
    assert undone.error_details == []


@case("update_period_to_on_demand_instantly")
def _to_on_demand_now(w: World, s: Sdk) -> None:
    _, vm, _ = bought(w)
    body = {"resource_ids": [vm.resource_id]}
    foreign = s.call(buyer(w), "update_period_to_on_demand_instantly", body)
    assert [r.result for r in foreign.to_ondemand_service_results] == ["FAIL"]
    assert s.refused(w.c1, "update_period_to_on_demand_instantly", {"resource_ids": []}) == (
        INVALID
    )
    done = s.call(w.c1, "update_period_to_on_demand_instantly", body)
    assert [(r.resource_id, r.result) for r in done.to_ondemand_service_results] == [
        (vm.resource_id, "SUCCESS")
    ]


@case("list_renew_rate_on_period")
def _renew_rate(w: World, s: Sdk) -> None:
    _, vm, _ = bought(w)
    body = {"resource_ids": [vm.resource_id], "period_type": 2, "period_num": 2}
    quote = s.call(w.c1, "list_renew_rate_on_period", body)
    assert [(r.resource_id, D(r.amount)) for r in quote.renew_inquiry_results] == [
        (vm.resource_id, D("68.16"))
    ]
    foreign = s.call(buyer(w), "list_renew_rate_on_period", body)
    assert [f.resource_id for f in foreign.fail_resource_infos] == [vm.resource_id]
    assert foreign.renew_inquiry_results == []
    assert s.refused(w.c1, "list_renew_rate_on_period", {**body, "period_num": 12}) == INVALID


# -- ratings -----------------------------------------------------------------------------------


def project_of(creds: Credentials) -> str:
    from partner_center.domains.catalog.projects import project_id_for

    return project_id_for(creds.account_id, HK)


LARGE_VM = {
    "id": "1",
    "cloud_service_type": ECS,
    "resource_type": VM,
    "resource_spec": "s6.large.2.linux",
    "region": HK,
    "subscription_num": 1,
}


@case("list_on_demand_resource_ratings")
def _on_demand_ratings(w: World, s: Sdk) -> None:
    product = {**LARGE_VM, "usage_factor": "Duration", "usage_value": D(2), "usage_measure_id": 4}
    body = {"project_id": project_of(w.c1), "product_infos": [product]}
    rated = raw(s.call(w.c1, "list_on_demand_resource_ratings", body))
    assert rated["official_website_amount"] > 0
    assert [p["id"] for p in rated["product_rating_results"]] == ["1"]
    bad = {**body, "product_infos": [{**product, "usage_value": D(-1)}]}
    assert s.refused(w.c1, "list_on_demand_resource_ratings", bad) == INVALID
    # another account's project is unknown to this one
    assert s.refused(w.c2, "list_on_demand_resource_ratings", body) == NO_PROJECT


@case("list_rate_on_period_detail")
def _period_ratings(w: World, s: Sdk) -> None:
    product = {**LARGE_VM, "period_type": 2, "period_num": 1}
    body = {"project_id": project_of(w.c1), "product_infos": [product]}
    rated = raw(s.call(w.c1, "list_rate_on_period_detail", body))
    assert rated["official_website_rating_result"]["official_website_amount"] == D("25.40")
    bad = {**body, "product_infos": [{**product, "period_num": 10}]}
    assert s.refused(w.c1, "list_rate_on_period_detail", bad) == INVALID
    assert s.refused(w.c2, "list_rate_on_period_detail", body) == NO_PROJECT


@case("list_customer_on_demand_resources")
def _customer_on_demand(w: World, s: Sdk) -> None:
    started = w.ok(
        w.c1,
        "POST",
        "/v1/partner-center/on-demand-resources",
        body={
            "region_code": HK,
            "resource_name": unique("res"),
            "service_type_code": ECS,
            "resource_type_code": VM,
            "resource_spec_code": "s6.small.1.linux",
        },
    )
    body = {"customer_id": w.c1.account_id, "limit": 100}
    mine = s.call(w.p1.creds, "list_customer_on_demand_resources", body)
    assert started["resource_id"] in {r.resource_id for r in mine.resources}
    assert all(r.customer_id == w.c1.account_id for r in mine.resources)
    bad = {"customer_id": w.c1.account_id, "limit": 0}
    assert s.refused(w.p1.creds, "list_customer_on_demand_resources", bad) == INVALID
    assert s.refused(w.p2.creds, "list_customer_on_demand_resources", body) == NOT_YOURS
    assert s.refused(w.c1, "list_customer_on_demand_resources", body) == DENIED


# -- coupons and coupon quotas ------------------------------------------------------------------


def quota_for(w: World, partner: Partner, value: str = "100.00") -> str:
    from tests.sdk.test_coupons import grant

    return grant(w.server, w.operator, partner, value)


def another_coupon(w: World) -> None:
    """A coupon of ``p1`` for ``c2``, so that p1's coupon lists hold two rows to page."""
    from tests.sdk.test_coupons import issue

    issue(w.server, w.p1, quota_for(w, w.p1), [w.c2.account_id], "1.00")


@case("create_partner_coupons", "list_issued_partner_coupons", "reclaim_partner_coupons")
def _partner_coupons(w: World, s: Sdk) -> None:
    quota = quota_for(w, w.p1)
    body = {"quota_id": quota, "customer_ids": [w.c2.account_id], "face_value": D("5.00")}
    issued = s.call(w.p1.creds, "create_partner_coupons", body)
    assert issued.error_details == []
    (coupon_id,) = [c.coupon_id for c in issued.coupon_infos]
    listed = s.call(w.p1.creds, "list_issued_partner_coupons", customer_id=w.c2.account_id)
    assert coupon_id in {c.coupon_id for c in listed.user_coupons}
    one = s.call(w.p1.creds, "list_issued_partner_coupons", coupon_id=coupon_id)
    assert [(c.coupon_id, c.face_value) for c in one.user_coupons] == [(coupon_id, D("5.00"))]
    paged(s, w.p1.creds, "list_issued_partner_coupons", lambda r: r.user_coupons)
    # refusals
    bad = {**body, "face_value": D("0")}
    assert s.refused(w.p1.creds, "create_partner_coupons", bad) == INVALID
    assert s.refused(w.p1.creds, "list_issued_partner_coupons", limit=0) == INVALID
    assert s.refused(w.p1.creds, "reclaim_partner_coupons", {"coupon_id": ""}) == INVALID
    # tenancy: p2 issues from p1's quota, to p1's customer, lists and reclaims p1's coupon
    foreign_quota = quota_for(w, w.p2)
    to_theirs = {**body, "quota_id": foreign_quota}
    refused_items = s.call(w.p2.creds, "create_partner_coupons", to_theirs).error_details
    assert [(e.id, e.error_code) for e in refused_items] == [(w.c2.account_id, NOT_YOURS)]
    assert s.refused(w.p2.creds, "create_partner_coupons", body) == NOT_YOUR_QUOTA
    assert s.call(w.p2.creds, "list_issued_partner_coupons", coupon_id=coupon_id).user_coupons == []
    # another partner's coupon is as unknown as a coupon that does not exist
    assert s.refused(w.p2.creds, "reclaim_partner_coupons", {"coupon_id": coupon_id}) == INVALID
    # the owner reclaims it
    s.call(w.p1.creds, "reclaim_partner_coupons", {"coupon_id": coupon_id})
    after = s.call(w.p1.creds, "list_issued_partner_coupons", coupon_id=coupon_id).user_coupons
    assert after[0].status != 1


@case("list_partner_coupons_record")
def _coupon_records(w: World, s: Sdk) -> None:
    another_coupon(w)
    (coupon_id,) = p1_objects(w, "coupon")
    mine = s.call(w.p1.creds, "list_partner_coupons_record", coupon_ids=[coupon_id])
    assert mine.total_count >= 1
    assert all(r.coupon_id == coupon_id for r in mine.records)
    assert {r.customer_id for r in mine.records} == {w.c1.account_id}
    paged(s, w.p1.creds, "list_partner_coupons_record", lambda r: r.records)
    assert s.refused(w.p1.creds, "list_partner_coupons_record", limit=0) == INVALID
    foreign = s.call(w.p2.creds, "list_partner_coupons_record", coupon_ids=[coupon_id])
    assert (foreign.total_count, foreign.records) == (0, [])


@case("list_quota_coupons")
def _quotas(w: World, s: Sdk) -> None:
    (quota,) = p1_objects(w, "quota")
    mine = s.call(w.p1.creds, "list_quota_coupons", {"quota_ids": [quota]})
    assert [(q.quota_id, q.quota_value) for q in mine.quotas] == [(quota, D("1000"))]
    assert mine.quotas[0].balance == D("990")  # the world's one coupon of 10
    paged(s, w.p1.creds, "list_quota_coupons", lambda r: r.quotas, body_paging=True)
    assert s.refused(w.p1.creds, "list_quota_coupons", {"limit": 0}) == INVALID
    assert s.call(w.p2.creds, "list_quota_coupons", {"quota_ids": [quota]}).quotas == []


@case(
    "update_coupon_quotas",
    "reclaim_coupon_quotas",
    "list_issued_coupon_quotas",
    "list_coupon_quotas_records",
)
def _reseller_quotas(w: World, s: Sdk) -> None:
    parent = quota_for(w, w.d1, "300.00")
    body = {"quota_id": parent, "indirect_partner_ids": [w.r1.id, w.r2.id], "quota_amount": D(10)}
    given = s.call(w.d1.creds, "update_coupon_quotas", body)
    assert [i.id for i in given.simple_quota_infos] == [w.r1.id, w.r2.id]
    children = {i.id: i.quota_id for i in given.simple_quota_infos}
    issued = s.call(w.d1.creds, "list_issued_coupon_quotas", parent_quota_id=parent)
    assert {q.quota_id for q in issued.quotas} == set(children.values())
    assert all(q.quota_value == D(10) for q in issued.quotas)
    paged(s, w.d1.creds, "list_issued_coupon_quotas", lambda r: r.quotas, parent_quota_id=parent)
    records = s.call(w.d1.creds, "list_coupon_quotas_records", parent_quota_id=parent)
    assert {r.indirect_partner_id for r in records.records} == {w.r1.id, w.r2.id}
    paged(s, w.d1.creds, "list_coupon_quotas_records", lambda r: r.records, parent_quota_id=parent)
    taken = s.call(w.d1.creds, "reclaim_coupon_quotas", {"quota_ids": [children[w.r1.id]]})
    assert [(q.quota_id, q.quota_balance) for q in taken.simple_quota_infos] == [
        (children[w.r1.id], D(0))
    ]
    (back,) = s.call(w.d1.creds, "list_quota_coupons", {"quota_ids": [parent]}).quotas
    assert back.balance == D("290.00")
    # refusals
    assert s.refused(w.d1.creds, "update_coupon_quotas", {**body, "quota_amount": D(-1)}) == (
        INVALID
    )
    assert s.refused(w.d1.creds, "reclaim_coupon_quotas", {"quota_ids": []}) == INVALID
    assert s.refused(w.d1.creds, "list_issued_coupon_quotas", limit=0) == INVALID
    assert s.refused(w.d1.creds, "list_coupon_quotas_records", limit=0) == INVALID
    # tenancy: another distributor names d1's quotas and resellers
    other = w.server.partner(PartnerType.DISTRIBUTOR)
    assert s.refused(other.creds, "update_coupon_quotas", body) == NOT_YOUR_QUOTA
    stolen = s.call(other.creds, "reclaim_coupon_quotas", {"quota_ids": [children[w.r2.id]]})
    assert [e.id for e in stolen.error_details] == [children[w.r2.id]]
    assert s.call(other.creds, "list_issued_coupon_quotas", parent_quota_id=parent).quotas == []
    assert s.call(other.creds, "list_coupon_quotas_records", parent_quota_id=parent).records == []
    assert s.refused(w.p1.creds, "list_issued_coupon_quotas") == DENIED


@case("list_sub_customer_coupons")
def _sub_customer_coupons(w: World, s: Sdk) -> None:
    another_coupon(w)
    (coupon_id,) = p1_objects(w, "coupon")
    mine = s.call(w.c1, "list_sub_customer_coupons", coupon_id=coupon_id)
    assert [(c.coupon_id, c.customer_id) for c in mine.user_coupons] == [
        (coupon_id, w.c1.account_id)
    ]
    assert s.refused(w.c1, "list_sub_customer_coupons", limit=0) == INVALID
    assert s.call(w.c2, "list_sub_customer_coupons", coupon_id=coupon_id).user_coupons == []
    paged(s, w.p1.creds, "list_sub_customer_coupons", lambda r: r.user_coupons)
    assert s.call(w.p2.creds, "list_sub_customer_coupons", coupon_id=coupon_id).user_coupons == []


@case("list_customer_coupon_change_records")
def _coupon_change_records(w: World, s: Sdk) -> None:
    from tests.sdk.test_coupons import issue
    from tests.sdk.test_orders import pay

    quota = quota_for(w, w.p1)
    (coupon,) = issue(w.server, w.p1, quota, [w.c1.account_id], "3.00").coupon_infos
    order_id = new_order(w)
    pay(w.server.intl(w.c1), order_id, coupon_id=coupon.coupon_id)
    coupons = {"balance_type": "BALANCE_TYPE_COUPON", "coupon_id": coupon.coupon_id}
    mine = s.call(w.c1, "list_customer_coupon_change_records", **coupons)
    assert mine.total_count >= 1
    assert {r.coupon_id for r in mine.records} == {coupon.coupon_id}
    assert D(0) in {D(r.balance_after_change) for r in mine.records}  # spent on the order
    bad = {**coupons, "limit": 0}
    assert s.refused(w.c1, "list_customer_coupon_change_records", **bad) == INVALID
    theirs = s.call(w.c2, "list_customer_coupon_change_records", **coupons)
    assert (theirs.total_count, theirs.records) == (0, [])
    assert s.refused(w.p1.creds, "list_customer_coupon_change_records", **coupons) == DENIED


# -- partner and customer accounts --------------------------------------------------------------


def funded_customer(w: World, amount: str) -> Credentials:
    """A new customer of ``p1`` that ``p1`` funded with ``amount`` (p1 tops up first)."""
    from tests.sdk.test_balance_helpers import allocate, funded

    customer = w.server.customer(w.p1)
    funded(w.server, w.p1, amount)
    allocate(w.server, w.p1, customer.account_id, amount)
    return customer


@case(
    "update_customer_account_amount",
    "reclaim_to_partner_account",
    "list_partner_adjust_records",
    "list_customers_balances_detail",
)
def _customer_money(w: World, s: Sdk) -> None:
    from tests.sdk.test_balance_helpers import funded

    customer = w.server.customer(w.p1)
    funded(w.server, w.p1, "30.00")
    body = {"customer_id": customer.account_id, "amount": D("20.00")}
    moved = s.call(w.p1.creds, "update_customer_account_amount", body)
    assert moved.transfer_id
    back = s.call(w.p1.creds, "reclaim_to_partner_account", {**body, "amount": D("5.00")})
    assert back.trans_id
    details = raw(
        s.call(
            w.p1.creds,
            "list_customers_balances_detail",
            {"customer_infos": [{"customer_id": customer.account_id}]},
        )
    )
    assert [(b["customer_id"], b["amount"]) for b in details["customer_balances"]] == [
        (customer.account_id, D("15.00"))
    ]
    records = s.call(w.p1.creds, "list_partner_adjust_records", customer_id=customer.account_id)
    assert sorted(D(r.amount) for r in records.records) == [D("5.00"), D("20.00")]
    paged(
        s,
        w.p1.creds,
        "list_partner_adjust_records",
        lambda r: r.records,
        customer_id=customer.account_id,
    )
    # refusals: nothing moves
    for op in ("update_customer_account_amount", "reclaim_to_partner_account"):
        assert s.refused(w.p1.creds, op, {**body, "amount": D("-1")}) == INVALID
        assert s.refused(w.p2.creds, op, {**body, "amount": D("1")}) == NOT_YOURS
    assert s.refused(w.p1.creds, "list_partner_adjust_records", limit=0) == INVALID
    assert s.refused(w.p1.creds, "list_customers_balances_detail", {"customer_infos": []}) == (
        INVALID
    )
    # tenancy: the other partner sees nothing of them
    theirs = s.call(w.p2.creds, "list_partner_adjust_records", customer_id=customer.account_id)
    assert (theirs.total_count, theirs.records) == (0, [])
    foreign = raw(
        s.call(
            w.p2.creds,
            "list_customers_balances_detail",
            {"customer_infos": [{"customer_id": customer.account_id}]},
        )
    )
    assert foreign["customer_balances"] == []
    again = raw(
        s.call(
            w.p1.creds,
            "list_customers_balances_detail",
            {"customer_infos": [{"customer_id": customer.account_id}]},
        )
    )
    assert again == details


@case("update_indirect_partner_account", "reclaim_indirect_partner_account")
def _reseller_money(w: World, s: Sdk) -> None:
    from tests.sdk.test_balance_helpers import funded

    funded(w.server, w.d1, "40.00")
    body = {"indirect_partner_id": w.r1.id, "amount": D("12.00")}
    assert s.call(w.d1.creds, "update_indirect_partner_account", body).transfer_id
    assert s.call(w.d1.creds, "reclaim_indirect_partner_account", {**body, "amount": D("2.00")})
    shown = raw(s.call(w.d1.creds, "list_partner_balances", indirect_partner_id=w.r1.id))
    cash = [b for b in shown["account_balances"] if b["account_type"] == 1]
    assert cash[0]["amount"] >= D("10.00")
    for op in ("update_indirect_partner_account", "reclaim_indirect_partner_account"):
        assert s.refused(w.d1.creds, op, {**body, "amount": D("0")}) == INVALID
        other = w.server.partner(PartnerType.DISTRIBUTOR)
        assert s.refused(other.creds, op, {**body, "amount": D("1")}) == "CBC.99000037"
        assert s.refused(w.p1.creds, op, body) == DENIED


@case("list_partner_balances")
def _partner_balances(w: World, s: Sdk) -> None:
    mine = raw(s.call(w.p1.creds, "list_partner_balances"))
    assert {b["account_type"] for b in mine["account_balances"]} >= {1}
    assert all(b["currency"] == "USD" for b in mine["account_balances"])
    code = s.refused(w.p1.creds, "list_partner_balances", indirect_partner_id=w.r1.id)
    assert code == "CBC.99000037"
    other = w.server.partner(PartnerType.DISTRIBUTOR)
    assert s.refused(other.creds, "list_partner_balances", indirect_partner_id=w.r1.id) == (
        "CBC.99000037"
    )
    assert s.refused(w.c1, "list_partner_balances") == DENIED


@case("list_partner_account_change_records")
def _partner_records(w: World, s: Sdk) -> None:
    from tests.sdk.test_balance_helpers import funded

    partner = w.server.partner()
    for amount in ("1.00", "2.00"):
        funded(w.server, partner, amount)
    query = {"balance_type": "BALANCE_TYPE_DEBIT"}
    mine = s.call(partner.creds, "list_partner_account_change_records", **query)
    assert sorted(D(r.change_amount) for r in mine.records) == [D("1.00"), D("2.00")]
    paged(s, partner.creds, "list_partner_account_change_records", lambda r: r.records, **query)
    bad = {**query, "limit": 0}
    assert s.refused(partner.creds, "list_partner_account_change_records", **bad) == INVALID
    theirs = s.call(w.p2.creds, "list_partner_account_change_records", **query)
    assert not {r.account_change_id for r in theirs.records} & {
        r.account_change_id for r in mine.records
    }
    other = w.server.partner(PartnerType.DISTRIBUTOR)
    code = s.refused(
        other.creds, "list_partner_account_change_records", indirect_partner_id=w.r1.id, **query
    )
    assert code == "CBC.99000037"


@case("show_customer_account_balances", "list_customer_account_change_records")
def _customer_account(w: World, s: Sdk) -> None:
    customer = funded_customer(w, "9.50")
    shown = raw(s.call(customer, "show_customer_account_balances"))
    assert [(a["account_type"], a["amount"]) for a in shown["account_balances"]] == [(1, D("9.50"))]
    query = {"balance_type": "BALANCE_TYPE_DEBIT"}
    if s.kind == "bss":
        from tests.sdk.test_balances import make_referral

        # A reseller-model customer may not read income and expense records (reference).
        code = s.refused(customer, "list_customer_account_change_records", **query)
        assert code == "CBC.99000084"
        make_referral(w.server, customer.account_id)
        records = s.call(customer, "list_customer_account_change_records", **query)
        assert [D(r.change_amount) for r in records.records] == [D("9.50")]
        bad = {**query, "limit": 0}
        assert s.refused(customer, "list_customer_account_change_records", **bad) == INVALID
        stranger = w.server.customer(w.p1)
        make_referral(w.server, stranger.account_id)
        other = s.call(stranger, "list_customer_account_change_records", **query)
        assert (other.total_count, other.records) == (0, [])
    # another customer reads only itself (never funded: no account)
    assert s.refused(w.c2, "show_customer_account_balances") == "CBC.99000049"
    assert s.refused(w.p1.creds, "show_customer_account_balances") == DENIED


# -- enterprise multi-account -------------------------------------------------------------------


_ENTERPRISES: dict[tuple[str, str], tuple[Credentials, str, str]] = {}


def enterprise(w: World, role: str = "master") -> tuple[Credentials, str, str]:
    """An enterprise master of ``p1`` funded with 100.00, with a member in a unit of its own:
    (master, member id, unit id). One per ``role`` and server (approving real names and hashing
    member passwords is slow): cases that move money compare before and after."""
    from tests.sdk.enterprise_helpers import make_master
    from tests.sdk.test_balance_helpers import allocate, funded
    from tests.sdk.test_multi_accounts import new_member

    key = (w.server.url, role)
    if key not in _ENTERPRISES:
        master = make_master(w.server, w.p1)
        funded(w.server, w.p1, "100.00")
        allocate(w.server, w.p1, master.account_id, "100.00")
        unit = unique("ou")
        _ENTERPRISES[key] = (master, new_member(w.server, master, party_id=unit), unit)
    return _ENTERPRISES[key]


def member_body(party_id: str, **new: Any) -> dict[str, Any]:
    return {
        "party_id": party_id,
        "sub_customer_association_type": 1,
        "new_sub_customer": {"customer_name": unique("m"), "password": "Secret-Pass-2024", **new},
    }


@case("create_sub_enterprise_account", "list_enterprise_sub_customers")
def _members(w: World, s: Sdk) -> None:
    master, member_id, unit = enterprise(w)
    if s.op == "create_sub_enterprise_account":
        body = member_body(unit)
        assert s.call(master, s.op, body).status_code == 204
        short = member_body(unit, password="short")
        assert s.refused(master, s.op, short) == "CBC.99000036"
        assert s.refused(master, s.op, {**body, "sub_customer_association_type": 2}) == INVALID
        # the victim's unit id, used by a customer that is no enterprise master
        assert s.refused(buyer(w), s.op, member_body(unit)) == "CBC.99007004"
        assert s.refused(w.p1.creds, s.op, body) == DENIED
    listed = s.call(master, "list_enterprise_sub_customers", org_id=unit)
    assert member_id in {m.id for m in listed.sub_customer_infos}
    assert all(m.org_id == unit for m in listed.sub_customer_infos)
    if s.op == "create_sub_enterprise_account":
        assert listed.total_count >= 2
        paged(s, master, "list_enterprise_sub_customers", lambda r: r.sub_customer_infos)
    assert s.refused(master, "list_enterprise_sub_customers", limit=101) == INVALID
    stranger, _, _ = enterprise(w, "stranger")
    theirs = s.call(stranger, "list_enterprise_sub_customers", org_id=unit)
    assert member_id not in {m.id for m in theirs.sub_customer_infos}
    (victim_unit,) = [u for u in p1_objects(w, "enterprise party") if u.startswith("ou-")]
    assert s.call(stranger, "list_enterprise_sub_customers", org_id=victim_unit).total_count == 0


@case("list_enterprise_organizations")
def _organizations(w: World, s: Sdk) -> None:
    master, _, unit = enterprise(w)
    tree = s.call(master, s.op, recursive_query=1)
    assert (tree.root_name, [n.id for n in tree.child_nodes]) == (master.domain_name, [unit])
    assert s.call(master, s.op, parent_id=unit).child_nodes == []
    assert s.refused(master, s.op, recursive_query=2) == INVALID
    stranger, _, _ = enterprise(w, "stranger")
    assert s.refused(stranger, s.op, parent_id=unit) == INVALID  # not one of its units
    assert unit not in text_of(raw(s.call(stranger, s.op, recursive_query=1)))
    # a customer that is no enterprise master has a root and nothing under it
    plain = s.call(w.c2, s.op, recursive_query=1)
    assert (plain.root_id, plain.child_nodes) == (f"org-{w.c2.account_id}", [])


@case("send_sms_verification_code")
def _sms(w: World, s: Sdk) -> None:
    from tests.sdk.test_multi_accounts import code_sent, mobile

    master, _, _ = enterprise(w)
    phone = mobile()
    args = [{"key": "scene", "value": "member"}]
    sent = s.call(master, s.op, {"mobile_phone": phone, "sm_template_args": args})
    assert sent.status_code == 204
    assert len(code_sent(w.server, master, phone)) == 6
    bad = {"mobile_phone": phone, "sm_template_args": args, "language": "fr-fr"}
    assert s.refused(master, s.op, bad) == INVALID
    assert s.refused(master, s.op, {**bad, "language": None, "mobile_phone": "555"}) == "CBC.5017"
    # a customer that is no enterprise master may not send
    code = s.refused(w.c2, s.op, {"mobile_phone": phone, "sm_template_args": args})
    assert code == "CBC.70300008"


@case(
    "show_multi_account_transfer_amount",
    "list_enterprise_multi_account",
    "update_sub_enterprise_amount",
    "reclaim_sub_enterprise_amount",
)
def _enterprise_money(w: World, s: Sdk) -> None:
    master, member_id, _ = enterprise(w)
    debit = {"balance_type": "BALANCE_TYPE_DEBIT"}

    def free() -> Any:
        shown = raw(s.call(master, "show_multi_account_transfer_amount", **debit))
        return shown["amount_infos"][0]["avail_transfer_amount"]

    def held() -> Any:
        shown = raw(
            s.call(master, "list_enterprise_multi_account", sub_customer_id=member_id, **debit)
        )
        return shown["amount_infos"][0]["avail_retrieve_amount"]

    before = (free(), held())
    s.call(master, "update_sub_enterprise_amount", {"customer_id": member_id, "amount": "20.00"})
    s.call(master, "reclaim_sub_enterprise_amount", {"customer_id": member_id, "amount": "5.00"})
    assert (free(), held()) == (before[0] - 15, before[1] + 15)
    back = raw(s.call(master, "list_enterprise_multi_account", sub_customer_id=member_id, **debit))
    # refusals: never overdrawn, bad input
    over = {"customer_id": member_id, "amount": str(free() + D("0.01"))}
    assert s.refused(master, "update_sub_enterprise_amount", over) == "CBC.99005003"
    over = {"customer_id": member_id, "amount": str(held() + D("0.01"))}
    assert s.refused(master, "reclaim_sub_enterprise_amount", over) == "CBC.99005003"
    assert s.refused(master, "show_multi_account_transfer_amount", balance_type="CASH") == INVALID
    assert s.refused(master, "list_enterprise_multi_account", sub_customer_id=member_id) == (
        INVALID
    )
    # tenancy: another master names this member
    stranger, _, _ = enterprise(w, "stranger")
    steal = {"customer_id": member_id, "amount": "1.00"}
    assert s.refused(stranger, "update_sub_enterprise_amount", steal) == NOT_A_MEMBER
    assert s.refused(stranger, "reclaim_sub_enterprise_amount", steal) == NOT_A_MEMBER
    code = s.refused(stranger, "list_enterprise_multi_account", sub_customer_id=member_id, **debit)
    assert code == NOT_A_MEMBER
    theirs = raw(s.call(stranger, "show_multi_account_transfer_amount", **debit))
    assert theirs["amount_infos"][0]["avail_transfer_amount"] == D("100.00")
    again = raw(s.call(master, "list_enterprise_multi_account", sub_customer_id=member_id, **debit))
    assert again == back


@case(
    "claim_enterprise_multi_account_coupon",
    "reclaim_enterprise_multi_account_coupon",
    "list_multi_account_transfer_coupons",
    "list_multi_account_retrieve_coupons",
)
def _enterprise_coupons(w: World, s: Sdk) -> None:
    from tests.sdk.test_coupons import issue

    master, member_id, _ = enterprise(w)
    quota = quota_for(w, w.p1)
    (coupon,) = issue(w.server, w.p1, quota, [master.account_id], "8.00").coupon_infos

    def balance() -> Decimal:
        listed = s.call(master, "list_multi_account_transfer_coupons", limit=100)
        (mine,) = [c for c in listed.avail_transfer_coupons if c.coupon_id == coupon.coupon_id]
        return D(mine.balance)

    assert balance() == D("8.00")
    share = {"customer_id": member_id, "coupon_id": coupon.coupon_id, "amount": "3.00"}
    sub = s.call(master, "claim_enterprise_multi_account_coupon", share).sub_coupon_id
    held = s.call(master, "list_multi_account_retrieve_coupons", sub_customer_id=member_id)
    assert (sub, "3.00") in {(c.sub_coupon_id, c.balance) for c in held.avail_retrieve_coupons}
    assert s.refused(master, "list_multi_account_transfer_coupons", limit=101) == INVALID
    assert s.refused(master, "list_multi_account_retrieve_coupons") == INVALID
    over = {**share, "amount": "5.01"}
    assert s.refused(master, "claim_enterprise_multi_account_coupon", over) == "CBC.99005003"
    back = {"customer_id": member_id, "coupon_id": coupon.coupon_id, "sub_coupon_id": sub}
    # tenancy: another master names this member, coupon and share
    stranger, _, _ = enterprise(w, "stranger")
    assert s.refused(stranger, "claim_enterprise_multi_account_coupon", share) == NOT_A_MEMBER
    assert s.refused(stranger, "reclaim_enterprise_multi_account_coupon", back) == NOT_A_MEMBER
    theirs = s.call(stranger, "list_multi_account_transfer_coupons", limit=100)
    assert coupon.coupon_id not in {c.coupon_id for c in theirs.avail_transfer_coupons}
    code = s.refused(stranger, "list_multi_account_retrieve_coupons", sub_customer_id=member_id)
    assert code == NOT_A_MEMBER
    returned = s.call(master, "reclaim_enterprise_multi_account_coupon", back)
    assert D(returned.real_retrieve_amout) == D("3.00")
    assert balance() == D("8.00")


@case("create_enterprise_project_auth")
def _project_auth(w: World, s: Sdk) -> None:
    # It names no object: the caller authorizes its own enterprise projects.
    assert s.call(buyer(w), s.op).status_code == 204
    assert s.call(buyer(w), s.op).status_code == 204  # idempotent
    assert s.refused(w.p1.creds, s.op) == DENIED


# -- real-name authentication -------------------------------------------------------------------


def individual(w: World, customer_id: str) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "identify_type": 0,
        "verified_type": 3,
        "verified_file_url": ["id/data-page.jpg", "id/holding.JPEG"],
        "name": "Li Si",
        "verified_number": "E12345678",
        "change_type": -1,
        "xaccount_type": w.p1.xaccount_type,
    }


def company(w: World, customer_id: str, **more: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "identify_type": 1,
        "certificate_type": 0,
        "verified_file_url": ["licence/front.jpg"],
        "corp_name": "Example Trading Co., Ltd.",
        "verified_number": "91330100MA27XYZ12X",
        "reg_country": "CN",
        "xaccount_type": w.p1.xaccount_type,
        "enterprise_person": {
            "legel_name": "Zhang San",
            "legel_id_number": "330106199001011234",
            "certifier_role": "legalPerson",
        },
        **more,
    }


@case(
    "create_personal_realname_auth",
    "show_realname_authentication_review_result",
    "show_real_name_auth_status",
)
def _personal_realname(w: World, s: Sdk) -> None:
    from tests.sdk.enterprise_helpers import review

    customer = w.server.customer(w.p1)
    cid = customer.account_id
    assert (
        s.refused(w.p1.creds, "create_personal_realname_auth", {**individual(w, cid), "name": ""})
        == INVALID
    )
    theirs = {**individual(w, cid), "xaccount_type": w.p2.xaccount_type}
    assert s.refused(w.p2.creds, "create_personal_realname_auth", theirs) == NOT_YOURS
    assert s.call(w.p1.creds, "create_personal_realname_auth", individual(w, cid)).is_review == 1
    shown = s.call(w.p1.creds, "show_realname_authentication_review_result", customer_id=cid)
    assert shown.review_result == 0
    assert review(w.server, cid, "reject", opinion="Blurred.").status_code == 200
    shown = s.call(w.p1.creds, "show_realname_authentication_review_result", customer_id=cid)
    assert (shown.review_result, shown.opinion) == (1, "Blurred.")
    assert s.refused(w.p1.creds, "show_realname_authentication_review_result") == INVALID
    code = s.refused(w.p2.creds, "show_realname_authentication_review_result", customer_id=cid)
    assert code == NOT_YOURS
    if s.kind == "bss":
        status = s.call(customer, "show_real_name_auth_status")
        assert (status.verified_status, status.verified_type) == (1, 0)
        other = s.call(w.c2, "show_real_name_auth_status")
        assert other.verified_status == -1
        assert s.refused(w.p1.creds, "show_real_name_auth_status") == DENIED


@case("create_enterprise_realname_authentication", "change_enterprise_realname_authentication")
def _enterprise_realname(w: World, s: Sdk) -> None:
    from tests.sdk.enterprise_helpers import approve

    op = s.op
    customer = w.server.customer(w.p1)
    cid = customer.account_id
    if op == "change_enterprise_realname_authentication":
        # only a verified individual changes to an enterprise
        assert s.refused(w.p1.creds, op, company(w, cid, change_type=1)) == "CBC.99007004"
        s.call(w.p1.creds, "create_personal_realname_auth", individual(w, cid))
        approve(w.server, cid)
        body = company(w, cid, change_type=1)
        assert s.refused(w.p1.creds, op, {**body, "change_type": -1}) == INVALID
    else:
        body = company(w, cid)
        assert s.refused(w.p1.creds, op, {**body, "corp_name": ""}) == INVALID
    assert s.refused(w.p2.creds, op, {**body, "xaccount_type": w.p2.xaccount_type}) == NOT_YOURS
    assert s.call(w.p1.creds, op, body).is_review == 1
    approve(w.server, cid)
    shown = s.call(w.p1.creds, "show_realname_authentication_review_result", customer_id=cid)
    assert shown.review_result == 2
    if s.kind == "bss":
        status = s.call(customer, "show_real_name_auth_status")
        assert (status.verified_status, status.verified_type) == (2, 1)


@case("show_real_name_auth_qr_code")
def _qr_code(w: World, s: Sdk) -> None:
    customer = w.server.customer(w.p1)
    first = s.call(customer, s.op).qr_code_url
    assert first != s.call(customer, s.op).qr_code_url and "token=" in first
    path = first.split("/v1/", 1)[1]
    assert httpx.get(f"{w.server.url}/v1/{path}").json() == {"status": "scanned"}
    # the code is the customer's own: nothing names another account
    assert s.refused(w.p1.creds, s.op) == DENIED


# -- free resource packages ---------------------------------------------------------------------


@case("list_free_resource_infos", "list_free_resource_usages", "list_free_resources_usage_records")
def _free_resources(w: World, s: Sdk) -> None:
    (quota_id,) = p1_objects(w, "free resource package")
    infos = s.call(w.c1, "list_free_resource_infos", {"limit": 10})
    (package,) = infos.free_resource_packages
    assert [f.free_resource_id for f in package.free_resources] == [quota_id]
    assert package.product_name == "outside-in hours"
    usages = raw(s.call(w.c1, "list_free_resource_usages", {"free_resource_ids": [quota_id]}))
    assert [(f["free_resource_id"], f["amount"]) for f in usages["free_resources"]] == [
        (quota_id, D(10))
    ]
    today = business_now(w).astimezone(w.server.settings.zone).date()
    days = {
        "deduct_time_begin": str(today - timedelta(days=1)),
        "deduct_time_end": str(today),
    }
    records = s.call(w.c1, "list_free_resources_usage_records", free_resource_id=quota_id, **days)
    assert records.total_count == len(records.free_resource_records) == 0  # nothing used yet
    # refusals
    assert s.refused(w.c1, "list_free_resource_infos", {"limit": 0}) == INVALID
    assert s.refused(w.c1, "list_free_resource_usages", {"free_resource_ids": []}) == INVALID
    assert s.refused(w.c1, "list_free_resources_usage_records", limit=0, **days) == INVALID
    assert s.refused(w.c1, "list_free_resources_usage_records") == INVALID
    # tenancy: another customer sees none of them
    assert s.call(w.c2, "list_free_resource_infos", {}).free_resource_packages == []
    theirs = s.call(w.c2, "list_free_resource_usages", {"free_resource_ids": [quota_id]})
    assert theirs.free_resources == []
    theirs_records = s.call(
        w.c2, "list_free_resources_usage_records", free_resource_id=quota_id, **days
    )
    assert theirs_records.free_resource_records == []
    assert s.refused(w.p1.creds, "list_free_resource_infos", {}) == DENIED


# -- discounts and stored-value cards ------------------------------------------------------------


@case("list_business_discount_info")
def _business_discounts(w: World, s: Sdk) -> None:
    from tests.sdk.test_rating import grant, referral_customer

    customer = referral_customer(w.server, w.p1)
    discount_id = grant(
        w.server,
        "business",
        customer_id=customer.account_id,
        percent_off=D("12.5"),
        name="Contract",
        service_type=ECS,
    )
    listed = s.call(customer, s.op, {"quoting_item_type": "CATEGORY_ITEM"})
    assert (listed.total_count, listed.commerce_id) == (1, discount_id)
    assert [(i.cloud_service_type, i.discount_ratio) for i in listed.category_quoting_items] == [
        (ECS, D("0.875"))
    ]
    assert s.refused(customer, s.op, {"quoting_item_type": "SKU_ITEM"}) == INVALID
    assert s.call(buyer(w), s.op, {"quoting_item_type": "CATEGORY_ITEM"}).total_count == 0
    assert s.refused(w.p1.creds, s.op, {"quoting_item_type": "CATEGORY_ITEM"}) == DENIED


@case("list_stored_value_cards")
def _stored_value_cards(w: World, s: Sdk) -> None:
    # partner-center sells none (rules.md §7.20): every customer's list is empty and valid.
    listed = s.call(w.c1, s.op, status=1, offset=0, limit=10)
    assert (listed.total_count, listed.stored_value_cards) == (0, [])
    assert s.refused(w.c1, s.op, status=3) == INVALID
    assert s.refused(w.c1, s.op) == INVALID
    assert s.refused(w.p1.creds, s.op, status=1) == DENIED


# -- bills ---------------------------------------------------------------------------------------

#: A past month of billed activity (the module fixture writes it and runs its bill run).
CYCLE = "2026-06"
DAY = datetime(2026, 6, 10, 4, 0, tzinfo=UTC)


def bill_activity(w: World) -> None:
    """``c1``'s month: a VM's usage, a volume, a bandwidth's hours, an order partly paid by
    coupon and a refund; ``c3``'s small order (two customers of ``p1`` consumed)."""
    from tests.factories import bills as f

    c1, p1 = w.c1.account_id, w.p1.id
    vm = f"m-{c1}"
    rows: list[Any] = [
        f.resource_row(vm, c1, p1, None, DAY),
        f.fee_row(vm, c1, p1, "12.345", hour=DAY, rated_at=DAY, cycle=CYCLE),
        f.volume_fee(f"v-{c1}", c1, p1, "0.005", at=DAY, cycle=CYCLE),
        *[
            f.bandwidth_fee(f"bw-{c1}", c1, p1, str(n), hour=DAY + timedelta(hours=n), cycle=CYCLE)
            for n in range(1, 5)
        ],
        *f.order_rows(c1, p1, None, "100.00", coupon="10.00", paid_at=DAY),
        *f.order_rows(c1, p1, None, "30.00", refund=True, paid_at=DAY),
        *f.order_rows(buyer(w).account_id, p1, None, "5.00", paid_at=DAY),
    ]
    w.server._call(f.bill_rows, rows=rows, cycle=CYCLE)


@case("show_customer_monthly_sum")
def _monthly_sum(w: World, s: Sdk) -> None:
    mine = raw(s.call(w.c1, s.op, bill_cycle=CYCLE, limit=100))
    assert mine["total_count"] == len(mine["bill_sums"]) >= 2
    assert mine["consume_amount"] > 0
    paged(s, w.c1, s.op, lambda r: r.bill_sums, bill_cycle=CYCLE)
    assert s.refused(w.c1, s.op, bill_cycle="2026-6") == INVALID
    theirs = raw(s.call(w.c2, s.op, bill_cycle=CYCLE))
    assert (theirs["total_count"], theirs["consume_amount"]) == (0, 0)
    assert s.refused(w.p1.creds, s.op, bill_cycle=CYCLE) == DENIED


#: Customer-self lists of the month: the cycle parameter's name, where it goes, the rows.
CUSTOMER_BILL_LISTS: dict[str, tuple[str, bool, str]] = {
    "list_customerself_resource_records": ("cycle", False, "fee_records"),
    "list_customer_bills_fee_records": ("bill_cycle", False, "records"),
    "list_customerself_resource_record_details": ("cycle", True, "monthly_records"),
    "list_customer_bills_monthly_break_down": ("shared_month", False, "details"),
}


@case(*CUSTOMER_BILL_LISTS)
def _customer_bill_lists(w: World, s: Sdk) -> None:
    name, in_body, rows = CUSTOMER_BILL_LISTS[s.op]

    def read(creds: Credentials, **more: Any) -> Any:
        if in_body:
            return s.call(creds, s.op, {name: CYCLE, **more})
        return s.call(creds, s.op, **{name: CYCLE}, **more)

    mine = read(w.c1, limit=100)
    assert mine.total_count == len(getattr(mine, rows)) >= 2
    assert {r.customer_id for r in getattr(mine, rows)} == {w.c1.account_id}
    first, second = (getattr(read(w.c1, offset=o, limit=1), rows) for o in (0, 1))
    assert len(first) == len(second) == 1 and first != second
    with pytest.raises(ClientRequestException) as info:
        read(w.c1, limit=0)
    assert info.value.error_code == INVALID
    theirs = read(w.c2)
    assert (theirs.total_count, getattr(theirs, rows)) == (0, [])
    with pytest.raises(ClientRequestException) as info:
        read(w.p1.creds)
    assert info.value.error_code == DENIED


@case("list_costs")
def _costs(w: World, s: Sdk) -> None:
    body = {
        "time_condition": {"time_measure_id": 2, "begin_time": CYCLE, "end_time": CYCLE},
        "groupby": [{"type": "dimension", "key": "CLOUD_SERVICE_TYPE"}],
        "cost_type": "ORIGINAL_COST",
        "amount_type": "PAYMENT_AMOUNT",
    }
    mine = s.call(w.c1, s.op, body)
    assert mine.total_count == len(mine.cost_data) >= 2
    assert sum(D(c.amount_by_costs) for c in mine.cost_data) > 0
    paged(s, w.c1, s.op, lambda r: r.cost_data, body_paging=True, body=body)
    assert s.refused(w.c1, s.op, {**body, "cost_type": "RETAIL"}) == INVALID
    theirs = s.call(w.c2, s.op, body)
    assert (theirs.total_count, theirs.cost_data) == (0, [])
    assert s.refused(w.p1.creds, s.op, body) == DENIED


@case("list_resource_usage", "list_resource_usage_summary")
def _resource_usage(w: World, s: Sdk) -> None:
    query = {
        "bill_cycle": CYCLE,
        "service_type_code": "hws.service.type.vpc",
        "resource_type_code": "hws.resource.type.bandwidth",
        "usage_type": "95Peak",
    }
    bw = f"bw-{w.c1.account_id}"
    details = s.call(w.c1, "list_resource_usage", resource_id=bw, **query)
    assert D(details.monthly_peak_band_width) == D(4)
    assert details.total_count == len(details.usage_info_list) >= 1
    summary = s.call(w.c1, "list_resource_usage_summary", **query)
    assert [r.resource_id for r in summary.summary_usage_info_list] == [bw]
    assert s.refused(w.c1, "list_resource_usage", **query) == INVALID  # resource_id required
    assert s.refused(w.c1, "list_resource_usage_summary", **{**query, "bill_cycle": "x"}) == (
        INVALID
    )
    theirs = s.call(w.c2, "list_resource_usage_summary", **query)
    assert theirs.summary_usage_info_list == []
    theirs_bw = s.call(w.c2, "list_resource_usage", resource_id=bw, **query)
    assert (theirs_bw.total_count, theirs_bw.usage_info_list) == (0, [])


@case("list_consume_sub_customers")
def _consume_sub_customers(w: World, s: Sdk) -> None:
    mine = s.call(w.p1.creds, s.op, {"bill_cycle": CYCLE})
    assert {c.customer_id for c in mine.sub_customers} == {w.c1.account_id, buyer(w).account_id}
    paged(
        s, w.p1.creds, s.op, lambda r: r.sub_customers, body_paging=True, body={"bill_cycle": CYCLE}
    )
    assert s.refused(w.p1.creds, s.op, {"bill_cycle": "2026/06"}) == INVALID
    assert s.call(w.p2.creds, s.op, {"bill_cycle": CYCLE}).sub_customers == []
    assert s.refused(w.c1, s.op, {"bill_cycle": CYCLE}) == DENIED


@case("list_sub_customer_bill_detail")
def _sub_customer_bill_detail(w: World, s: Sdk) -> None:
    query = {"bill_cycle": CYCLE, "customer_id": w.c1.account_id}
    mine = s.call(w.p1.creds, s.op, **query, limit=100)
    assert mine.total_count == len(mine.fee_records) >= 2
    assert {r.customer_id for r in mine.fee_records} == {w.c1.account_id}
    paged(s, w.p1.creds, s.op, lambda r: r.fee_records, **query)
    assert s.refused(w.p1.creds, s.op, **{**query, "bill_cycle": "2026-6"}) == INVALID
    theirs = s.call(w.p2.creds, s.op, **query)
    assert (theirs.total_count, theirs.fee_records) == (0, [])


@case("list_subcustomer_monthly_bills")
def _subcustomer_monthly_bills(w: World, s: Sdk) -> None:
    month = {"cycle": CYCLE, "charge_mode": "1"}
    mine = s.call(w.p1.creds, s.op, **month, limit=100)
    assert {b.customer_id for b in mine.bill_sums} == {w.c1.account_id, buyer(w).account_id}
    paged(s, w.p1.creds, s.op, lambda r: r.bill_sums, **month)
    one = s.call(w.p1.creds, s.op, **month, customer_id=buyer(w).account_id)
    assert [b.amount for b in one.bill_sums] == [D("5.00")]
    assert s.refused(w.p1.creds, s.op, **{**month, "cycle": "2026-6"}) == INVALID
    foreign = s.call(w.p2.creds, s.op, **month)
    assert foreign.bill_sums == []
    named = s.call(w.p2.creds, s.op, **month, customer_id=w.c1.account_id)
    assert named.bill_sums == []


@case("list_postpaid_bill_sum")
def _postpaid_bill_sum(w: World, s: Sdk) -> None:
    mine = raw(s.call(w.p1.creds, s.op, bill_cycle=CYCLE))
    # consumed 100 (10 of it by coupon) + 12.345 + 0.005 + 5, refunded 30
    assert (mine["consume_amount"], mine["refunds"]) == (D("107.35"), D("-30.00"))
    assert (
        mine["initial_amount_due"] == mine["consume_amount"] + mine["refunds"] + mine["adjustments"]
    )
    assert s.refused(w.p1.creds, s.op, bill_cycle="2026-6") == INVALID
    theirs = raw(s.call(w.p2.creds, s.op, bill_cycle=CYCLE))
    assert theirs["consume_amount"] == 0
    assert s.refused(w.c1, s.op, bill_cycle=CYCLE) == DENIED


@case("list_invoices")
def _invoices(w: World, s: Sdk) -> None:
    now = business_now(w)
    window = {
        "start_time": format_utc(now - timedelta(days=1)),
        "end_time": format_utc(now + timedelta(days=1)),
        "offset": 1,
        "limit": 10,
    }
    p1 = w.p1.creds
    # The SDK puts the credentials' domain id in the path: always the caller's own.
    mine = s.call(p1, s.op, **window)
    assert [i.request_id for i in mine.invoices] == p1_objects(w, "invoice")
    # The bill's 12.34 less p1's 5.00 cash coupon (tied to c1, world.py): 7.34 due.
    assert mine.invoices[0].invoice_amount == D("7.34")
    assert s.refused(p1, s.op, **{**window, "limit": 101}) == INVALID
    theirs = s.call(w.p2.creds, s.op, **window)
    assert (theirs.count, theirs.invoices) == (0, [])
    assert s.call(w.c1, s.op, **window).invoices == []
