"""The world the outside-in suites attack: tenants and the objects they own on a live server,
made through the API as their owners would, and one signed-request client for any caller.

Tenants: the operator; a CSP partner ``p1`` with a reseller-model customer ``c1`` (authorized,
with a budget, a paid and a pending order, a coupon, a ticket with an attachment and a loose
attachment, a free resource package, an invoiced bill of last month; an enterprise master with a
member in an organisation unit of its own), a referral customer ``cf1`` with a partner
discount, and another customer ``c2``; a distributor ``d1`` with two sibling resellers ``r1``
and ``r2``, ``r1`` with a customer ``cr1``; a foreign CSP partner ``p2``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import simplejson

from partner_center.domains.enterprises.public import root_org_id
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import format_utc
from partner_center.provisioning import Credentials, create_credentials, ensure_operator
from tests.harness import LiveServer, Partner, unique
from tests.signed import signed_headers

EXT = "/v1/partner-center"


def encode_query(query: Mapping[str, Any] | None) -> str:
    """A query string with every character outside the unreserved set percent-encoded (the
    signature is over the canonical form, which the server computes the same way)."""
    pairs: list[tuple[str, Any]] = []
    for key, value in (query or {}).items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            pairs.append((key, item))
    return "&".join(f"{quote(str(k), safe='')}={quote(_text(v), safe='')}" for k, v in pairs)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def send(
    client: httpx.Client,
    base_url: str,
    creds: Credentials | None,
    method: str,
    path: str,
    *,
    query: Mapping[str, Any] | None = None,
    body: Any = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """One request signed as the SDK signs it (``creds`` None: unsigned), JSON ``body`` with
    exact decimals."""
    if raw is None:
        raw = b"" if body is None else simplejson.dumps(body, use_decimal=True).encode()
    q = encode_query(query)
    extra = {"content-type": content_type, **{k.lower(): v for k, v in (headers or {}).items()}}
    if creds is None:
        sent = extra
    else:
        sent = signed_headers(base_url, creds, method, path, query=q, body=raw, extra_headers=extra)
    url = base_url + path + (f"?{q}" if q else "")
    return client.request(method, url, headers=sent, content=raw)


@dataclass
class World:
    server: LiveServer
    client: httpx.Client
    operator: Credentials
    p1: Partner
    c1: Credentials
    c2: Credentials
    d1: Partner
    r1: Partner
    r2: Partner
    cr1: Credentials
    p2: Partner
    c3: Credentials | None = None
    """Another reseller-model customer of ``p1`` that may buy (made by suites that need one)."""
    objects: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Per owner scenario (``"p1"``, ``"r1"``): kind of object -> ids of that owner's objects."""

    def call(
        self, creds: Credentials | None, method: str, path: str, **options: Any
    ) -> httpx.Response:
        return send(self.client, self.server.url, creds, method, path, **options)

    def ok(
        self, creds: Credentials, method: str, path: str, status: int = 200, **options: Any
    ) -> Any:
        response = self.call(creds, method, path, **options)
        assert response.status_code == status, (method, path, response.text)
        return response.json() if response.content else None

    @property
    def names(self) -> list[str]:
        """Names of the victims' accounts (what a leak would show besides their ids)."""
        return [self.c1.domain_name, self.cr1.domain_name, self.p1.creds.domain_name]

    def known_to(self, creds: Credentials) -> set[str]:
        """What an attacker may see of the victims: ``c2``'s own partner is ``p1``."""
        return {self.p1.id, self.p1.creds.domain_name} if creds is self.c2 else set()


def operator_credentials(server: LiveServer) -> Credentials:
    async def make(state: Any) -> Credentials:
        return await create_credentials(state, account_id=await ensure_operator(state))

    creds: Credentials = server._call(make)
    return creds


def build_world(server: LiveServer, client: httpx.Client) -> World:
    """Tenants and their objects, through the API as their owners would make them."""
    from tests.sdk.test_association_helpers import partner_with_email
    from tests.sdk.test_orders import (
        business_now,
        load_catalog,
        pay,
        placed,
        ready_customer,
        resources,
    )

    load_catalog(server)
    # p1 has an e-mail address: a partner needs one to pre-register prospects.
    p1 = partner_with_email(server, PartnerType.CSP, email=f"{unique('p1')}@example.com")
    d1 = server.partner(PartnerType.DISTRIBUTOR)
    r1 = server.partner(PartnerType.RESELLER, distributor=d1)
    r2 = server.partner(PartnerType.RESELLER, distributor=d1)
    world = World(
        server=server,
        client=client,
        operator=operator_credentials(server),
        p1=p1,
        c1=ready_customer(server, p1),
        c2=server.customer(p1, authorize=True),
        d1=d1,
        r1=r1,
        r2=r2,
        cr1=server.customer(d1, reseller=r1),
        p2=server.partner(PartnerType.CSP),
    )
    p1c, c1 = p1.creds, world.c1

    paid = placed(server, p1, c1)
    pay(server.intl(c1), paid)
    pending = placed(server, p1, c1)
    resource_ids = [r.resource_id for r in resources(server.intl(c1)).data]

    business = business_now(server)
    quota = world.ok(
        world.operator,
        "POST",
        f"{EXT}/coupon-quotas",
        201,
        body={
            "partner_id": p1.id,
            "quota_type": 0,
            "quota_value": 1000,
            "effective_time": format_utc(business - timedelta(minutes=1)),
            "expire_time": format_utc(business + timedelta(days=30)),
            "limit_infos": [],
        },
    )["quota_id"]
    # p1's own cash coupon (deducted from its bills), tied to c1: listed to p1 only.
    world.ok(
        world.operator,
        "POST",
        f"{EXT}/partner-cash-coupons",
        201,
        body={
            "partner_id": p1.id,
            "amount": 5,
            "customer_id": c1.account_id,
            "expire_time": format_utc(business + timedelta(days=30)),
        },
    )
    coupons = world.ok(
        p1c,
        "POST",
        "/v2/promotions/benefits/partner-coupons",
        body={"quota_id": quota, "customer_ids": [c1.account_id], "face_value": 10},
    )
    coupon_ids = [c["coupon_id"] for c in coupons.get("coupon_infos", coupons.get("coupons", []))]
    member = world.ok(
        p1c, "POST", f"{EXT}/members", 201, body={"name": unique("m"), "roles": ["FINANCE"]}
    )["member_id"]
    invitation = world.ok(p1c, "POST", f"{EXT}/invitations", body={"channel": "LINK"})
    recipient = world.ok(
        p1c,
        "POST",
        "/v1/notifications/recipients",
        201,
        body={"topic": "PARTNER_BUDGET", "name": "ops", "email": "ops@example.com"},
    )["id"]
    change = world.ok(
        p1c,
        "POST",
        f"{EXT}/customers/{server.customer(p1).account_id}/disassociations",
        body={"reason": "outside-in", "statement_accepted": True},
    )["request_id"]
    authorizations = world.ok(
        p1c, "GET", f"{EXT}/authorizations", query={"customer_id": c1.account_id}
    )
    attachments = [_attachment(world, p1c) for _ in range(2)]
    ticket = world.ok(
        p1c,
        "POST",
        f"{EXT}/tickets",
        201,
        body={
            "category": "general",
            "title": "outside-in",
            "description": "a question",
            "attachment_ids": attachments[:1],
        },
    )["id"]
    units = _enterprise(world, c1)
    packages = _free_resource_package(world, c1, business)
    invoice = _invoice(world, c1, business)
    discount = _partner_discount(world, business)
    prospect = world.ok(
        p1c,
        "POST",
        f"{EXT}/prospects",
        201,
        body={"email": "prospect-outside-in@example.com", "name": "outside-in prospect"},
    )["prospect_id"]
    world.objects = {
        "p1": {
            "customer": [c1.account_id],
            "partner": [p1.id],
            "order": [paid, pending],
            "resource": resource_ids,
            "coupon": coupon_ids,
            "quota": [quota],
            "member": [member],
            "invitation": [
                invitation.get("invitation_id") or invitation["invitations"][0]["invitation_id"]
            ],
            "recipient": [recipient],
            "ticket": [ticket],
            "request": [change],
            "authorization": [
                a["authorization_id"] for a in authorizations.get("authorizations", [])
            ],
            "attachment": attachments,
            "enterprise party": units,
            "enterprise organisation": units,
            "free resource package": packages,
            "invoice": [invoice],
            "partner discount": [discount],
            "pre-registration": [prospect],
        },
        "r1": {
            "customer": [world.cr1.account_id],
            "partner": [r1.id],
            "reseller": [r1.id],
        },
    }
    return world


def _attachment(world: World, owner: Credentials) -> str:
    response = world.call(
        owner,
        "POST",
        f"{EXT}/ticket-attachments",
        query={"name": "evidence.txt"},
        raw=b"a receipt",
        content_type="application/octet-stream",
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _enterprise(world: World, master: Credentials) -> list[str]:
    """``master`` becomes an enterprise master (approved enterprise real-name authentication)
    with a member in a unit of its own; the ids of its root and that unit."""
    from tests.sdk.enterprise_helpers import verify_master

    verify_master(world.server, world.p1, master)
    root, unit = root_org_id(master.account_id), unique("ou")
    created = world.call(
        master,
        "POST",
        "/v2/enterprises/multi-accounts/sub-customers",
        body={
            "party_id": unit,
            "sub_customer_association_type": 1,
            "new_sub_customer": {"customer_name": unique("m"), "password": "Secret-Pass-2024"},
        },
    )
    assert created.status_code == 204, created.text
    return [root, unit]


def _free_resource_package(world: World, customer: Credentials, now: datetime) -> list[str]:
    """The ids of the free quotas of a package the operator gives ``customer``."""
    package = world.ok(
        world.operator,
        "POST",
        f"{EXT}/operator/customers/{customer.account_id}/free-resource-packages",
        body={
            "product_name": "outside-in hours",
            "service_type_code": "hws.service.type.ec2",
            "region_code": "ap-southeast-1",
            "effective_time": format_utc(now - timedelta(hours=1)),
            "expire_time": format_utc(now + timedelta(days=30)),
            "free_resources": [
                {
                    "resource_type_code": "hws.resource.type.vm",
                    "usage_type": "Duration",
                    "amount": 10,
                    "measure_id": 4,
                }
            ],
        },
    )
    return [f["free_resource_id"] for f in package["free_resources"]]


def _invoice(world: World, customer: Credentials, now: datetime) -> str:
    """The invoice of ``p1``'s bill of last month (an order of ``customer`` paid then)."""
    from tests.factories.bills import bill_rows, order_rows

    last_month = (now.replace(day=1) - timedelta(days=1)).replace(hour=12)
    cycle = last_month.astimezone(world.server.settings.zone).strftime("%Y-%m")
    rows = order_rows(customer.account_id, world.p1.id, None, "12.34", paid_at=last_month)
    world.server._call(bill_rows, rows=list(rows), cycle=cycle)
    world.ok(world.operator, "POST", f"{EXT}/operator/invoices/issue", body={"cycle": cycle})
    p1 = world.p1.creds
    window = {
        "start_time": format_utc(now - timedelta(days=1)),
        "end_time": format_utc(now + timedelta(days=1)),
        "offset": 1,
        "limit": 10,
    }
    listed = world.ok(p1, "GET", f"/v1.0/{p1.account_id}/payments/intl-invoices", query=window)
    (invoice,) = listed["invoices"]
    assert invoice["billCycle"] == cycle
    return str(invoice["requestId"])


def _partner_discount(world: World, now: datetime) -> str:
    """A discount ``p1`` grants its referral customer, within the operator's permission."""
    from tests.sdk.test_rating import referral_customer

    customer = referral_customer(world.server, world.p1)
    world.ok(
        world.operator,
        "PUT",
        f"{EXT}/operator/partners/{world.p1.id}/discount-permission",
        body={"max_percent_off": "20"},
    )
    granted = world.ok(
        world.p1.creds,
        "POST",
        f"{EXT}/discounts",
        201,
        body={
            "customer_id": customer.account_id,
            "percent_off": "10",
            "name": "outside-in",
            "effective_to": format_utc(now + timedelta(days=3)),
            "service_type": "hws.service.type.ec2",
        },
    )
    return str(granted["discount_id"])
