"""list_invoices (bssintl, api-semantics.md §3.11): the caller's invoices — one per partner bill,
issued on the 5th (rules.md §6.19) — in the reference's camelCase fields. A customer has none
(its reseller partner is the one billed). The PDF, the invoice address and e-mail are our
extensions in ``http/ext/finance.py``."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.invoices.public import InvoiceView
from partner_center.http.auth import CallerKind
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import parse_time, wire_amount
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Doc, IntOrBlank, QueryModel
from partner_center.http.wire import WireModel
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import access_denied, invalid_parameter
from partner_center.kernel.pagination import Page

router = APIRouter(tags=["bills"])

#: invoiceState 8: done (issued and final); invoiceMethod 0: per billing cycle.
INVOICE_DONE = 8
INVOICE_PER_CYCLE = 0


class ListInvoicesQuery(QueryModel):
    start_time: Annotated[
        str | None, Doc("Issued from, UTC yyyy-MM-ddTHH:mm:ssZ", required=True)
    ] = None
    end_time: Annotated[
        str | None, Doc("Issued until, UTC yyyy-MM-ddTHH:mm:ssZ", required=True)
    ] = None
    offset: Annotated[
        IntOrBlank, Doc("The page, from 1 (0 reads as 1)", required=True, schema={"minimum": 0})
    ] = None
    limit: Annotated[
        IntOrBlank, Doc("Rows a page, 1–100", required=True, schema={"minimum": 1, "maximum": 100})
    ] = None


@sdk_model(fields="address recipients")
class PostAddressInfoIntl(WireModel):
    pass


@sdk_model(fields="taxClass taxRate taxAmount", required="*")
class TaxInfo(WireModel):
    """The reference spells these fields in camelCase."""


@sdk_model(
    fields=(
        "requestId invoiceNo invoiceTitle invoiceAmount invoiceMethod invoiceState "
        "requestMode applyTime billCycle email addressInfo taxList"
    ),
    required="invoiceNo invoiceTitle billCycle taxList",
)
class InvoiceRequestInfoIntl(WireModel):
    requestId: str = Field(description="The invoice's id")
    invoiceAmount: Decimal = Field(description="The bill's amount due, tax included")
    invoiceMethod: int = Field(description="0 per billing cycle")
    invoiceState: int = Field(description="8 done")
    requestMode: str = Field(description='"0" issue')
    applyTime: str = Field(description="When it was issued, UTC")


@sdk_model(required="*")
class ListInvoicesResponse(WireModel):
    pass


def _invoice(view: InvoiceView) -> InvoiceRequestInfoIntl:
    return InvoiceRequestInfoIntl(
        requestId=view.id,
        invoiceNo=view.invoice_no,
        invoiceTitle=view.title,
        invoiceAmount=wire_amount(view.amount),
        invoiceMethod=INVOICE_PER_CYCLE,
        invoiceState=INVOICE_DONE,
        requestMode="0",
        applyTime=format_utc(view.issued_at),
        billCycle=view.cycle,
        email=view.email,
        addressInfo=PostAddressInfoIntl(address=view.address) if view.address else None,
        taxList=[
            TaxInfo(
                taxClass="TAX",
                taxRate=format(view.tax_rate.normalize(), "f"),
                taxAmount=wire_amount(view.tax_amount),
            )
        ],
    )


@operation(
    router, "GET", "/v1.0/{domain_id}/payments/intl-invoices", kind=CallerKind.PARTNER_OR_CUSTOMER
)
async def list_invoices(
    ctx: OperationContext, domain_id: str, query: ListInvoicesQuery
) -> ListInvoicesResponse:
    """Query invoices (intl)

    The caller's invoices issued between start_time and end_time (all four parameters
    required; offset is a page number), newest first: one per partner bill, issued with the
    bill on the 5th. The path's domain id is the caller's own account.
    """
    if domain_id != ctx.caller.account_id:
        raise access_denied("The domain id in the path is not the caller's account.")
    start = parse_time(query.start_time, "start_time")
    end = parse_time(query.end_time, "end_time")
    if start is None or end is None or query.offset is None or query.limit is None:
        missing = next(
            name
            for name, value in (
                ("start_time", start),
                ("end_time", end),
                ("offset", query.offset),
                ("limit", query.limit),
            )
            if value is None
        )
        raise invalid_parameter(missing, "Required.")
    if query.offset < 0:
        raise invalid_parameter("offset", "A page number from 1.")
    if not 1 <= query.limit <= 100:
        raise invalid_parameter("limit", "Must be between 1 and 100.")
    number = max(query.offset, 1)
    rows, total = await ctx.services.invoices.invoices(
        ctx.caller.account_id,
        start=start,
        end=end,
        page=Page((number - 1) * query.limit, query.limit),
    )
    return ListInvoicesResponse(count=total, invoices=[_invoice(r) for r in rows])
