"""Extension endpoints (ours, not the reference API) for the partner's monthly bills and what
it owes (issue 11, the seed's Repayment page):

* ``GET /v1/partner-center/partner-bills`` (partner): its bills, newest cycle first, paged;
  with ``bill_cycle=YYYY-MM`` that cycle's bill with its per-reseller breakdown and rounding
  residue.
* ``GET /v1/partner-center/amount-due`` (partner): the total amount due and the unpaid bills,
  oldest first (the "unpaid bills" dialog), and whether overdue bills freeze its benefits.
* ``PUT /v1/partner-center/consumption-quota/threshold`` (partner): the used consumption quota
  at which the partner is notified (topic ``PARTNER_BILLING``, rule 6.9).

Amounts are decimal strings with 2 decimals in the site currency; refunds are negative.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.billing.public import PartnerBillView, bill_reader, parse_cycle
from partner_center.http.auth import CallerKind
from partner_center.http.ext import PREFIX
from partner_center.http.formats import cents_text
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Doc, QueryModel, RowLimit, RowOffset
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.pagination import Page, page

router = APIRouter(prefix=PREFIX, tags=["partner bills (extension)"])


class ResellerBillOut(WireModel):
    reseller_id: str
    customer_count: int
    total_amount: str = Field(description="The reseller's customers' spend, 2 decimals")


class PartnerCouponUseOut(WireModel):
    coupon_id: str
    customer_id: str | None = Field(description="Set when the coupon is tied to a customer")
    amount: str = Field(description="Deducted from this bill, 2 decimals")
    balance_after: str = Field(description="The coupon's balance after this bill")


class PartnerBillOut(WireModel):
    bill_id: str
    bill_cycle: str = Field(description="YYYY-MM in the billing time zone")
    currency: str
    customer_count: int = Field(description="Reseller-model customers on the bill")
    consumption_amount: str = Field(description="Orders and pay-per-use, >= 0")
    refund_amount: str = Field(description="Unsubscriptions, <= 0")
    adjustment_amount: str = Field(description="Late usage of earlier cycles")
    coupon_amount: str = Field(description="Paid by the customers' coupons")
    total_amount: str = Field(
        description="Settlement: consumption + refunds + adjustments − coupons, rounded once"
    )
    partner_coupon_amount: str = Field(description="The partner's own cash coupons deducted")
    tax_rate: str
    tax_amount: str
    amount_due: str = Field(description="max(0, total − partner coupons + tax)")
    paid_amount: str
    remaining_amount: str
    issued_at: str
    due_date: str = Field(description="Unpaid after this instant (UTC) the bill is overdue")
    status: str = Field(description="unpaid | partially_paid | paid | overdue")
    resellers: list[ResellerBillOut] | None = Field(
        default=None, description="With bill_cycle, for a distributor: the spend per reseller"
    )
    partner_coupons: list[PartnerCouponUseOut] | None = Field(
        default=None,
        description="With bill_cycle: the partner's cash coupons that paid partner_coupon_amount, "
        "in the order they were used",
    )
    rounding_residue: dict[str, str] | None = Field(
        default=None,
        description="With bill_cycle: total − sum of the parts' rounded totals, per level "
        "(CUSTOMERS, RESELLERS)",
    )


class PartnerBillsQuery(QueryModel):
    bill_cycle: Annotated[str | None, Doc("YYYY-MM: only that cycle's bill, in detail")] = None
    offset: RowOffset = None
    limit: RowLimit = None


class PartnerBillsResponse(WireModel):
    total_count: int
    bills: list[PartnerBillOut]


class AmountDueResponse(WireModel):
    total_amount_due: str
    currency: str
    unpaid_bills: list[PartnerBillOut] = Field(description="Oldest cycle first")
    benefits_frozen: bool = Field(
        description="A bill is overdue: benefits and incentives are frozen until none is"
    )
    current_cycle: str = Field(description="The open billing cycle, YYYY-MM")
    current_cycle_estimate: str = Field(
        description="Its spend so far on the partner's bill (rule 6.3): orders and rated "
        "usage of its reseller-model customers, before tax and cash coupons"
    )


class QuotaThreshold(WireModel):
    threshold: Decimal | None = Field(
        description="Used consumption quota (2 decimals, >= 0) at which to notify; null = off"
    )


def bill_wire(view: PartnerBillView) -> PartnerBillOut:
    return PartnerBillOut(
        **same_named(view, "bill_id currency customer_count"),
        bill_cycle=view.cycle,
        **same_named(
            view,
            "consumption_amount refund_amount adjustment_amount coupon_amount total_amount"
            " partner_coupon_amount tax_amount amount_due paid_amount remaining_amount",
            via=cents_text,
        ),
        tax_rate=format(view.tax_rate.normalize(), "f"),
        issued_at=format_utc(view.issued_at),
        due_date=format_utc(view.due_at),
        status=view.status.value,
    )


@operation(router, "GET", "/partner-bills", kind=CallerKind.ANY_PARTNER)
async def list_partner_bills(
    ctx: OperationContext, query: PartnerBillsQuery
) -> PartnerBillsResponse:
    """The partner's monthly bills (partner)

    The calling partner's bills, newest cycle first, with consumption, refunds, adjustments,
    coupons, tax, amount due, paid and remaining amounts, due date and status. With
    ``bill_cycle`` only that cycle's bill, with the distributor's per-reseller breakdown, the
    partner's cash coupons that paid part of it and the rounding residue; a cycle without a bill is ``CBC.0100``.
    A member without the permission to view partner bills is refused, ``CBC.0151``.
    """
    partner_id = bill_reader(ctx.actor)
    if query.bill_cycle is not None:
        detail = await ctx.services.billing.partner_bill(partner_id, parse_cycle(query.bill_cycle))
        out = bill_wire(detail.bill)
        out.resellers = [
            ResellerBillOut(
                **same_named(r, "reseller_id customer_count"),
                total_amount=cents_text(r.total_amount),
            )
            for r in detail.resellers
        ]
        out.rounding_residue = {k: cents_text(v) for k, v in detail.residue.items()}
        out.partner_coupons = [
            PartnerCouponUseOut(
                **same_named(u, "coupon_id customer_id"),
                **same_named(u, "amount balance_after", via=cents_text),
            )
            for u in await ctx.services.partner_coupons.uses_of_bill(detail.bill.bill_id)
        ]
        return PartnerBillsResponse(total_count=1, bills=[out])
    window: Page = page(query.offset, query.limit)
    views, total = await ctx.services.billing.list_partner_bills(partner_id, window)
    return PartnerBillsResponse(total_count=total, bills=[bill_wire(v) for v in views])


@operation(router, "GET", "/amount-due", kind=CallerKind.ANY_PARTNER)
async def show_amount_due(ctx: OperationContext) -> AmountDueResponse:
    """What the partner owes (partner)

    The total amount due over every unpaid bill of the calling partner (current and earlier
    cycles, rule 6.7) and those bills, oldest first: the Repayment page's "unpaid bills".
    A member without the permission to view partner bills is refused, ``CBC.0151``.
    """
    partner_id = bill_reader(ctx.actor)
    due = await ctx.services.billing.amount_due_view(partner_id)
    return AmountDueResponse(
        total_amount_due=cents_text(due.total_amount_due.amount),
        currency=due.total_amount_due.currency,
        unpaid_bills=[bill_wire(v) for v in due.unpaid_bills],
        benefits_frozen=await ctx.services.billing.benefits_frozen(partner_id),
        current_cycle=due.current_cycle,
        current_cycle_estimate=cents_text(due.current_estimate.amount),
    )


@operation(router, "PUT", "/consumption-quota/threshold", kind=CallerKind.PARTNER)
async def set_consumption_quota_threshold(
    ctx: OperationContext, body: QuotaThreshold
) -> QuotaThreshold:
    """Set the consumption-quota notification threshold (partner)

    When the calling partner's used consumption quota reaches ``threshold``, the recipients of
    its ``PARTNER_BILLING`` topic are notified once (a daily check); the notification is armed
    again once the used quota is back below. ``null`` turns it off.
    """
    await ctx.services.billing.set_quota_threshold(ctx.actor.partner_id, body.threshold)
    return QuotaThreshold(threshold=body.threshold)
