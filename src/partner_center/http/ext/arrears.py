"""Extension endpoints (ours, not the reference API) for pay-per-use arrears (rules.md §2.3.4,
§2.6.9): a customer's grace period, what it owes, its arrears case and the history of its grace
period — read by the operator or the customer's partner, set by the operator."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.usage.public import ArrearsView
from partner_center.http.auth import CallerKind
from partner_center.http.operations import OperationContext, operation
from partner_center.http.wire import WireModel
from partner_center.kernel.clock import format_utc
from partner_center.kernel.money import to_cents

router = APIRouter(tags=["pay-per-use arrears (extension)"])

_OPERATOR_PATH = "/v1/partner-center/operator/customers/{customer_id}/on-demand-grace-period"


class GracePeriodReq(WireModel):
    grace_days: int = Field(description="0 to 365 days")


class GraceAdjustmentInfo(WireModel):
    reason: str = Field(description="OPERATOR, ASSOCIATION (≥1 day) or DISASSOCIATION (≥15 days)")
    old_days: int
    new_days: int
    adjusted_at: str


class ArrearsCaseInfo(WireModel):
    case_id: str
    state: str = Field(description="GRACE, FROZEN, RELEASED or SETTLED")
    grace_days: int
    started_at: str
    grace_until: str = Field(description="Resources are frozen from here (UTC)")
    retention_until: str = Field(description="Resources are released here (UTC)")
    opening_arrears: Decimal = Field(description="Owed when the case opened, 2 decimals")
    frozen_at: str | None = Field(default=None, description="When the resources froze (UTC)")
    closed_at: str | None = Field(default=None, description="Settled or released (UTC)")


class ArrearsInfo(WireModel):
    customer_id: str
    grace_days: int = Field(description="The customer's pay-per-use grace period, days")
    own_grace_period: bool = Field(description="false: the deployment's default applies")
    arrears_amount: Decimal = Field(description="Owed now, 2 decimals")
    arrears_case: ArrearsCaseInfo | None = Field(default=None, description="Current or last")
    adjustments: list[GraceAdjustmentInfo]


def _wire(view: ArrearsView) -> ArrearsInfo:
    case = view.case
    return ArrearsInfo(
        customer_id=view.customer_id,
        grace_days=view.grace_days,
        own_grace_period=view.own_grace_period,
        arrears_amount=to_cents(view.arrears),
        arrears_case=None
        if case is None
        else ArrearsCaseInfo(
            case_id=case.case_id,
            state=case.state.value,
            grace_days=case.grace_days,
            started_at=format_utc(case.started_at),
            grace_until=format_utc(case.grace_until),
            retention_until=format_utc(case.retention_until),
            opening_arrears=to_cents(case.opening_arrears),
            frozen_at=format_utc(case.frozen_at) if case.frozen_at else None,
            closed_at=format_utc(case.closed_at) if case.closed_at else None,
        ),
        adjustments=[
            GraceAdjustmentInfo(
                reason=a.reason.value,
                old_days=a.old_days,
                new_days=a.new_days,
                adjusted_at=format_utc(a.adjusted_at),
            )
            for a in view.adjustments
        ],
    )


@operation(router, "PUT", _OPERATOR_PATH)
async def operator_set_on_demand_grace_period(
    ctx: OperationContext, customer_id: str, body: GracePeriodReq
) -> ArrearsInfo:
    """Set a customer's pay-per-use grace period (operator)

    Days (0 to 365) a customer's pay-per-use resources keep running once it is in arrears;
    then they are frozen for PARTNER_CENTER_ON_DEMAND_RETENTION_DAYS and released. A case
    still in its grace period is re-timed from its start. Association with a partner in the
    reseller model raises a period under 1 day to 1 day, leaving it raises one under 15 days to
    15 days; every change is listed in adjustments. Operator credentials.
    """
    view = await ctx.services.usage_arrears.set_grace_days(
        customer_id, body.grace_days, actor_id=ctx.caller.account_id
    )
    return _wire(view)


@operation(router, "GET", _OPERATOR_PATH)
async def operator_show_customer_arrears(ctx: OperationContext, customer_id: str) -> ArrearsInfo:
    """A customer's grace period, arrears and arrears case (operator)

    The grace period in days (own_grace_period false: the deployment's default), what the
    customer owes now, its current or last arrears case with its times, and every change of its
    grace period. Operator credentials.
    """
    return _wire(await ctx.services.usage_arrears.view(customer_id))


@operation(
    router, "GET", "/v1/partner-center/customers/{customer_id}/arrears", kind=CallerKind.PARTNER
)
async def show_customer_arrears(ctx: OperationContext, customer_id: str) -> ArrearsInfo:
    """One of the partner's customers: its pay-per-use grace period, arrears and arrears case

    CBC.99000035 when the customer is not associated with the partner.
    """
    await ctx.services.customers.get_for_partner(ctx.actor, customer_id)
    return _wire(await ctx.services.usage_arrears.view(customer_id))
