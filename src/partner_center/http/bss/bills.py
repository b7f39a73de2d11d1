"""Bill operations of the reference API (api-semantics.md §3.11) served from the monthly bills:

* ``list_postpaid_bill_sum`` (intl, partner): the partner's monthly bill summary of a billed
  month; ``initial_amount_due = consume_amount + refunds + adjustments``, tax apart.
* ``list_consume_sub_customers`` (bss, partner): the customers with spending in a cycle while
  associated with the partner (directly or through its resellers), even if no longer associated.

Amounts are exact JSON numbers with 2 decimals in the site currency; refunds are negative.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.billing.public import parse_cycle
from partner_center.http.auth import CallerKind
from partner_center.http.headers import XLanguage
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Doc, QueryModel
from partner_center.http.wire import WireModel
from partner_center.kernel.money import to_cents
from partner_center.kernel.pagination import page

router = APIRouter(tags=["bills"])


class PostpaidBillSumQuery(QueryModel):
    bill_cycle: Annotated[str | None, Doc("YYYY-MM, a billed month", required=True)] = None


class ListPostpaidBillSumResponse(WireModel):
    bill_cycle: str
    initial_amount_due: Decimal = Field(description="consume_amount + refunds + adjustments")
    consume_amount: Decimal
    refunds: Decimal = Field(description="<= 0")
    adjustments: Decimal
    tax_amount: Decimal = Field(description="Not included in initial_amount_due")
    currency: str


@operation(router, "GET", "/v2/bills/partner-bills/postpaid-bill-summary", kind=CallerKind.PARTNER)
async def list_postpaid_bill_sum(
    ctx: OperationContext, query: PostpaidBillSumQuery
) -> ListPostpaidBillSumResponse:
    """Query a partner's monthly postpaid bill summary"""
    cycle = parse_cycle(query.bill_cycle or "", "bill_cycle")
    view = await ctx.services.billing.postpaid_summary(ctx.actor.partner_id, cycle)
    return ListPostpaidBillSumResponse(
        bill_cycle=view.cycle,
        initial_amount_due=to_cents(view.initial_amount_due),
        consume_amount=to_cents(view.consume_amount),
        refunds=to_cents(view.refunds),
        adjustments=to_cents(view.adjustments),
        tax_amount=to_cents(view.tax_amount),
        currency=view.currency,
    )


class ListConsumeSubCustomersReq(WireModel):
    bill_cycle: str = Field(description="YYYY-MM")
    offset: int | None = Field(default=None, description="0 to 2147483646, default 0")
    limit: int | None = Field(default=None, description="1 to 100, default 10")


class SubCustomerInfoV3(WireModel):
    customer_id: str


class ListConsumeSubCustomersResponse(WireModel):
    sub_customers: list[SubCustomerInfoV3]
    total_count: int


@operation(
    router,
    "POST",
    "/v2/bills/subcustomer-bills/res-fee-records/sub-customers/query",
    kind=CallerKind.PARTNER,
)
async def list_consume_sub_customers(
    ctx: OperationContext, body: ListConsumeSubCustomersReq, x_language: XLanguage
) -> ListConsumeSubCustomersResponse:
    """Query the customers with spending in a billing cycle"""
    cycle = parse_cycle(body.bill_cycle, "bill_cycle")
    window = page(body.offset, body.limit, max_offset=2_147_483_646)
    ids, total = await ctx.services.billing.consuming_customers(ctx.actor.partner_id, cycle, window)
    return ListConsumeSubCustomersResponse(
        sub_customers=[SubCustomerInfoV3(customer_id=i) for i in ids], total_count=total
    )
