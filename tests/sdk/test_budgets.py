"""show_sub_customer_budget, list_sub_customer_budget, update_sub_customer_budget and
list_sub_customer_budget_records through the official international SDK, plus our budget
extensions over signed requests: reference shapes, validation codes, distributors acting for
their resellers, and tenancy (api-semantics.md §3.3, rules.md §3)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import httpx
import pytest
from huaweicloudsdkbssintl.v2.model import (
    ListSubCustomerBudgetRecordsRequest,
    ListSubCustomerBudgetReq,
    ListSubCustomerBudgetRequest,
    ModSubCustomerBudgetReq,
    ShowSubCustomerBudgetRequest,
    UpdateSubCustomerBudgetRequest,
)
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.customers.public import ControlState, CustomerControl
from partner_center.domains.partners.public import PartnerType
from partner_center.provisioning import Credentials, services
from partner_center.state import AppState
from tests.harness import LiveServer, Partner
from tests.signed import signed_request

D = Decimal
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


# -- helpers ----------------------------------------------------------------------------------


def refused(call: Any) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def update(server: LiveServer, partner: Partner | Credentials, **fields: Any) -> Any:
    creds = partner.creds if isinstance(partner, Partner) else partner
    return server.intl(creds).update_sub_customer_budget(
        UpdateSubCustomerBudgetRequest(body=ModSubCustomerBudgetReq(**fields))
    )


def show(server: LiveServer, partner: Partner | Credentials, customer_id: str, **q: Any) -> Any:
    creds = partner.creds if isinstance(partner, Partner) else partner
    return server.intl(creds).show_sub_customer_budget(
        ShowSubCustomerBudgetRequest(customer_id=customer_id, **q)
    )


def list_budgets(server: LiveServer, partner: Partner, ids: list[str], **body: Any) -> Any:
    return server.intl(partner.creds).list_sub_customer_budget(
        ListSubCustomerBudgetRequest(body=ListSubCustomerBudgetReq(customer_ids=ids, **body))
    )


def records(server: LiveServer, partner: Partner, customer_id: str | None, **q: Any) -> Any:
    return server.intl(partner.creds).list_sub_customer_budget_records(
        ListSubCustomerBudgetRecordsRequest(customer_id=customer_id, **q)
    )


def ext(
    server: LiveServer, partner: Partner, method: str, path: str, body: Any = None, query: str = ""
) -> Any:
    raw = b"" if body is None else json.dumps(body).encode()
    return signed_request(server.url, partner.creds, method, path, query=query, body=raw)


async def _grant(
    state: AppState,
    *,
    distributor_id: str,
    reseller_id: str,
    monthly: Decimal | None,
    package: Decimal | None,
) -> None:
    async with state.db.unit_of_work() as uow:
        await (await services(state, uow)).partners.set_grants(
            distributor_id=distributor_id,
            reseller_id=reseller_id,
            can_set_budget=False,
            can_restrict=False,
            can_freeze_resources=False,
            monthly_quota=monthly,
            package_quota=package,
        )


def grant(
    server: LiveServer,
    distributor: Partner,
    reseller: Partner,
    monthly: Decimal | None = D(1000),
    package: Decimal | None = None,
) -> None:
    server._call(
        _grant,
        distributor_id=distributor.id,
        reseller_id=reseller.id,
        monthly=monthly,
        package=package,
    )


async def _control(state: AppState, *, customer_id: str) -> ControlState:
    async with state.db.unit_of_work() as uow:
        return await CustomerControl(uow.session, clock=state.clock).state(customer_id)


def control(server: LiveServer, customer: Credentials) -> ControlState:
    state: ControlState = server._call(_control, customer_id=customer.account_id)
    return state


async def _remove_association(state: AppState, *, customer_id: str) -> None:
    async with state.db.unit_of_work() as uow:
        svc = await services(state, uow)
        await svc.budgets.record_association_removed(customer_id)


# -- the four operations ----------------------------------------------------------------------


def test_set_then_read_with_the_reference_shapes(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    assert control(server, customer).restricted  # a new reseller-model customer

    done = update(
        server,
        csp,
        customer_id=customer.account_id,
        budget_amount=D("100.5"),
        cancel_partner_frozen="1",
    )
    assert done.status_code == 204
    assert done.raw_content in (b"", None)
    assert control(server, customer).normal

    shown = show(server, csp, customer.account_id)
    assert (shown.budget_amount, shown.used_amount) == (D("100.50"), D("0.00"))
    assert (shown.measure_id, shown.currency, shown.budget_type) == (1, "USD", "MONTHLY")
    raw = json.loads(shown.raw_content)
    assert raw == {
        "budget_amount": 100.5,
        "used_amount": 0,
        "measure_id": 1,
        "currency": "USD",
        "budget_type": "MONTHLY",
    }

    listed = list_budgets(server, csp, [customer.account_id])
    assert (listed.measure_id, listed.currency) == (1, "USD")
    [info] = listed.budget_infos
    assert (info.customer_id, info.budget_amount, info.used_amount, info.budget_type) == (
        customer.account_id,
        D("100.50"),
        D("0.00"),
        "MONTHLY",
    )

    history = records(server, csp, customer.account_id)
    assert (history.total_count, history.measure_id, history.currency) == (1, 1, "USD")
    [record] = history.record_list
    assert (record.budget_amount, record.operation_type, record.budget_type) == (
        D("100.50"),
        "SETTING",
        "MONTHLY",
    )
    assert UTC_TIME.fullmatch(record.operation_time)
    assert record.operator == csp.creds.domain_name
    assert record.partner_account_name == csp.creds.domain_name
    assert record.partner_corp_name == csp.creds.domain_name


def test_a_customer_without_a_budget_reads_as_zero(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    shown = show(server, csp, customer.account_id)
    assert (shown.budget_amount, shown.used_amount, shown.budget_type) == (0, 0, "MONTHLY")
    assert records(server, csp, customer.account_id).total_count == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"budget_amount": D(0)}, "budget_amount"),
        ({"budget_amount": D(-5)}, "budget_amount"),
        ({"budget_amount": D("1.005")}, "budget_amount"),
        ({"budget_amount": D("2147483647.01")}, "budget_amount"),
        ({"budget_amount": None}, "budget_amount"),
        ({"budget_type": ""}, "budget_type"),
        ({"budget_type": "YEARLY"}, "budget_type"),
        ({"frozen_operate_type": 2}, "frozen_operate_type"),
        ({"cancel_partner_frozen": "2"}, "cancel_partner_frozen"),
        ({"customer_id": None}, "customer_id"),
        ({"customer_id": "c" * 65}, "customer_id"),
    ],
)
def test_update_validation(
    server: LiveServer, csp: Partner, fields: dict[str, Any], field: str
) -> None:
    customer = server.customer(csp)
    body = {"customer_id": customer.account_id, "budget_amount": D(10), **fields}
    error = refused(lambda: update(server, csp, **body))
    assert (error.status_code, error.error_code) == (400, "CBC.0100"), error.error_msg
    assert field in error.error_msg
    assert show(server, csp, customer.account_id).budget_amount == 0  # nothing stored
    assert records(server, csp, customer.account_id).total_count == 0


def test_types_and_the_exhaustion_action_mapping(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    cid = customer.account_id

    def action() -> str:
        response = ext(server, csp, "GET", "/v1/partner-center/budgets", query=f"customer_id={cid}")
        assert response.status_code == 200, response.text
        return str(response.json()["exhaustion_action"])

    update(server, csp, customer_id=cid, budget_amount=D(50), budget_type="PACKAGE")
    assert show(server, csp, cid).budget_type == "PACKAGE"
    assert action() == "MANUAL"  # the default on a first budget
    update(server, csp, customer_id=cid, budget_amount=D(50), frozen_operate_type=1)
    assert (show(server, csp, cid).budget_type, action()) == ("MONTHLY", "RESTRICT")
    update(server, csp, customer_id=cid, budget_amount=D(60))
    assert action() == "RESTRICT"  # absent keeps it
    update(server, csp, customer_id=cid, budget_amount=D(60), frozen_operate_type=0)
    assert action() == "MANUAL"
    types = [r.budget_type for r in records(server, csp, cid, limit=10).record_list]
    assert types == ["MONTHLY", "MONTHLY", "MONTHLY", "PACKAGE"]


def test_list_omits_what_is_not_the_callers(server: LiveServer, csp: Partner) -> None:
    other = server.partner(PartnerType.CSP)
    mine = [server.customer(csp) for _ in range(2)]
    referral_free = server.customer(other)
    update(server, csp, customer_id=mine[0].account_id, budget_amount=D(10))
    ids = [mine[1].account_id, "f" * 32, referral_free.account_id, mine[0].account_id]
    listed = list_budgets(server, csp, [*ids, mine[0].account_id])
    assert [(i.customer_id, i.budget_amount) for i in listed.budget_infos] == [
        (mine[1].account_id, 0),
        (mine[0].account_id, 10),
    ]
    assert list_budgets(server, other, [m.account_id for m in mine]).budget_infos == []


@pytest.mark.parametrize("count", [0, 101])
def test_list_takes_one_to_a_hundred_ids(server: LiveServer, csp: Partner, count: int) -> None:
    error = refused(lambda: list_budgets(server, csp, [f"{n:032x}" for n in range(count)]))
    assert (error.status_code, error.error_code) == (400, "CBC.0100")


def test_records_filters_paging_and_the_delete_record(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    cid = customer.account_id
    for amount, kind in ((10, "MONTHLY"), (20, "PACKAGE"), (30, "PACKAGE")):
        update(server, csp, customer_id=cid, budget_amount=D(amount), budget_type=kind)
    server._call(_remove_association, customer_id=cid)

    everything = records(server, csp, cid)
    assert everything.total_count == 4
    assert [(r.operation_type, r.budget_amount) for r in everything.record_list] == [
        ("DELETE", 30),
        ("SETTING", 30),
        ("SETTING", 20),
        ("SETTING", 10),
    ]
    assert everything.record_list[0].operator == "system"
    deletes = records(server, csp, cid, operation_type="DELETE")
    assert (deletes.total_count, len(deletes.record_list)) == (1, 1)
    packages = records(server, csp, cid, budget_type="PACKAGE", operation_type="SETTING")
    assert [r.budget_amount for r in packages.record_list] == [30, 20]
    window = records(server, csp, cid, offset=1, limit=2)
    assert window.total_count == 4
    assert [r.budget_amount for r in window.record_list] == [30, 20]
    assert records(server, csp, cid, offset=4).record_list == []
    # The former customer's budget is gone.
    assert show(server, csp, cid).budget_amount == 0


@pytest.mark.parametrize(
    "query",
    [
        {"operation_type": ""},
        {"operation_type": "MODIFY"},
        {"budget_type": ""},
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 2147483648},
    ],
)
def test_records_validation(server: LiveServer, csp: Partner, query: dict[str, Any]) -> None:
    customer = server.customer(csp)
    error = refused(lambda: records(server, csp, customer.account_id, **query))
    assert (error.status_code, error.error_code) == (400, "CBC.0100"), error.error_msg


def test_customer_id_is_required_on_reads(server: LiveServer, csp: Partner) -> None:
    error = refused(lambda: records(server, csp, None))
    assert (error.status_code, error.error_code) == (400, "CBC.0100")
    response = ext(server, csp, "GET", "/v2/partners/sub-customers/budget")
    assert (response.status_code, response.json()["error_code"]) == (400, "CBC.0100")
    response = ext(
        server,
        csp,
        "GET",
        "/v2/partners/sub-customers/budget/records",
        query="limit=ten&customer_id=x",
    )
    assert (response.status_code, response.json()["error_code"]) == (400, "CBC.0100")
    response = signed_request(
        server.url, csp.creds, "POST", "/v2/partners/sub-customers/budget", body=b"{not json"
    )
    assert (response.status_code, response.json()["error_code"]) == (400, "CBC.0100")


# -- distributors and resellers ---------------------------------------------------------------


def test_a_distributor_manages_its_resellers_customers(
    server: LiveServer, distributor: Partner, reseller: Partner
) -> None:
    grant(server, distributor, reseller, monthly=D(100))
    customer = server.customer(distributor, reseller=reseller)
    cid = customer.account_id
    via = {"indirect_partner_id": reseller.id}

    update(
        server, distributor, customer_id=cid, budget_amount=D(80), cancel_partner_frozen="1", **via
    )
    assert show(server, distributor, cid, **via).budget_amount == 80
    assert control(server, customer).normal
    [info] = list_budgets(server, distributor, [cid], **via).budget_infos
    assert info.budget_amount == 80
    [record] = records(server, distributor, cid, **via).record_list
    assert record.partner_account_name == distributor.creds.domain_name

    # The reseller's quota caps its customers' budgets together.
    second = server.customer(distributor, reseller=reseller)
    error = refused(
        lambda: update(
            server, distributor, customer_id=second.account_id, budget_amount=D(21), **via
        )
    )
    assert (error.status_code, error.error_code) == (400, "CBC.0100")
    assert "quota" in error.error_msg
    error = refused(
        lambda: update(
            server,
            distributor,
            customer_id=second.account_id,
            budget_amount=D(5),
            budget_type="PACKAGE",
            **via,
        )
    )
    assert (error.status_code, error.error_code) == (400, "CBC.0100")
    update(server, distributor, customer_id=second.account_id, budget_amount=D(20), **via)

    # Without indirect_partner_id a reseller's customer is not the distributor's own.
    error = refused(lambda: show(server, distributor, cid))
    assert (error.status_code, error.error_code) == (400, "CBC.99000035")
    assert list_budgets(server, distributor, [cid]).budget_infos == []


# -- tenancy ----------------------------------------------------------------------------------


def test_another_partner_cannot_see_or_touch_a_budget(server: LiveServer, csp: Partner) -> None:
    other = server.partner(PartnerType.CSP)
    customer = server.customer(csp)
    cid = customer.account_id
    update(server, csp, customer_id=cid, budget_amount=D(10))

    for call in (
        lambda: show(server, other, cid),
        lambda: update(server, other, customer_id=cid, budget_amount=D(99)),
        lambda: records(server, other, cid),
    ):
        error = refused(call)
        assert (error.status_code, error.error_code) == (400, "CBC.99000035")
    assert list_budgets(server, other, [cid]).budget_infos == []
    assert show(server, csp, cid).budget_amount == 10
    assert records(server, csp, cid).total_count == 1


def test_a_foreign_reseller_id_is_refused(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    lonely = server.partner(PartnerType.DISTRIBUTOR)  # a distributor with no resellers
    grant(server, distributor, reseller)
    customer = server.customer(distributor, reseller=reseller)
    cid = customer.account_id
    via = {"indirect_partner_id": reseller.id}
    for who in (lonely, csp):
        for call in (
            lambda who=who: show(server, who, cid, **via),
            lambda who=who: update(server, who, customer_id=cid, budget_amount=D(5), **via),
            lambda who=who: list_budgets(server, who, [cid], **via),
            lambda who=who: records(server, who, cid, **via),
        ):
            error = refused(call)
            assert (error.status_code, error.error_code) == (400, "CBC.99000037"), error.error_msg
    assert show(server, distributor, cid, **via).budget_amount == 0


def test_customer_credentials_are_refused(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    cid = customer.account_id
    for call in (
        lambda: show(server, customer, cid),
        lambda: update(server, customer, customer_id=cid, budget_amount=D(5)),
    ):
        error = refused(call)
        assert (error.status_code, error.error_code) == (403, "CBC.0151")
    response = signed_request(
        server.url,
        customer,
        "POST",
        "/v2/partners/sub-customers/budget/query",
        body=json.dumps({"customer_ids": [cid]}).encode(),
    )
    assert (response.status_code, response.json()["error_code"]) == (403, "CBC.0151")
    assert show(server, csp, cid).budget_amount == 0


# -- extensions of ours -----------------------------------------------------------------------


def test_the_exhaustion_action_extension(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    cid = customer.account_id
    path = "/v1/partner-center/budgets/exhaustion-action"

    response = ext(server, csp, "POST", path, {"customer_id": cid, "action": "RESTRICT"})
    assert (response.status_code, response.json()["error_code"]) == (400, "CBC.0100")  # no budget
    update(server, csp, customer_id=cid, budget_amount=D(10))

    response = ext(server, csp, "POST", path, {"customer_id": cid, "action": "RESTRICT_AND_FREEZE"})
    assert (response.status_code, response.json()["error_code"]) == (400, "CBC.0100")
    assert "agreement" in response.json()["error_msg"].lower()
    response = ext(server, csp, "POST", path, {"customer_id": cid, "action": "FREEZE"})
    assert (response.status_code, response.json()["error_code"]) == (400, "CBC.0100")

    response = ext(
        server,
        csp,
        "POST",
        path,
        {"customer_id": cid, "action": "RESTRICT_AND_FREEZE", "accept_agreement": True},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "customer_id": cid,
        "is_set": True,
        "budget_type": "MONTHLY",
        "budget_amount": 10,
        "used_amount": 0,
        "reserved_amount": 0,
        "remaining_amount": 10,
        "measure_id": 1,
        "currency": "USD",
        "exhaustion_action": "RESTRICT_AND_FREEZE",
        "period_starts_at": response.json()["period_starts_at"],
    }
    assert UTC_TIME.fullmatch(response.json()["period_starts_at"])

    other = server.partner(PartnerType.CSP)
    response = ext(server, other, "POST", path, {"customer_id": cid, "action": "MANUAL"})
    assert (response.status_code, response.json()["error_code"]) == (400, "CBC.99000035")


def test_the_batch_extension(server: LiveServer, csp: Partner) -> None:
    mine = [server.customer(csp).account_id for _ in range(3)]
    foreign = server.customer(server.partner(PartnerType.CSP)).account_id
    path = "/v1/partner-center/budgets/batch"
    body = {"customer_ids": [*mine, foreign], "budget_amount": 25, "cancel_partner_frozen": "1"}
    response = ext(server, csp, "POST", path, body)
    assert response.status_code == 200, response.text
    assert response.json()["success_customer_ids"] == mine
    [failure] = response.json()["error_details"]
    assert (failure["id"], failure["error_code"]) == (foreign, "CBC.99000035")
    assert [i.budget_amount for i in list_budgets(server, csp, mine).budget_infos] == [25] * 3
    assert all(records(server, csp, c).total_count == 1 for c in mine)

    for bad in (
        {**body, "customer_ids": []},
        {**body, "budget_amount": 1.234},
        {**body, "budget_type": ""},
    ):
        response = ext(server, csp, "POST", path, bad)
        assert (response.status_code, response.json()["error_code"]) == (400, "CBC.0100")


def test_every_budget_route_is_documented(server: LiveServer) -> None:
    spec = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
    operations = {
        op["operationId"]: (path, method)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    assert operations["show_sub_customer_budget"] == ("/v2/partners/sub-customers/budget", "get")
    assert operations["update_sub_customer_budget"] == (
        "/v2/partners/sub-customers/budget",
        "post",
    )
    assert operations["list_sub_customer_budget"][0] == "/v2/partners/sub-customers/budget/query"
    assert operations["list_sub_customer_budget_records"][0].endswith("/budget/records")
    assert operations["set_budget_exhaustion_action"][0] == (
        "/v1/partner-center/budgets/exhaustion-action"
    )
    schemas = spec["components"]["schemas"]
    for name in ("ModSubCustomerBudgetReq", "ExhaustionActionReq", "BatchBudgetResponse"):
        assert name in schemas
    assert "accept_agreement" in schemas["ExhaustionActionReq"]["properties"]
