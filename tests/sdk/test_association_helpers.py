"""Helpers shared by the association, invitation, authorization, member and account-manager tests:
signed calls to the extension endpoints, unassociated customer accounts, the operator, the
sandbox clock, and direct database changes an operator would make. (No tests here.)"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import httpx
from huaweicloudsdkbssintl.v2.model import ListSubCustomersRequest, QuerySubCustomerListReq

from partner_center.domains.customers.public import CustomerControl, FreezeType
from partner_center.domains.partners.public import PartnerStatus, PartnerType
from partner_center.provisioning import (
    Credentials,
    create_credentials,
    create_customer_account,
    create_partner,
    ensure_operator,
)
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, unique
from tests.signed import signed_request

PREFIX = "/v1/partner-center"


def call(
    server: LiveServer,
    creds: Credentials,
    method: str,
    path: str,
    body: Any = None,
    query: str = "",
) -> httpx.Response:
    raw = b"" if body is None else json.dumps(body).encode()
    return signed_request(server.url, creds, method, PREFIX + path, query=query, body=raw)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: httpx.Response, status: int, code: str) -> str:
    assert (response.status_code, response.json().get("error_code")) == (status, code), (
        response.text
    )
    message = response.json()["error_msg"]
    assert isinstance(message, str) and message
    return message


def customer_account(server: LiveServer, *, email: str | None = None) -> Credentials:
    """A customer account associated with no partner."""
    creds: Credentials = server._call(
        create_customer_account, name=unique("c").replace("-", ""), email=email
    )
    return creds


_OPERATORS: dict[str, Credentials] = {}


def operator(server: LiveServer) -> Credentials:
    """The operator's credentials on this server (made once per server)."""

    async def make(state: AppState) -> Credentials:
        return await create_credentials(state, account_id=await ensure_operator(state))

    if server.db_url not in _OPERATORS:
        _OPERATORS[server.db_url] = server._call(make)
    return _OPERATORS[server.db_url]


def advance(server: LiveServer, *, days: int = 0, hours: int = 0) -> dict[str, Any]:
    """Move the sandbox clock forward (every job due on the way runs, so keep moves short)."""
    with httpx.Client(timeout=120) as client:
        response = signed_request(
            server.url,
            operator(server),
            "POST",
            "/v1/sandbox/clock",
            body=json.dumps({"days": days, "hours": hours}).encode(),
            client=client,
        )
    assert response.status_code == 200, response.text
    moved: dict[str, Any] = response.json()
    return moved


def backdate(server: LiveServer, model: Any, row_ids: list[str], *, days: int) -> None:
    """Pretend rows were filed ``days`` earlier: cheaper than moving the clock months ahead,
    which runs every hourly job on the way."""

    async def shift(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            for row_id in row_ids:
                row = await uow.session.get(model, row_id)
                assert row is not None
                row.created_at = row.created_at - timedelta(days=days)

    server._call(shift)


def partner_with_email(
    server: LiveServer,
    kind: PartnerType = PartnerType.CSP,
    *,
    email: str,
    distributor: Partner | None = None,
) -> Partner:
    creds, platform = server._call(
        create_partner,
        name=unique("p"),
        partner_type=kind,
        distributor_id=distributor.id if distributor else None,
        email=email,
    )
    return Partner(creds, platform)


def outbox(server: LiveServer, creds: Credentials, recipient: str) -> list[dict[str, Any]]:
    """Messages ``creds``' account sent to ``recipient``, newest first (sandbox mailbox)."""
    response = signed_request(
        server.url, creds, "GET", "/v1/sandbox/outbox", query=f"recipient={recipient}"
    )
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def link_in(text: str) -> str:
    match = re.search(r"https?://\S+/invitation-links/[A-Za-z0-9_-]+", text)
    assert match, text
    return match.group(0)


def create_link(
    server: LiveServer, creds: Credentials, channel: str = "LINK", **extra: Any
) -> dict[str, Any]:
    body = ok(call(server, creds, "POST", "/invitations", {"channel": channel, **extra}))
    invitation: dict[str, Any] = body["invitations"][0]
    return invitation


def accept(server: LiveServer, creds: Credentials, link: str) -> httpx.Response:
    return call(server, creds, "POST", "/invitations/accept", {"link": link})


def associate(
    server: LiveServer,
    partner: Partner,
    *,
    email: str | None = None,
    association_type: str | None = None,
) -> Credentials:
    """A new customer account associated with ``partner`` through an offline link."""
    extra = {"association_type": association_type} if association_type else {}
    link = create_link(server, partner.creds, **extra)["link"]
    customer = customer_account(server, email=email)
    ok(accept(server, customer, link))
    return customer


def list_customers(server: LiveServer, creds: Credentials, **filters: Any) -> Any:
    return server.intl(creds).list_sub_customers(
        ListSubCustomersRequest(body=QuerySubCustomerListReq(**filters))
    )


def set_partner_status(server: LiveServer, partner: Partner, status: PartnerStatus) -> None:
    """What the operator does when a partner is restricted or exits."""
    from partner_center.domains.partners.models import Partner as PartnerRow

    async def change(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            row = await uow.session.get(PartnerRow, partner.id)
            assert row is not None
            row.status = status

    server._call(change)


def freeze_by_partner(server: LiveServer, customer: Credentials, partner: Partner) -> None:
    """The partner freezes the customer by hand (what freeze_sub_customers does)."""

    async def freeze(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            await CustomerControl(uow.session, clock=state.clock).freeze(
                customer.account_id,
                freeze_type=FreezeType.ACCOUNT,
                by=partner.id,
                reason="overdue payment",
            )

    server._call(freeze)


def unfreeze(server: LiveServer, customer: Credentials) -> None:
    async def thaw(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            await CustomerControl(uow.session, clock=state.clock).unfreeze(
                customer.account_id, unfreeze_type=FreezeType.ACCOUNT
            )

    server._call(thaw)


def member(
    server: LiveServer, partner: Partner, roles: list[str], *, name: str | None = None
) -> tuple[str, Credentials]:
    """A member of ``partner`` with ``roles`` and an AK/SK of its own."""
    created = ok(
        call(
            server,
            partner.creds,
            "POST",
            "/members",
            {"name": name or unique("m"), "roles": roles},
        ),
        201,
    )
    key = ok(
        call(server, partner.creds, "POST", f"/members/{created['member_id']}/access-keys"), 201
    )
    creds = Credentials(
        partner.creds.account_id, partner.creds.domain_name, key["access_key"], key["secret_key"]
    )
    return created["member_id"], creds


PARTNER_PASSWORD = "Partner-Pass1"


def partner_token(server: LiveServer, partner: Partner) -> str:
    """An IAM token of a partner created with ``PARTNER_PASSWORD``."""
    name = partner.creds.domain_name
    response = httpx.post(
        server.url + "/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": name,
                            "password": PARTNER_PASSWORD,
                            "domain": {"name": name},
                        }
                    },
                },
                "scope": {"domain": {"name": name}},
            }
        },
    )
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def assume_role(
    server: LiveServer, token: str, customer: Credentials, agency: str
) -> httpx.Response:
    """The partner asks IAM for a token acting as the customer (api-semantics.md §4.6)."""
    return httpx.post(
        server.url + "/v3/auth/tokens",
        headers={"X-Auth-Token": token},
        json={
            "auth": {
                "identity": {
                    "methods": ["assume_role"],
                    "assume_role": {"domain_name": customer.domain_name, "agency_name": agency},
                },
                "scope": {"project": {"name": "ap-southeast-1"}},
            }
        },
    )


def stored_record_statuses(server: LiveServer, partner: Partner) -> list[str]:
    """Invitation record statuses as stored (not as a read would compute them)."""
    from sqlalchemy import select

    from partner_center.domains.associations.models import InvitationRecord

    async def read(state: AppState) -> list[str]:
        async with state.db.unit_of_work() as uow:
            rows = await uow.session.scalars(
                select(InvitationRecord.status).where(InvitationRecord.tenant_id == partner.id)
            )
            return [s.value for s in rows.all()]

    statuses: list[str] = server._call(read)
    return statuses


def on_server(server: LiveServer, link: str) -> str:
    """The link's path on the test server (links carry the configured public URL)."""
    from urllib.parse import urlsplit

    return server.url + urlsplit(link).path
