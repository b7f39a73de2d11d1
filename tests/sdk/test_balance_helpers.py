"""Helpers shared by the balance and allocation SDK tests: the operator's extension calls
(top-ups, consumption quota), official-SDK money calls, exact-decimal reading of raw responses,
and the ledger/statement proof run on the server's database. (No tests here.)"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from huaweicloudsdkbss.v2 import model as bss
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.ledger.public import format_report, reconcile
from partner_center.provisioning import (
    Credentials,
    create_credentials,
    ensure_operator,
    services,
)
from partner_center.state import AppState
from tests.harness import LiveServer, Partner
from tests.signed import signed_request

D = Decimal
PREFIX = "/v1/partner-center"
_operators: dict[str, Credentials] = {}


def operator(server: LiveServer) -> Credentials:
    """The operator's credentials on this server (created once)."""
    if server.url not in _operators:

        async def make(state: AppState) -> Credentials:
            return await create_credentials(state, account_id=await ensure_operator(state))

        _operators[server.url] = server._call(make)
    return _operators[server.url]


def signed(
    server: LiveServer,
    creds: Credentials,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    raw = b"" if body is None else json.dumps(body).encode()
    return signed_request(server.url, creds, method, path, body=raw, extra_headers=headers)


def top_up(
    server: LiveServer,
    partner: Partner,
    amount: str,
    *,
    designated: bool = False,
    channel: str = "BANK_TRANSFER",
    key: str | None = None,
    reference: str | None = None,
) -> httpx.Response:
    """POST the operator's top-up; the amount goes on the wire as an exact JSON number."""
    body = (
        f'{{"amount": {amount}, "channel": "{channel}", "designated": '
        f"{'true' if designated else 'false'}"
        + (f', "payment_reference": "{reference}"' if reference else "")
        + "}"
    ).encode()
    return signed_request(
        server.url,
        operator(server),
        "POST",
        f"{PREFIX}/operator/partners/{partner.id}/top-ups",
        body=body,
        extra_headers={"X-Idempotency-Key": key} if key else None,
    )


def funded(server: LiveServer, partner: Partner, amount: str) -> None:
    response = top_up(server, partner, amount)
    assert response.status_code == 200, response.text


def set_quota(server: LiveServer, partner: Partner, quota: str) -> httpx.Response:
    return signed_request(
        server.url,
        operator(server),
        "PUT",
        f"{PREFIX}/operator/partners/{partner.id}/consumption-quota",
        body=f'{{"consumption_quota": {quota}}}'.encode(),
    )


def exact(response: Any) -> Any:
    """An SDK response's raw JSON with numbers as exact Decimals (SDK models may hold floats)."""
    return json.loads(response.raw_content, parse_float=Decimal)


def refused(call: Any) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def allocate(
    server: LiveServer,
    partner: Partner,
    customer_id: str,
    amount: Decimal | str,
    *,
    indirect: Partner | None = None,
    client: Any = None,
) -> Any:
    return (client or server.bss(partner.creds)).update_customer_account_amount(
        bss.UpdateCustomerAccountAmountRequest(
            body=bss.AdjustAccountReq(
                customer_id=customer_id,
                amount=Decimal(amount),
                indirect_partner_id=indirect.id if indirect else None,
            )
        )
    )


def reclaim(
    server: LiveServer,
    partner: Partner,
    customer_id: str,
    amount: Decimal | str,
    *,
    indirect: Partner | None = None,
) -> Any:
    return server.bss(partner.creds).reclaim_to_partner_account(
        bss.ReclaimToPartnerAccountRequest(
            body=bss.ReclaimToPartnerAccountBalancesReq(
                customer_id=customer_id,
                amount=Decimal(amount),
                indirect_partner_id=indirect.id if indirect else None,
            )
        )
    )


def balances(server: LiveServer, partner: Partner, *, indirect: Partner | None = None) -> Any:
    """list_partner_balances as ``{account_type: exact JSON dict}``."""
    response = server.bss(partner.creds).list_partner_balances(
        bss.ListPartnerBalancesRequest(indirect_partner_id=indirect.id if indirect else None)
    )
    return {row["account_type"]: row for row in exact(response)["account_balances"]}


def cash(server: LiveServer, partner: Partner, *, indirect: Partner | None = None) -> Decimal:
    amount: Decimal = balances(server, partner, indirect=indirect)[1]["amount"]
    return amount


def customer_balances(
    server: LiveServer, partner: Partner, *customer_ids: str, indirect: Partner | None = None
) -> dict[str, Any]:
    response = server.bss(partner.creds).list_customers_balances_detail(
        bss.ListCustomersBalancesDetailRequest(
            body=bss.QueryCustomersBalancesReq(
                customer_infos=[bss.CustomerInfoV2(customer_id=c) for c in customer_ids],
                indirect_partner_id=indirect.id if indirect else None,
            )
        )
    )
    return {row["customer_id"]: row for row in exact(response)["customer_balances"]}


def partner_records(server: LiveServer, partner: Partner, **query: Any) -> Any:
    query.setdefault("balance_type", "BALANCE_TYPE_DEBIT")
    response = server.bss(partner.creds).list_partner_account_change_records(
        bss.ListPartnerAccountChangeRecordsRequest(**query)
    )
    return exact(response)


def adjust_records(server: LiveServer, partner: Partner, **query: Any) -> Any:
    response = server.bss(partner.creds).list_partner_adjust_records(
        bss.ListPartnerAdjustRecordsRequest(**query)
    )
    return exact(response)


def assert_books_balance(server: LiveServer) -> None:
    """``partner-center reconcile`` is clean and every statement agrees with the ledger."""

    async def prove(state: AppState) -> tuple[list[str], list[str]]:
        async with state.db.unit_of_work() as uow:
            report = await reconcile(uow.session)
            svc = await services(state, uow)
            problems = await svc.balances.verify_statements()
        lines = [] if report.ok else format_report(report)
        return lines, [f"{p.owner_id} {p.statement}: {p.problem}" for p in problems]

    ledger_problems, statement_problems = server._call(prove)
    assert ledger_problems == []
    assert statement_problems == []
