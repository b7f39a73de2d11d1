"""A budget's month on a live sandbox server: the partner sets a monthly budget through the
official SDK (lifting the new customer's restriction), purchases use it (ledger holds standing in
for orders), the 75 % and 90 % alerts arrive once each, the budget runs out and the exhaustion
action applies, then the sandbox clock moves past the 1st and the monthly job restores the budget
and lifts the restriction — but not a freeze of resources (rules.md §3, §4, §12.1)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from huaweicloudsdkbssintl.v2.model import (
    ModSubCustomerBudgetReq,
    ShowSubCustomerBudgetRequest,
    UpdateSubCustomerBudgetRequest,
)

from partner_center.domains.budgets.public import (
    RESTORE_MONTHLY_BUDGETS,
    BudgetService,
    Reservation,
)
from partner_center.domains.customers.public import ControlState, CustomerControl, FreezeType
from partner_center.domains.notifications.public import PARTNER_BUDGET, NotificationService
from partner_center.kernel.clock import parse_utc
from partner_center.kernel.errors import DomainError
from partner_center.provisioning import (
    Credentials,
    create_credentials,
    ensure_operator,
    services,
)
from partner_center.state import AppState
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, Partner, unique
from tests.signed import signed_request

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    live = LiveServer(url).start()
    yield live
    live.stop()
    asyncio.run(drop_database(pg_name))


# -- acting on the server's database, as another service of the platform would ----------------


def budget_service(state: AppState, uow: Any, svc: Any) -> BudgetService:
    return svc.budgets


async def _purchase(state: AppState, *, customer_id: str, amount: Decimal) -> Reservation:
    async with state.db.unit_of_work() as uow:
        budgets = budget_service(state, uow, await services(state, uow))
        reservation = await budgets.reserve(customer_id, amount, unique("order"))
    async with state.db.unit_of_work() as uow:
        budgets = budget_service(state, uow, await services(state, uow))
        return await budgets.commit(reservation.id)


def purchase(server: LiveServer, customer: Credentials, amount: str) -> Reservation | DomainError:
    """Reserve and charge a purchase; the refusal, if any."""
    try:
        result: Reservation = server._call(
            _purchase, customer_id=customer.account_id, amount=D(amount)
        )
    except DomainError as exc:
        return exc
    return result


async def _control(state: AppState, *, customer_id: str) -> ControlState:
    async with state.db.unit_of_work() as uow:
        return await CustomerControl(uow.session, clock=state.clock).state(customer_id)


def control(server: LiveServer, customer: Credentials) -> ControlState:
    state: ControlState = server._call(_control, customer_id=customer.account_id)
    return state


async def _subscribe(state: AppState, *, partner_id: str, email: str) -> None:
    async with state.db.unit_of_work() as uow:
        await NotificationService(uow.session, clock=state.clock).add_recipient(
            tenant_id=partner_id, topic=PARTNER_BUDGET, name="Finance", email=email
        )


async def _operator(state: AppState) -> Credentials:
    return await create_credentials(state, account_id=await ensure_operator(state))


# -- over HTTP --------------------------------------------------------------------------------


def set_budget(server: LiveServer, partner: Partner, customer: Credentials, **fields: Any) -> None:
    server.intl(partner.creds).update_sub_customer_budget(
        UpdateSubCustomerBudgetRequest(
            body=ModSubCustomerBudgetReq(customer_id=customer.account_id, **fields)
        )
    )


def used(server: LiveServer, partner: Partner, customer: Credentials) -> Decimal:
    shown = server.intl(partner.creds).show_sub_customer_budget(
        ShowSubCustomerBudgetRequest(customer_id=customer.account_id)
    )
    return Decimal(shown.used_amount)


def alerts(server: LiveServer, partner: Partner, email: str) -> list[str]:
    response = signed_request(
        server.url, partner.creds, "GET", "/v1/sandbox/outbox", query=f"recipient={email}"
    )
    assert response.status_code == 200, response.text
    return sorted(m["subject"] for m in response.json()["messages"])


def test_a_budget_month_from_setting_to_restore(server: LiveServer) -> None:
    csp = server.partner()
    inbox = f"{unique('finance')}@example.com"
    server._call(_subscribe, partner_id=csp.id, email=inbox)
    buyer = server.customer(csp, name=unique("buyer").replace("-", "_"))
    frozen = server.customer(csp)

    # A new reseller-model customer is restricted until its budget is set with the lift.
    assert control(server, buyer).restricted
    assert isinstance(purchase(server, buyer, "1"), DomainError)
    set_budget(
        server,
        csp,
        buyer,
        budget_amount=D(100),
        cancel_partner_frozen="1",
        frozen_operate_type=1,  # restrict purchases when the budget runs out
    )
    assert control(server, buyer).normal

    for amount in ("40", "35", "15", "5"):  # 40 %, 75 %, 90 %, 95 %
        assert isinstance(purchase(server, buyer, amount), Reservation)
    assert used(server, csp, buyer) == 95
    subjects = alerts(server, csp, inbox)
    assert len(subjects) == 2
    assert "has used 75% of its monthly budget" in subjects[0]
    assert "has used 90% of its monthly budget" in subjects[1]

    # Running out: the 100 % alert, the restriction, and no further purchase.
    refusal = purchase(server, buyer, "5.01")
    assert isinstance(refusal, DomainError) and refusal.code == "CBC.99003198"
    assert isinstance(purchase(server, buyer, "5"), Reservation)
    assert len(alerts(server, csp, inbox)) == 3
    assert control(server, buyer).restricted
    refusal = purchase(server, buyer, "1")
    assert isinstance(refusal, DomainError) and refusal.code == "CBC.99003656"

    # The second customer restricts and freezes resources on exhaustion.
    set_budget(server, csp, frozen, budget_amount=D(50), cancel_partner_frozen="1")
    response = signed_request(
        server.url,
        csp.creds,
        "POST",
        "/v1/partner-center/budgets/exhaustion-action",
        body=json.dumps(
            {
                "customer_id": frozen.account_id,
                "action": "RESTRICT_AND_FREEZE",
                "accept_agreement": True,
            }
        ).encode(),
    )
    assert response.status_code == 200, response.text
    assert isinstance(purchase(server, frozen, "50"), Reservation)
    assert control(server, frozen).freeze_type == FreezeType.ACCOUNT_AND_RESOURCE

    # Time travel past 00:00 on the 1st (billing zone): the monthly job restores the budget.
    operator: Credentials = server._call(_operator)
    clock = signed_request(server.url, operator, "GET", "/v1/sandbox/clock").json()
    local = parse_utc(clock["now"]).astimezone(SHANGHAI)
    first = (local.replace(day=1) + timedelta(days=32)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    target = first + timedelta(hours=1)
    moved = signed_request(
        server.url,
        operator,
        "POST",
        "/v1/sandbox/clock",
        body=json.dumps(
            {"to": target.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")}
        ).encode(),
    )
    assert moved.status_code == 200, moved.text
    restores = [j for j in moved.json()["jobs_run"] if j["name"] == RESTORE_MONTHLY_BUDGETS]
    assert [parse_utc(j["due_at"]) for j in restores] == [first]
    assert restores[0]["outcome"] == "DONE"

    assert used(server, csp, buyer) == 0
    assert control(server, buyer).normal
    assert isinstance(purchase(server, buyer, "100"), Reservation)

    # A freeze of resources stays until the partner unfreezes.
    state = control(server, frozen)
    assert state.freeze_type == FreezeType.ACCOUNT_AND_RESOURCE
    assert used(server, csp, frozen) == 0
    refusal = purchase(server, frozen, "1")
    assert isinstance(refusal, DomainError) and refusal.code == "CBC.99003656"
