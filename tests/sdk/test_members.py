"""Organization members (rules.md §1.18–1.20): the administrator adds members with 1 to 3 roles
(Admin alone, Account Manager and Director exclusive), changes roles, issues their AK/SK; members
act through the official SDK with their roles' permissions."""

from __future__ import annotations

from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_association_helpers import (
    associate,
    call,
    customer_account,
    list_customers,
    member,
    ok,
    refused,
)


def add(server: LiveServer, partner: Partner, **body: Any) -> Any:
    return call(server, partner.creds, "POST", "/members", {"name": unique("m"), **body})


@pytest.mark.parametrize(
    "roles",
    [
        [],
        ["ADMIN"],
        ["ADMIN", "FINANCE"],
        ["ACCOUNT_MANAGER", "ACCOUNT_DIRECTOR"],
        ["FINANCE", "OPERATIONS", "TICKETS", "SALES_MANAGER"],
        ["FINANCE", "FINANCE"],
        ["CEO"],
    ],
)
def test_role_rules(server: LiveServer, csp: Partner, roles: list[str]) -> None:
    refused(add(server, csp, roles=roles), 400, "CBC.0100")


def test_members_are_created_listed_and_their_roles_changed(
    server: LiveServer, csp: Partner
) -> None:
    name = unique("ops")
    created = ok(add(server, csp, name=name, roles=["FINANCE", "OPERATIONS", "TICKETS"]), 201)
    assert created["name"] == name
    assert created["roles"] == ["FINANCE", "OPERATIONS", "TICKETS"]
    assert (created["is_admin"], created["status"]) == (False, "ACTIVE")
    refused(add(server, csp, name=name, roles=["FINANCE"]), 400, "CBC.0100")  # name taken

    members = ok(call(server, csp.creds, "GET", "/members"))["members"]
    assert members[0]["is_admin"] is True
    assert [m["name"] for m in members[1:]] == [name]

    path = f"/members/{created['member_id']}/roles"
    changed = ok(call(server, csp.creds, "PUT", path, {"roles": ["ACCOUNT_DIRECTOR"]}))
    assert changed["roles"] == ["ACCOUNT_DIRECTOR"]
    refused(call(server, csp.creds, "PUT", path, {"roles": ["ADMIN"]}), 400, "CBC.0100")
    admin_id = members[0]["member_id"]
    refused(
        call(server, csp.creds, "PUT", f"/members/{admin_id}/roles", {"roles": ["FINANCE"]}),
        400,
        "CBC.0100",
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "roles": ["FINANCE"]},
        {"name": "has space", "roles": ["FINANCE"]},
        {"name": "x" * 65, "roles": ["FINANCE"]},
        {"name": "ok-name", "roles": "FINANCE"},
        {"name": "ok-name2", "roles": ["FINANCE"], "password": "short"},
    ],
)
def test_member_input_validation(server: LiveServer, csp: Partner, body: dict[str, Any]) -> None:
    response = call(server, csp.creds, "POST", "/members", body)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] in ("CBC.0100", "CBC.99000036")


def test_only_the_administrator_manages_members(server: LiveServer, csp: Partner) -> None:
    member_id, director = member(server, csp, ["ACCOUNT_DIRECTOR"])
    refused(
        call(server, director, "POST", "/members", {"name": "x1", "roles": ["FINANCE"]}),
        403,
        "CBC.0151",
    )
    refused(call(server, director, "GET", "/members"), 403, "CBC.0151")
    refused(call(server, director, "POST", f"/members/{member_id}/access-keys"), 403, "CBC.0151")
    # nor another partner, nor a customer
    other = server.partner()
    refused(
        call(server, other.creds, "PUT", f"/members/{member_id}/roles", {"roles": ["FINANCE"]}),
        400,
        "CBC.0100",
    )
    refused(call(server, other.creds, "POST", f"/members/{member_id}/access-keys"), 400, "CBC.0100")
    refused(call(server, customer_account(server), "GET", "/members"), 403, "CBC.0151")


def test_member_keys_carry_the_members_permissions(server: LiveServer, csp: Partner) -> None:
    associate(server, csp)
    _, director = member(server, csp, ["ACCOUNT_DIRECTOR"])
    assert list_customers(server, director).count == 1  # a director sees every customer
    _, tickets = member(server, csp, ["TICKETS"])
    with pytest.raises(ClientRequestException) as info:
        list_customers(server, tickets)
    assert (info.value.status_code, info.value.error_code) == (403, "CBC.0151")


def test_a_manager_keeps_the_role_while_managing_customers(
    server: LiveServer, csp: Partner
) -> None:
    manager_id, _ = member(server, csp, ["ACCOUNT_MANAGER"])
    customer = associate(server, csp)
    ok(
        call(
            server,
            csp.creds,
            "PUT",
            f"/customers/{customer.account_id}/account-manager",
            {"member_id": manager_id},
        )
    )
    path = f"/members/{manager_id}/roles"
    message = refused(call(server, csp.creds, "PUT", path, {"roles": ["FINANCE"]}), 400, "CBC.0100")
    assert "1 customer" in message
    # adding a role keeps Account Manager: allowed (and the member now sees every customer)
    ok(call(server, csp.creds, "PUT", path, {"roles": ["ACCOUNT_MANAGER", "FINANCE"]}))
    ok(call(server, csp.creds, "DELETE", f"/customers/{customer.account_id}/account-manager"))
    ok(call(server, csp.creds, "PUT", path, {"roles": ["FINANCE"]}))
