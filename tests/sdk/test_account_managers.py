"""Customers' account managers (rules.md §1.20, §8.5): one manager per customer, assigned by the
administrator or an account director; an account manager sees only its own customers (checked
through the official SDK with the member's own AK/SK); attribution starts at the next 00:00 in the
billing time zone, and the history keeps every period."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from partner_center.provisioning import Credentials
from tests.harness import LiveServer, Partner
from tests.sdk.test_association_helpers import (
    associate,
    call,
    list_customers,
    member,
    ok,
    operator,
    refused,
)
from tests.signed import signed_request


def business_now(server: LiveServer) -> datetime:
    response = signed_request(server.url, operator(server), "GET", "/v1/sandbox/clock")
    assert response.status_code == 200, response.text
    return datetime.fromisoformat(response.json()["now"].replace("Z", "+00:00"))


def next_midnight_utc(server: LiveServer, now: datetime) -> str:
    zone = ZoneInfo(server.settings.billing_timezone)
    local = now.astimezone(zone)
    start = datetime(local.year, local.month, local.day, tzinfo=zone) + timedelta(days=1)
    return start.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def assign(
    server: LiveServer, creds: Credentials, customer_id: str, member_id: str
) -> httpx.Response:
    body = {"member_id": member_id}
    return call(server, creds, "PUT", f"/customers/{customer_id}/account-manager", body)


def test_assignment_visibility_and_next_day_attribution(server: LiveServer, csp: Partner) -> None:
    first_id, first = member(server, csp, ["ACCOUNT_MANAGER"])
    second_id, second = member(server, csp, ["ACCOUNT_MANAGER"])
    customer = associate(server, csp)
    other_customer = associate(server, csp)
    assert list_customers(server, first).count == 0  # nobody's yet

    before = business_now(server)
    assigned = ok(assign(server, csp.creds, customer.account_id, first_id))
    assert assigned["member_id"] == first_id
    assert assigned["effective_from"] == next_midnight_utc(server, before)
    assert "effective_to" not in assigned

    seen = list_customers(server, first)
    assert [c.customer_id for c in seen.customer_infos] == [customer.account_id]
    assert list_customers(server, second).count == 0
    everyone = list_customers(server, csp.creds)
    names = {
        c.customer_id: [m.account_name for m in c.account_managers] for c in everyone.customer_infos
    }
    assert len(names[customer.account_id]) == 1 and names[other_customer.account_id] == []

    # assigning the same manager again changes nothing
    assert (
        ok(assign(server, csp.creds, customer.account_id, first_id))["assignment_id"]
        == (assigned["assignment_id"])
    )
    # one manager at a time: handing over moves visibility at once
    handed = ok(assign(server, csp.creds, customer.account_id, second_id))
    assert list_customers(server, first).count == 0
    assert [c.customer_id for c in list_customers(server, second).customer_infos] == [
        customer.account_id
    ]
    history = ok(
        call(server, csp.creds, "GET", f"/customers/{customer.account_id}/account-manager-history")
    )["assignments"]
    assert [h["member_id"] for h in history] == [second_id, first_id]
    # the first period ends where the second starts (both the next local midnight)
    assert history[1]["effective_to"] == handed["effective_from"]
    assert history[1]["ended_at"]

    withdrawn = ok(
        call(server, csp.creds, "DELETE", f"/customers/{customer.account_id}/account-manager")
    )
    assert withdrawn["member_id"] == second_id and withdrawn["effective_to"]
    assert list_customers(server, second).count == 0
    refused(
        call(server, csp.creds, "DELETE", f"/customers/{customer.account_id}/account-manager"),
        400,
        "CBC.0100",
    )


def test_who_may_assign_and_whom(server: LiveServer, csp: Partner) -> None:
    manager_id, manager = member(server, csp, ["ACCOUNT_MANAGER"])
    director_id, director = member(server, csp, ["ACCOUNT_DIRECTOR"])
    finance_id, finance = member(server, csp, ["FINANCE"])
    customer = associate(server, csp)

    # an account director may assign; an account manager or finance member may not
    ok(assign(server, director, customer.account_id, manager_id))
    refused(assign(server, manager, customer.account_id, manager_id), 403, "CBC.0151")
    refused(assign(server, finance, customer.account_id, manager_id), 403, "CBC.0151")
    # only members holding the Account Manager role, and only our own members
    refused(assign(server, csp.creds, customer.account_id, director_id), 400, "CBC.0100")
    refused(assign(server, csp.creds, customer.account_id, finance_id), 400, "CBC.0100")
    other = server.partner()
    foreign_id, _ = member(server, other, ["ACCOUNT_MANAGER"])
    refused(assign(server, csp.creds, customer.account_id, foreign_id), 400, "CBC.0100")
    refused(assign(server, csp.creds, customer.account_id, "0" * 32), 400, "CBC.0100")
    # never someone else's customer
    refused(assign(server, other.creds, customer.account_id, foreign_id), 400, "CBC.99000035")
    refused(
        call(
            server, other.creds, "GET", f"/customers/{customer.account_id}/account-manager-history"
        ),
        400,
        "CBC.99000035",
    )
    refused(
        call(
            server,
            customer,
            "PUT",
            f"/customers/{customer.account_id}/account-manager",
            {"member_id": manager_id},
        ),
        403,
        "CBC.0151",
    )


def test_a_manager_with_another_role_sees_every_customer(server: LiveServer, csp: Partner) -> None:
    manager_id, manager = member(server, csp, ["ACCOUNT_MANAGER", "FINANCE"])
    mine = associate(server, csp)
    associate(server, csp)
    ok(assign(server, csp.creds, mine.account_id, manager_id))
    assert list_customers(server, manager).count == 2  # rules.md §1.20


def test_a_manager_sees_only_its_own_customers_elsewhere_too(
    server: LiveServer, csp: Partner
) -> None:
    manager_id, manager = member(server, csp, ["ACCOUNT_MANAGER"])
    mine = associate(server, csp)
    theirs = associate(server, csp)
    ok(assign(server, csp.creds, mine.account_id, manager_id))
    ok(call(server, manager, "GET", f"/customers/{mine.account_id}/account-manager-history"))
    refused(
        call(server, manager, "GET", f"/customers/{theirs.account_id}/account-manager-history"),
        400,
        "CBC.99000035",
    )
    refused(
        call(
            server,
            manager,
            "POST",
            f"/customers/{theirs.account_id}/authorizations",
            {"commitment_letter_accepted": True},
        ),
        400,
        "CBC.99000035",
    )
