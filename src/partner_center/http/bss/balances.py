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
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.balances.public import (
    ADJUST_OPERATION_TYPES,
    BALANCE_TYPE_CREDIT,
    BALANCE_TYPE_DEBIT,
    CONSUMPTION_TRADE_TYPES,
    CUSTOMER_TRADE_TYPES,
    PARTNER_TRADE_TYPES,
    PAYMENT_CHANNELS,
    AdjustRecordQuery,
    ConsumptionQuotaView,
    Direction,
    StatementLine,
    StatementQuery,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import (
    WireAmount,
    consumption_quota_figures,
    time_filter,
    wire_amount,
    wire_text,
)
from partner_center.http.headers import IdempotencyKey
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Doc, IntOrBlank, QueryModel, TextFilter
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc, local_date_in
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import to_cents
from partner_center.kernel.pagination import page

router = APIRouter(tags=["balances"])
_CUSTOMER_ACCOUNTS = "/v2/accounts/customer-accounts"
_PARTNER_ACCOUNTS = "/v2/accounts/partner-accounts"

MEASURE_ID = 1
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- wire models (field for field as the official SDK's) --------------------------------------


@sdk_model()
class AccountBalanceV3(WireModel):
    account_type: int | None = Field(default=None, description="1 cash, 2 credit")
    credit_amount: Decimal | None = Field(default=None, description="Type 2 only: the quota")


@sdk_model()
class AccountBalanceV2(AccountBalanceV3):
    pass


@sdk_model(required="*")
class ListPartnerBalancesResponse(WireModel):
    pass


class AdjustAccountReq(WireModel):
    """An amount for a customer: allocated to it, or (the reclaim) taken back, at most its
    balance."""

    customer_id: str = Field(max_length=64)
    amount: WireAmount = Field(description="> 0, at most 2 decimals")
    indirect_partner_id: str | None = Field(default=None, max_length=64)


class ReclaimToPartnerAccountBalancesReq(AdjustAccountReq):
    pass


@sdk_model(required="*")
class UpdateCustomerAccountAmountResponse(WireModel):
    pass


@sdk_model(required="*")
class ReclaimToPartnerAccountResponse(WireModel):
    pass


class CustomerInfoV2(WireModel):
    customer_id: str = Field(max_length=64)


class QueryCustomersBalancesReq(WireModel):
    customer_infos: list[CustomerInfoV2] = Field(description="1 to 100 customers")
    indirect_partner_id: str | None = Field(default=None, max_length=64)


@sdk_model()
class CustomerBalancesV2(WireModel):
    pass


@sdk_model(required="*")
class ListCustomersBalancesDetailResponse(WireModel):
    pass


class _ChangeRecord(WireModel):
    """What the partner's and the customer's account change records say alike."""

    trade_time: str | None = Field(default=None, description="UTC")


@sdk_model()
class AccountChangeRecord(_ChangeRecord):
    type: str | None = Field(default=None, description="1 income, 2 expense")


@sdk_model(required="*")
class ListPartnerAccountChangeRecordsResponse(WireModel):
    pass


@sdk_model()
class AdjustRecordV3(WireModel):
    operation_time: str | None = Field(default=None, description="UTC")


@sdk_model(required="*")
class ListPartnerAdjustRecordsResponse(WireModel):
    pass


@sdk_model(required="*")
class ShowCustomerAccountBalancesResponse(WireModel):
    pass


@sdk_model()
class CustomerAccountChangeRecord(_ChangeRecord):
    revenue_expense_type: str | None = Field(default=None, description="REVENUE | EXPENSE")
    bill_cycle: str | None = Field(default=None, description="YYYY-MM, billing time zone")


@sdk_model(required="*")
class ListCustomerAccountChangeRecordsResponse(WireModel):
    pass


@sdk_model(required="*")
class ShowPartnerConsumptionQuotaResponse(WireModel):
    used_consumption_quota: str = Field(
        description="due_amount + unbilled_amount - amount - coupon_amount"
    )


@sdk_model(required="*")
class ShowCustomerExpenditureQuotaResponse(WireModel):
    pass


class AdjustToIndirectPartnerReq(WireModel):
    """An amount for a reseller: allocated to it, or (the reclaim) taken back, at most its
    balance."""

    indirect_partner_id: str = Field(max_length=64)
    amount: WireAmount = Field(description="> 0, at most 2 decimals")


class ReclaimIndirectPartnerAccountReq(AdjustToIndirectPartnerReq):
    pass


class UpdateIndirectPartnerAccountResponse(UpdateCustomerAccountAmountResponse):
    pass


class ReclaimIndirectPartnerAccountResponse(ReclaimToPartnerAccountResponse):
    pass


# -- query strings ----------------------------------------------------------------------------

_Offset = Annotated[IntOrBlank, Doc("0-based row offset; default 0")]
_Limit = Annotated[IntOrBlank, Doc("1 to 100; default 10")]
_Reseller = Annotated[TextFilter, Doc("A distributor's reseller")]
_Begin = Annotated[TextFilter, Doc("YYYY-MM-DD, UTC+8; default a year before the end")]
_End = Annotated[TextFilter, Doc("YYYY-MM-DD, UTC+8; default today")]


class PartnerBalancesQuery(QueryModel):
    indirect_partner_id: _Reseller = None


class PartnerStatementQuery(QueryModel):
    balance_type: Annotated[
        str | None, Doc("BALANCE_TYPE_DEBIT (cash) | BALANCE_TYPE_CREDIT", required=True)
    ] = None
    trade_type: Annotated[TextFilter, Doc("RECHARGE, DEDEUCT, REFUND, ADJUST, BEADJUST, ...")] = (
        None
    )
    trade_time_begin: _Begin = None
    trade_time_end: _End = None
    offset: _Offset = None
    limit: _Limit = None
    indirect_partner_id: _Reseller = None


class AdjustRecordsQuery(QueryModel):
    customer_id: Annotated[TextFilter, Doc("A customer or (for a distributor) a reseller")] = None
    operation_type: Annotated[TextFilter, Doc(", ".join(ADJUST_OPERATION_TYPES))] = None
    operation_time_begin: Annotated[TextFilter, Doc("UTC yyyy-MM-ddTHH:mm:ssZ")] = None
    operation_time_end: Annotated[TextFilter, Doc("UTC yyyy-MM-ddTHH:mm:ssZ")] = None
    trans_id: Annotated[TextFilter, Doc("The operation's trans_id / transfer_id")] = None
    offset: _Offset = None
    limit: _Limit = None
    indirect_partner_id: _Reseller = None


class CustomerStatementQuery(QueryModel):
    balance_type: Annotated[
        str | None, Doc("BALANCE_TYPE_DEBIT | BALANCE_TYPE_CREDIT", required=True)
    ] = None
    revenue_expense_type: Annotated[TextFilter, Doc("REVENUE | EXPENSE")] = None
    trade_type: Annotated[TextFilter, Doc("RECHARGE, DEDEUCT, REFUND, BEADJUST, ...")] = None
    trade_time_begin: _Begin = None
    trade_time_end: _End = None
    trade_id: Annotated[TextFilter, Doc("Transaction or order id")] = None
    payment_channel_id: Annotated[TextFilter, Doc("Comma-separated channel ids")] = None
    payment_channel_no: Annotated[TextFilter, Doc("Channel serial number")] = None
    offset: _Offset = None
    limit: _Limit = None


def _day(text: str | None, name: str) -> date | None:
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
    ctx: OperationContext,
    query: PartnerStatementQuery | CustomerStatementQuery,
    trade_types: frozenset[str],
) -> tuple[bool, StatementQuery]:
    balance_type = query.balance_type
    if balance_type not in (BALANCE_TYPE_DEBIT, BALANCE_TYPE_CREDIT):
        raise invalid_parameter(
            "balance_type", f"Required: {BALANCE_TYPE_DEBIT} or {BALANCE_TYPE_CREDIT}."
        )
    trade_type = query.trade_type
    if trade_type is not None and trade_type not in trade_types:
        raise invalid_parameter("trade_type", f"Use one of {', '.join(sorted(trade_types))}.")
    today = date.fromisoformat(local_date_in(ctx.state.settings.zone, ctx.state.clock.now()))
    end = _day(query.trade_time_end, "trade_time_end") or today
    begin = _day(query.trade_time_begin, "trade_time_begin") or _year_before(end)
    if begin > end:
        raise invalid_parameter("trade_time_begin", "Must not be after trade_time_end.")
    return balance_type == BALANCE_TYPE_CREDIT, StatementQuery(
        begin=begin, end=end, trade_type=trade_type
    )


# -- partner balances and allocations ---------------------------------------------------------


@operation(router, "GET", f"{_PARTNER_ACCOUNTS}/balances", kind=CallerKind.PARTNER)
async def list_partner_balances(
    ctx: OperationContext, query: PartnerBalancesQuery
) -> ListPartnerBalancesResponse:
    """The partner's cash and credit accounts (or a reseller's, for its distributor)"""
    rows = await ctx.services.balances.partner_balances(
        ctx.actor, indirect_partner_id=query.indirect_partner_id
    )
    return ListPartnerBalancesResponse(
        account_balances=[
            AccountBalanceV2(
                **same_named(r, "account_id account_type currency memo"),
                **same_named(r, "amount designated_amount", via=wire_amount),
                credit_amount=None if r.credit_amount is None else wire_amount(r.credit_amount),
                measure_id=MEASURE_ID,
            )
            for r in rows
        ]
    )


@operation(router, "POST", f"{_PARTNER_ACCOUNTS}/adjust-amount", kind=CallerKind.PARTNER)
async def update_customer_account_amount(
    ctx: OperationContext, body: AdjustAccountReq, idempotency_key: IdempotencyKey
) -> UpdateCustomerAccountAmountResponse:
    """Allocate funds from the partner's (or a reseller's) account to a customer"""
    return UpdateCustomerAccountAmountResponse(
        transfer_id=await _customer_transfer(ctx, body, idempotency_key, reclaim=False)
    )


async def _customer_transfer(
    ctx: OperationContext, body: AdjustAccountReq, key: str | None, *, reclaim: bool
) -> str:
    """An allocation to or (``reclaim``) a reclaim from a customer; the transfer's id."""
    balances = ctx.services.balances
    move = balances.reclaim_from_customer if reclaim else balances.allocate_to_customer
    movement = await move(
        ctx.actor,
        customer_id=body.customer_id,
        amount=body.amount,
        indirect_partner_id=body.indirect_partner_id or None,
        idempotency_key=key,
    )
    return movement.id


@operation(router, "POST", f"{_PARTNER_ACCOUNTS}/reclaim", kind=CallerKind.PARTNER)
async def reclaim_to_partner_account(
    ctx: OperationContext, body: ReclaimToPartnerAccountBalancesReq, idempotency_key: IdempotencyKey
) -> ReclaimToPartnerAccountResponse:
    """Reclaim funds from a customer's balance to the partner's (or reseller's) account"""
    return ReclaimToPartnerAccountResponse(
        trans_id=await _customer_transfer(ctx, body, idempotency_key, reclaim=True)
    )


@operation(router, "POST", f"{_CUSTOMER_ACCOUNTS}/balances/batch-query", kind=CallerKind.PARTNER)
async def list_customers_balances_detail(
    ctx: OperationContext, body: QueryCustomersBalancesReq
) -> ListCustomersBalancesDetailResponse:
    """Balances of the partner's reseller-model customers (referral customers left out)"""
    rows = await ctx.services.balances.customer_balances(
        ctx.actor,
        [c.customer_id for c in body.customer_infos],
        indirect_partner_id=body.indirect_partner_id or None,
    )
    return ListCustomersBalancesDetailResponse(
        customer_balances=[
            CustomerBalancesV2(
                **same_named(r, "customer_id currency"),
                **same_named(r, "debt_amount amount", via=wire_amount),
                measure_id=MEASURE_ID,
            )
            for r in rows
        ]
    )


def _change_record(line: StatementLine) -> dict[str, Any]:
    """The fields both account change records write first, for a statement line."""
    return {
        "account_change_id": line.id,
        "trade_detail_type": line.trade_detail_type,
        "trade_time": format_utc(line.trade_time),
        "trade_id": line.trade_id,
        "change_amount": wire_text(line.amount),
        "balance_after_change": wire_text(line.balance_after),
    }


def _partner_record(line: StatementLine) -> AccountChangeRecord:
    return AccountChangeRecord(
        **_change_record(line),
        type=str(int(line.direction)),
        customer_id=line.counterparty_id,
        account_name=line.counterparty_account_name,
    )


@operation(
    router,
    "GET",
    f"{_PARTNER_ACCOUNTS}/account-change-records",
    kind=CallerKind.PARTNER,
    transaction="read_only",
)
async def list_partner_account_change_records(
    ctx: OperationContext, query: PartnerStatementQuery
) -> ListPartnerAccountChangeRecordsResponse:
    """The partner's (or a reseller's) income and expense records, newest first"""
    credit, statement = _statement_query(ctx, query, PARTNER_TRADE_TYPES)
    lines, total = await ctx.services.balances.partner_statement(
        ctx.actor,
        credit=credit,
        query=statement,
        page=page(query.offset, query.limit),
        indirect_partner_id=query.indirect_partner_id,
    )
    return ListPartnerAccountChangeRecordsResponse(
        total_count=total,
        currency=ctx.state.settings.currency,
        records=[_partner_record(line) for line in lines],
    )


@operation(router, "GET", "/v3/accounts/partner-accounts/adjust-records", kind=CallerKind.PARTNER)
async def list_partner_adjust_records(
    ctx: OperationContext, query: AdjustRecordsQuery
) -> ListPartnerAdjustRecordsResponse:
    """Allocations, reclaims and disassociation returns of the partner (or a reseller)"""
    operation_type = query.operation_type
    if operation_type is not None and operation_type not in ADJUST_OPERATION_TYPES:
        raise invalid_parameter(
            "operation_type", f"Use one of {', '.join(ADJUST_OPERATION_TYPES)}."
        )
    begin = time_filter(query.operation_time_begin, "operation_time_begin")
    end = time_filter(query.operation_time_end, "operation_time_end")
    if begin is not None and end is not None and begin > end:
        raise invalid_parameter("operation_time_begin", "Must not be after the end.")
    records, total = await ctx.services.balances.adjust_records(
        ctx.actor,
        query=AdjustRecordQuery(
            customer_id=query.customer_id,
            kind=ADJUST_OPERATION_TYPES[operation_type] if operation_type else None,
            begin=begin,
            end=end,
            trans_id=query.trans_id,
        ),
        page=page(query.offset, query.limit),
        indirect_partner_id=query.indirect_partner_id,
    )
    return ListPartnerAdjustRecordsResponse(
        total_count=total,
        records=[
            AdjustRecordV3(
                **same_named(r, "customer_id customer_name operation_type currency trans_id memo"),
                amount=wire_text(r.amount),
                operation_time=format_utc(r.operation_time),
                measure_id=MEASURE_ID,
            )
            for r in records
        ],
    )


# -- customer self-service ----------------------------------------------------------------------


@operation(router, "GET", f"{_CUSTOMER_ACCOUNTS}/balances", kind=CallerKind.CUSTOMER)
async def show_customer_account_balances(
    ctx: OperationContext,
) -> ShowCustomerAccountBalancesResponse:
    """The calling customer's balance (customer credentials)"""
    view = await ctx.services.balances.customer_account(ctx.caller.account_id)
    return ShowCustomerAccountBalancesResponse(
        account_balances=[
            AccountBalanceV3(
                **same_named(view, "account_id currency"),
                account_type=1,
                amount=wire_amount(view.amount),
                designated_amount=wire_amount(Decimal(0)),
                measure_id=MEASURE_ID,
            )
        ],
        debt_amount=wire_amount(view.debt_amount),
        measure_id=MEASURE_ID,
        currency=view.currency,
    )


@operation(router, "GET", f"{_CUSTOMER_ACCOUNTS}/account-change-records", kind=CallerKind.CUSTOMER)
async def list_customer_account_change_records(
    ctx: OperationContext, query: CustomerStatementQuery
) -> ListCustomerAccountChangeRecordsResponse:
    """The calling customer's income and expense records (not for reseller-model customers)"""
    credit, period = _statement_query(ctx, query, CUSTOMER_TRADE_TYPES)
    direction = None
    revenue_expense = query.revenue_expense_type
    if revenue_expense is not None:
        directions = {"REVENUE": Direction.INCOME, "EXPENSE": Direction.EXPENSE}
        if revenue_expense not in directions:
            raise invalid_parameter("revenue_expense_type", "Use REVENUE or EXPENSE.")
        direction = directions[revenue_expense]
    channels: tuple[str, ...] = ()
    channel_text = query.payment_channel_id
    if channel_text is not None:
        channels = tuple(c.strip() for c in channel_text.split(","))
        if any(c not in PAYMENT_CHANNELS for c in channels):
            raise invalid_parameter(
                "payment_channel_id", f"Use ids among {', '.join(sorted(PAYMENT_CHANNELS))}."
            )
    statement = StatementQuery(
        begin=period.begin,
        end=period.end,
        trade_type=period.trade_type,
        direction=direction,
        trade_id=query.trade_id,
        payment_channel_ids=channels,
        payment_channel_no=query.payment_channel_no,
    )
    lines, total = await ctx.services.balances.customer_statement(
        ctx.caller.account_id,
        credit=credit,
        query=statement,
        page=page(query.offset, query.limit),
    )
    zone = ctx.state.settings.zone
    return ListCustomerAccountChangeRecordsResponse(
        total_count=total,
        currency=ctx.state.settings.currency,
        records=[
            CustomerAccountChangeRecord(
                **_change_record(line),
                **same_named(line, "payment_channel_id payment_channel_no"),
                revenue_expense_type="REVENUE" if line.direction is Direction.INCOME else "EXPENSE",
                bill_cycle=local_date_in(zone, line.trade_time)[:7],
                consume_time=format_utc(line.trade_time)
                if line.trade_type in CONSUMPTION_TRADE_TYPES
                else None,
                account_name=ctx.caller.account_name,
                cloud_service_type_name=line.description,
            )
            for line in lines
        ],
    )


@operation(router, "GET", "/v2/partners/credit/consumption-quota", kind=CallerKind.PARTNER)
async def show_partner_consumption_quota(
    ctx: OperationContext,
) -> ShowPartnerConsumptionQuotaResponse:
    """The partner's consumption quota (credit line) and how much of it is used"""
    view = await ctx.services.balances.consumption_quota(ctx.actor)
    return consumption_quota_response(view)


def consumption_quota_response(view: ConsumptionQuotaView) -> ShowPartnerConsumptionQuotaResponse:
    return ShowPartnerConsumptionQuotaResponse(
        **consumption_quota_figures(view), measure_id=MEASURE_ID, currency=view.currency
    )


@operation(router, "GET", f"{_CUSTOMER_ACCOUNTS}/expenditure-quota", kind=CallerKind.CUSTOMER)
async def show_customer_expenditure_quota(
    ctx: OperationContext,
) -> ShowCustomerExpenditureQuotaResponse:
    """The calling reseller-model customer's spending cap and its use (customer)"""
    view = await ctx.services.balances.expenditure_quota(ctx.caller.account_id)
    return ShowCustomerExpenditureQuotaResponse(
        **same_named(view, "granting_amount granting_amount_used", via=to_cents),
        percentage_granting_amount_used=view.percentage_granting_amount_used,
        measure_id=MEASURE_ID,
        currency=view.currency,
    )


# -- distributor ↔ reseller -----------------------------------------------------------------


@operation(
    router, "POST", f"{_PARTNER_ACCOUNTS}/indirect-partner-adjust", kind=CallerKind.DISTRIBUTOR
)
async def update_indirect_partner_account(
    ctx: OperationContext, body: AdjustToIndirectPartnerReq, idempotency_key: IdempotencyKey
) -> UpdateIndirectPartnerAccountResponse:
    """Allocate funds from the distributor's account to one of its resellers"""
    return UpdateIndirectPartnerAccountResponse(
        transfer_id=await _reseller_transfer(ctx, body, idempotency_key, reclaim=False)
    )


async def _reseller_transfer(
    ctx: OperationContext, body: AdjustToIndirectPartnerReq, key: str | None, *, reclaim: bool
) -> str:
    """An allocation to or (``reclaim``) a reclaim from a reseller; the transfer's id."""
    balances = ctx.services.balances
    move = balances.reclaim_from_reseller if reclaim else balances.allocate_to_reseller
    movement = await move(
        ctx.actor, reseller_id=body.indirect_partner_id, amount=body.amount, idempotency_key=key
    )
    return movement.id


@operation(
    router, "POST", f"{_PARTNER_ACCOUNTS}/indirect-partner-reclaim", kind=CallerKind.DISTRIBUTOR
)
async def reclaim_indirect_partner_account(
    ctx: OperationContext, body: ReclaimIndirectPartnerAccountReq, idempotency_key: IdempotencyKey
) -> ReclaimIndirectPartnerAccountResponse:
    """Reclaim funds from a reseller's account to its distributor's"""
    return ReclaimIndirectPartnerAccountResponse(
        trans_id=await _reseller_transfer(ctx, body, idempotency_key, reclaim=True)
    )
