"""Partner Bills: the amount due and the bills, Repay with its two tabs (Online Payment: an
amount at most the amount due and the online limit, and a card; Bank Transfer: the top-up
account and the way to a prefilled bank-transfer ticket, ``cycles.py``), the result page, and
the account statements with filters and CSV export. The operator confirms bank-transfer
tickets."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.balances.public import StatementKind, statement_kind
from partner_center.domains.billing.public import bill_reader, previous_cycle
from partner_center.domains.payments.public import CardInput, StatementRange, payment_channel
from partner_center.domains.tickets.public import TicketCategory, TicketFilter, TicketStatus
from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.forms import decimal_field
from partner_center.http.console.kit.page import Page, action, view
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
PARTNER = CallerKind.PARTNER
OPERATOR = CallerKind.OPERATOR
BILLS = "/console/finance/bills"


async def _bills_context(page: Page) -> dict[str, Any]:
    partner_id = bill_reader(page.actor)
    due = await page.services.billing.amount_due_view(partner_id)
    offset = page.int_query("offset", 0)
    bills, total = await page.services.billing.list_partner_bills(
        partner_id, page_window(offset, 12)
    )
    return {
        "due": due.total_amount_due.amount,
        "currency": due.total_amount_due.currency,
        "unpaid": due.unpaid_bills,
        "bills": bills,
        "total": total,
        "offset": offset,
        "limit": 12,
        "limit_online": page.services.repayments.online_limit,
        "quota": await page.services.balances.consumption_quota(page.actor),
    }


@view(pages, BILLS, kind=PARTNER)
async def partner_bills(page: Page) -> Response:
    return page.render("finance/bills.html", **await _bills_context(page))


@view(pages, "/console/finance/repay", kind=PARTNER)
async def repay(page: Page) -> Response:
    context = await _bills_context(page)
    tab = page.query("tab") or page.field("tab") or "online"
    return page.render(
        "finance/repay.html",
        tab=tab if tab in ("online", "transfer") else "online",
        account=await page.services.top_up_accounts.latest(),
        **context,
    )


def _int(text: str, field: str) -> int:
    if not text.strip().isdigit():
        raise invalid_parameter(field, "Enter a number.")
    return int(text)


@action(pages, "/console/finance/repay/amount", form=repay, fields="amount")
async def repay_amount(page: Page) -> Response:
    """Online Payment, first step: the amount (checked by the service), then the card."""
    amount = await page.services.repayments.check_online_amount(
        page.actor.partner_id, decimal_field(page.field("amount"), "amount")
    )
    return page.render("finance/card.html", amount=amount, currency=page.services.settings.currency)


@view(pages, "/console/finance/repay/card", kind=PARTNER)
async def repay_card(page: Page) -> Response:
    """Online Payment, second step: the card (shown again with the error of a refused card)."""
    return page.render(
        "finance/card.html",
        amount=page.field("amount") or page.query("amount"),
        currency=page.services.settings.currency,
    )


@action(
    pages,
    "/console/finance/repay/online",
    form=repay_card,
    fields="amount number exp_month exp_year cvc holder_name card",
)
async def repay_online(page: Page) -> Response:
    result = await page.services.repayments.repay_online(
        page.actor.partner_id,
        decimal_field(page.field("amount"), "amount"),
        CardInput(
            number=page.field("number").replace(" ", ""),
            exp_month=_int(page.field("exp_month"), "exp_month"),
            exp_year=_int(page.field("exp_year"), "exp_year"),
            cvc=page.field("cvc"),
            holder_name=page.field("holder_name"),
        ),
        actor_id=page.caller.account_id,
        idempotency_key=page.field("idempotency_key") or None,
    )
    return page.render("finance/result.html", repayment=result, ticket=None)


def day_field(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise invalid_parameter(field, "Use YYYY-MM-DD.") from exc


@view(pages, "/console/finance/statements", kind=PARTNER)
async def statements(page: Page) -> Response:
    today = page.services.clock.now().astimezone(page.services.settings.zone).date()
    end = day_field(page.query("end_date"), "end_date") if page.query("end_date") else today
    begin = (
        day_field(page.query("begin_date"), "begin_date")
        if page.query("begin_date")
        else end - timedelta(days=30)
    )
    kind_text = page.query("type")
    kind = StatementKind(kind_text) if kind_text in {k.value for k in StatementKind} else None
    window = StatementRange(begin=begin, end=end, kind=kind)
    service = page.services.account_statements
    if page.query("format") == "csv":
        name = f"account-statements-{begin.isoformat()}-{end.isoformat()}.csv"
        return Response(
            await service.export_csv(page.actor, window),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    offset = page.int_query("offset", 0)
    lines, total = await service.page(page.actor, window, page_window(offset, 20))
    return page.render(
        "finance/statements.html",
        lines=lines,
        kind_of={
            line.id: statement_kind(line.trade_type, line.trade_detail_type).value for line in lines
        },
        channel_of={line.id: payment_channel(line) for line in lines},
        total=total,
        offset=offset,
        limit=20,
        begin=begin.isoformat(),
        end=end.isoformat(),
        type=kind_text,
        kinds=list(StatementKind),
        currency=page.services.settings.currency,
    )


@view(pages, "/console/finance/invoices", kind=PARTNER)
async def invoices(page: Page) -> Response:
    """The partner's invoices of the last twelve months (PDF download)."""
    now = page.services.clock.now()
    offset = page.int_query("offset", 0)
    rows, total = await page.services.invoices.invoices(
        bill_reader(page.actor),
        start=now - timedelta(days=366),
        end=now,
        page=page_window(offset, 20),
    )
    return page.render("finance/invoices.html", rows=rows, total=total, offset=offset, limit=20)


@view(pages, "/console/finance/invoices/pdf", kind=PARTNER)
async def invoice_pdf(page: Page) -> Response:
    number, pdf = await page.services.invoices.pdf(
        bill_reader(page.actor), page.query("invoice_id")
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{number}.pdf"'},
    )


# -- the operator: bank-transfer tickets ------------------------------------------------------


@view(pages, "/console/operator/tickets", kind=OPERATOR)
async def ticket_queue(page: Page) -> Response:
    offset = page.int_query("offset", 0)
    status_text = page.query("status")
    status = TicketStatus(status_text) if status_text in {s.value for s in TicketStatus} else None
    category_text = page.query("category", TicketCategory.BANK_TRANSFER.value)
    category = (
        TicketCategory(category_text)
        if category_text in {c.value for c in TicketCategory}
        else None
    )
    rows, total = await page.services.tickets.tickets(
        TicketFilter(status=status, category=category), page_window(offset, 20)
    )
    names = await page.services.identity.accounts({r.partner_id for r in rows})
    return page.render(
        "finance/tickets.html",
        rows=rows,
        names={k: v.name for k, v in names.items()},
        total=total,
        offset=offset,
        limit=20,
        status=status_text,
        category=category_text,
        statuses=list(TicketStatus),
        categories=list(TicketCategory),
    )


@action(
    pages,
    "/console/operator/tickets/confirm",
    form=ticket_queue,
    fields="received_amount ticket_id",
)
async def confirm_transfer(page: Page) -> Response:
    await page.services.repayments.confirm_bank_transfer(
        page.field("ticket_id"),
        decimal_field(page.field("received_amount"), "received_amount"),
        actor_id=page.caller.account_id,
    )
    return page.redirect("/console/operator/tickets", notice="transfer_confirmed")


# -- the operator: consumption quotas and bill runs -------------------------------------------


@view(pages, "/console/operator/quota", kind=OPERATOR)
async def partner_quota(page: Page) -> Response:
    partner_id = page.query("partner_id") or page.field("partner_id")
    partner = await page.services.partners.get(partner_id)
    if partner is None:
        raise invalid_parameter("partner_id", "No such partner.")
    quota = await page.services.balances.partner_quota(partner_id)
    return page.render("finance/quota.html", partner_view=partner, quota=quota)


@action(pages, "/console/operator/quota", form=partner_quota, fields="consumption_quota")
async def set_partner_quota(page: Page) -> Response:
    partner_id = page.field("partner_id")
    await page.services.balances.set_consumption_quota(
        partner_id,
        decimal_field(page.field("consumption_quota"), "consumption_quota"),
        actor_id=page.caller.account_id,
    )
    return page.redirect(f"/console/operator/quota?partner_id={partner_id}", notice="quota_set")


@view(pages, "/console/operator/bill-runs", kind=OPERATOR)
async def bill_runs(page: Page) -> Response:
    """The bill runs of the last twelve cycles and their state."""
    runner = page.services.billing.runner
    cycle = runner.cycle_to_bill(page.services.clock.now())
    reports = []
    for _ in range(12):
        reports.append(await runner.report(cycle))
        cycle = previous_cycle(cycle)
    return page.render("finance/bill_runs.html", reports=reports)
