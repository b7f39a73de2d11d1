"""Extension endpoints (ours, not the reference API) for partner money:

* the platform operator tops up a partner's cash account (a confirmed bank transfer or an
  online payment; rules.md §6.10–6.13) and sets its consumption quota (credit line, §6.9);
* the operator reads a partner's consumption quota and proves every statement against the
  ledger;
* a partner (CSP or distributor) reads its own consumption-quota state, including whether it is
  restricted for exceeding it.

Every call is signed like the SDK's. Operator endpoints refuse anyone else with 403
``CBC.0151``. A top-up accepts ``X-Idempotency-Key``: a retry with the same key and body posts
nothing again; the same key with another body is ``CBC.99007009``.
"""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter
from pydantic import Field, StrictBool
from starlette.requests import Request
from starlette.responses import Response

from partner_center.domains.balances.public import ConsumptionQuotaView, TopUpChannel
from partner_center.http.auth import CallerKind
from partner_center.http.bss.balances import (
    IDEMPOTENCY_HEADER,
    WireAmount,
    balance_service,
    cents_text,
    wire_amount,
)
from partner_center.http.operations import OperationContext, run_legacy_operation
from partner_center.http.wire import WireModel, wire_body, wire_responses
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter

router = APIRouter(tags=["balances (extension)"])

_PREFIX = "/v1/partner-center"


class TopUpReq(WireModel):
    amount: WireAmount = Field(description="> 0, at most 2 decimals; online: at most 40,000 USD")
    channel: str = Field(description="BANK_TRANSFER | ONLINE_PAYMENT")
    designated: StrictBool = Field(
        default=False, description="Earmarked money: counted in the balance, never allocatable"
    )
    payment_reference: str | None = Field(
        default=None, max_length=64, description="Bank transfer or payment serial number"
    )
    memo: str | None = Field(default=None, max_length=256)


class TopUpResult(WireModel):
    transfer_id: str
    partner_id: str
    amount: Decimal
    currency: str
    created_at: str = Field(description="UTC")
    replayed: bool = Field(description="An idempotent retry: nothing moved this time")


class ConsumptionQuotaReq(WireModel):
    consumption_quota: WireAmount = Field(description=">= 0, at most 2 decimals")


class ConsumptionQuotaState(WireModel):
    partner_id: str
    consumption_quota: str
    amount: str
    coupon_amount: str
    due_amount: str
    unbilled_amount: str
    used_consumption_quota: str
    currency: str
    restricted: bool = Field(
        description="Used quota over the quota: the partner and its postpaid reseller-model "
        "customers cannot buy"
    )


class StatementProblem(WireModel):
    owner_id: str
    statement: str
    problem: str


class StatementProof(WireModel):
    ok: bool
    problems: list[StatementProblem]


def _state(partner_id: str, view: ConsumptionQuotaView) -> ConsumptionQuotaState:
    amounts = [view.amount, view.coupon_amount, view.due_amount, view.unbilled_amount]
    amount, coupon, due, unbilled = (Decimal(cents_text(v)) for v in amounts)
    return ConsumptionQuotaState(
        partner_id=partner_id,
        consumption_quota=cents_text(view.consumption_quota),
        amount=cents_text(amount),
        coupon_amount=cents_text(coupon),
        due_amount=cents_text(due),
        unbilled_amount=cents_text(unbilled),
        used_consumption_quota=cents_text(due + unbilled - amount - coupon),
        currency=view.currency,
        restricted=view.restricted,
    )


def _partner_id(request: Request) -> str:
    partner_id = str(request.path_params["partner_id"])
    if not 0 < len(partner_id) <= 32:
        raise invalid_parameter("partner_id", "1 to 32 characters.")
    return partner_id


@router.post(
    _PREFIX + "/operator/partners/{partner_id}/top-ups",
    operation_id="operator_top_up_partner",
    summary="Credit a partner's cash account with money received (operator)",
    openapi_extra={
        **wire_body(TopUpReq),
        "parameters": [
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 64},
                "description": "A retry with the same key and body posts nothing again.",
            }
        ],
    },
    responses=wire_responses(TopUpResult),
)
async def top_up(request: Request) -> Response:
    async def handle(ctx: OperationContext, body: TopUpReq) -> TopUpResult:
        try:
            channel = TopUpChannel(body.channel)
        except ValueError as exc:
            raise invalid_parameter("channel", "Use BANK_TRANSFER or ONLINE_PAYMENT.") from exc
        partner_id = _partner_id(request)
        movement = await balance_service(ctx).top_up(
            partner_id,
            body.amount,
            channel=channel,
            actor_id=ctx.caller.account_id,
            designated=body.designated,
            payment_reference=body.payment_reference or None,
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
            memo=body.memo or None,
        )
        return TopUpResult(
            transfer_id=movement.id,
            partner_id=partner_id,
            amount=wire_amount(movement.amount),
            currency=movement.currency,
            created_at=format_utc(movement.created_at),
            replayed=movement.replayed,
        )

    return await run_legacy_operation(
        request,
        api="operator_top_up_partner",
        kind=CallerKind.OPERATOR,
        body_model=TopUpReq,
        handler=handle,
    )


@router.put(
    _PREFIX + "/operator/partners/{partner_id}/consumption-quota",
    operation_id="operator_set_consumption_quota",
    summary="Set a partner's consumption quota (credit line) (operator)",
    openapi_extra=wire_body(ConsumptionQuotaReq),
    responses=wire_responses(ConsumptionQuotaState),
)
async def set_consumption_quota(request: Request) -> Response:
    async def handle(ctx: OperationContext, body: ConsumptionQuotaReq) -> ConsumptionQuotaState:
        partner_id = _partner_id(request)
        view = await balance_service(ctx).set_consumption_quota(
            partner_id, body.consumption_quota, actor_id=ctx.caller.account_id
        )
        return _state(partner_id, view)

    return await run_legacy_operation(
        request,
        api="operator_set_consumption_quota",
        kind=CallerKind.OPERATOR,
        body_model=ConsumptionQuotaReq,
        handler=handle,
    )


@router.get(
    _PREFIX + "/operator/partners/{partner_id}/consumption-quota",
    operation_id="operator_show_consumption_quota",
    summary="A partner's consumption quota and restriction state (operator)",
    responses=wire_responses(ConsumptionQuotaState),
)
async def show_consumption_quota(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ConsumptionQuotaState:
        partner_id = _partner_id(request)
        view = await balance_service(ctx).partner_quota(partner_id)
        return _state(partner_id, view)

    return await run_legacy_operation(
        request,
        api="operator_show_consumption_quota",
        kind=CallerKind.OPERATOR,
        body_model=None,
        handler=handle,
    )


@router.get(
    _PREFIX + "/consumption-quota",
    operation_id="show_own_consumption_quota_state",
    summary="The calling partner's consumption quota and whether it is restricted",
    responses=wire_responses(ConsumptionQuotaState),
)
async def show_own_consumption_quota(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ConsumptionQuotaState:
        view = await balance_service(ctx).consumption_quota(ctx.actor)
        return _state(ctx.actor.partner_id, view)

    return await run_legacy_operation(
        request,
        api="show_own_consumption_quota_state",
        kind=CallerKind.PARTNER,
        body_model=None,
        handler=handle,
    )


@router.get(
    _PREFIX + "/operator/balances/statements/verify",
    operation_id="operator_verify_statements",
    summary="Prove every partner and customer statement against the ledger (operator)",
    responses=wire_responses(StatementProof),
)
async def verify_statements(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> StatementProof:
        problems = await balance_service(ctx).verify_statements()
        return StatementProof(
            ok=not problems,
            problems=[
                StatementProblem(
                    owner_id=p.owner_id, statement=p.statement.value, problem=p.problem
                )
                for p in problems
            ],
        )

    return await run_legacy_operation(
        request,
        api="operator_verify_statements",
        kind=CallerKind.OPERATOR,
        body_model=None,
        handler=handle,
    )
