"""Partner finance, extension operations of ours (rules.md §6.10–6.16, the seed's Repayment
page): online repayment by card, the operator's confirmation of a bank transfer (its service
ticket), the payment records, the standard top-up account (the operator publishes it, partners
read it), and the Account Statements page — every top-up, repayment, allocation, reclaim,
refund and adjustment with the balance after each, a page at a time or as a CSV export with
sensitive fields masked.

No card number or CVC is ever stored, logged or answered: only the brand and last four digits.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field, StrictBool
from starlette.responses import Response

from partner_center.domains.balances.public import (
    Direction,
    StatementKind,
    StatementLine,
    statement_kind,
)
from partner_center.domains.billing.public import bill_reader
from partner_center.domains.payments.public import (
    CardInput,
    NewTopUpAccount,
    RepaymentView,
    StatementRange,
    TopUpAccountView,
    mask,
    payment_channel,
)
from partner_center.http.auth import CallerKind
from partner_center.http.ext import PREFIX
from partner_center.http.formats import WireAmount, cents_text, wire_amount
from partner_center.http.headers import IdempotencyKey
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import CHOICE, Doc, QueryModel, RowLimit, RowOffset
from partner_center.http.wire import WireModel, same_named, wire_responses
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(prefix=PREFIX, tags=["finance (extension)"])

_KINDS = " | ".join(k.value for k in StatementKind)


class TopUpAccountReq(WireModel):
    bank_name: str = Field(max_length=200)
    account_name: str = Field(max_length=200, description="The beneficiary")
    account_number: str = Field(max_length=64, description="Account number or IBAN")
    swift_code: str | None = Field(default=None, max_length=16)
    bank_address: str | None = Field(default=None, max_length=300)


class TopUpAccountItem(WireModel):
    bank_name: str
    account_name: str
    account_number: str
    swift_code: str | None = None
    bank_address: str | None = None
    currency: str
    updated_at: str = Field(description="When the operator published it, UTC")
    note: str = Field(description="What to do after transferring: a bank_transfer service ticket")


class StatementQuery(QueryModel):
    begin_date: Annotated[
        str | None, Doc("YYYY-MM-DD (billing time zone), default 30 days before end_date")
    ] = None
    end_date: Annotated[str | None, Doc("YYYY-MM-DD (billing time zone), default today")] = None
    type: Annotated[StatementKind | None, CHOICE, Doc(_KINDS)] = None
    format: Annotated[
        str | None, Doc("json (default) | csv: every line, sensitive fields masked")
    ] = None
    offset: RowOffset = None
    limit: RowLimit = None


class StatementItem(WireModel):
    id: str
    trade_time: str = Field(description="UTC")
    type: str = Field(description=_KINDS)
    trade_type: str = Field(description="The reference's trade type (RECHARGE, DEDEUCT ...)")
    trade_id: str
    direction: str = Field(description="income | expense")
    amount: str
    balance_after: str = Field(description="The account balance after this line")
    currency: str
    counterparty_id: str | None = None
    counterparty_account_name: str | None = None
    payment_reference: str | None = Field(
        default=None, description="The repayment or bank transfer it came from (masked)"
    )
    payment_channel: str | None = Field(
        default=None,
        description="How the money of a top-up reached the operator: bank_transfer | "
        "online_payment (absent on lines that moved no outside money)",
    )


class StatementList(WireModel):
    records: list[StatementItem]
    count: int


class CardReq(WireModel):
    number: str = Field(max_length=23, description="The card number (digits, spaces allowed)")
    exp_month: int = Field(description="1–12")
    exp_year: int = Field(description="Four digits")
    cvc: str = Field(max_length=4, description="3 or 4 digits")
    holder_name: str = Field(max_length=100)


class RepaymentReq(WireModel):
    amount: WireAmount = Field(
        description="> 0, at most 2 decimals, at most the remaining amount due and at most "
        "40,000 USD (PARTNER_CENTER_ONLINE_PAYMENT_LIMIT) per payment"
    )
    card: CardReq


class ConfirmTransferReq(WireModel):
    received_amount: WireAmount = Field(description="What reached the top-up account")


class RepaymentItem(WireModel):
    repayment_id: str
    status: str = Field(description="succeeded | declined")
    channel: str = Field(description="online | bank_transfer")
    amount: Decimal
    repaid_amount: Decimal = Field(description="The part that paid bills")
    remaining_due: Decimal = Field(description="The amount due after this repayment")
    currency: str
    card_brand: str | None = None
    card_last4: str | None = None
    decline_reason: str | None = None
    ticket_id: str | None = None
    created_at: str = Field(description="UTC")
    replayed: bool = Field(description="An idempotent retry: nothing moved this time")


class RepaymentList(WireModel):
    repayments: list[RepaymentItem]
    count: int


class PageQuery(QueryModel):
    offset: RowOffset = None
    limit: RowLimit = None


def _repayment(view: RepaymentView) -> RepaymentItem:
    return RepaymentItem(
        **same_named(view, "currency card_brand card_last4 decline_reason ticket_id replayed"),
        repayment_id=view.id,
        status=view.status.value,
        channel=view.channel.value,
        **same_named(view, "amount repaid_amount remaining_due", via=wire_amount),
        created_at=format_utc(view.created_at),
    )


def _account(view: TopUpAccountView) -> TopUpAccountItem:
    return TopUpAccountItem(
        **same_named(
            view, "bank_name account_name account_number swift_code bank_address currency"
        ),
        updated_at=format_utc(view.updated_at),
        note="After transferring, submit a service ticket of category bank_transfer with the "
        "amount, transfer date, payer and the transfer certificate; the account is topped up "
        "within three working days.",
    )


def _day(value: str | None, field: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise invalid_parameter(field, "Use YYYY-MM-DD.") from exc


def _item(line: StatementLine, currency: str) -> StatementItem:
    return StatementItem(
        **same_named(line, "id trade_type trade_id counterparty_id counterparty_account_name"),
        trade_time=format_utc(line.trade_time),
        type=statement_kind(line.trade_type, line.trade_detail_type).value,
        direction="income" if line.direction == Direction.INCOME else "expense",
        **same_named(line, "amount balance_after", via=cents_text),
        currency=currency,
        payment_reference=mask(line.payment_channel_no) or None,
        payment_channel=payment_channel(line) or None,
    )


@operation(router, "GET", "/top-up-account", kind=CallerKind.ANY_PARTNER)
async def show_top_up_account(ctx: OperationContext) -> TopUpAccountItem:
    """The standard top-up account for bank transfers

    The account the operator publishes for repayments by bank transfer (the latest one; older
    invoices may print an earlier account). CBC.99000047 until the operator publishes one.
    """
    return _account(await ctx.services.top_up_accounts.current())


@operation(router, "PUT", "/operator/top-up-account")
async def operator_set_top_up_account(
    ctx: OperationContext, body: TopUpAccountReq
) -> TopUpAccountItem:
    """Publish the standard top-up account (operator)

    Publishes a new standard top-up account: partners see it at once and the next invoices
    print it; earlier invoices keep the account they printed. Operator credentials.
    """
    view = await ctx.services.top_up_accounts.publish(
        NewTopUpAccount(
            **same_named(body, "bank_name account_name account_number swift_code bank_address"),
        ),
        actor_id=ctx.caller.account_id,
    )
    return _account(view)


@operation(
    router,
    "GET",
    "/account-statements",
    kind=CallerKind.PARTNER,
    response=StatementList,
    responses={
        **wire_responses(StatementList),
        200: {
            "description": "The records (JSON), or with format=csv the CSV export",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/StatementList"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
    },
)
async def list_account_statements(
    ctx: OperationContext, query: StatementQuery
) -> StatementList | Response:
    """Account statements: every movement of the partner's account with the balance after it

    Top-ups, repayments, allocations, reclaims, refunds and adjustments of the calling
    partner's account, newest first, each with the balance after it; filter by days (billing
    time zone, across months, at most a year at once: older statements by service ticket) and
    type. format=csv exports every matching line with counterparties and payment references
    masked.
    """
    end = (
        _day(query.end_date, "end_date")
        or ctx.services.clock.now().astimezone(ctx.services.settings.zone).date()
    )
    begin = _day(query.begin_date, "begin_date") or date.fromordinal(end.toordinal() - 30)
    window = StatementRange(begin=begin, end=end, kind=query.type)
    statements = ctx.services.account_statements
    fmt = (query.format or "json").lower()
    if fmt == "csv":
        text = await statements.export_csv(ctx.actor, window)
        name = f"account-statements-{begin.isoformat()}-{end.isoformat()}.csv"
        return Response(
            content=text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    if fmt != "json":
        raise invalid_parameter("format", "Use json or csv.")
    lines, total = await statements.page(ctx.actor, window, page(query.offset, query.limit))
    currency = ctx.services.settings.currency
    return StatementList(records=[_item(line, currency) for line in lines], count=total)


@operation(router, "POST", "/repayments", kind=CallerKind.PARTNER)
async def create_repayment(
    ctx: OperationContext, body: RepaymentReq, idempotency_key: IdempotencyKey
) -> RepaymentItem:
    """Repay the amount due online by card

    Charges the card and repays that much of the calling partner's amount due, oldest unpaid
    bill first; the account statements then show a top-up and a repayment. The amount is > 0
    with at most 2 decimals, at most the remaining amount due and at most 40,000 USD per
    payment; the card must pass the Luhn check and not be expired. Anything else is CBC.0100
    and changes nothing; a declined card answers status=declined and moves no money. With
    X-Idempotency-Key a retry answers the first result (replayed=true). Sandbox test cards:
    4242 4242 4242 4242 approves, 4000 0000 0000 0002 declines.
    """
    card = body.card
    view = await ctx.services.repayments.repay_online(
        ctx.actor.partner_id,
        body.amount,
        CardInput(
            **same_named(card, "number exp_month exp_year cvc holder_name"),
        ),
        actor_id=ctx.caller.account_id,
        idempotency_key=idempotency_key,
    )
    return _repayment(view)


@operation(router, "GET", "/repayments", kind=CallerKind.PARTNER)
async def list_repayments(ctx: OperationContext, query: PageQuery) -> RepaymentList:
    """The calling partner's payment records, newest first

    Online repayments (succeeded or declined, with the card's brand and last four digits) and
    confirmed bank transfers, newest first.
    """
    rows, total = await ctx.services.repayments.repayments(
        ctx.actor.partner_id, page(query.offset, query.limit)
    )
    return RepaymentList(repayments=[_repayment(r) for r in rows], count=total)


@operation(router, "POST", "/operator/tickets/{ticket_id}/confirm-transfer")
async def operator_confirm_bank_transfer(
    ctx: OperationContext, ticket_id: str, body: ConfirmTransferReq
) -> RepaymentItem:
    """Confirm a bank transfer with the amount received (operator)

    Tops up the partner's account with the amount received on its bank_transfer ticket and
    repays as much of its amount due as that covers, oldest bill first (the rest stays as
    account balance); the ticket is resolved and the partner e-mailed. Confirming again with
    the same amount answers the first confirmation (replayed=true) and moves nothing.
    Operator credentials.
    """
    view = await ctx.services.repayments.confirm_bank_transfer(
        ticket_id, body.received_amount, actor_id=ctx.caller.account_id
    )
    return _repayment(view)


# -- invoices (rules.md §6.19) ---------------------------------------------------------------


class InvoiceSettingsReq(WireModel):
    address: str | None = Field(default=None, max_length=500, description="Printed on invoices")
    email: str | None = Field(default=None, max_length=255, description="Receives the invoices")
    email_zero_months: StrictBool = Field(
        default=False, description="E-mail the invoice of a month with nothing to pay too"
    )


class InvoiceSettingsItem(WireModel):
    address: str | None = None
    email: str | None = None
    email_zero_months: bool


class IssueInvoicesReq(WireModel):
    cycle: str = Field(description="YYYY-MM, a billed cycle")


class IssueInvoicesResult(WireModel):
    cycle: str
    issued: int = Field(description="Invoices issued now (0 when the cycle was done already)")


@operation(
    router,
    "GET",
    "/invoices/{invoice_id}/pdf",
    kind=CallerKind.PARTNER,
    responses={
        **wire_responses(None),
        200: {"description": "The invoice", "content": {"application/pdf": {}}},
    },
)
async def download_invoice(ctx: OperationContext, invoice_id: str) -> Response:
    """Download one of your invoices (PDF)

    The invoice as issued: issuer, number, the bill's lines, tax, the amount due and the
    standard top-up account current at issue. list_invoices lists them (requestId is the id).
    """
    number, pdf = await ctx.services.invoices.pdf(bill_reader(ctx.actor), invoice_id)
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{number}.pdf"'},
    )


@operation(router, "GET", "/invoice-settings", kind=CallerKind.PARTNER)
async def show_invoice_settings(ctx: OperationContext) -> InvoiceSettingsItem:
    """Your invoice address and e-mail

    The address printed on the calling partner's invoices, the e-mail that receives them, and
    whether a month with nothing to pay is e-mailed too.
    """
    view = await ctx.services.invoices.settings(ctx.actor.partner_id)
    return InvoiceSettingsItem(
        address=view.address, email=view.email, email_zero_months=view.email_zero_months
    )


@operation(router, "PUT", "/invoice-settings", kind=CallerKind.PARTNER)
async def set_invoice_settings(
    ctx: OperationContext, body: InvoiceSettingsReq
) -> InvoiceSettingsItem:
    """Set your invoice address and e-mail

    Applies to invoices issued from now on; issued invoices keep what they printed.
    """
    view = await ctx.services.invoices.set_settings(
        ctx.actor.partner_id,
        address=body.address,
        email=body.email,
        email_zero_months=body.email_zero_months,
    )
    return InvoiceSettingsItem(
        address=view.address, email=view.email, email_zero_months=view.email_zero_months
    )


@operation(router, "POST", "/operator/invoices/issue")
async def operator_issue_invoices(
    ctx: OperationContext, body: IssueInvoicesReq
) -> IssueInvoicesResult:
    """Issue the invoices of a billed cycle now (operator)

    What the job at 03:00 on the 5th does: invoice (and e-mail) every partner bill of the cycle
    not invoiced yet. Idempotent. Operator credentials.
    """
    issued = await ctx.services.invoices.issue_cycle(body.cycle)
    return IssueInvoicesResult(cycle=body.cycle, issued=issued)


# -- consumption detail files (rules.md §6.21) -----------------------------------------------


class ConsumptionSubscriptionReq(WireModel):
    subscribed: StrictBool


class ConsumptionSubscriptionItem(WireModel):
    subscribed: bool


class ConsumptionFileItem(WireModel):
    cycle: str
    name: str
    size: int = Field(description="Bytes")
    sha256: str
    created_at: str = Field(description="When it was written, UTC")


class ConsumptionFileList(WireModel):
    files: list[ConsumptionFileItem]
    count: int


@operation(router, "PUT", "/consumption-files/subscription", kind=CallerKind.PARTNER)
async def set_consumption_file_subscription(
    ctx: OperationContext, body: ConsumptionSubscriptionReq
) -> ConsumptionSubscriptionItem:
    """Subscribe to the monthly consumption detail file

    With subscribed=true a CSV of the calling partner's customers' consumption (their bill
    lines) is written for each billed month by 03:00 on the 5th (billing time zone) to the
    configured folder, and listed here.
    """
    done = await ctx.services.consumption_files.subscribe(ctx.actor.partner_id, body.subscribed)
    return ConsumptionSubscriptionItem(subscribed=done)


@operation(router, "GET", "/consumption-files", kind=CallerKind.PARTNER)
async def list_consumption_files(ctx: OperationContext, query: PageQuery) -> ConsumptionFileList:
    """Your monthly consumption detail files, newest cycle first

    The files written for the calling partner: cycle, name, size and SHA-256.
    """
    rows, total = await ctx.services.consumption_files.files(
        ctx.actor.partner_id, page(query.offset, query.limit)
    )
    return ConsumptionFileList(
        files=[
            ConsumptionFileItem(
                **same_named(r, "cycle name size sha256"),
                created_at=format_utc(r.created_at),
            )
            for r in rows
        ],
        count=total,
    )


@operation(
    router,
    "GET",
    "/consumption-files/{cycle}",
    kind=CallerKind.PARTNER,
    responses={
        **wire_responses(None),
        200: {"description": "The CSV file", "content": {"text/csv": {}}},
    },
)
async def download_consumption_file(ctx: OperationContext, cycle: str) -> Response:
    """Download your consumption detail file of a cycle (CSV)

    The file as written on the 5th: one row per customer bill line of the cycle.
    """
    name, data = await ctx.services.consumption_files.content(ctx.actor.partner_id, cycle)
    return Response(
        content=data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
