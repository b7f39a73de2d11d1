"""Partner pre-registration of prospects on a live sandbox server (rules.md §2.1.1–2.1.4), the
business clock moved by the operator: the validity period here is one day
(``PARTNER_CENTER_PRE_REGISTRATION_DAYS=1``).

Partner A reserves a prospect's e-mail address; partner B can neither pre-register it nor
associate it (its invitation fails with PRE_REGISTERED_BY_ANOTHER_PARTNER) until A's reservation
lapses a day later; A's own invitation works while it holds it. A partner without e-mail or
mobile cannot pre-register; an account registered more than 7 days earlier goes to review,
where the operator approves (reserving from then on) or rejects it (with a reason), and the
partner is e-mailed either way."""

from __future__ import annotations

from datetime import timedelta

from partner_center.domains.identity.models import Account
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import parse_utc
from partner_center.state import AppState
from tests.harness import fresh_server, unique
from tests.sdk.test_association_helpers import (
    accept,
    advance,
    call,
    create_link,
    customer_account,
    ok,
    operator,
    outbox,
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
        server._call(age_account, account_id=old.account_id)
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


def test_the_operator_reviews_pre_registrations_of_old_accounts() -> None:
    with fresh_server(pre_registration_days=2) as server:
        a_email = f"{unique('a')}@example.com"
        b_email = f"{unique('b')}@example.com"
        a = partner_with_email(server, email=a_email)
        b = partner_with_email(server, email=b_email)
        op = operator(server)
        email = f"{unique('old')}@example.com"
        prospect = customer_account(server, email=email)
        server._call(age_account, account_id=prospect.account_id)
        by_a = ok(call(server, a.creds, "POST", "/prospects", {"email": email, "name": "Old"}), 201)
        by_b = ok(call(server, b.creds, "POST", "/prospects", {"email": email, "name": "Old"}), 201)
        assert (by_a["state"], by_b["state"]) == ("PENDING_REVIEW", "PENDING_REVIEW")

        # Only the operator reviews; it sees both partners' rows waiting, oldest first.
        refused(call(server, a.creds, "GET", "/operator/prospects"), 403, "CBC.0151")
        refused(
            call(
                server,
                a.creds,
                "POST",
                f"/operator/prospects/{by_a['prospect_id']}/review",
                {"result": "approve"},
            ),
            403,
            "CBC.0151",
        )
        waiting = ok(call(server, op, "GET", "/operator/prospects", query="limit=100"))
        mine = [
            (p["prospect_id"], p["partner_id"], p["state"])
            for p in waiting["prospects"]
            if p["email"] == email
        ]
        assert mine == [
            (by_a["prospect_id"], a.id, "PENDING_REVIEW"),
            (by_b["prospect_id"], b.id, "PENDING_REVIEW"),
        ]
        review_of = "/operator/prospects/{}/review".format
        refused(
            call(server, op, "POST", review_of(by_b["prospect_id"]), {"result": "reject"}),
            400,
            "CBC.0100",
        )
        refused(
            call(server, op, "POST", review_of("nosuchprospect"), {"result": "approve"}),
            400,
            "CBC.0100",
        )
        refused(
            call(server, op, "POST", review_of(by_a["prospect_id"]), {"result": "maybe"}),
            400,
            "CBC.0100",
        )

        # Approved a day later: A holds the prospect for the full two days from the approval.
        advance(server, days=1)
        approved = ok(
            call(server, op, "POST", review_of(by_a["prospect_id"]), {"result": "approve"})
        )
        assert approved["state"] == "RESERVED"
        assert approved["reserved_at"] == approved["reviewed_at"]
        assert parse_utc(approved["expires_at"]) - parse_utc(approved["reserved_at"]) == timedelta(
            days=2
        )
        assert parse_utc(approved["reserved_at"]) >= parse_utc(by_a["reserved_at"]) + timedelta(
            days=1
        )
        [told_a] = [m for m in outbox(server, a.creds, a_email) if "approved" in m["subject"]]
        assert email in told_a["body"]
        # Not twice; and B's approval would take what A now holds.
        refused(
            call(server, op, "POST", review_of(by_a["prospect_id"]), {"result": "approve"}),
            400,
            "CBC.99110030",
        )
        refused(
            call(server, op, "POST", review_of(by_b["prospect_id"]), {"result": "approve"}),
            400,
            "CBC.99110007",
        )
        rejected = ok(
            call(
                server,
                op,
                "POST",
                review_of(by_b["prospect_id"]),
                {"result": "reject", "opinion": "Reserved by another partner."},
            )
        )
        assert (rejected["state"], rejected["review_opinion"]) == (
            "REJECTED",
            "Reserved by another partner.",
        )
        [told_b] = [m for m in outbox(server, b.creds, b_email) if "rejected" in m["subject"]]
        assert "Reserved by another partner." in told_b["body"]
        assert [
            (p["state"], p["review_opinion"])
            for p in ok(call(server, b.creds, "GET", "/prospects"))["prospects"]
        ] == [("REJECTED", "Reserved by another partner.")]
        # Nothing of this prospect waits any more; with review=all both decisions show.
        waiting = ok(call(server, op, "GET", "/operator/prospects", query="limit=100"))
        assert email not in [p["email"] for p in waiting["prospects"]]
        everything = ok(
            call(server, op, "GET", "/operator/prospects", query="review=all&limit=100")
        )
        assert sorted(p["state"] for p in everything["prospects"] if p["email"] == email) == [
            "REJECTED",
            "RESERVED",
        ]

        # The approval reserves: B's invitation fails until A's two days have run out.
        b_link = create_link(server, b.creds)["link"]
        refused(accept(server, prospect, b_link), 400, "CBC.99110007")
        advance(server, days=2, hours=1)
        assert [
            p["state"]
            for p in ok(call(server, a.creds, "GET", "/prospects"))["prospects"]
            if p["prospect_id"] == by_a["prospect_id"]
        ] == ["EXPIRED"]
        ok(accept(server, prospect, b_link))


async def age_account(state: AppState, *, account_id: str) -> None:
    async with state.db.unit_of_work() as uow:
        row = await uow.session.get(Account, account_id)
        assert row is not None
        row.created_at -= timedelta(days=8)
