"""Money and coupons an enterprise master moves to and from its member accounts
(api-semantics.md §3.13): show_multi_account_transfer_amount, list_enterprise_multi_account,
update_sub_enterprise_amount, reclaim_sub_enterprise_amount,
list_multi_account_transfer_coupons, list_multi_account_retrieve_coupons,
claim_enterprise_multi_account_coupon, reclaim_enterprise_multi_account_coupon.

Customer credentials of the master. ``trans_id`` makes a move idempotent (a retry answers the
first call; the same id with another request is CBC.99007009). Amounts are decimal strings in
the site currency with at most 2 decimals; only the cash balance (BALANCE_TYPE_DEBIT) moves:
customers of partner-center hold no credit line of their own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.balances.public import BALANCE_TYPE_CREDIT, BALANCE_TYPE_DEBIT
from partner_center.domains.coupons.public import CouponView
from partner_center.domains.enterprises.public import AvailableAmount, parse_amount
from partner_center.http.auth import CallerKind
from partner_center.http.bss.coupons import MEASURE_YUAN, use_limits
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import wire_amount, wire_text
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import QueryModel
from partner_center.http.wire import WireModel
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(tags=["enterprise multi-account"])
_PREFIX = "/v2/enterprises/multi-accounts"


class TransferAmountQuery(QueryModel):
    openapi_style = "schema"

    balance_type: str | None = Field(default=None, description="BALANCE_TYPE_DEBIT or _CREDIT")
    offset: int | None = None
    limit: int | None = None

    def cash(self) -> bool:
        """Whether the cash balance is asked for (``balance_type``, required; a credit line
        holds nothing here), once the page is checked too."""
        cash = _balance_type(self.balance_type, required=True)
        page(self.offset, self.limit)
        return cash


class RetrieveAmountQuery(TransferAmountQuery):
    sub_customer_id: str | None = None


class CouponPageQuery(QueryModel):
    openapi_style = "schema"

    offset: int | None = None
    limit: int | None = None


class RetrieveCouponsQuery(CouponPageQuery):
    sub_customer_id: str | None = None


class _AmountInfo(WireModel):
    measure_id: int
    currency: str
    amount: Decimal
    credit_amount: Decimal | None = None
    expire_time: str | None = None


@sdk_model(
    fields="measure_id currency amount credit_amount expire_time avail_transfer_amount",
    required="*",
)
class TransferAmountInfoV2(_AmountInfo):
    pass


@sdk_model(
    fields="measure_id currency amount credit_amount expire_time avail_retrieve_amount",
    required="*",
)
class RetrieveAmountInfoV2(_AmountInfo):
    pass


@sdk_model(required="*")
class ShowMultiAccountTransferAmountResponse(WireModel):
    pass


@sdk_model(required="*")
class ListEnterpriseMultiAccountResponse(WireModel):
    pass


class TransferEnterpriseMultiAccountReq(WireModel):
    customer_id: str = Field(description="The member account")
    amount: str = Field(description="Decimal string, at most 2 decimals, site currency")
    trans_id: str | None = Field(default=None, description="Your transaction id (idempotency)")
    balance_type: str | None = Field(default=None, description="BALANCE_TYPE_DEBIT (default)")
    expire_time: str | None = Field(default=None, description="Credit lines only (not offered)")


class TransferEnterpriseMultiAccountCouponReq(WireModel):
    customer_id: str
    coupon_id: str
    amount: str = Field(description="Part of the coupon to give, decimal string")
    trans_id: str | None = None


@sdk_model(required="*")
class ClaimEnterpriseMultiAccountCouponResponse(WireModel):
    pass


class RetrieveEnterpriseMultiAccountCouponReq(WireModel):
    customer_id: str
    coupon_id: str
    sub_coupon_id: str
    trans_id: str | None = None


class ReclaimEnterpriseMultiAccountCouponResponse(WireModel):
    real_retrieve_amout: str = Field(description="[sic] What returned to the master's coupon")


@sdk_model(required="coupon_id balance effective_time expire_time use_limits")
class AvailTransferCoupon(WireModel):
    pass


@sdk_model(
    fields="coupon_id plan_name balance effective_time expire_time use_limits sub_coupon_id",
    required="*",
)
class AvailRetrieveCoupons(AvailTransferCoupon):
    pass


@sdk_model(required="*")
class ListMultiAccountTransferCouponsResponse(WireModel):
    pass


@sdk_model(required="*")
class ListMultiAccountRetrieveCouponsResponse(WireModel):
    pass


def _balance_type(value: str | None, *, required: bool) -> bool:
    """True for the cash balance; False for a credit line (which holds nothing here)."""
    if value is None or value == "":
        if required:
            raise invalid_parameter("balance_type", "Required: BALANCE_TYPE_DEBIT or _CREDIT.")
        return True
    if value not in (BALANCE_TYPE_DEBIT, BALANCE_TYPE_CREDIT):
        raise invalid_parameter("balance_type", "Use BALANCE_TYPE_DEBIT or BALANCE_TYPE_CREDIT.")
    return value == BALANCE_TYPE_DEBIT


def _money_balance_type(value: str | None) -> None:
    if not _balance_type(value, required=False):
        raise invalid_parameter(
            "balance_type", "Only BALANCE_TYPE_DEBIT: customers hold no credit line here."
        )


def _cash(amount: AvailableAmount, cash: bool) -> list[AvailableAmount]:
    return [amount] if cash else []


def _amount_info(amount: AvailableAmount) -> dict[str, Any]:
    """The ``_AmountInfo`` fields of a transferable or retrievable amount."""
    return {
        "measure_id": MEASURE_YUAN,
        "currency": amount.currency,
        "amount": wire_amount(amount.posted),
    }


def _transfer_coupon(view: CouponView, coupon_id: str | None = None) -> AvailTransferCoupon:
    return AvailTransferCoupon(
        coupon_id=coupon_id or view.coupon_id,
        balance=wire_text(view.available),
        effective_time=format_utc(view.valid_time),
        expire_time=format_utc(view.expire_time),
        use_limits=use_limits(view),
    )


@operation(router, "GET", f"{_PREFIX}/transfer-amount", kind=CallerKind.CUSTOMER)
async def show_multi_account_transfer_amount(
    ctx: OperationContext, query: TransferAmountQuery
) -> ShowMultiAccountTransferAmountResponse:
    """Show what the calling enterprise master can give its member accounts"""
    cash = query.cash()
    amount = await ctx.services.enterprise_funds.transferable(ctx.caller.account_id)
    infos = [
        TransferAmountInfoV2(avail_transfer_amount=wire_amount(a.available), **_amount_info(a))
        for a in _cash(amount, cash)
    ]
    return ShowMultiAccountTransferAmountResponse(total_count=len(infos), amount_infos=infos)


@operation(router, "GET", f"{_PREFIX}/retrieve-amount", kind=CallerKind.CUSTOMER)
async def list_enterprise_multi_account(
    ctx: OperationContext, query: RetrieveAmountQuery
) -> ListEnterpriseMultiAccountResponse:
    """Show what the calling enterprise master can take back from one member account"""
    cash = query.cash()
    amount = await ctx.services.enterprise_funds.retrievable(
        ctx.caller.account_id, query.sub_customer_id
    )
    infos = [
        RetrieveAmountInfoV2(avail_retrieve_amount=wire_amount(a.available), **_amount_info(a))
        for a in _cash(amount, cash)
    ]
    return ListEnterpriseMultiAccountResponse(total_count=len(infos), amount_infos=infos)


@operation(router, "POST", f"{_PREFIX}/transfer-amount", kind=CallerKind.CUSTOMER)
async def update_sub_enterprise_amount(
    ctx: OperationContext, body: TransferEnterpriseMultiAccountReq
) -> None:
    """Give money from the calling enterprise master's balance to a member account

    At most the master's free balance (CBC.99005003); the member must be the master's
    (CBC.7001); the master needs enterprise real-name authentication (CBC.99007004).
    """
    _money_balance_type(body.balance_type)
    await ctx.services.enterprise_funds.give(
        ctx.caller.account_id, body.customer_id, parse_amount(body.amount), body.trans_id
    )


@operation(router, "POST", f"{_PREFIX}/retrieve-amount", kind=CallerKind.CUSTOMER)
async def reclaim_sub_enterprise_amount(
    ctx: OperationContext, body: TransferEnterpriseMultiAccountReq
) -> None:
    """Take money back from a member account's balance to the calling enterprise master

    At most the member's free balance (CBC.99005003).
    """
    _money_balance_type(body.balance_type)
    await ctx.services.enterprise_funds.take_back(
        ctx.caller.account_id, body.customer_id, parse_amount(body.amount), body.trans_id
    )


@operation(router, "GET", f"{_PREFIX}/transfer-coupons", kind=CallerKind.CUSTOMER)
async def list_multi_account_transfer_coupons(
    ctx: OperationContext, query: CouponPageQuery
) -> ListMultiAccountTransferCouponsResponse:
    """List the calling enterprise master's coupons that can be given to member accounts"""
    views, total = await ctx.services.enterprise_funds.shareable_coupons(
        ctx.caller.account_id, page(query.offset, query.limit)
    )
    return ListMultiAccountTransferCouponsResponse(
        total_count=total,
        avail_transfer_coupons=[_transfer_coupon(v) for v in views],
    )


@operation(router, "GET", f"{_PREFIX}/retrieve-coupons", kind=CallerKind.CUSTOMER)
async def list_multi_account_retrieve_coupons(
    ctx: OperationContext, query: RetrieveCouponsQuery
) -> ListMultiAccountRetrieveCouponsResponse:
    """List a member account's coupons the calling enterprise master can take back

    coupon_id is the master's coupon each came from, sub_coupon_id the member's.
    """
    shared, total = await ctx.services.enterprise_funds.shared_coupons(
        ctx.caller.account_id, query.sub_customer_id, page(query.offset, query.limit)
    )
    return ListMultiAccountRetrieveCouponsResponse(
        total_count=total,
        avail_retrieve_coupons=[
            AvailRetrieveCoupons(
                **_transfer_coupon(s.coupon, s.master_coupon_id).model_dump(),
                sub_coupon_id=s.coupon.coupon_id,
            )
            for s in shared
        ],
    )


@operation(router, "POST", f"{_PREFIX}/transfer-coupon", kind=CallerKind.CUSTOMER)
async def claim_enterprise_multi_account_coupon(
    ctx: OperationContext, body: TransferEnterpriseMultiAccountCouponReq
) -> ClaimEnterpriseMultiAccountCouponResponse:
    """Give part of the calling enterprise master's coupon to a member account

    The member receives a coupon of its own (sub_coupon_id) with the same scope and window; at
    most the coupon's available balance (CBC.99005003).
    """
    outcome = await ctx.services.enterprise_funds.share_coupon(
        ctx.caller.account_id,
        body.customer_id,
        body.coupon_id,
        parse_amount(body.amount),
        body.trans_id,
    )
    return ClaimEnterpriseMultiAccountCouponResponse(sub_coupon_id=outcome.sub_coupon_id)


@operation(router, "POST", f"{_PREFIX}/retrieve-coupon", kind=CallerKind.CUSTOMER)
async def reclaim_enterprise_multi_account_coupon(
    ctx: OperationContext, body: RetrieveEnterpriseMultiAccountCouponReq
) -> ReclaimEnterpriseMultiAccountCouponResponse:
    """Take a member account's coupon back into the calling enterprise master's coupon

    What is left of the sub-coupon returns to the master's coupon; taking it back again
    answers the same amount and moves nothing.
    """
    amount = await ctx.services.enterprise_funds.take_back_coupon(
        ctx.caller.account_id, body.customer_id, body.coupon_id, body.sub_coupon_id
    )
    return ReclaimEnterpriseMultiAccountCouponResponse(real_retrieve_amout=wire_text(amount))
