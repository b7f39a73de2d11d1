"""list_indirect_partners through both official SDK clients, and the distributor's extension
endpoints for its resellers: grants and quotas, account managers, and freezing a partner's own
account — each with its tenancy rules."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from huaweicloudsdkbss.v2 import model as bss_model
from huaweicloudsdkbssintl.v2.model import ListIndirectPartnersRequest, QueryIndirectPartnersReq
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.partners.public import PartnerType
from partner_center.provisioning import (
    Credentials,
    create_credentials,
    create_partner,
    ensure_operator,
    services,
)
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, unique
from tests.signed import signed_request

GRANTS = "/v1/partner-center/resellers/{}/grants"


# -- helpers shared with test_freezing.py ---------------------------------------------------


def operator(server: LiveServer) -> Credentials:
    operator_id = server._call(ensure_operator)
    creds: Credentials = server._call(create_credentials, account_id=operator_id)
    return creds


def member(server: LiveServer, partner: Partner, roles: list[str]) -> tuple[str, Credentials]:
    """A member of ``partner`` with ``roles`` and its own AK/SK: (member name, credentials)."""
    member_name = unique("m").replace("-", "")

    async def make(state: AppState) -> Credentials:
        async with state.db.unit_of_work() as uow:
            svc = await services(state, uow)
            created = await svc.identity.create_member(
                account_id=partner.id, name=member_name, roles=roles
            )
            key = await svc.identity.create_access_key(account_id=partner.id, member_id=created.id)
        return Credentials(partner.id, member_name, key.access_key, key.secret_key)

    return member_name, server._call(make)


def call(
    server: LiveServer, creds: Credentials, method: str, path: str, body: Any = None
) -> httpx.Response:
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return signed_request(server.url, creds, method, path, body=raw)


def put_grants(server: LiveServer, distributor: Partner, reseller: Partner, **grants: Any) -> Any:
    body = {"can_set_budget": False, "can_restrict": False, "can_freeze_resources": False}
    body.update(grants)
    response = call(server, distributor.creds, "PUT", GRANTS.format(reseller.id), body)
    assert response.status_code == 200, response.text
    return response.json()


def freeze_account(
    server: LiveServer, creds: Credentials, partner_id: str, *, unfreeze: bool = False
) -> httpx.Response:
    verb = "unfreeze" if unfreeze else "freeze"
    return call(
        server,
        creds,
        "POST",
        f"/v1/partner-center/partners/{partner_id}/{verb}",
        {"reason": f"{verb} for the test"},
    )


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error_code"]


def refused(fn: Any) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        fn()
    return info.value


# -- list_indirect_partners ------------------------------------------------------------------


def list_resellers(server: LiveServer, creds: Credentials, **filters: Any) -> Any:
    return server.intl(creds).list_indirect_partners(
        ListIndirectPartnersRequest(body=QueryIndirectPartnersReq(**filters))
    )


def reseller_with_email(server: LiveServer, distributor: Partner, name: str) -> Partner:
    creds, platform = server._call(
        create_partner,
        name=name,
        partner_type=PartnerType.RESELLER,
        distributor_id=distributor.id,
        email=f"{name}@example.com",
    )
    return Partner(creds, platform)


def test_a_distributor_lists_only_its_resellers(server: LiveServer, distributor: Partner) -> None:
    tag = unique("rs").replace("-", "")
    mine = [reseller_with_email(server, distributor, f"{tag}n{i}") for i in range(3)]
    other_distributor = server.partner(PartnerType.DISTRIBUTOR)
    theirs = server.partner(PartnerType.RESELLER, distributor=other_distributor)

    listed = list_resellers(server, distributor.creds)
    assert listed.status_code == 200
    assert listed.count == 3
    assert {p.indirect_partner_id for p in listed.indirect_partners} == {r.id for r in mine}
    newest = listed.indirect_partners[0]
    assert newest.indirect_partner_id == mine[-1].id  # newest link first
    assert newest.account_name == f"{tag}n2"
    assert newest.name == f"{tag}n2"
    assert newest.email == f"{tag}n2@example.com"
    assert newest.mobile_phone is None
    assert newest.account_manager_id is None and newest.account_manager_name is None
    assert newest.associated_on.endswith("Z") and len(newest.associated_on) == 20

    # The China-site client sends the same operation.
    bss = server.bss(distributor.creds).list_indirect_partners(
        bss_model.ListIndirectPartnersRequest(body=bss_model.QueryIndirectPartnersReq(limit=1))
    )
    assert bss.count == 3 and len(bss.indirect_partners) == 1

    # Tenancy: another distributor's reseller is never seen, even by id.
    assert list_resellers(server, distributor.creds, indirect_partner_id=theirs.id).count == 0
    assert [
        p.indirect_partner_id
        for p in list_resellers(server, other_distributor.creds).indirect_partners
    ] == [theirs.id]


def test_filters_and_paging(server: LiveServer, distributor: Partner) -> None:
    tag = unique("fl").replace("-", "")
    resellers = [reseller_with_email(server, distributor, f"{tag}x{i}") for i in range(4)]
    creds = distributor.creds
    assert list_resellers(server, creds, account_name=f"{tag}X2".upper()).count == 1
    assert list_resellers(server, creds, account_name=tag[2:]).count == 4
    assert list_resellers(server, creds, account_name="").count == 4  # "" is no filter
    assert list_resellers(server, creds, account_name="%").count == 0  # no LIKE wildcards
    one = list_resellers(server, creds, indirect_partner_id=resellers[1].id)
    assert [p.account_name for p in one.indirect_partners] == [f"{tag}x1"]

    page = list_resellers(server, creds, offset=1, limit=2)
    assert page.count == 4
    assert [p.indirect_partner_id for p in page.indirect_partners] == [
        resellers[2].id,
        resellers[1].id,
    ]
    assert len(list_resellers(server, creds, offset=3, limit=100).indirect_partners) == 1
    assert list_resellers(server, creds, offset=4).indirect_partners == []

    assert list_resellers(server, creds, associated_on_begin="2000-01-01T00:00:00Z").count == 4
    assert list_resellers(server, creds, associated_on_end="2000-01-01T00:00:00Z").count == 0
    assert list_resellers(server, creds, associated_on_begin="2999-01-01T00:00:00Z").count == 0
    assert (
        list_resellers(
            server,
            creds,
            associated_on_begin="2000-01-01T00:00:00Z",
            associated_on_end="2999-01-01T00:00:00Z",
        ).count
        == 4
    )


@pytest.mark.parametrize(
    "filters",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"associated_on_begin": "yesterday"},
        {"associated_on_end": "2026-01-01 00:00:00"},
        {
            "associated_on_begin": "2026-02-01T00:00:00Z",
            "associated_on_end": "2026-01-01T00:00:00Z",
        },
        {"account_name": "x" * 65},
        {"indirect_partner_id": "f" * 65},
    ],
)
def test_bad_filters_are_refused(
    server: LiveServer, distributor: Partner, filters: dict[str, Any]
) -> None:
    error = refused(lambda: list_resellers(server, distributor.creds, **filters))
    assert (error.status_code, error.error_code) == (400, "CBC.0100"), error.error_msg


def test_only_a_distributor_may_list_resellers(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    customer = server.customer(distributor)
    for creds in (csp.creds, reseller.creds, customer):
        error = refused(lambda creds=creds: list_resellers(server, creds))
        assert (error.status_code, error.error_code) == (403, "CBC.0151")


# -- account managers (rules.md §1.15) --------------------------------------------------------


def assign(server: LiveServer, creds: Credentials, ids: list[str], manager: str | None) -> Any:
    return call(
        server,
        creds,
        "PUT",
        "/v1/partner-center/resellers/account-manager",
        {"reseller_ids": ids, "account_manager": manager},
    )


def test_account_managers_of_resellers(server: LiveServer, distributor: Partner) -> None:
    first = server.partner(PartnerType.RESELLER, distributor=distributor)
    second = server.partner(PartnerType.RESELLER, distributor=distributor)
    alice, _ = member(server, distributor, ["ACCOUNT_MANAGER"])
    bob, _ = member(server, distributor, ["ACCOUNT_MANAGER"])
    finance, finance_creds = member(server, distributor, ["FINANCE"])

    done = assign(server, distributor.creds, [first.id, second.id], alice)
    assert done.status_code == 200, done.text
    assert done.json()["resellers"] == [
        {"indirect_partner_id": first.id, "account_manager_id": alice},
        {"indirect_partner_id": second.id, "account_manager_id": alice},
    ]
    listed = {
        p.indirect_partner_id: p
        for p in list_resellers(server, distributor.creds).indirect_partners
    }
    assert (listed[first.id].account_manager_id, listed[first.id].account_manager_name) == (
        alice,
        alice,
    )
    assert assign(server, distributor.creds, [first.id], bob).status_code == 200
    assert assign(server, distributor.creds, [first.id], None).status_code == 200
    listed = {
        p.indirect_partner_id: p
        for p in list_resellers(server, distributor.creds).indirect_partners
    }
    assert listed[first.id].account_manager_id is None
    assert listed[second.id].account_manager_id == alice

    history = call(
        server,
        distributor.creds,
        "GET",
        f"/v1/partner-center/resellers/{first.id}/account-manager-history",
    )
    records = history.json()["records"]
    assert [r["account_manager_id"] for r in records] == [bob, alice]
    assert all(r.get("withdrawn_at") for r in records)

    # Refusals change nothing.
    other_distributor = server.partner(PartnerType.DISTRIBUTOR)
    outsider = server.partner(PartnerType.RESELLER, distributor=other_distributor)
    assert error_of(assign(server, distributor.creds, [second.id, outsider.id], bob)) == (
        400,
        "CBC.99000037",
    )
    assert error_of(assign(server, distributor.creds, [second.id], finance)) == (400, "CBC.0100")
    assert error_of(assign(server, distributor.creds, [second.id], "nobody-here")) == (
        400,
        "CBC.0100",
    )
    other_manager, _ = member(server, other_distributor, ["ACCOUNT_MANAGER"])
    assert error_of(assign(server, distributor.creds, [second.id], other_manager)) == (
        400,
        "CBC.0100",
    )
    assert error_of(assign(server, distributor.creds, [], bob)) == (400, "CBC.0100")
    assert error_of(assign(server, finance_creds, [second.id], bob)) == (403, "CBC.0151")
    assert error_of(
        call(
            server,
            other_distributor.creds,
            "GET",
            f"/v1/partner-center/resellers/{first.id}/account-manager-history",
        )
    ) == (400, "CBC.99000037")
    listed = {
        p.indirect_partner_id: p
        for p in list_resellers(server, distributor.creds).indirect_partners
    }
    assert listed[second.id].account_manager_id == alice


# -- grants and quotas (rules.md §1.9–1.13) ---------------------------------------------------


def test_grants_round_trip(server: LiveServer, distributor: Partner, reseller: Partner) -> None:
    fresh = call(server, distributor.creds, "GET", GRANTS.format(reseller.id))
    assert fresh.status_code == 200
    assert fresh.json() == {
        "reseller_id": reseller.id,
        "distributor_id": distributor.id,
        "can_set_budget": False,
        "can_restrict": False,
        "can_freeze_resources": False,
    }
    body = b'{"can_set_budget":true,"can_restrict":true,"can_freeze_resources":false,"monthly_quota":1000.5,"package_quota":0}'
    updated = call(server, distributor.creds, "PUT", GRANTS.format(reseller.id), body)
    assert updated.status_code == 200, updated.text
    assert b'"monthly_quota":1000.50' in updated.content  # exact decimals, never a float
    assert b'"package_quota":0.00' in updated.content
    shown = call(server, distributor.creds, "GET", GRANTS.format(reseller.id)).json()
    assert (shown["can_set_budget"], shown["can_restrict"], shown["can_freeze_resources"]) == (
        True,
        True,
        False,
    )
    assert shown["updated_at"].endswith("Z")

    # A PUT replaces the whole grant: a quota left out is removed.
    put_grants(server, distributor, reseller, can_restrict=True)
    shown = call(server, distributor.creds, "GET", GRANTS.format(reseller.id)).json()
    assert "monthly_quota" not in shown and shown["can_set_budget"] is False

    detail = call(server, distributor.creds, "GET", f"/v1/partner-center/resellers/{reseller.id}")
    assert detail.status_code == 200
    assert detail.json()["grants"]["can_restrict"] is True
    assert detail.json()["frozen"] is False


@pytest.mark.parametrize(
    "body",
    [
        b'{"can_set_budget":true,"can_restrict":false}',
        b'{"can_set_budget":"true","can_restrict":false,"can_freeze_resources":false}',
        b'{"can_set_budget":1,"can_restrict":false,"can_freeze_resources":false}',
        b'{"can_set_budget":true,"can_restrict":false,"can_freeze_resources":false,"monthly_quota":"100"}',
        b'{"can_set_budget":true,"can_restrict":false,"can_freeze_resources":false,"monthly_quota":1.005}',
        b'{"can_set_budget":true,"can_restrict":false,"can_freeze_resources":false,"monthly_quota":-1}',
        b'{"can_set_budget":true,"can_restrict":false,"can_freeze_resources":false,"package_quota":2147483648}',
        b'{"can_set_budget":true,"can_restrict":false,"can_freeze_resources":false,"package_quota":true}',
        b"[]",
        b"not json",
    ],
)
def test_bad_grants_are_refused_and_change_nothing(
    server: LiveServer, distributor: Partner, reseller: Partner, body: bytes
) -> None:
    put_grants(server, distributor, reseller, can_restrict=True, monthly_quota=10)
    response = call(server, distributor.creds, "PUT", GRANTS.format(reseller.id), body)
    assert error_of(response) == (400, "CBC.0100"), response.text
    shown = call(server, distributor.creds, "GET", GRANTS.format(reseller.id)).json()
    assert (shown["can_restrict"], shown["monthly_quota"]) == (True, 10)


def test_only_the_resellers_distributor_manages_its_grants(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    other_distributor = server.partner(PartnerType.DISTRIBUTOR)
    customer = server.customer(distributor)
    body = {"can_set_budget": True, "can_restrict": True, "can_freeze_resources": True}
    path = GRANTS.format(reseller.id)
    for method in ("GET", "PUT"):
        payload = body if method == "PUT" else None
        assert error_of(call(server, other_distributor.creds, method, path, payload)) == (
            400,
            "CBC.99000037",
        )
        for creds in (csp.creds, reseller.creds, customer):
            assert error_of(call(server, creds, method, path, payload)) == (403, "CBC.0151")
    # A distributor's own id, or its customer's, is not a reseller.
    assert error_of(call(server, distributor.creds, "GET", GRANTS.format(distributor.id))) == (
        400,
        "CBC.99000037",
    )
    # Only the administrator grants; other members may look.
    _, operations = member(server, distributor, ["OPERATIONS"])
    assert error_of(call(server, operations, "PUT", path, body)) == (403, "CBC.0151")
    assert call(server, operations, "GET", path).status_code == 200
    assert call(server, distributor.creds, "GET", path).json()["can_restrict"] is False


# -- a partner's own account -----------------------------------------------------------------


def test_freezing_a_resellers_account(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    other_distributor = server.partner(PartnerType.DISTRIBUTOR)
    customer = server.customer(distributor)
    for creds in (csp.creds, reseller.creds, customer):
        assert error_of(freeze_account(server, creds, reseller.id)) == (403, "CBC.0151")
    assert error_of(freeze_account(server, other_distributor.creds, reseller.id)) == (
        400,
        "CBC.99000037",
    )
    assert error_of(freeze_account(server, distributor.creds, distributor.id)) == (
        400,
        "CBC.99000037",
    )
    _, operations = member(server, distributor, ["OPERATIONS"])
    assert error_of(freeze_account(server, operations, reseller.id)) == (403, "CBC.0151")
    no_reason = call(
        server, distributor.creds, "POST", f"/v1/partner-center/partners/{reseller.id}/freeze", {}
    )
    assert error_of(no_reason) == (400, "CBC.0100")
    long_reason = call(
        server,
        distributor.creds,
        "POST",
        f"/v1/partner-center/partners/{reseller.id}/freeze",
        {"reason": "x" * 257},
    )
    assert error_of(long_reason) == (400, "CBC.0100")

    frozen = freeze_account(server, distributor.creds, reseller.id)
    assert frozen.status_code == 200, frozen.text
    state = frozen.json()
    assert state["frozen"] is True and state["frozen_reason"] == "freeze for the test"
    assert error_of(freeze_account(server, distributor.creds, reseller.id)) == (
        400,
        "CBC.30000052",
    )
    detail = call(server, distributor.creds, "GET", f"/v1/partner-center/resellers/{reseller.id}")
    assert detail.json()["frozen"] is True

    thawed = freeze_account(server, distributor.creds, reseller.id, unfreeze=True)
    assert thawed.status_code == 200 and thawed.json()["frozen"] is False
    assert error_of(freeze_account(server, distributor.creds, reseller.id, unfreeze=True)) == (
        400,
        "CBC.0100",
    )


def test_the_operator_freezes_any_partner(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    platform = operator(server)
    for partner in (csp, distributor, reseller):
        assert freeze_account(server, platform, partner.id).status_code == 200
    # A distributor cannot lift what the operator decided.
    assert error_of(freeze_account(server, distributor.creds, reseller.id, unfreeze=True)) == (
        403,
        "CBC.0151",
    )
    detail = call(server, platform, "GET", f"/v1/partner-center/resellers/{reseller.id}")
    assert detail.status_code == 200 and detail.json()["frozen"] is True
    for partner in (csp, distributor, reseller):
        assert freeze_account(server, platform, partner.id, unfreeze=True).status_code == 200
    assert error_of(freeze_account(server, platform, "f" * 32)) == (400, "CBC.99000047")


def test_extension_endpoints_are_documented(server: LiveServer) -> None:
    spec = httpx.get(server.url + "/openapi.json", timeout=60).json()
    operations = {
        op["operationId"]: (method, path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    assert operations["list_indirect_partners"] == ("post", "/v2/partners/indirect-partners/query")
    assert operations["freeze_sub_customers"] == ("post", "/v2/partners/sub-customers/freeze")
    assert operations["unfreeze_sub_customers"] == ("post", "/v2/partners/sub-customers/unfreeze")
    assert operations["ext_update_reseller_grants"] == (
        "put",
        "/v1/partner-center/resellers/{reseller_id}/grants",
    )
    assert operations["ext_freeze_partner_account"] == (
        "post",
        "/v1/partner-center/partners/{partner_id}/freeze",
    )
    for name in ("ResellerGrantsUpdate", "FreezeSubCustomersReq", "ListIndirectPartnersResponse"):
        assert name in spec["components"]["schemas"]
