"""Partner and customer money operations of the partner API (api-semantics.md §3.4–3.5):
list_partner_balances, update_customer_account_amount, reclaim_to_partner_account,
list_customers_balances_detail, list_partner_account_change_records,
list_partner_adjust_records, show_customer_account_balances,
list_customer_account_change_records, show_partner_consumption_quota,
show_customer_expenditure_quota, update_indirect_partner_account and
reclaim_indirect_partner_account.

Wire decisions:

* Amounts are exact: a value with at most 2 decimals is written with 2 (``100.00``), a charge's
  finer amount with its own digits. Record amounts and quota figures are strings, as the SDK
  declares them; the consumption quota's figures are rounded half-up to cents first and
  ``used_consumption_quota`` is computed from the rounded figures, so the formula holds on the
  wire.
* ``trade_time_begin``/``_end`` are ``YYYY-MM-DD`` days in the billing time zone (UTC+8 by
  default), both inclusive; absent = one year ago / today. ``operation_time_*`` are UTC.
* An empty string in an optional filter means "no filter"; an unknown enumeration value is
  ``CBC.0100``.
* Retries: the SDK sends no idempotency key, so every call is a new operation. A client may add
  ``X-Idempotency-Key`` (1–64 of letters, digits, ``._:-``) to the four money-moving
  operations: a retry with the same key and the same body returns the first result and moves
  nothing; the same key with another body is ``CBC.99007009``. Keys are scoped to the calling
  partner and the kind of operation.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BeforeValidator, Field
from starlette.requests import Request
from starlette.responses import Response

from partner_center.domains.balances.public import (
    ADJUST_OPERATION_TYPES,
    BALANCE_TYPE_CREDIT,
    BALANCE_TYPE_DEBIT,
    CONSUMPTION_TRADE_TYPES,
    CUSTOMER_TRADE_TYPES,
    PARTNER_TRADE_TYPES,
    PAYMENT_CHANNELS,
    AdjustRecordQuery,
    BalanceService,
    Direction,
    StatementLine,
    StatementQuery,
)
from partner_center.http.auth import CallerKind
from partner_center.http.operations import OperationContext, run_operation
from partner_center.http.wire import WireModel, wire_body, wire_responses
from partner_center.kernel.clock import format_utc, local_date_in, parse_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import CENT, decimal_places, to_cents
from partner_center.kernel.pagination import Page, page

router = APIRouter(tags=["balances"])

MEASURE_ID = 1
IDEMPOTENCY_HEADER = "X-Idempotency-Key"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def balance_service(ctx: OperationContext) -> BalanceService:
    return ctx.services.balances


def _number_only(value: Any) -> Any:
    """Amounts are JSON numbers: a string, boolean or float is refused (never coerced)."""
    if isinstance(value, bool | str | float):
        raise ValueError("must be a JSON number")
    return value


WireAmount = Annotated[Decimal, BeforeValidator(_number_only)]


def wire_amount(value: Decimal) -> Decimal:
    """Exact, with at least 2 decimals (``100`` → ``100.00``; ``0.12345678`` stays)."""
    return value.quantize(CENT) if decimal_places(value) <= 2 else value.normalize()


def wire_text(value: Decimal) -> str:
    return format(wire_amount(value), "f")


def cents_text(value: Decimal) -> str:
    return format(to_cents(value), "f")


# -- wire models (field for field as the official SDK's) --------------------------------------


class AccountBalanceV2(WireModel):
    account_id: str | None = None
    account_type: int | None = Field(default=None, description="1 cash, 2 credit")
    amount: Decimal | None = None
    currency: str | None = None
    designated_amount: Decimal | None = None
    credit_amount: Decimal | None = Field(default=None, description="Type 2 only: the quota")
    measure_id: int | None = None
    memo: str | None = None


class ListPartnerBalancesResponse(WireModel):
    account_balances: list[AccountBalanceV2]


class AdjustAccountReq(WireModel):
    customer_id: str = Field(max_length=64)
    amount: WireAmount = Field(description="> 0, at most 2 decimals")
    indirect_partner_id: str | None = Field(default=None, max_length=64)


class UpdateCustomerAccountAmountResponse(WireModel):
    transfer_id: str


class ReclaimToPartnerAccountBalancesReq(WireModel):
    customer_id: str = Field(max_length=64)
    amount: WireAmount = Field(description="> 0, at most 2 decimals, <= the customer's balance")
    indirect_partner_id: str | None = Field(default=None, max_length=64)


class ReclaimToPartnerAccountResponse(WireModel):
    trans_id: str


class CustomerInfoV2(WireModel):
    customer_id: str = Field(max_length=64)


class QueryCustomersBalancesReq(WireModel):
    customer_infos: list[CustomerInfoV2] = Field(description="1 to 100 customers")
    indirect_partner_id: str | None = Field(default=None, max_length=64)


class CustomerBalancesV2(WireModel):
    customer_id: str | None = None
    debt_amount: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None
    measure_id: int | None = None


class ListCustomersBalancesDetailResponse(WireModel):
    customer_balances: list[CustomerBalancesV2]


class AccountChangeRecord(WireModel):
    account_change_id: str | None = None
    trade_detail_type: str | None = None
    trade_time: str | None = Field(default=None, description="UTC")
    trade_id: str | None = None
    change_amount: str | None = None
    balance_after_change: str | None = None
    type: str | None = Field(default=None, description="1 income, 2 expense")
    customer_id: str | None = None
    account_name: str | None = None


class ListPartnerAccountChangeRecordsResponse(WireModel):
    total_count: int
    currency: str
    records: list[AccountChangeRecord]


class AdjustRecordV3(WireModel):
    customer_id: str | None = None
    customer_name: str | None = None
    operation_type: str | None = None
    amount: str | None = None
    currency: str | None = None
    apply_scene: str | None = None
    operation_time: str | None = Field(default=None, description="UTC")
    measure_id: int | None = None
    trans_id: str | None = None
    memo: str | None = None


class ListPartnerAdjustRecordsResponse(WireModel):
    records: list[AdjustRecordV3]
    total_count: int


class AccountBalanceV3(WireModel):
    account_id: str | None = None
    account_type: int | None = None
    amount: Decimal | None = None
    currency: str | None = None
    designated_amount: Decimal | None = None
    credit_amount: Decimal | None = None
    measure_id: int | None = None


class ShowCustomerAccountBalancesResponse(WireModel):
    account_balances: list[AccountBalanceV3]
    debt_amount: Decimal
    measure_id: int
    currency: str


class CustomerAccountChangeRecord(WireModel):
    account_change_id: str | None = None
    trade_detail_type: str | None = None
    trade_time: str | None = None
    trade_id: str | None = None
    change_amount: str | None = None
    balance_after_change: str | None = None
    revenue_expense_type: str | None = Field(default=None, description="REVENUE | EXPENSE")
    bill_cycle: str | None = Field(default=None, description="YYYY-MM, billing time zone")
    payment_channel_id: str | None = None
    payment_channel_no: str | None = None
    consume_time: str | None = None
    account_name: str | None = None
    cloud_service_type_name: str | None = None
    resource_type_name: str | None = None


class ListCustomerAccountChangeRecordsResponse(WireModel):
    total_count: int
    currency: str
    records: list[CustomerAccountChangeRecord]


class ShowPartnerConsumptionQuotaResponse(WireModel):
    consumption_quota: str
    amount: str
    coupon_amount: str
    due_amount: str
    unbilled_amount: str
    used_consumption_quota: str = Field(
        description="due_amount + unbilled_amount - amount - coupon_amount"
    )
    measure_id: int
    currency: str


class ShowCustomerExpenditureQuotaResponse(WireModel):
    granting_amount: Decimal
    granting_amount_used: Decimal
    percentage_granting_amount_used: Decimal
    measure_id: int
    currency: str


class AdjustToIndirectPartnerReq(WireModel):
    indirect_partner_id: str = Field(max_length=64)
    amount: WireAmount = Field(description="> 0, at most 2 decimals")


class UpdateIndirectPartnerAccountResponse(WireModel):
    transfer_id: str


class ReclaimIndirectPartnerAccountReq(WireModel):
    indirect_partner_id: str = Field(max_length=64)
    amount: WireAmount = Field(description="> 0, at most 2 decimals, <= the reseller's balance")


class ReclaimIndirectPartnerAccountResponse(WireModel):
    trans_id: str


# -- request helpers --------------------------------------------------------------------------


def _query(request: Request, name: str) -> str | None:
    """A query parameter; ``""`` reads as absent (not a filter)."""
    return request.query_params.get(name) or None


def _query_int(request: Request, name: str) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise invalid_parameter(name, "Must be an integer.") from exc


def _page(request: Request) -> Page:
    return page(_query_int(request, "offset"), _query_int(request, "limit"), max_limit=100)


def _idempotency_key(request: Request) -> str | None:
    return request.headers.get(IDEMPOTENCY_HEADER)


def _day(request: Request, name: str) -> date | None:
    text = _query(request, name)
    if text is None:
        return None
    if not _DATE.match(text):
        raise invalid_parameter(name, "Use YYYY-MM-DD (UTC+8).")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise invalid_parameter(name, "Not a calendar date.") from exc


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day - timedelta(days=365)


def _statement_query(
    ctx: OperationContext, request: Request, trade_types: frozenset[str]
) -> tuple[bool, StatementQuery]:
    balance_type = request.query_params.get("balance_type")
    if balance_type not in (BALANCE_TYPE_DEBIT, BALANCE_TYPE_CREDIT):
        raise invalid_parameter(
            "balance_type", f"Required: {BALANCE_TYPE_DEBIT} or {BALANCE_TYPE_CREDIT}."
        )
    trade_type = _query(request, "trade_type")
    if trade_type is not None and trade_type not in trade_types:
        raise invalid_parameter("trade_type", f"Use one of {', '.join(sorted(trade_types))}.")
    today = date.fromisoformat(local_date_in(ctx.state.settings.zone, ctx.state.clock.now()))
    end = _day(request, "trade_time_end") or today
    begin = _day(request, "trade_time_begin") or _year_before(end)
    if begin > end:
        raise invalid_parameter("trade_time_begin", "Must not be after trade_time_end.")
    return balance_type == BALANCE_TYPE_CREDIT, StatementQuery(
        begin=begin, end=end, trade_type=trade_type
    )


def _time(request: Request, name: str) -> datetime | None:
    text = _query(request, name)
    if text is None:
        return None
    try:
        return parse_utc(text)
    except ValueError as exc:
        raise invalid_parameter(name, "Use the UTC format yyyy-MM-ddTHH:mm:ssZ.") from exc


def _query_parameters(*params: tuple[str, str, bool, str]) -> dict[str, Any]:
    """``openapi_extra`` documenting query parameters (name, type, required, description)."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": required,
                "schema": {"type": kind},
                "description": description,
            }
            for name, kind, required, description in params
        ]
    }


def _with_idempotency_header(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        **extra,
        "parameters": [
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 64},
                "description": "Ours: a retry with the same key and body moves nothing again.",
            }
        ],
    }


_RESELLER = ("indirect_partner_id", "string", False, "A distributor's reseller")
_PAGING = (
    ("offset", "integer", False, "0-based row offset; default 0"),
    ("limit", "integer", False, "1 to 100; default 10"),
)
_DAYS = (
    ("trade_time_begin", "string", False, "YYYY-MM-DD, UTC+8; default a year before the end"),
    ("trade_time_end", "string", False, "YYYY-MM-DD, UTC+8; default today"),
)


# -- partner balances and allocations ---------------------------------------------------------


@router.get(
    "/v2/accounts/partner-accounts/balances",
    operation_id="list_partner_balances",
    summary="The partner's cash and credit accounts (or a reseller's, for its distributor)",
    openapi_extra=_query_parameters(_RESELLER),
    responses=wire_responses(ListPartnerBalancesResponse),
)
async def list_partner_balances(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ListPartnerBalancesResponse:
        rows = await balance_service(ctx).partner_balances(
            ctx.actor, indirect_partner_id=_query(request, "indirect_partner_id")
        )
        return ListPartnerBalancesResponse(
            account_balances=[
                AccountBalanceV2(
                    account_id=r.account_id,
                    account_type=r.account_type,
                    amount=wire_amount(r.amount),
                    currency=r.currency,
                    designated_amount=wire_amount(r.designated_amount),
                    credit_amount=None if r.credit_amount is None else wire_amount(r.credit_amount),
                    measure_id=MEASURE_ID,
                    memo=r.memo,
                )
                for r in rows
            ]
        )

    return await run_operation(
        request,
        api="list_partner_balances",
        kind=CallerKind.PARTNER,
        body_model=None,
        handler=handle,
    )


@router.post(
    "/v2/accounts/partner-accounts/adjust-amount",
    operation_id="update_customer_account_amount",
    summary="Allocate funds from the partner's (or a reseller's) account to a customer",
    openapi_extra=_with_idempotency_header(wire_body(AdjustAccountReq)),
    responses=wire_responses(UpdateCustomerAccountAmountResponse),
)
async def update_customer_account_amount(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: AdjustAccountReq
    ) -> UpdateCustomerAccountAmountResponse:
        movement = await balance_service(ctx).allocate_to_customer(
            ctx.actor,
            customer_id=body.customer_id,
            amount=body.amount,
            indirect_partner_id=body.indirect_partner_id or None,
            idempotency_key=_idempotency_key(request),
        )
        return UpdateCustomerAccountAmountResponse(transfer_id=movement.id)

    return await run_operation(
        request,
        api="update_customer_account_amount",
        kind=CallerKind.PARTNER,
        body_model=AdjustAccountReq,
        handler=handle,
    )


@router.post(
    "/v2/accounts/partner-accounts/reclaim",
    operation_id="reclaim_to_partner_account",
    summary="Reclaim funds from a customer's balance to the partner's (or reseller's) account",
    openapi_extra=_with_idempotency_header(wire_body(ReclaimToPartnerAccountBalancesReq)),
    responses=wire_responses(ReclaimToPartnerAccountResponse),
)
async def reclaim_to_partner_account(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: ReclaimToPartnerAccountBalancesReq
    ) -> ReclaimToPartnerAccountResponse:
        movement = await balance_service(ctx).reclaim_from_customer(
            ctx.actor,
            customer_id=body.customer_id,
            amount=body.amount,
            indirect_partner_id=body.indirect_partner_id or None,
            idempotency_key=_idempotency_key(request),
        )
        return ReclaimToPartnerAccountResponse(trans_id=movement.id)

    return await run_operation(
        request,
        api="reclaim_to_partner_account",
        kind=CallerKind.PARTNER,
        body_model=ReclaimToPartnerAccountBalancesReq,
        handler=handle,
    )


@router.post(
    "/v2/accounts/customer-accounts/balances/batch-query",
    operation_id="list_customers_balances_detail",
    summary="Balances of the partner's reseller-model customers (referral customers left out)",
    openapi_extra=wire_body(QueryCustomersBalancesReq),
    responses=wire_responses(ListCustomersBalancesDetailResponse),
)
async def list_customers_balances_detail(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: QueryCustomersBalancesReq
    ) -> ListCustomersBalancesDetailResponse:
        rows = await balance_service(ctx).customer_balances(
            ctx.actor,
            [c.customer_id for c in body.customer_infos],
            indirect_partner_id=body.indirect_partner_id or None,
        )
        return ListCustomersBalancesDetailResponse(
            customer_balances=[
                CustomerBalancesV2(
                    customer_id=r.customer_id,
                    debt_amount=wire_amount(r.debt_amount),
                    amount=wire_amount(r.amount),
                    currency=r.currency,
                    measure_id=MEASURE_ID,
                )
                for r in rows
            ]
        )

    return await run_operation(
        request,
        api="list_customers_balances_detail",
        kind=CallerKind.PARTNER,
        body_model=QueryCustomersBalancesReq,
        handler=handle,
    )


def _partner_record(line: StatementLine) -> AccountChangeRecord:
    return AccountChangeRecord(
        account_change_id=line.id,
        trade_detail_type=line.trade_detail_type,
        trade_time=format_utc(line.trade_time),
        trade_id=line.trade_id,
        change_amount=wire_text(line.amount),
        balance_after_change=wire_text(line.balance_after),
        type=str(int(line.direction)),
        customer_id=line.counterparty_id,
        account_name=line.counterparty_account_name,
    )


@router.get(
    "/v2/accounts/partner-accounts/account-change-records",
    operation_id="list_partner_account_change_records",
    summary="The partner's (or a reseller's) income and expense records, newest first",
    openapi_extra=_query_parameters(
        ("balance_type", "string", True, "BALANCE_TYPE_DEBIT (cash) | BALANCE_TYPE_CREDIT"),
        ("trade_type", "string", False, "RECHARGE, DEDEUCT, REFUND, ADJUST, BEADJUST, ..."),
        *_DAYS,
        *_PAGING,
        _RESELLER,
    ),
    responses=wire_responses(ListPartnerAccountChangeRecordsResponse),
)
async def list_partner_account_change_records(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ListPartnerAccountChangeRecordsResponse:
        credit, query = _statement_query(ctx, request, PARTNER_TRADE_TYPES)
        lines, total = await balance_service(ctx).partner_statement(
            ctx.actor,
            credit=credit,
            query=query,
            page=_page(request),
            indirect_partner_id=_query(request, "indirect_partner_id"),
        )
        return ListPartnerAccountChangeRecordsResponse(
            total_count=total,
            currency=ctx.state.settings.currency,
            records=[_partner_record(line) for line in lines],
        )

    return await run_operation(
        request,
        api="list_partner_account_change_records",
        kind=CallerKind.PARTNER,
        body_model=None,
        handler=handle,
    )


@router.get(
    "/v3/accounts/partner-accounts/adjust-records",
    operation_id="list_partner_adjust_records",
    summary="Allocations, reclaims and disassociation returns of the partner (or a reseller)",
    openapi_extra=_query_parameters(
        ("customer_id", "string", False, "A customer or (for a distributor) a reseller"),
        ("operation_type", "string", False, ", ".join(ADJUST_OPERATION_TYPES)),
        ("operation_time_begin", "string", False, "UTC yyyy-MM-ddTHH:mm:ssZ"),
        ("operation_time_end", "string", False, "UTC yyyy-MM-ddTHH:mm:ssZ"),
        ("trans_id", "string", False, "The operation's trans_id / transfer_id"),
        *_PAGING,
        _RESELLER,
    ),
    responses=wire_responses(ListPartnerAdjustRecordsResponse),
)
async def list_partner_adjust_records(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ListPartnerAdjustRecordsResponse:
        operation_type = _query(request, "operation_type")
        if operation_type is not None and operation_type not in ADJUST_OPERATION_TYPES:
            raise invalid_parameter(
                "operation_type", f"Use one of {', '.join(ADJUST_OPERATION_TYPES)}."
            )
        begin = _time(request, "operation_time_begin")
        end = _time(request, "operation_time_end")
        if begin is not None and end is not None and begin > end:
            raise invalid_parameter("operation_time_begin", "Must not be after the end.")
        records, total = await balance_service(ctx).adjust_records(
            ctx.actor,
            query=AdjustRecordQuery(
                customer_id=_query(request, "customer_id"),
                kind=ADJUST_OPERATION_TYPES[operation_type] if operation_type else None,
                begin=begin,
                end=end,
                trans_id=_query(request, "trans_id"),
            ),
            page=_page(request),
            indirect_partner_id=_query(request, "indirect_partner_id"),
        )
        return ListPartnerAdjustRecordsResponse(
            total_count=total,
            records=[
                AdjustRecordV3(
                    customer_id=r.customer_id,
                    customer_name=r.customer_name,
                    operation_type=r.operation_type,
                    amount=wire_text(r.amount),
                    currency=r.currency,
                    operation_time=format_utc(r.operation_time),
                    measure_id=MEASURE_ID,
                    trans_id=r.trans_id,
                    memo=r.memo,
                )
                for r in records
            ],
        )

    return await run_operation(
        request,
        api="list_partner_adjust_records",
        kind=CallerKind.PARTNER,
        body_model=None,
        handler=handle,
    )


# -- customer self-service ----------------------------------------------------------------------


@router.get(
    "/v2/accounts/customer-accounts/balances",
    operation_id="show_customer_account_balances",
    summary="The calling customer's balance (customer credentials)",
    responses=wire_responses(ShowCustomerAccountBalancesResponse),
)
async def show_customer_account_balances(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ShowCustomerAccountBalancesResponse:
        view = await balance_service(ctx).customer_account(ctx.caller.account_id)
        return ShowCustomerAccountBalancesResponse(
            account_balances=[
                AccountBalanceV3(
                    account_id=view.account_id,
                    account_type=1,
                    amount=wire_amount(view.amount),
                    currency=view.currency,
                    designated_amount=wire_amount(Decimal(0)),
                    measure_id=MEASURE_ID,
                )
            ],
            debt_amount=wire_amount(view.debt_amount),
            measure_id=MEASURE_ID,
            currency=view.currency,
        )

    return await run_operation(
        request,
        api="show_customer_account_balances",
        kind=CallerKind.CUSTOMER,
        body_model=None,
        handler=handle,
    )


@router.get(
    "/v2/accounts/customer-accounts/account-change-records",
    operation_id="list_customer_account_change_records",
    summary="The calling customer's income and expense records (not for reseller-model customers)",
    openapi_extra=_query_parameters(
        ("balance_type", "string", True, "BALANCE_TYPE_DEBIT | BALANCE_TYPE_CREDIT"),
        ("revenue_expense_type", "string", False, "REVENUE | EXPENSE"),
        ("trade_type", "string", False, "RECHARGE, DEDEUCT, REFUND, BEADJUST, ..."),
        *_DAYS,
        ("trade_id", "string", False, "Transaction or order id"),
        ("payment_channel_id", "string", False, "Comma-separated channel ids"),
        ("payment_channel_no", "string", False, "Channel serial number"),
        *_PAGING,
    ),
    responses=wire_responses(ListCustomerAccountChangeRecordsResponse),
)
async def list_customer_account_change_records(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, _body: None
    ) -> ListCustomerAccountChangeRecordsResponse:
        credit, query = _statement_query(ctx, request, CUSTOMER_TRADE_TYPES)
        direction = None
        revenue_expense = _query(request, "revenue_expense_type")
        if revenue_expense is not None:
            directions = {"REVENUE": Direction.INCOME, "EXPENSE": Direction.EXPENSE}
            if revenue_expense not in directions:
                raise invalid_parameter("revenue_expense_type", "Use REVENUE or EXPENSE.")
            direction = directions[revenue_expense]
        channels: tuple[str, ...] = ()
        channel_text = _query(request, "payment_channel_id")
        if channel_text is not None:
            channels = tuple(c.strip() for c in channel_text.split(","))
            if any(c not in PAYMENT_CHANNELS for c in channels):
                raise invalid_parameter(
                    "payment_channel_id", f"Use ids among {', '.join(sorted(PAYMENT_CHANNELS))}."
                )
        query = StatementQuery(
            begin=query.begin,
            end=query.end,
            trade_type=query.trade_type,
            direction=direction,
            trade_id=_query(request, "trade_id"),
            payment_channel_ids=channels,
            payment_channel_no=_query(request, "payment_channel_no"),
        )
        lines, total = await balance_service(ctx).customer_statement(
            ctx.caller.account_id, credit=credit, query=query, page=_page(request)
        )
        zone = ctx.state.settings.zone
        return ListCustomerAccountChangeRecordsResponse(
            total_count=total,
            currency=ctx.state.settings.currency,
            records=[
                CustomerAccountChangeRecord(
                    account_change_id=line.id,
                    trade_detail_type=line.trade_detail_type,
                    trade_time=format_utc(line.trade_time),
                    trade_id=line.trade_id,
                    change_amount=wire_text(line.amount),
                    balance_after_change=wire_text(line.balance_after),
                    revenue_expense_type="REVENUE"
                    if line.direction is Direction.INCOME
                    else "EXPENSE",
                    bill_cycle=local_date_in(zone, line.trade_time)[:7],
                    payment_channel_id=line.payment_channel_id,
                    payment_channel_no=line.payment_channel_no,
                    consume_time=format_utc(line.trade_time)
                    if line.trade_type in CONSUMPTION_TRADE_TYPES
                    else None,
                    account_name=ctx.caller.account_name,
                    cloud_service_type_name=line.description,
                )
                for line in lines
            ],
        )

    return await run_operation(
        request,
        api="list_customer_account_change_records",
        kind=CallerKind.CUSTOMER,
        body_model=None,
        handler=handle,
    )


@router.get(
    "/v2/partners/credit/consumption-quota",
    operation_id="show_partner_consumption_quota",
    summary="The partner's consumption quota (credit line) and how much of it is used",
    responses=wire_responses(ShowPartnerConsumptionQuotaResponse),
)
async def show_partner_consumption_quota(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ShowPartnerConsumptionQuotaResponse:
        view = await balance_service(ctx).consumption_quota(ctx.actor)
        return consumption_quota_response(
            quota=view.consumption_quota,
            amount=view.amount,
            coupon=view.coupon_amount,
            due=view.due_amount,
            unbilled=view.unbilled_amount,
            currency=view.currency,
        )

    return await run_operation(
        request,
        api="show_partner_consumption_quota",
        kind=CallerKind.PARTNER,
        body_model=None,
        handler=handle,
    )


def consumption_quota_response(
    *,
    quota: Decimal,
    amount: Decimal,
    coupon: Decimal,
    due: Decimal,
    unbilled: Decimal,
    currency: str,
) -> ShowPartnerConsumptionQuotaResponse:
    """The figures rounded to cents, ``used`` computed from the rounded figures."""
    amount, coupon, due, unbilled = (to_cents(v) for v in (amount, coupon, due, unbilled))
    return ShowPartnerConsumptionQuotaResponse(
        consumption_quota=cents_text(quota),
        amount=cents_text(amount),
        coupon_amount=cents_text(coupon),
        due_amount=cents_text(due),
        unbilled_amount=cents_text(unbilled),
        used_consumption_quota=cents_text(due + unbilled - amount - coupon),
        measure_id=MEASURE_ID,
        currency=currency,
    )


@router.get(
    "/v2/accounts/customer-accounts/expenditure-quota",
    operation_id="show_customer_expenditure_quota",
    summary="The calling reseller-model customer's spending cap and its use (customer)",
    responses=wire_responses(ShowCustomerExpenditureQuotaResponse),
)
async def show_customer_expenditure_quota(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ShowCustomerExpenditureQuotaResponse:
        view = await balance_service(ctx).expenditure_quota(ctx.caller.account_id)
        return ShowCustomerExpenditureQuotaResponse(
            granting_amount=to_cents(view.granting_amount),
            granting_amount_used=to_cents(view.granting_amount_used),
            percentage_granting_amount_used=view.percentage_granting_amount_used,
            measure_id=MEASURE_ID,
            currency=view.currency,
        )

    return await run_operation(
        request,
        api="show_customer_expenditure_quota",
        kind=CallerKind.CUSTOMER,
        body_model=None,
        handler=handle,
    )


# -- distributor ↔ reseller -----------------------------------------------------------------


@router.post(
    "/v2/accounts/partner-accounts/indirect-partner-adjust",
    operation_id="update_indirect_partner_account",
    summary="Allocate funds from the distributor's account to one of its resellers",
    openapi_extra=_with_idempotency_header(wire_body(AdjustToIndirectPartnerReq)),
    responses=wire_responses(UpdateIndirectPartnerAccountResponse),
)
async def update_indirect_partner_account(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: AdjustToIndirectPartnerReq
    ) -> UpdateIndirectPartnerAccountResponse:
        movement = await balance_service(ctx).allocate_to_reseller(
            ctx.actor,
            reseller_id=body.indirect_partner_id,
            amount=body.amount,
            idempotency_key=_idempotency_key(request),
        )
        return UpdateIndirectPartnerAccountResponse(transfer_id=movement.id)

    return await run_operation(
        request,
        api="update_indirect_partner_account",
        kind=CallerKind.DISTRIBUTOR,
        body_model=AdjustToIndirectPartnerReq,
        handler=handle,
    )


@router.post(
    "/v2/accounts/partner-accounts/indirect-partner-reclaim",
    operation_id="reclaim_indirect_partner_account",
    summary="Reclaim funds from a reseller's account to its distributor's",
    openapi_extra=_with_idempotency_header(wire_body(ReclaimIndirectPartnerAccountReq)),
    responses=wire_responses(ReclaimIndirectPartnerAccountResponse),
)
async def reclaim_indirect_partner_account(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: ReclaimIndirectPartnerAccountReq
    ) -> ReclaimIndirectPartnerAccountResponse:
        movement = await balance_service(ctx).reclaim_from_reseller(
            ctx.actor,
            reseller_id=body.indirect_partner_id,
            amount=body.amount,
            idempotency_key=_idempotency_key(request),
        )
        return ReclaimIndirectPartnerAccountResponse(trans_id=movement.id)

    return await run_operation(
        request,
        api="reclaim_indirect_partner_account",
        kind=CallerKind.DISTRIBUTOR,
        body_model=ReclaimIndirectPartnerAccountReq,
        handler=handle,
    )
