"""Verification codes for critical operations (rules.md §12.4) on a live server: off by default;
once the administrator turns protection on, the official SDK's freeze, unfreeze and budget calls
are refused without a code, and each code sent to the partner's e-mail is good for one critical
operation, for ten minutes, for three wrong tries."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal as D
from typing import Any

import httpx
from huaweicloudsdkbssintl.v2 import model as m
from sqlalchemy import select

from partner_center.domains.partners.models import CriticalOperationCode
from partner_center.provisioning import Credentials
from partner_center.state import AppState
from tests.harness import LiveServer, unique
from tests.sdk.test_association_helpers import outbox, partner_with_email
from tests.sdk.test_orders import refused, set_budget
from tests.signed import signed_request

PROTECTION = "/v1/partner-center/security/critical-operation-protection"
CODES = "/v1/partner-center/security/verification-codes"
BUDGET = "/v2/partners/sub-customers/budget"


def send(
    server: LiveServer, creds: Credentials, path: str, body: Any, code: str | None = None
) -> httpx.Response:
    headers = {"X-Verification-Code": code} if code else None
    return signed_request(
        server.url,
        creds,
        "POST" if path != PROTECTION else "PUT",
        path,
        body=json.dumps(body).encode(),
        extra_headers=headers,
    )


def new_code(server: LiveServer, creds: Credentials, email: str) -> str:
    sent = signed_request(server.url, creds, "POST", CODES)
    assert sent.status_code == 201, sent.text
    assert sent.json()["sent_to"].endswith(email.split("@")[1])
    match = re.search(r"\b(\d{6})\b", outbox(server, creds, email)[0]["body"])
    assert match
    return match.group(1)


def budget(customer: Credentials, amount: str) -> dict[str, Any]:
    return {"customer_id": customer.account_id, "budget_amount": amount, "budget_type": "PACKAGE"}


def code_of(
    server: LiveServer, creds: Credentials, path: str, body: Any, code: str | None
) -> str | None:
    response = send(server, creds, path, body, code)
    if response.status_code < 300:
        return None
    error: str = response.json()["error_code"]
    return error


def test_critical_operations_need_a_code_once_protection_is_on(server: LiveServer) -> None:
    email = f"{unique('p')}@example.com"
    partner = partner_with_email(server, email=email)
    customer = server.customer(partner)
    # Off by default: the SDK's calls need nothing.
    shown = signed_request(server.url, partner.creds, "GET", PROTECTION).json()
    assert shown == {"enabled": False}
    set_budget(server, partner, customer, "10.00")

    assert send(server, partner.creds, PROTECTION, {"enabled": True}).json() == {"enabled": True}
    sdk = server.intl(partner.creds)
    for call in (
        lambda: set_budget(server, partner, customer, "20.00"),
        lambda: sdk.freeze_sub_customers(
            m.FreezeSubCustomersRequest(
                body=m.FreezeSubCustomersReq(customer_ids=[customer.account_id], reason="arrears")
            )
        ),
    ):
        assert refused(call).error_code == "CBC.99004010"

    # One code, one operation.
    code = new_code(server, partner.creds, email)
    assert code_of(server, partner.creds, BUDGET, budget(customer, "20.00"), code) is None
    assert code_of(server, partner.creds, BUDGET, budget(customer, "30.00"), code) == (
        "CBC.99004010"
    )
    shown_budget = sdk.show_sub_customer_budget(
        m.ShowSubCustomerBudgetRequest(customer_id=customer.account_id)
    )
    assert D(str(shown_budget.budget_amount)) == D("20.00")

    # Three wrong tries void the code, even the right one after them.
    code = new_code(server, partner.creds, email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        assert code_of(server, partner.creds, BUDGET, budget(customer, "40.00"), wrong) == (
            "CBC.99004010"
        )
    assert code_of(server, partner.creds, BUDGET, budget(customer, "40.00"), code) == (
        "CBC.99004009"
    )

    # Ten minutes later (wall clock) a code has expired.
    code = new_code(server, partner.creds, email)
    server._call(_age_codes, partner_id=partner.id)
    assert code_of(server, partner.creds, BUDGET, budget(customer, "50.00"), code) == (
        "CBC.99004008"
    )

    # Another partner's code is not this partner's.
    other_email = f"{unique('o')}@example.com"
    other = partner_with_email(server, email=other_email)
    send(server, other.creds, PROTECTION, {"enabled": True})
    foreign = new_code(server, other.creds, other_email)
    mine = new_code(server, partner.creds, email)
    if foreign != mine:
        assert code_of(server, partner.creds, BUDGET, budget(customer, "60.00"), foreign) == (
            "CBC.99004010"
        )
    assert code_of(server, partner.creds, BUDGET, budget(customer, "60.00"), mine) is None

    # Turning protection off needs no code; then the SDK works again.
    assert send(server, partner.creds, PROTECTION, {"enabled": False}).json() == {"enabled": False}
    set_budget(server, partner, customer, "70.00")


async def _age_codes(state: AppState, *, partner_id: str) -> None:
    async with state.db.unit_of_work() as uow:
        rows = await uow.session.scalars(
            select(CriticalOperationCode).where(CriticalOperationCode.tenant_id == partner_id)
        )
        for row in rows:
            row.created_at -= timedelta(minutes=11)
            row.expires_at -= timedelta(minutes=11)
