"""Invitations by e-mail link, offline link and QR code, their acceptance by customer accounts,
the invitation history with its failure reasons (rules.md §2.1–2.3) and tenancy."""

from __future__ import annotations

import base64
import struct
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from partner_center.domains.associations.public import FailureReason
from partner_center.domains.partners.public import PartnerStatus, PartnerType
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_association_helpers import (
    PARTNER_PASSWORD,
    accept,
    advance,
    associate,
    assume_role,
    call,
    create_link,
    customer_account,
    link_in,
    list_customers,
    member,
    ok,
    on_server,
    operator,
    outbox,
    partner_token,
    refused,
    set_partner_status,
    stored_record_statuses,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def records(server: LiveServer, partner: Partner, query: str = "") -> dict[str, Any]:
    body: dict[str, Any] = ok(
        call(server, partner.creds, "GET", "/invitations/records", query=query)
    )
    return body


def email_invitation(server: LiveServer, partner: Partner, *emails: str) -> list[dict[str, Any]]:
    body = ok(
        call(
            server,
            partner.creds,
            "POST",
            "/invitations",
            {"channel": "EMAIL", "emails": list(emails)},
        )
    )
    invitations: list[dict[str, Any]] = body["invitations"]
    return invitations


def emailed_link(server: LiveServer, partner: Partner, email: str) -> str:
    messages = outbox(server, partner.creds, email)
    assert messages, f"nothing was sent to {email}"
    return link_in(messages[0]["body"])


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# -- e-mail invitations -------------------------------------------------------------------------


def test_email_invitation_is_sent_accepted_once_and_starts_restricted(
    server: LiveServer, csp: Partner
) -> None:
    email = f"{unique('invitee')}@example.com"
    [issued] = email_invitation(server, csp, email.upper())
    assert issued["channel"] == "EMAIL"
    assert issued["invitee_email"] == email
    assert issued["association_type"] == "3"
    assert issued["expires_at"].endswith("Z")
    link = emailed_link(server, csp, email)
    assert link == issued["link"]
    assert link.startswith(server.settings.public_url)

    history = records(server, csp)
    assert history["count"] == 1
    assert history["records"][0]["status"] == "PENDING"
    assert history["records"][0]["invitee_email"] == email

    customer = customer_account(server, email=email)
    accepted = ok(accept(server, customer, link))
    assert accepted["customer_id"] == customer.account_id
    assert accepted["partner_id"] == csp.id
    assert accepted["association_type"] == "3"
    assert accepted["restricted"] is True  # rules.md §2.3.1

    listed = list_customers(server, csp.creds)
    assert [c.customer_id for c in listed.customer_infos] == [customer.account_id]
    assert listed.customer_infos[0].association_type == "3"

    [row] = records(server, csp)["records"]
    assert (row["status"], row["customer_id"]) == ("ACCEPTED", customer.account_id)

    # accepting again is answered with the same association; another account finds it used
    assert ok(accept(server, customer, link))["customer_id"] == customer.account_id
    other = customer_account(server)
    refused(accept(server, other, link), 400, FailureReason.LINK_USED.code)
    assert list_customers(server, csp.creds).count == 1

    # the customer sees its partner
    mine = ok(call(server, customer, "GET", "/my-partner"))
    assert mine["associated"] is True and mine["partner_id"] == csp.id
    assert mine["restricted"] is True


def test_email_link_expires_after_seven_days_on_the_sandbox_clock(
    server: LiveServer, csp: Partner
) -> None:
    email = f"{unique('late')}@example.com"
    email_invitation(server, csp, email)
    link = emailed_link(server, csp, email)
    customer = customer_account(server)

    details = ok(httpx.get(on_server(server, link)))
    assert details["usable"] is True and details["channel"] == "EMAIL"

    advance(server, days=6, hours=23)
    assert records(server, csp)["records"][0]["status"] == "PENDING"

    assert stored_record_statuses(server, csp) == ["PENDING"]
    advance(server, hours=2)
    assert stored_record_statuses(server, csp) == ["EXPIRED"]  # the expiry job ran
    [row] = records(server, csp)["records"]
    assert (row["status"], row["failure_reason"]) == ("EXPIRED", "LINK_EXPIRED")
    assert row["retryable"] is True

    assert ok(httpx.get(on_server(server, link)))["failure_reason"] == "LINK_EXPIRED"
    message = refused(accept(server, customer, link), 400, FailureReason.LINK_EXPIRED.code)
    assert "expired" in message
    assert list_customers(server, csp.creds).count == 0
    assert records(server, csp, "status=EXPIRED")["count"] == 1
    assert records(server, csp, "status=PENDING")["count"] == 0


def test_offline_link_never_expires_and_serves_many_customers(
    server: LiveServer, csp: Partner
) -> None:
    invitation = create_link(server, csp.creds)
    assert invitation["channel"] == "LINK" and "expires_at" not in invitation
    first = customer_account(server)
    ok(accept(server, first, invitation["link"]))
    advance(server, days=8)  # longer than an e-mail link lives
    second = customer_account(server)
    ok(accept(server, second, invitation["link"]))
    assert list_customers(server, csp.creds).count == 2
    history = records(server, csp, "channel=LINK")
    assert {r["customer_id"] for r in history["records"]} == {first.account_id, second.account_id}
    assert {r["status"] for r in history["records"]} == {"ACCEPTED"}


def test_qr_code_is_a_png_of_the_link(server: LiveServer, csp: Partner) -> None:
    invitation = create_link(server, csp.creds, "QR_CODE")
    assert invitation["channel"] == "QR_CODE"
    png = base64.b64decode(invitation["qr_code_png"])
    width, height = png_size(png)
    assert width == height and 200 <= width <= 2000
    assert len(png) > 200

    again = call(server, csp.creds, "POST", "/invitations/qrcode", {"link": invitation["link"]})
    assert again.status_code == 200, again.text
    assert again.headers["content-type"] == "image/png"
    assert again.content == png

    # the QR code's link works like an offline link
    customer = customer_account(server)
    ok(accept(server, customer, invitation["link"]))
    assert list_customers(server, csp.creds).count == 1


def test_batch_email_invitations_and_validation(server: LiveServer, csp: Partner) -> None:
    emails = [f"{unique('b')}@example.com" for _ in range(3)]
    issued = email_invitation(server, csp, *emails)
    assert [i["invitee_email"] for i in issued] == emails
    assert len({i["link"] for i in issued}) == 3
    for email in emails:
        assert len(outbox(server, csp.creds, email)) == 1
    assert records(server, csp)["count"] == 3

    bad: list[tuple[dict[str, Any], str]] = [
        ({"channel": "FAX"}, "channel"),
        ({"channel": "EMAIL"}, "emails"),
        ({"channel": "EMAIL", "emails": []}, "emails"),
        ({"channel": "EMAIL", "emails": ["not-an-address"]}, "emails[0]"),
        ({"channel": "EMAIL", "emails": [emails[0], emails[0]]}, "emails"),
        ({"channel": "EMAIL", "emails": [f"x{i}@example.com" for i in range(51)]}, "emails"),
        ({"channel": "LINK", "emails": ["a@example.com"]}, "emails"),
        ({"channel": "LINK", "association_type": "9"}, "association_type"),
        ({"channel": 3}, "channel"),
    ]
    for body, field in bad:
        message = refused(call(server, csp.creds, "POST", "/invitations", body), 400, "CBC.0100")
        assert field in message, (body, message)
    assert records(server, csp)["count"] == 3  # nothing stored by the refusals
    refused(call(server, csp.creds, "POST", "/invitations", None), 400, "CBC.0100")
    bad_json = call(server, csp.creds, "GET", "/invitations/records", query="limit=abc")
    refused(bad_json, 400, "CBC.0100")
    refused(
        call(server, csp.creds, "GET", "/invitations/records", query="status=LOST"), 400, "CBC.0100"
    )


# -- failure reasons ------------------------------------------------------------------------------


def test_failure_reasons_are_recorded_with_their_codes(server: LiveServer, csp: Partner) -> None:
    invitation = create_link(server, csp.creds)
    link = invitation["link"]

    # a partner account cannot become a customer
    other_partner = server.partner()
    refused(accept(server, other_partner.creds, link), 400, FailureReason.CUSTOMER_IS_PARTNER.code)
    # nor the operator's own account
    refused(accept(server, operator(server), link), 400, FailureReason.INTERNAL_ACCOUNT.code)
    # a customer of another partner
    taken = associate(server, other_partner)
    refused(accept(server, taken, link), 400, FailureReason.ASSOCIATED_WITH_ANOTHER_PARTNER.code)
    # a customer already ours
    mine = associate(server, csp)
    refused(
        accept(server, mine, link), 400, FailureReason.ALREADY_ASSOCIATED_WITH_THIS_PARTNER.code
    )

    failed = records(server, csp, "status=FAILED&channel=LINK&limit=10")
    reasons = {r["customer_id"]: r["failure_reason"] for r in failed["records"]}
    assert reasons[other_partner.id] == "CUSTOMER_IS_PARTNER"
    assert reasons[taken.account_id] == "ASSOCIATED_WITH_ANOTHER_PARTNER"
    assert reasons[mine.account_id] == "ALREADY_ASSOCIATED_WITH_THIS_PARTNER"
    for row in failed["records"]:
        assert row["failure_code"].startswith("CBC.") and row["failure_msg"]
        assert row["retryable"] is False

    # unknown links do not exist
    bogus = link.rsplit("/", 1)[0] + "/" + "A" * 43
    refused(accept(server, customer_account(server), bogus), 400, FailureReason.LINK_NOT_EXIST.code)
    refused(httpx.get(on_server(server, bogus)), 400, FailureReason.LINK_NOT_EXIST.code)
    refused(call(server, mine, "POST", "/invitations/accept", {}), 400, "CBC.0100")


def test_restricted_or_exited_partner_cannot_acquire_customers(server: LiveServer) -> None:
    partner = server.partner()
    link = create_link(server, partner.creds)["link"]
    customer = customer_account(server)

    set_partner_status(server, partner, PartnerStatus.RESTRICTED)
    refused(accept(server, customer, link), 400, "CBC.50010085")
    refused(
        call(server, partner.creds, "POST", "/invitations", {"channel": "LINK"}),
        400,
        "CBC.50010085",
    )
    [row] = records(server, partner)["records"]
    assert (row["status"], row["failure_reason"], row["retryable"]) == (
        "FAILED",
        "PARTNER_RESTRICTED",
        True,
    )

    # retryable: once the restriction is lifted the same link works
    set_partner_status(server, partner, PartnerStatus.NORMAL)
    ok(accept(server, customer, link))
    assert records(server, partner)["records"][0]["status"] == "ACCEPTED"

    set_partner_status(server, partner, PartnerStatus.EXITED)
    refused(accept(server, customer_account(server), link), 400, "CBC.50010065")


def test_restricted_distributor_blocks_its_resellers(
    server: LiveServer, distributor: Partner, reseller: Partner
) -> None:
    link = create_link(server, reseller.creds)["link"]
    set_partner_status(server, distributor, PartnerStatus.RESTRICTED)
    try:
        refused(accept(server, customer_account(server), link), 400, "CBC.50010086")
    finally:
        set_partner_status(server, distributor, PartnerStatus.NORMAL)


def test_revoked_link_stops_working(server: LiveServer, csp: Partner) -> None:
    email = f"{unique('rv')}@example.com"
    [issued] = email_invitation(server, csp, email)
    revoked = ok(call(server, csp.creds, "POST", f"/invitations/{issued['invitation_id']}/revoke"))
    assert revoked["revoked_at"].endswith("Z")
    refused(
        accept(server, customer_account(server), issued["link"]),
        400,
        FailureReason.LINK_NOT_EXIST.code,
    )
    [row] = records(server, csp)["records"]
    assert (row["status"], row["failure_reason"]) == ("FAILED", "LINK_NOT_EXIST")
    assert ok(httpx.get(on_server(server, issued["link"])))["usable"] is False


# -- association models -----------------------------------------------------------------------------


def test_referral_invitations_need_the_model_unlocked(server: LiveServer, csp: Partner) -> None:
    refused(
        call(
            server, csp.creds, "POST", "/invitations", {"channel": "LINK", "association_type": "1"}
        ),
        400,
        FailureReason.MODEL_NOT_ALLOWED.code,
    )
    settings = ok(call(server, csp.creds, "GET", "/association-settings"))
    assert settings["referral_enabled"] is False

    # only the operator (ecosystem manager) unlocks it
    refused(
        call(
            server,
            csp.creds,
            "PUT",
            f"/partners/{csp.id}/association-settings",
            {"referral_enabled": True},
        ),
        403,
        "CBC.0151",
    )
    ok(
        call(
            server,
            operator(server),
            "PUT",
            f"/partners/{csp.id}/association-settings",
            {"referral_enabled": True},
        )
    )
    invitation = create_link(server, csp.creds, association_type="1")
    assert invitation["association_type"] == "1"
    customer = customer_account(server)
    accepted = ok(accept(server, customer, invitation["link"]))
    assert (accepted["association_type"], accepted["restricted"]) == ("1", False)
    assert list_customers(server, csp.creds, association_type="1").count == 1


def test_reseller_invites_its_own_customers_under_its_distributor(
    server: LiveServer, distributor: Partner, reseller: Partner
) -> None:
    customer = associate(server, reseller)
    listed = list_customers(server, distributor.creds, indirect_partner_id=reseller.id)
    assert [c.customer_id for c in listed.customer_infos] == [customer.account_id]
    assert list_customers(server, distributor.creds).count == 0
    # the distributor does not see the reseller's invitation history as its own
    assert records(server, distributor)["count"] == 0
    assert records(server, reseller)["count"] == 1


# -- account managers and tenancy ---------------------------------------------------------------------


def test_account_manager_invitation_assigns_the_customer(server: LiveServer, csp: Partner) -> None:
    manager_id, manager = member(server, csp, ["ACCOUNT_MANAGER"])
    invitation = ok(call(server, manager, "POST", "/invitations", {"channel": "QR_CODE"}))[
        "invitations"
    ][0]
    customer = customer_account(server)
    accepted = ok(accept(server, customer, invitation["link"]))
    assert accepted["account_manager_id"] == manager_id

    # the manager sees the customer (and only its own); the record carries its tag
    someone_else = associate(server, csp)
    seen = list_customers(server, manager)
    assert [c.customer_id for c in seen.customer_infos] == [customer.account_id]
    assert seen.customer_infos[0].account_managers[0].account_name.startswith("m-")
    everyone = list_customers(server, csp.creds)
    assert {c.customer_id for c in everyone.customer_infos} == {
        customer.account_id,
        someone_else.account_id,
    }
    own = records(server, Partner(manager, csp.xaccount_type))
    assert [r["customer_id"] for r in own["records"]] == [customer.account_id]
    assert own["records"][0]["created_by"].startswith("m-")
    history = ok(
        call(server, csp.creds, "GET", f"/customers/{customer.account_id}/account-manager-history")
    )
    assert history["assignments"][0]["member_id"] == manager_id


def test_members_without_the_customer_permission_cannot_invite(
    server: LiveServer, csp: Partner
) -> None:
    _, finance = member(server, csp, ["FINANCE"])
    refused(call(server, finance, "POST", "/invitations", {"channel": "LINK"}), 403, "CBC.0151")


def test_tenancy_of_invitations(server: LiveServer, csp: Partner) -> None:
    invitation = create_link(server, csp.creds)
    other = server.partner()
    customer = associate(server, other)
    unrelated = customer_account(server)

    # another partner cannot see, render or withdraw our links
    assert records(server, other)["count"] == 1  # only its own
    refused(
        call(server, other.creds, "POST", "/invitations/qrcode", {"link": invitation["link"]}),
        400,
        "CBC.0100",
    )
    refused(
        call(server, other.creds, "POST", f"/invitations/{invitation['invitation_id']}/revoke"),
        400,
        "CBC.0100",
    )
    # customers cannot use partner operations
    for creds in (customer, unrelated):
        refused(call(server, creds, "GET", "/invitations/records"), 403, "CBC.0151")
        refused(call(server, creds, "POST", "/invitations", {"channel": "LINK"}), 403, "CBC.0151")
    # the link still works for its owner
    ok(accept(server, unrelated, invitation["link"]))
    assert [c.customer_id for c in list_customers(server, csp.creds).customer_infos] == [
        unrelated.account_id
    ]


def test_a_partner_acting_through_an_agency_cannot_accept_for_the_customer(
    server: LiveServer, csp: Partner
) -> None:
    password_partner = server.partner(PartnerType.CSP, password=PARTNER_PASSWORD)
    customer = server.customer(password_partner, authorize=True)
    token = partner_token(server, password_partner)
    customer_token = assume_role(server, token, customer, password_partner.xaccount_type)
    assert customer_token.status_code == 201
    link = create_link(server, csp.creds)["link"]
    response = httpx.post(
        f"{server.url}/v1/partner-center/invitations/accept",
        headers={"X-Auth-Token": customer_token.headers["X-Subject-Token"]},
        json={"link": link},
    )
    refused(response, 403, "CBC.0151")
    assert list_customers(server, csp.creds).count == 0


@pytest.mark.parametrize("path", ["/invitations", "/invitations/records", "/my-partner"])
def test_unsigned_calls_are_refused(server: LiveServer, path: str) -> None:
    response = httpx.get(f"{server.url}/v1/partner-center{path}")
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIG.0301"


def test_openapi_documents_every_invitation_route(server: LiveServer) -> None:
    spec = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
    paths = spec["paths"]
    for path, method in [
        ("/v1/partner-center/invitations", "post"),
        ("/v1/partner-center/invitations/records", "get"),
        ("/v1/partner-center/invitations/accept", "post"),
        ("/v1/partner-center/invitation-links/{token}", "get"),
        ("/v1/partner-center/disassociations/{request_id}/approve", "post"),
        ("/v1/partner-center/customers/{customer_id}/authorizations", "post"),
        ("/v1/partner-center/customers/{customer_id}/account-manager", "put"),
    ]:
        operation = paths[path][method]
        assert operation["operationId"], path
        assert "400" in operation["responses"], path
    documented = {
        p["name"] for p in paths["/v1/partner-center/invitations/records"]["get"]["parameters"]
    }
    assert {"status", "channel", "offset", "limit"} <= documented
    assert "CreateInvitationReq" in spec["components"]["schemas"]
    assert "InvitationHistoryResponse" in spec["components"]["schemas"]


def test_two_partners_racing_for_one_customer_get_one_association(server: LiveServer) -> None:
    first, second = server.partner(), server.partner()
    links = [create_link(server, p.creds)["link"] for p in (first, second)]
    for _ in range(3):
        customer = customer_account(server)
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(accept, [server, server], [customer, customer], links))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 400], [a.text for a in answers]
        loser = next(a for a in answers if a.status_code == 400)
        assert loser.json()["error_code"] == FailureReason.ASSOCIATED_WITH_ANOTHER_PARTNER.code
        owners = [
            p.id
            for p in (first, second)
            if customer.account_id
            in {c.customer_id for c in list_customers(server, p.creds, limit=100).customer_infos}
        ]
        assert len(owners) == 1
