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

from partner_center.domains.balances.public import ConsumptionQuotaView, TopUpChannel
from partner_center.http.auth import CallerKind
from partner_center.http.ext import PREFIX
from partner_center.http.formats import WireAmount, consumption_quota_figures, wire_amount
from partner_center.http.headers import IdempotencyKey
from partner_center.http.operations import OperationContext, operation
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter

router = APIRouter(prefix=PREFIX, tags=["balances (extension)"])


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
    return ConsumptionQuotaState(
        partner_id=partner_id,
        **consumption_quota_figures(view),
        **same_named(view, "currency restricted"),
    )


def _checked(partner_id: str) -> str:
    if not 0 < len(partner_id) <= 32:
        raise invalid_parameter("partner_id", "1 to 32 characters.")
    return partner_id


@operation(router, "POST", "/operator/partners/{partner_id}/top-ups")
async def operator_top_up_partner(
    ctx: OperationContext,
    partner_id: str,
    body: TopUpReq,
    idempotency_key: IdempotencyKey,
) -> TopUpResult:
    """Credit a partner's cash account with money received (operator)

    Posts money received for a partner (a confirmed bank transfer or an online payment) to its
    cash account through the ledger; designated money counts in the balance but can never be
    allocated. With X-Idempotency-Key a retry with the same body posts nothing again and answers
    replayed=true; the same key with another body is CBC.99007009.
    """
    try:
        channel = TopUpChannel(body.channel)
    except ValueError as exc:
        raise invalid_parameter("channel", "Use BANK_TRANSFER or ONLINE_PAYMENT.") from exc
    partner_id = _checked(partner_id)
    movement = await ctx.services.balances.top_up(
        partner_id,
        body.amount,
        channel=channel,
        actor_id=ctx.caller.account_id,
        designated=body.designated,
        payment_reference=body.payment_reference or None,
        idempotency_key=idempotency_key,
        memo=body.memo or None,
    )
    return TopUpResult(
        transfer_id=movement.id,
        partner_id=partner_id,
        amount=wire_amount(movement.amount),
        **same_named(movement, "currency replayed"),
        created_at=format_utc(movement.created_at),
    )


@operation(router, "PUT", "/operator/partners/{partner_id}/consumption-quota")
async def operator_set_consumption_quota(
    ctx: OperationContext, partner_id: str, body: ConsumptionQuotaReq
) -> ConsumptionQuotaState:
    """Set a partner's consumption quota (credit line) (operator)

    Sets a partner's consumption quota (credit line), ≥ 0 with at most 2 decimals, and answers
    the resulting state; a partner whose used quota exceeds its quota is restricted from buying.
    Operator credentials.
    """
    partner_id = _checked(partner_id)
    view = await ctx.services.balances.set_consumption_quota(
        partner_id, body.consumption_quota, actor_id=ctx.caller.account_id
    )
    return _state(partner_id, view)


@operation(router, "GET", "/operator/partners/{partner_id}/consumption-quota")
async def operator_show_consumption_quota(
    ctx: OperationContext, partner_id: str
) -> ConsumptionQuotaState:
    """A partner's consumption quota and restriction state (operator)

    A partner's credit line, its balance, coupon, due and unbilled amounts, the used quota (due
    + unbilled − amount − coupon) and whether it is restricted for exceeding it. Operator
    credentials.
    """
    partner_id = _checked(partner_id)
    view = await ctx.services.balances.partner_quota(partner_id)
    return _state(partner_id, view)


@operation(router, "GET", "/consumption-quota", kind=CallerKind.PARTNER)
async def show_own_consumption_quota_state(ctx: OperationContext) -> ConsumptionQuotaState:
    """The calling partner's consumption quota and whether it is restricted

    The calling CSP's or distributor's credit line and its use, as the operator sees it,
    including whether the partner (and its postpaid reseller-model customers) is restricted for
    exceeding it.
    """
    view = await ctx.services.balances.consumption_quota(ctx.actor)
    return _state(ctx.actor.partner_id, view)


@operation(router, "GET", "/operator/balances/statements/verify")
async def operator_verify_statements(ctx: OperationContext) -> StatementProof:
    """Prove every partner and customer statement against the ledger (operator)

    Recomputes every partner and customer statement from the double-entry ledger and lists each
    difference found; ok is true when there is none. Operator credentials.
    """
    problems = await ctx.services.balances.verify_statements()
    return StatementProof(
        ok=not problems,
        problems=[
            StatementProblem(owner_id=p.owner_id, statement=p.statement.value, problem=p.problem)
            for p in problems
        ],
    )
