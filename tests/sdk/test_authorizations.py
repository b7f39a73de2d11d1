"""Customers authorizing their partner to order and operate on their behalf (rules.md §5.1–5.2):
the commitment letter, the agency ``assume_role`` checks (named after the partner's
``xaccount_type``), revocation that stops tokens at once, the distributor's permission a reseller
needs first (§1.14), and tenancy."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.errors import DomainError
from partner_center.provisioning import Credentials
from tests.harness import LiveServer, Partner
from tests.sdk.test_association_helpers import (
    PARTNER_PASSWORD,
    associate,
    assume_role,
    call,
    customer_account,
    member,
    ok,
    operator,
    partner_token,
    refused,
)

ALREADY_AUTHORIZED = "CBC.99110032"
REQUEST_OPEN = "CBC.99110031"
NOT_PENDING = "CBC.99110030"


def ask(server: LiveServer, creds: Credentials, customer_id: str, **body: object) -> httpx.Response:
    return call(server, creds, "POST", f"/customers/{customer_id}/authorizations", body or None)


def act(
    server: LiveServer, creds: Credentials, authorization_id: str, action: str
) -> httpx.Response:
    return call(server, creds, "POST", f"/authorizations/{authorization_id}/{action}")


def partner_view(server: LiveServer, partner: Partner, customer: Credentials) -> Any:
    """The partner's authorizations of one customer."""
    query = f"customer_id={customer.account_id}"
    return ok(call(server, partner.creds, "GET", "/authorizations", query=query))


def whoami(server: LiveServer, token: str) -> httpx.Response:
    return httpx.get(f"{server.url}/v1/partner-center/my-partner", headers={"X-Auth-Token": token})


def test_commitment_letter_then_approve_assume_role_and_revoke(server: LiveServer) -> None:
    partner = server.partner(PartnerType.CSP, password=PARTNER_PASSWORD)
    customer = associate(server, partner)
    token = partner_token(server, partner)
    refused(assume_role(server, token, customer, partner.xaccount_type), 403, "IAM.0003")

    # the first request needs the commitment letter accepted
    message = refused(ask(server, partner.creds, customer.account_id), 400, "CBC.0100")
    assert "commitment_letter_accepted" in message
    settings = ok(call(server, partner.creds, "GET", "/association-settings"))
    assert "commitment_letter_accepted_at" not in settings
    asked = ok(ask(server, partner.creds, customer.account_id, commitment_letter_accepted=True))
    assert (asked["status"], asked["permission"]) == ("PENDING", "te_admin")
    assert asked["agency_name"] == partner.xaccount_type
    assert ok(call(server, partner.creds, "GET", "/association-settings"))[
        "commitment_letter_accepted_at"
    ]
    refused(ask(server, partner.creds, customer.account_id), 400, REQUEST_OPEN)

    # still nothing until the customer approves
    refused(assume_role(server, token, customer, partner.xaccount_type), 403, "IAM.0003")
    pending = ok(call(server, customer, "GET", "/authorizations", query="status=PENDING"))
    assert [a["authorization_id"] for a in pending["authorizations"]] == [asked["authorization_id"]]
    approved = ok(act(server, customer, asked["authorization_id"], "approve"))
    assert approved["status"] == "AUTHORIZED"
    refused(ask(server, partner.creds, customer.account_id), 400, ALREADY_AUTHORIZED)

    granted = assume_role(server, token, customer, partner.xaccount_type)
    assert granted.status_code == 201, granted.text
    customer_token = granted.headers["X-Subject-Token"]
    assert whoami(server, customer_token).status_code == 200

    revoked = ok(act(server, customer, asked["authorization_id"], "revoke"))
    assert revoked["status"] == "REVOKED" and revoked["revoked_at"]
    stopped = whoami(server, customer_token)
    refused(stopped, 401, "CBC.0154")
    refused(assume_role(server, token, customer, partner.xaccount_type), 403, "IAM.0003")
    refused(act(server, customer, asked["authorization_id"], "revoke"), 400, NOT_PENDING)

    # later requests need no letter; the customer may reject them
    again = ok(ask(server, partner.creds, customer.account_id, permission="readonly"))
    assert again["permission"] == "readonly"
    rejected = ok(act(server, customer, again["authorization_id"], "reject"))
    assert rejected["status"] == "REJECTED"
    refused(assume_role(server, token, customer, partner.xaccount_type), 403, "IAM.0003")
    history = partner_view(server, partner, customer)
    assert [a["status"] for a in history["authorizations"]] == ["REJECTED", "REVOKED"]


def test_a_partner_can_withdraw_its_pending_request(server: LiveServer, csp: Partner) -> None:
    customer = associate(server, csp)
    asked = ok(ask(server, csp.creds, customer.account_id, commitment_letter_accepted=True))
    refused(act(server, customer, asked["authorization_id"], "cancel"), 403, "CBC.0151")
    assert ok(act(server, csp.creds, asked["authorization_id"], "cancel"))["status"] == "CANCELLED"
    refused(act(server, customer, asked["authorization_id"], "approve"), 400, NOT_PENDING)


def test_request_validation(server: LiveServer, csp: Partner) -> None:
    customer = associate(server, csp)
    refused(
        ask(
            server,
            csp.creds,
            customer.account_id,
            commitment_letter_accepted=True,
            permission="root",
        ),
        400,
        "CBC.0100",
    )
    refused(
        ask(server, csp.creds, customer.account_id, commitment_letter_accepted="yes"),
        400,
        "CBC.0100",
    )
    assert ok(call(server, csp.creds, "GET", "/authorizations"))["count"] == 0


def test_referral_customers_are_not_operated_on_behalf(server: LiveServer) -> None:
    partner = server.partner()
    ok(
        call(
            server,
            operator(server),
            "PUT",
            f"/partners/{partner.id}/association-settings",
            {"referral_enabled": True},
        )
    )
    customer = associate(server, partner, association_type="1")
    refused(
        ask(server, partner.creds, customer.account_id, commitment_letter_accepted=True),
        400,
        "CBC.5024",
    )


def test_a_reseller_needs_its_distributors_permission_first(
    server: LiveServer, distributor: Partner
) -> None:
    reseller = server.partner(
        PartnerType.RESELLER, distributor=distributor, password=PARTNER_PASSWORD
    )
    customer = associate(server, reseller)
    path = f"/resellers/{reseller.id}/on-behalf-permission"
    assert ok(call(server, reseller.creds, "GET", path))["granted"] is False

    refused(
        ask(server, reseller.creds, customer.account_id, commitment_letter_accepted=True),
        400,
        "CBC.18000016",
    )
    # only its own distributor grants it
    other_distributor = server.partner(PartnerType.DISTRIBUTOR)
    refused(
        call(server, other_distributor.creds, "PUT", path, {"granted": True}), 400, "CBC.99000037"
    )
    refused(call(server, reseller.creds, "PUT", path, {"granted": True}), 403, "CBC.0151")
    refused(call(server, server.partner().creds, "PUT", path, {"granted": True}), 403, "CBC.0151")
    granted = ok(call(server, distributor.creds, "PUT", path, {"granted": True}))
    assert granted["granted"] is True and granted["distributor_id"] == distributor.id

    asked = ok(ask(server, reseller.creds, customer.account_id, commitment_letter_accepted=True))
    ok(act(server, customer, asked["authorization_id"], "approve"))
    token = partner_token(server, reseller)
    customer_token = assume_role(server, token, customer, reseller.xaccount_type)
    assert customer_token.status_code == 201
    subject = customer_token.headers["X-Subject-Token"]
    assert whoami(server, subject).status_code == 200

    # withdrawing the distributor's permission withdraws the customers' authorizations
    withdrawn = ok(call(server, distributor.creds, "PUT", path, {"granted": False}))
    assert withdrawn["revoked_authorizations"] == 1
    refused(whoami(server, subject), 401, "CBC.0154")
    history = ok(call(server, customer, "GET", "/authorizations"))
    assert history["authorizations"][0]["status"] == "REVOKED"
    # the distributor itself never acts for the reseller's customer
    refused(
        ask(server, distributor.creds, customer.account_id, commitment_letter_accepted=True),
        400,
        "CBC.99000035",
    )


def test_authorization_tenancy(server: LiveServer, csp: Partner) -> None:
    customer = associate(server, csp)
    other = server.partner()
    stranger = customer_account(server)
    refused(
        ask(server, other.creds, customer.account_id, commitment_letter_accepted=True),
        400,
        "CBC.99000035",
    )
    refused(
        ask(server, csp.creds, stranger.account_id, commitment_letter_accepted=True),
        400,
        "CBC.99000035",
    )
    asked = ok(ask(server, csp.creds, customer.account_id, commitment_letter_accepted=True))
    authorization_id = asked["authorization_id"]
    # nobody but the customer decides; nobody but the partner cancels
    refused(act(server, stranger, authorization_id, "approve"), 400, "CBC.0100")
    refused(act(server, csp.creds, authorization_id, "approve"), 403, "CBC.0151")
    refused(act(server, other.creds, authorization_id, "cancel"), 400, "CBC.0100")
    assert ok(call(server, other.creds, "GET", "/authorizations"))["count"] == 0
    assert ok(call(server, stranger, "GET", "/authorizations"))["count"] == 0
    # an account manager sees only its own customers' authorizations
    _, manager = member(server, csp, ["ACCOUNT_MANAGER"])
    refused(
        call(server, manager, "GET", "/authorizations", query=f"customer_id={customer.account_id}"),
        400,
        "CBC.99000035",
    )
    refused(call(server, manager, "GET", "/authorizations"), 400, "CBC.0100")
    assert ok(act(server, customer, authorization_id, "approve"))["status"] == "AUTHORIZED"


def test_an_authorization_made_at_creation_is_listed_and_revocable(server: LiveServer) -> None:
    """``customers create --authorize`` (provisioning) goes through the same flow as the API:
    the customer sees the record, and revoking it stops the partner's customer tokens."""
    partner = server.partner(PartnerType.CSP, password=PARTNER_PASSWORD)
    customer = server.customer(partner, authorize=True)
    token = partner_token(server, partner)
    granted = assume_role(server, token, customer, partner.xaccount_type)
    assert granted.status_code == 201, granted.text
    customer_token = granted.headers["X-Subject-Token"]

    listed = ok(call(server, customer, "GET", "/authorizations"))
    assert listed["count"] == 1
    record = listed["authorizations"][0]
    assert (record["status"], record["partner_id"], record["agency_name"]) == (
        "AUTHORIZED",
        partner.id,
        partner.xaccount_type,
    )
    seen_by_partner = partner_view(server, partner, customer)
    assert [a["authorization_id"] for a in seen_by_partner["authorizations"]] == [
        record["authorization_id"]
    ]

    revoked = ok(act(server, customer, record["authorization_id"], "revoke"))
    assert revoked["status"] == "REVOKED"
    refused(whoami(server, customer_token), 401, "CBC.0154")
    refused(assume_role(server, token, customer, partner.xaccount_type), 403, "IAM.0003")


def test_authorizing_a_resellers_customer_needs_the_distributors_permission(
    server: LiveServer, distributor: Partner
) -> None:
    """The provisioning path keeps the API's rules: a reseller is authorized only once its
    distributor allows it to act for customers (rules.md §1.14)."""
    reseller = server.partner(PartnerType.RESELLER, distributor=distributor)
    customer = server.customer(distributor, reseller=reseller)
    with pytest.raises(DomainError) as info:
        server.authorize(customer, reseller)
    assert info.value.code == "CBC.18000016"
    path = f"/resellers/{reseller.id}/on-behalf-permission"
    ok(call(server, distributor.creds, "PUT", path, {"granted": True}))
    server.authorize(customer, reseller)
    listed = ok(call(server, customer, "GET", "/authorizations"))
    assert [(a["status"], a["partner_id"]) for a in listed["authorizations"]] == [
        ("AUTHORIZED", reseller.id)
    ]
