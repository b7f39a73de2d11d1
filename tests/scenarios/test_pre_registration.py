"""Partner pre-registration of prospects on a live sandbox server (rules.md §2.1.1–2.1.4), the
business clock moved by the operator: the validity period here is one day
(``PARTNER_CENTER_PRE_REGISTRATION_DAYS=1``).

Partner A reserves a prospect's e-mail address; partner B can neither pre-register it nor
associate it (its invitation fails with PRE_REGISTERED_BY_ANOTHER_PARTNER) until A's reservation
lapses a day later; A's own invitation works while it holds it. A partner without e-mail or
mobile cannot pre-register; an account registered more than 7 days earlier goes to review."""

from __future__ import annotations

from datetime import timedelta

from partner_center.domains.identity.models import Account
from partner_center.domains.partners.public import PartnerType
from partner_center.state import AppState
from tests.harness import fresh_server, unique
from tests.sdk.test_association_helpers import (
    accept,
    advance,
    call,
    create_link,
    customer_account,
    ok,
    partner_with_email,
    refused,
)


def test_a_pre_registration_reserves_the_prospect_for_its_validity_period() -> None:
    with fresh_server(pre_registration_days=1) as server:
        a = partner_with_email(server, email=f"{unique('a')}@example.com")
        b = partner_with_email(server, email=f"{unique('b')}@example.com")
        email = f"{unique('prospect')}@example.com"

        reserved = ok(
            call(server, a.creds, "POST", "/prospects", {"email": email, "name": "P"}), 201
        )
        assert reserved["state"] == "RESERVED"
        again = ok(
            call(server, a.creds, "POST", "/prospects", {"email": email.upper(), "name": "P"}), 201
        )
        assert again["prospect_id"] == reserved["prospect_id"]
        refused(
            call(server, b.creds, "POST", "/prospects", {"email": email, "name": "P"}),
            400,
            "CBC.99110007",
        )

        # The prospect registers and follows B's link: refused while A holds it.
        prospect = customer_account(server, email=email)
        b_link = create_link(server, b.creds)["link"]
        refused(accept(server, prospect, b_link), 400, "CBC.99110007")

        # A day later A's reservation has lapsed: B may pre-register and associate.
        advance(server, days=1, hours=1)
        listed = ok(call(server, a.creds, "GET", "/prospects"))
        assert [(p["prospect_id"], p["state"]) for p in listed["prospects"]] == [
            (reserved["prospect_id"], "EXPIRED")
        ]
        # An account of a day old is not up for review (more than 7 days is).
        taken = ok(call(server, b.creds, "POST", "/prospects", {"email": email, "name": "P"}), 201)
        assert (taken["state"], taken["customer_id"]) == ("RESERVED", prospect.account_id)
        ok(accept(server, prospect, b_link))
        # Now associated with B: nobody can pre-register it.
        refused(
            call(server, a.creds, "POST", "/prospects", {"email": email, "name": "P"}),
            400,
            "CBC.99110009",
        )

        # An account registered more than 7 days ago goes to manual review, reserving nothing.
        old_email = f"{unique('old')}@example.com"
        old = customer_account(server, email=old_email)
        server._call(_age_account, account_id=old.account_id)
        review = ok(
            call(server, a.creds, "POST", "/prospects", {"email": old_email, "name": "O"}), 201
        )
        assert review["state"] == "PENDING_REVIEW"
        assert ok(
            call(server, b.creds, "POST", "/prospects", {"email": old_email, "name": "O"}), 201
        )

        # A partner without e-mail or mobile on its account cannot pre-register.
        bare = server.partner(PartnerType.CSP)
        refused(
            call(server, bare.creds, "POST", "/prospects", {"email": email, "name": "P"}),
            400,
            "CBC.0100",
        )


async def _age_account(state: AppState, *, account_id: str) -> None:
    async with state.db.unit_of_work() as uow:
        row = await uow.session.get(Account, account_id)
        assert row is not None
        row.created_at -= timedelta(days=8)
