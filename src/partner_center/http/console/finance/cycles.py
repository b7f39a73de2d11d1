"""Partner Bills, drilled down: one cycle's bill with its customers' bills, one customer's bill
lines (product, resource type, region); and the Create Service Ticket page the Bank Transfer tab
leads to (a ``bank_transfer`` ticket prefilled with the amount due, the certificate uploaded)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.billing.public import bill_reader
from partner_center.domains.tickets.public import BankTransfer, NewTicket, TicketCategory
from partner_center.http.auth import CallerKind
from partner_center.http.console.finance.pages import day_field
from partner_center.http.console.kit.forms import decimal_field
from partner_center.http.console.kit.page import Page, action, view
from partner_center.http.console.kit.products import product_names
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
PARTNER = CallerKind.PARTNER
CUSTOMERS_PER_PAGE = 20


@view(pages, "/console/finance/bills/customers", kind=PARTNER)
async def cycle_bill(page: Page) -> Response:
    """One cycle's partner bill and the customers' bills it is made of."""
    partner_id = bill_reader(page.actor)
    cycle = page.query("cycle")
    billing = page.services.billing
    detail = await billing.partner_bill(partner_id, cycle)
    offset = page.int_query("offset", 0)
    rows, total = await billing.customer_bills(
        partner_id, cycle, page_window(offset, CUSTOMERS_PER_PAGE)
    )
    names = await page.services.identity.accounts({r.customer_id for r in rows})
    return page.render(
        "finance/cycle.html",
        bill=detail.bill,
        resellers=detail.resellers,
        rows=rows,
        names={k: v.name for k, v in names.items()},
        total=total,
        offset=offset,
        limit=CUSTOMERS_PER_PAGE,
    )


@view(pages, "/console/finance/bills/customer", kind=PARTNER)
async def customer_bill(page: Page) -> Response:
    """One customer's bill of a cycle, line by line."""
    customer_id = page.query("customer_id")
    bill, lines = await page.services.billing.customer_bill_lines(
        bill_reader(page.actor), customer_id, page.query("cycle")
    )
    names = await page.services.identity.accounts({customer_id})
    return page.render(
        "finance/customer_bill.html",
        bill=bill,
        lines=lines,
        name=names[customer_id].name if customer_id in names else customer_id,
        products=await product_names(
            page,
            services={x.service_type_code for x in lines},
            resources={x.resource_type_code for x in lines},
        ),
    )


@view(pages, "/console/finance/repay/ticket", kind=PARTNER)
async def transfer_ticket(page: Page) -> Response:
    """Create Service Ticket, category bank transfer, prefilled with the amount due."""
    due = await page.services.billing.amount_due_view(bill_reader(page.actor))
    today = page.services.clock.now().astimezone(page.services.settings.zone).date()
    return page.render(
        "finance/ticket.html",
        due=due.total_amount_due.amount,
        currency=due.total_amount_due.currency,
        account=await page.services.top_up_accounts.latest(),
        today=today.isoformat(),
    )


@action(
    pages,
    "/console/finance/repay/transfer",
    form=transfer_ticket,
    fields="amount transfer_date payer attachment_ids title description",
)
async def repay_by_transfer(page: Page) -> Response:
    partner_id = page.actor.partner_id
    tickets = page.services.tickets
    certificate = page.upload("certificate")
    attachment_ids: tuple[str, ...] = ()
    if certificate is not None and certificate.filename:
        uploaded = await tickets.upload_attachment(
            partner_id, certificate.filename, await certificate.read()
        )
        attachment_ids = (uploaded.id,)
    ticket = await tickets.open_ticket(
        partner_id,
        NewTicket(
            category=TicketCategory.BANK_TRANSFER,
            title=page.field("title"),
            description=page.field("description"),
            attachment_ids=attachment_ids,
            bank_transfer=BankTransfer(
                amount=decimal_field(page.field("amount"), "amount"),
                transfer_date=day_field(page.field("transfer_date"), "transfer_date"),
                payer=page.field("payer"),
            ),
        ),
        opened_by=page.caller.member_id or page.caller.account_id,
    )
    return page.render("finance/result.html", repayment=None, ticket=ticket)
