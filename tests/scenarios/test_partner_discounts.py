"""Partner discounts and order price adjustment on a live sandbox server (rules.md §7.16–7.19,
§12.5), every amount to the cent, the business clock moved by the operator.

The operator lets the partner grant discounts of at most 20 %. The partner grants its referral
customer 15 % off ECS for three days (the customer is e-mailed); ratings show 25.40 × 0.85 =
21.59. An order for an ECS with its 40 GB disk (34.08) offers 3.81 off; the partner adjusts its
price by 6.00 instead (17.6 %, within 20 %; 8.00 would be 23.5 %): the lines share it as 4.47
and 1.53 and the order costs 28.08, with the adjustment in its history. Three days later the
discount expires: partner and customer are e-mailed and ratings are back at list price. A
discount revoked before its end sends no expiry e-mail.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal as D
from typing import Any

import httpx
from sqlalchemy import update

from partner_center.domains.identity.models import Account
from partner_center.kernel.clock import format_utc
from partner_center.provisioning import Credentials
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, fresh_server, unique
from tests.sdk.test_association_helpers import advance, outbox, partner_with_email
from tests.sdk.test_orders import (
    agency_without_authorization,
    business_now,
    load_catalog,
    operator,
    order_details,
    place,
    ready_customer,
)
from tests.sdk.test_rating import MONTH_VM, rate_period, referral_customer
from tests.signed import signed_request

ECS = "hws.service.type.ec2"


def call(server: LiveServer, creds: Credentials, method: str, path: str, body: Any = None) -> Any:
    raw = b"" if body is None else json.dumps(body).encode()
    return signed_request(server.url, creds, method, "/v1/partner-center" + path, body=raw)


def with_email(server: LiveServer, customer: Credentials) -> str:
    email = f"{unique('c')}@example.com"

    async def set_email(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            await uow.session.execute(
                update(Account).where(Account.id == customer.account_id).values(email=email)
            )

    server._call(set_email)
    return email


def refused(response: httpx.Response, code: str) -> None:
    assert response.json().get("error_code") == code, response.text


def test_partner_discounts_and_order_price_adjustment() -> None:
    with fresh_server() as server:
        load_catalog(server)
        op = operator(server)
        partner_email = f"{unique('p')}@example.com"
        csp: Partner = partner_with_email(server, email=partner_email)
        customer = referral_customer(server, csp)
        customer_email = with_email(server, customer)
        agency_without_authorization(server, customer, csp)
        now = business_now(server)
        three_days = format_utc(now + timedelta(days=3))
        grant = {
            "customer_id": customer.account_id,
            "percent_off": "15",
            "name": "Launch",
            "effective_to": three_days,
            "service_type": ECS,
        }

        # No permission yet, then beyond the maximum.
        refused(call(server, csp.creds, "POST", "/discounts", grant), "CBC.5024")
        permission = call(
            server,
            op,
            "PUT",
            f"/operator/partners/{csp.id}/discount-permission",
            {"max_percent_off": "20"},
        )
        assert permission.status_code == 200, permission.text
        assert D(str(permission.json()["max_percent_off"])) == D(20)
        shown = call(server, csp.creds, "GET", "/discount-permission").json()
        assert D(str(shown["max_percent_off"])) == D(20)
        deeper = call(server, csp.creds, "POST", "/discounts", {**grant, "percent_off": "25"})
        refused(deeper, "CBC.5024")
        # Not a reseller-model customer, and only the partner's own.
        reseller_model = ready_customer(server, csp)
        refused(
            call(
                server,
                csp.creds,
                "POST",
                "/discounts",
                {**grant, "customer_id": reseller_model.account_id},
            ),
            "CBC.5024",
        )
        stranger = partner_with_email(server, email=f"{unique('s')}@example.com")
        refused(call(server, stranger.creds, "POST", "/discounts", grant), "CBC.5024")
        call(
            server,
            op,
            "PUT",
            f"/operator/partners/{stranger.id}/discount-permission",
            {"max_percent_off": "50"},
        )
        refused(call(server, stranger.creds, "POST", "/discounts", grant), "CBC.99000035")

        created = call(server, csp.creds, "POST", "/discounts", grant)
        assert created.status_code == 201, created.text
        discount = created.json()
        assert (discount["discount_type"], discount["state"]) == (607, "IN_FORCE")
        (granted_mail,) = outbox(server, customer, customer_email)
        assert "15" in granted_mail["subject"] and three_days in granted_mail["body"]
        rated = rate_period(server.intl(customer), customer, [MONTH_VM])
        (offer,) = rated.optional_discount_rating_results
        assert (offer.discount_id, D(str(offer.amount))) == (discount["discount_id"], D("21.59"))

        # The order offers the discount (3.81 off the ECS); the partner adjusts the price.
        placed = place(server, csp, customer)
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["order_id"]
        assert D(str(placed.json()["order_info"]["amount_after_discount"])) == D("30.27")
        path = f"/orders/{order_id}/price-adjustments"
        refused(call(server, csp.creds, "POST", path, {"discount_amount": "8.00"}), "CBC.5024")
        refused(call(server, csp.creds, "POST", path, {"discount_amount": "34.08"}), "CBC.0100")
        refused(call(server, csp.creds, "POST", path, {"discount_amount": "1.001"}), "CBC.0100")
        refused(
            call(server, stranger.creds, "POST", path, {"discount_amount": "1.00"}),
            "CBC.30000010",
        )
        adjusted = call(server, csp.creds, "POST", path, {"discount_amount": "6.00"})
        assert adjusted.status_code == 200, adjusted.text
        amounts = ("official_amount", "discount_amount", "amount_after_discount")
        assert {k: D(str(adjusted.json()[k])) for k in amounts} == {
            "official_amount": D("34.08"),
            "discount_amount": D("6.00"),
            "amount_after_discount": D("28.08"),
        }
        details = order_details(server.intl(customer), order_id)
        assert D(str(details.order_info.amount_after_discount)) == D("28.08")
        assert sorted(D(str(x.amount_after_discount)) for x in details.order_line_items) == [
            D("7.15"),  # disk: 8.68 − 1.53
            D("20.93"),  # ECS: 25.40 − 4.47
        ]
        (history,) = call(server, csp.creds, "GET", path).json()["adjustments"]
        assert (D(str(history["previous_discount"])), D(str(history["discount_amount"]))) == (
            D("3.81"),
            D("6.00"),
        )
        adjusted_mail = outbox(server, customer, customer_email)[0]
        assert "28.08" in adjusted_mail["body"]
        # A reseller-model customer's order cannot be adjusted.
        theirs = place(server, csp, reseller_model)
        assert theirs.status_code == 201, theirs.text
        refused(
            call(
                server,
                csp.creds,
                "POST",
                f"/orders/{theirs.json()['order_id']}/price-adjustments",
                {"discount_amount": "1.00"},
            ),
            "CBC.5024",
        )

        # Three days later the discount expires: both are told, ratings are at list price.
        advance(server, days=3, hours=1)
        expired_mail = outbox(server, customer, customer_email)[0]
        assert "expired" in expired_mail["subject"]
        assert "expired" in outbox(server, csp.creds, partner_email)[0]["subject"]
        listed = call(server, csp.creds, "GET", "/discounts").json()
        assert [(d["discount_id"], d["state"]) for d in listed["discounts"]] == [
            (discount["discount_id"], "EXPIRED")
        ]
        plain = rate_period(server.intl(customer), customer, [MONTH_VM])
        assert plain.optional_discount_rating_results == []

        # A discount revoked before its end sends no expiry notice.
        again = call(
            server,
            csp.creds,
            "POST",
            "/discounts",
            {**grant, "effective_to": format_utc(business_now(server) + timedelta(days=1))},
        ).json()
        revoked = call(server, csp.creds, "POST", f"/discounts/{again['discount_id']}/revoke")
        assert revoked.json()["state"] == "REVOKED"
        before = len(outbox(server, customer, customer_email))
        advance(server, days=1, hours=1)
        assert len(outbox(server, customer, customer_email)) == before
        states = {
            d["discount_id"]: d["state"]
            for d in call(server, csp.creds, "GET", "/discounts").json()["discounts"]
        }
        assert states == {discount["discount_id"]: "EXPIRED", again["discount_id"]: "REVOKED"}
