"""list_enterprise_sub_customers through the official SDK clients, with members created through
our extension endpoint: filters, paging, the caller kind, tenancy and the one-level rule
(api-semantics.md §3.13)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from huaweicloudsdkbss.v2 import model as bss_model
from huaweicloudsdkbssintl.v2.model import ListEnterpriseSubCustomersRequest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.enterprises.public import root_org_id
from partner_center.provisioning import Credentials, create_credentials
from tests.harness import LiveServer, Partner, unique
from tests.sdk.enterprise_helpers import make_master
from tests.signed import signed_request

MEMBERS = "/v1/partner-center/enterprise/members"


def add_member(server: LiveServer, creds: Credentials, **fields: Any) -> httpx.Response:
    body = json.dumps({k: v for k, v in fields.items() if v is not None}).encode()
    return signed_request(server.url, creds, "POST", MEMBERS, body=body)


def member(server: LiveServer, master: Credentials, **fields: Any) -> dict[str, Any]:
    fields.setdefault("name", unique("m").replace("-", "_"))
    response = add_member(server, master, **fields)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def listing(server: LiveServer, creds: Credentials, **query: Any) -> Any:
    return server.intl(creds).list_enterprise_sub_customers(
        ListEnterpriseSubCustomersRequest(**query)
    )


def refused(call: Any) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def names(response: Any) -> set[str]:
    return {i.name for i in response.sub_customer_infos}


def test_created_member_is_listed_with_reference_shapes(server: LiveServer, csp: Partner) -> None:
    master = make_master(server, csp)
    created = member(server, master, display_name="Finance Dept")
    assert created["status"] == 1
    assert created["org_id"] == root_org_id(master.account_id)
    assert created["org_name"] == master.domain_name
    assert created["created_at"].endswith("Z")

    intl = listing(server, master)
    bss = server.bss(master).list_enterprise_sub_customers(
        bss_model.ListEnterpriseSubCustomersRequest()
    )
    for response in (intl, bss):
        assert response.status_code == 200
        assert response.total_count == 1
        [info] = response.sub_customer_infos
        assert info.id == created["id"]
        assert info.name == created["name"]
        assert info.display_name == "Finance Dept"
        assert info.status == 1
        assert info.org_id == root_org_id(master.account_id)
        assert info.org_name == master.domain_name


def test_display_name_defaults_to_the_login_name(server: LiveServer, csp: Partner) -> None:
    master = make_master(server, csp)
    created = member(server, master)
    assert created["display_name"] == created["name"]


def test_filters_exact_fuzzy_display_name_and_org(server: LiveServer, csp: Partner) -> None:
    master = make_master(server, csp)
    tag = unique("t").replace("-", "")
    alpha = member(server, master, name=f"alpha_{tag}", display_name="Sales-Team")
    beta = member(server, master, name=f"beta_{tag}", display_name="Sales-Ops", org_id="ou-east")
    gamma = member(server, master, name=f"gamma_{tag}", display_name="Research")

    assert names(listing(server, master)) == {alpha["name"], beta["name"], gamma["name"]}
    # exact (the default and fuzzy_query=0): a substring does not match, case does not matter
    assert names(listing(server, master, sub_customer_account_name=f"ALPHA_{tag}")) == {
        alpha["name"]
    }
    assert listing(server, master, sub_customer_account_name=tag).total_count == 0
    assert listing(server, master, sub_customer_account_name=tag, fuzzy_query=0).total_count == 0
    # fuzzy: a substring matches
    assert listing(server, master, sub_customer_account_name=tag, fuzzy_query=1).total_count == 3
    assert names(listing(server, master, sub_customer_account_name="eta_", fuzzy_query=1)) == {
        beta["name"]
    }
    # a LIKE wildcard in the filter is a literal character
    assert listing(server, master, sub_customer_account_name="%", fuzzy_query=1).total_count == 0
    # display name
    assert names(listing(server, master, sub_customer_display_name="sales-team")) == {alpha["name"]}
    assert listing(server, master, sub_customer_display_name="Sales").total_count == 0
    assert names(listing(server, master, sub_customer_display_name="Sales", fuzzy_query=1)) == {
        alpha["name"],
        beta["name"],
    }
    # org unit
    assert names(listing(server, master, org_id="ou-east")) == {beta["name"]}
    assert names(listing(server, master, org_id=root_org_id(master.account_id))) == {
        alpha["name"],
        gamma["name"],
    }
    # filters combine
    assert (
        listing(
            server, master, sub_customer_display_name="Sales", fuzzy_query=1, org_id="ou-east"
        ).total_count
        == 1
    )


@pytest.mark.parametrize(
    "query",
    [
        {"fuzzy_query": 2},
        {"sub_customer_account_name": "a b"},
        {"sub_customer_display_name": "Sales Team"},
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
    ],
)
def test_invalid_query_is_refused(server: LiveServer, csp: Partner, query: dict[str, Any]) -> None:
    master = make_master(server, csp)
    error = refused(lambda: listing(server, master, **query))
    assert (error.status_code, error.error_code) == (400, "CBC.0100")


def test_paging(server: LiveServer, csp: Partner) -> None:
    master = make_master(server, csp)
    created = {member(server, master)["id"] for _ in range(5)}

    default = listing(server, master)
    assert default.total_count == 5 and len(default.sub_customer_infos) == 5
    seen: list[str] = []
    for offset in (0, 2, 4):
        response = listing(server, master, offset=offset, limit=2)
        assert response.total_count == 5
        seen += [i.id for i in response.sub_customer_infos]
    assert len(seen) == 5 and set(seen) == created
    assert listing(server, master, limit=100).total_count == 5
    past = listing(server, master, offset=5, limit=2)
    assert past.total_count == 5 and past.sub_customer_infos == []


def test_default_limit_is_ten(server: LiveServer, csp: Partner) -> None:
    master = make_master(server, csp)
    for _ in range(11):
        member(server, master)
    response = listing(server, master)
    assert response.total_count == 11 and len(response.sub_customer_infos) == 10


def test_partner_credentials_are_refused(server: LiveServer, csp: Partner) -> None:
    error = refused(lambda: listing(server, csp.creds))
    assert (error.status_code, error.error_code) == (403, "CBC.0151")
    response = add_member(server, csp.creds, name=unique("m").replace("-", "_"))
    assert response.status_code == 403
    assert response.json()["error_code"] == "CBC.0151"


def test_another_customer_sees_none_of_them(server: LiveServer, csp: Partner) -> None:
    master = make_master(server, csp)
    created = member(server, master)
    other = make_master(server, csp)
    member(server, other)
    for creds in (other, server.customer(server.partner())):
        response = listing(server, creds, sub_customer_account_name=created["name"])
        assert response.total_count == 0 and response.sub_customer_infos == []
    assert created["id"] not in {i.id for i in listing(server, other).sub_customer_infos}
    assert listing(server, other).total_count == 1


def test_a_member_cannot_create_members(server: LiveServer, csp: Partner) -> None:
    master = make_master(server, csp)
    created = member(server, master)
    member_creds: Credentials = server._call(create_credentials, account_id=created["id"])

    response = add_member(server, member_creds, name=unique("m").replace("-", "_"))
    assert response.status_code == 400
    assert response.json()["error_code"] == "CBC.0100"
    # the member lists no members of its own, and the master still has exactly one
    assert listing(server, member_creds).total_count == 0
    assert listing(server, master).total_count == 1


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"name": "abc"}, "CBC.99000031"),
        ({"name": "op_member1"}, "CBC.99000031"),
        ({"name": "12345678"}, "CBC.99000031"),
        ({"display_name": "x" * 65}, "CBC.0100"),
        ({"display_name": "   "}, "CBC.0100"),
        ({"org_id": "bad org"}, "CBC.0100"),
    ],
)
def test_invalid_member_is_refused_and_nothing_stored(
    server: LiveServer, csp: Partner, fields: dict[str, Any], code: str
) -> None:
    master = make_master(server, csp)
    fields = {"name": unique("m").replace("-", "_"), **fields}
    response = add_member(server, master, **fields)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == code
    assert listing(server, master).total_count == 0


def test_taken_name_is_refused(server: LiveServer, csp: Partner) -> None:
    master = make_master(server, csp)
    created = member(server, master)
    for taken in (created["name"].upper(), master.domain_name):
        response = add_member(server, master, name=taken)
        assert response.status_code == 400
        assert response.json()["error_code"] == "CBC.99000038"
    assert listing(server, master).total_count == 1
