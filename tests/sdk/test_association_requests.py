"""Association-type change requests (rules.md §2.5) and disassociation requests either way
(§2.6): who may start and decide them, eligibility checks, the frequency limits, the effects of
an ended association, the extension points other domains plug into, and tenancy."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from huaweicloudsdkbssintl.v2.model import (
    ListSubCustomerBudgetRecordsRequest,
    ModSubCustomerBudgetReq,
    UpdateSubCustomerBudgetRequest,
)
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.associations.models import DisassociationRequest, TypeChangeRequest
from partner_center.domains.associations.public import AssociationEvent, association_hooks
from partner_center.domains.partners.public import PartnerType
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_association_helpers import (
    PARTNER_PASSWORD,
    accept,
    associate,
    assume_role,
    backdate,
    call,
    create_link,
    customer_account,
    freeze_by_partner,
    list_customers,
    member,
    ok,
    operator,
    outbox,
    partner_token,
    partner_with_email,
    refused,
    unfreeze,
)
from tests.signed import signed_request

PRECHECK = "CBC.99007004"
TOO_FREQUENT = "CBC.99008040"
NOT_PENDING = "CBC.99110030"
REQUEST_OPEN = "CBC.99110031"


def unlock_referral(server: LiveServer, partner: Partner) -> None:
    ok(
        call(
            server,
            operator(server),
            "PUT",
            f"/partners/{partner.id}/association-settings",
            {"referral_enabled": True},
        )
    )


def disassociate(server: LiveServer, partner: Partner, customer_id: str, **extra: Any) -> Any:
    body = {"reason": "contract ended", "statement_accepted": True, **extra}
    return call(server, partner.creds, "POST", f"/customers/{customer_id}/disassociations", body)


def decide(server: LiveServer, creds: Any, request_id: str, action: str, **body: Any) -> Any:
    return call(server, creds, "POST", f"/disassociations/{request_id}/{action}", body or None)


# -- association type changes ---------------------------------------------------------------------


def test_type_change_is_asked_by_the_partner_and_decided_by_the_customer(
    server: LiveServer,
) -> None:
    partner = server.partner()
    unlock_referral(server, partner)
    customer = associate(server, partner)
    path = f"/customers/{customer.account_id}/association-type-changes"

    filed = ok(call(server, partner.creds, "POST", path, {"association_type": "1"}))
    assert (filed["from_association_type"], filed["to_association_type"]) == ("3", "1")
    assert filed["status"] == "PENDING"
    refused(call(server, partner.creds, "POST", path, {"association_type": "1"}), 400, REQUEST_OPEN)

    # only the customer decides: not the partner, not another customer
    request_id = filed["request_id"]
    refused(
        call(server, partner.creds, "POST", f"/association-type-changes/{request_id}/approve"),
        403,
        "CBC.0151",
    )
    stranger = customer_account(server)
    refused(
        call(server, stranger, "POST", f"/association-type-changes/{request_id}/approve"),
        400,
        "CBC.0100",
    )
    mine = ok(call(server, customer, "GET", "/association-type-changes"))
    assert [r["request_id"] for r in mine["requests"]] == [request_id]
    assert ok(call(server, stranger, "GET", "/association-type-changes"))["count"] == 0

    approved = ok(call(server, customer, "POST", f"/association-type-changes/{request_id}/approve"))
    assert approved["status"] == "APPROVED" and approved["decided_at"]
    [info] = list_customers(server, partner.creds).customer_infos
    assert info.association_type == "1"
    assert ok(call(server, customer, "GET", "/my-partner"))["restricted"] is False
    refused(
        call(server, customer, "POST", f"/association-type-changes/{request_id}/reject"),
        400,
        NOT_PENDING,
    )


def test_one_type_change_per_customer_in_three_months(server: LiveServer) -> None:
    partner = server.partner()
    unlock_referral(server, partner)
    customer = associate(server, partner)
    path = f"/customers/{customer.account_id}/association-type-changes"
    first = ok(call(server, partner.creds, "POST", path, {"association_type": "1"}))
    ok(call(server, customer, "POST", f"/association-type-changes/{first['request_id']}/reject"))

    message = refused(
        call(server, partner.creds, "POST", path, {"association_type": "1"}), 400, TOO_FREQUENT
    )
    assert "3 months" in message
    backdate(server, TypeChangeRequest, [first["request_id"]], days=88)
    refused(call(server, partner.creds, "POST", path, {"association_type": "1"}), 400, TOO_FREQUENT)
    backdate(server, TypeChangeRequest, [first["request_id"]], days=5)
    again = ok(call(server, partner.creds, "POST", path, {"association_type": "1"}))
    ok(
        call(
            server, partner.creds, "POST", f"/association-type-changes/{again['request_id']}/cancel"
        )
    )
    listed = ok(
        call(server, partner.creds, "GET", "/association-type-changes", query="status=CANCELLED")
    )
    assert [r["request_id"] for r in listed["requests"]] == [again["request_id"]]


def test_type_change_rules(server: LiveServer, csp: Partner) -> None:
    customer = associate(server, csp)
    path = f"/customers/{customer.account_id}/association-type-changes"
    refused(call(server, csp.creds, "POST", path, {"association_type": "3"}), 400, "CBC.0100")
    refused(call(server, csp.creds, "POST", path, {"association_type": "7"}), 400, "CBC.0100")
    # the referral model is locked for this partner
    refused(call(server, csp.creds, "POST", path, {"association_type": "1"}), 400, "CBC.99110020")
    # only the administrator; never for someone else's customer
    _, director = member(server, csp, ["ACCOUNT_DIRECTOR"])
    refused(call(server, director, "POST", path, {"association_type": "1"}), 403, "CBC.0151")
    other = server.partner()
    unlock_referral(server, other)
    refused(call(server, other.creds, "POST", path, {"association_type": "1"}), 400, "CBC.99000035")


def test_referral_to_reseller_restricts_purchases(server: LiveServer) -> None:
    partner = server.partner()
    unlock_referral(server, partner)
    customer = associate(server, partner, association_type="1")
    assert ok(call(server, customer, "GET", "/my-partner"))["restricted"] is False
    filed = ok(
        call(
            server,
            partner.creds,
            "POST",
            f"/customers/{customer.account_id}/association-type-changes",
            {"association_type": "3"},
        )
    )
    ok(call(server, customer, "POST", f"/association-type-changes/{filed['request_id']}/approve"))
    mine = ok(call(server, customer, "GET", "/my-partner"))
    assert (mine["association_type"], mine["restricted"]) == ("3", True)


# -- disassociation ---------------------------------------------------------------------------------


def test_partner_requests_customer_approves_and_the_association_ends(server: LiveServer) -> None:
    partner_email = f"{unique('admin')}@example.com"
    partner = partner_with_email(server, email=partner_email)
    customer_email = f"{unique('cust')}@example.com"
    customer = associate(server, partner, email=customer_email)
    assert "is now your customer" in outbox(server, partner.creds, partner_email)[0]["subject"]
    server.authorize(customer, partner)

    filed = ok(disassociate(server, partner, customer.account_id))
    assert (filed["initiator"], filed["status"]) == ("PARTNER", "PENDING")
    assert "asks to end" in outbox(server, customer, customer_email)[0]["subject"]
    # still associated while pending; a second request waits for the first
    assert list_customers(server, partner.creds).count == 1
    refused(disassociate(server, partner, customer.account_id), 400, REQUEST_OPEN)

    request_id = filed["request_id"]
    # the partner cannot approve its own request; strangers cannot see it
    refused(decide(server, partner.creds, request_id, "approve"), 400, "CBC.0100")
    refused(decide(server, customer_account(server), request_id, "approve"), 400, "CBC.0100")
    refused(decide(server, server.partner().creds, request_id, "approve"), 400, "CBC.0100")

    waiting = ok(call(server, customer, "GET", "/disassociations", query="status=PENDING"))
    assert [r["request_id"] for r in waiting["requests"]] == [request_id]
    done = ok(decide(server, customer, request_id, "approve"))
    assert done["status"] == "APPROVED" and done["decided_at"]

    assert list_customers(server, partner.creds).count == 0
    mine = ok(call(server, customer, "GET", "/my-partner"))
    assert mine["associated"] is False and mine["disassociated_on"]
    told = outbox(server, partner.creds, partner_email)
    assert any("no longer your customer" in m["subject"] for m in told)
    refused(decide(server, customer, request_id, "reject"), 400, NOT_PENDING)

    # the customer is free to join another partner
    newcomer = server.partner()
    ok(accept(server, customer, create_link(server, newcomer.creds)["link"]))
    assert [c.customer_id for c in list_customers(server, newcomer.creds).customer_infos] == [
        customer.account_id
    ]
    assert list_customers(server, partner.creds).count == 0


def test_disassociation_revokes_the_partners_agency(server: LiveServer) -> None:
    partner = server.partner(PartnerType.CSP, password=PARTNER_PASSWORD)
    customer = associate(server, partner)
    server.authorize(customer, partner)
    token = partner_token(server, partner)
    assert assume_role(server, token, customer, partner.xaccount_type).status_code == 201
    filed = ok(disassociate(server, partner, customer.account_id))
    ok(decide(server, customer, filed["request_id"], "approve"))
    refused(assume_role(server, token, customer, partner.xaccount_type), 403, "IAM.0003")


def test_customer_requests_partner_administrator_decides(server: LiveServer, csp: Partner) -> None:
    customer = associate(server, csp)
    watcher = f"{unique('watch')}@example.com"
    added = signed_request(
        server.url,
        csp.creds,
        "POST",
        "/v1/notifications/recipients",
        body=json.dumps(
            {"topic": "CUSTOMER_ASSOCIATION", "name": "Account desk", "email": watcher}
        ).encode(),
    )
    assert added.status_code in (200, 201), added.text
    filed = ok(
        call(server, customer, "POST", "/my-partner/disassociations", {"reason": "moving on"})
    )
    assert (filed["initiator"], filed["status"]) == ("CUSTOMER", "PENDING")
    [told] = outbox(server, csp.creds, watcher)
    assert "asks to end the association" in told["subject"] and "moving on" in told["body"]
    request_id = filed["request_id"]

    refused(decide(server, customer, request_id, "approve"), 400, "CBC.0100")
    _, director = member(server, csp, ["ACCOUNT_DIRECTOR"])
    refused(decide(server, director, request_id, "approve"), 403, "CBC.0151")
    records = ok(call(server, csp.creds, "GET", "/disassociations", query="initiator=CUSTOMER"))
    assert [r["request_id"] for r in records["requests"]] == [request_id]

    rejected = ok(decide(server, csp.creds, request_id, "reject", rejection_reason="unpaid bill"))
    assert (rejected["status"], rejected["rejection_reason"]) == ("REJECTED", "unpaid bill")
    assert list_customers(server, csp.creds).count == 1

    again = ok(call(server, customer, "POST", "/my-partner/disassociations", {"reason": "really"}))
    ok(decide(server, csp.creds, again["request_id"], "approve"))
    assert list_customers(server, csp.creds).count == 0
    # an unassociated account has nothing to disassociate from
    refused(
        call(server, customer, "POST", "/my-partner/disassociations", {"reason": "again"}),
        400,
        "CBC.99000035",
    )


def test_manually_frozen_customers_must_be_unfrozen_first(server: LiveServer, csp: Partner) -> None:
    customer = associate(server, csp)
    freeze_by_partner(server, customer, csp)
    message = refused(disassociate(server, csp, customer.account_id), 400, PRECHECK)
    assert "unfreeze" in message
    refused(
        call(server, customer, "POST", "/my-partner/disassociations", {"reason": "let me go"}),
        400,
        PRECHECK,
    )
    assert ok(call(server, csp.creds, "GET", "/disassociations"))["count"] == 0
    unfreeze(server, customer)
    ok(disassociate(server, csp, customer.account_id))


def test_frequency_limit_per_party(server: LiveServer, csp: Partner) -> None:
    customer = associate(server, csp)
    filed_ids = []
    for _ in range(3):
        filed = ok(disassociate(server, csp, customer.account_id))
        ok(decide(server, csp.creds, filed["request_id"], "cancel"))
        filed_ids.append(filed["request_id"])
    message = refused(disassociate(server, csp, customer.account_id), 400, TOO_FREQUENT)
    assert "3 disassociation request(s) in 3 months" in message
    # the customer's own requests are counted separately
    own = ok(call(server, customer, "POST", "/my-partner/disassociations", {"reason": "mine"}))
    ok(decide(server, customer, own["request_id"], "cancel"))
    # the window slides: once the oldest request is 3 months old, one more may start
    backdate(server, DisassociationRequest, filed_ids[:1], days=93)
    ok(disassociate(server, csp, customer.account_id))


def test_the_frequency_limit_is_configurable() -> None:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    strict = LiveServer(url, disassociation_limit=1, disassociation_window_months=6).start()
    try:
        partner = strict.partner()
        customer = associate(strict, partner)
        filed = ok(disassociate(strict, partner, customer.account_id))
        ok(decide(strict, partner.creds, filed["request_id"], "cancel"))
        message = refused(disassociate(strict, partner, customer.account_id), 400, TOO_FREQUENT)
        assert "at most 1 disassociation request(s) in 6 months" in message
    finally:
        strict.stop()
        asyncio.run(drop_database(pg_name))


def test_referral_associations_end_at_once_and_hooks_run(server: LiveServer) -> None:
    partner = server.partner()
    unlock_referral(server, partner)
    seen: list[tuple[str, AssociationEvent]] = []

    async def on_associated(_session: AsyncSession, event: AssociationEvent) -> None:
        seen.append(("associated", event))

    async def on_disassociated(_session: AsyncSession, event: AssociationEvent) -> None:
        seen.append(("disassociated", event))

    association_hooks.on_associated("test.grace-periods", on_associated)
    association_hooks.on_disassociated("test.coupons", on_disassociated)
    try:
        customer = associate(server, partner, association_type="1")
        ended = ok(disassociate(server, partner, customer.account_id))
    finally:
        association_hooks.remove("test.grace-periods")
        association_hooks.remove("test.coupons")
    assert (ended["status"], ended["association_type"]) == ("APPROVED", "1")
    assert list_customers(server, partner.creds).count == 0
    kinds = [kind for kind, event in seen if event.customer_id == customer.account_id]
    assert kinds == ["associated", "disassociated"]
    event = seen[-1][1]
    assert (event.partner_id, event.cause_id) == (partner.id, ended["request_id"])
    assert event.association_type.value == "REFERRAL"


def test_registered_blockers_hold_a_disassociation_back(server: LiveServer, csp: Partner) -> None:
    customer = associate(server, csp)
    blocked = customer.account_id

    async def reserved_instances(
        _session: AsyncSession, customer_id: str, _partner: str
    ) -> str | None:
        return "it holds an unexpired reserved instance" if customer_id == blocked else None

    association_hooks.disassociation_check("test.reserved-instances", reserved_instances)
    try:
        message = refused(disassociate(server, csp, customer.account_id), 400, PRECHECK)
        assert "reserved instance" in message
        other = associate(server, csp)
        ok(disassociate(server, csp, other.account_id))
    finally:
        association_hooks.remove("test.reserved-instances")
    ok(disassociate(server, csp, customer.account_id))


def test_a_failing_hook_rolls_the_disassociation_back(server: LiveServer, csp: Partner) -> None:
    customer = associate(server, csp)
    filed = ok(disassociate(server, csp, customer.account_id))

    async def broken(_session: AsyncSession, _event: AssociationEvent) -> None:
        raise RuntimeError("coupon service down")

    association_hooks.on_disassociated("test.broken", broken)
    try:
        response = decide(server, customer, filed["request_id"], "approve")
        assert response.status_code == 500
        assert response.json()["error_code"] == "CBC.0999"
    finally:
        association_hooks.remove("test.broken")
    assert list_customers(server, csp.creds).count == 1  # nothing half-done
    ok(decide(server, customer, filed["request_id"], "approve"))
    assert list_customers(server, csp.creds).count == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 257}, "reason"),
        ({"statement_accepted": False}, "statement_accepted"),
        ({"statement_accepted": "yes"}, "statement_accepted"),
    ],
)
def test_disassociation_validation(
    server: LiveServer, csp: Partner, body: dict[str, Any], field: str
) -> None:
    customer = associate(server, csp)
    message = refused(disassociate(server, csp, customer.account_id, **body), 400, "CBC.0100")
    assert field in message
    assert ok(call(server, csp.creds, "GET", "/disassociations"))["count"] == 0


def test_disassociation_tenancy(
    server: LiveServer, distributor: Partner, reseller: Partner
) -> None:
    customer = associate(server, reseller)
    # the distributor, another partner and the customer itself cannot start it for the reseller
    refused(disassociate(server, distributor, customer.account_id), 400, "CBC.99000035")
    refused(disassociate(server, server.partner(), customer.account_id), 400, "CBC.99000035")
    refused(
        call(
            server,
            customer,
            "POST",
            f"/customers/{customer.account_id}/disassociations",
            {"reason": "x", "statement_accepted": True},
        ),
        403,
        "CBC.0151",
    )
    refused(disassociate(server, reseller, "f" * 32), 400, "CBC.99000035")
    # the reseller (its owner) can; the distributor does not see the reseller's records
    filed = ok(disassociate(server, reseller, customer.account_id))
    assert ok(call(server, distributor.creds, "GET", "/disassociations"))["count"] == 0
    refused(decide(server, distributor.creds, filed["request_id"], "cancel"), 400, "CBC.0100")
    ok(decide(server, reseller.creds, filed["request_id"], "cancel"))


def test_a_partner_through_the_agency_cannot_decide_for_the_customer(server: LiveServer) -> None:
    partner = server.partner(PartnerType.CSP, password=PARTNER_PASSWORD)
    customer = associate(server, partner)
    server.authorize(customer, partner)
    filed = ok(disassociate(server, partner, customer.account_id))
    granted = assume_role(server, partner_token(server, partner), customer, partner.xaccount_type)
    token = granted.headers["X-Subject-Token"]
    response = httpx.post(
        f"{server.url}/v1/partner-center/disassociations/{filed['request_id']}/approve",
        headers={"X-Auth-Token": token},
    )
    refused(response, 403, "CBC.0151")
    # reading is fine
    mine = httpx.get(f"{server.url}/v1/partner-center/my-partner", headers={"X-Auth-Token": token})
    assert mine.status_code == 200 and mine.json()["partner_id"] == partner.id
    assert list_customers(server, partner.creds).count == 1


def test_ending_an_association_removes_the_budget_with_a_delete_record(
    server: LiveServer, csp: Partner
) -> None:
    customer = associate(server, csp)
    client = server.intl(csp.creds)
    client.update_sub_customer_budget(
        UpdateSubCustomerBudgetRequest(
            body=ModSubCustomerBudgetReq(
                customer_id=customer.account_id,
                budget_amount=Decimal("150.00"),
                cancel_partner_frozen="1",
            )
        )
    )
    assert ok(call(server, customer, "GET", "/my-partner"))["restricted"] is False
    filed = ok(disassociate(server, csp, customer.account_id))
    ok(decide(server, customer, filed["request_id"], "approve"))
    records = client.list_sub_customer_budget_records(
        ListSubCustomerBudgetRecordsRequest(customer_id=customer.account_id)
    )
    assert [r.operation_type for r in records.record_list] == ["DELETE", "SETTING"]
    assert records.record_list[0].budget_amount == Decimal("150")


def test_a_reseller_is_refused_on_its_distributors_and_siblings_customers(
    server: LiveServer, distributor: Partner, reseller: Partner
) -> None:
    sibling = server.partner(PartnerType.RESELLER, distributor=distributor)
    own_of_distributor = associate(server, distributor)
    of_sibling = associate(server, sibling)
    sibling_link = create_link(server, sibling.creds)
    sibling_request = ok(disassociate(server, sibling, of_sibling.account_id))

    for customer in (own_of_distributor, of_sibling):
        refused(disassociate(server, reseller, customer.account_id), 400, "CBC.99000035")
        refused(
            call(
                server,
                reseller.creds,
                "POST",
                f"/customers/{customer.account_id}/authorizations",
                {"commitment_letter_accepted": True},
            ),
            400,
            "CBC.99000035",
        )
        refused(
            call(
                server,
                reseller.creds,
                "GET",
                f"/customers/{customer.account_id}/account-manager-history",
            ),
            400,
            "CBC.99000035",
        )
    refused(
        call(
            server, reseller.creds, "POST", f"/invitations/{sibling_link['invitation_id']}/revoke"
        ),
        400,
        "CBC.0100",
    )
    refused(
        decide(server, reseller.creds, sibling_request["request_id"], "cancel"), 400, "CBC.0100"
    )
    assert ok(call(server, reseller.creds, "GET", "/disassociations"))["count"] == 0
    assert ok(call(server, reseller.creds, "GET", "/invitations/records"))["count"] == 0
    # a reseller's on-behalf permission is its own business, not its sibling's
    refused(
        call(server, reseller.creds, "GET", f"/resellers/{sibling.id}/on-behalf-permission"),
        400,
        "CBC.99000037",
    )
