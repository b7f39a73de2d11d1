"""Extension endpoints (ours, not the reference API) for the platform operator: grant coupon
quotas to CSPs and distributors (rules.md §7.1 — "a cash-coupon quota that Huawei operations set
up"), change a quota's status, and list quotas; issue a partner its own cash coupons (rules.md
§7.8, deducted from its bills by the bill run), which the partner lists.

Every call is signed like the SDK's; only the operator account may call them (403 ``CBC.0151``).
``limit_infos`` uses the reference's wire form; the keys are documented in
``partner_center.domains.coupons.limits``.
"""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.coupons.public import (
    LimitInfo,
    PartnerCouponSource,
    PartnerCouponView,
    QuotaStatus,
    QuotaType,
    QuotaView,
    Restrictions,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.coupons import LimitValue, QuotaLimitInfo, wire_limit_infos
from partner_center.http.ext import PREFIX
from partner_center.http.formats import WireAmount, cents_text, parse_time
from partner_center.http.headers import IdempotencyKey
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Int, QueryModel
from partner_center.http.wire import MultiLineText, WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import to_cents
from partner_center.kernel.pagination import page

router = APIRouter(prefix=PREFIX, tags=["coupon quotas (extension)"])


class GrantCouponQuotaReq(WireModel):
    partner_id: str = Field(max_length=32, description="A CSP or distributor")
    quota_type: int = Field(default=0, description="0 cash-coupon quota, 1 flexi-purchase quota")
    quota_value: Decimal = Field(description="> 0, 2 decimals, in the site currency")
    effective_time: str | None = Field(default=None, description="UTC; default now")
    expire_time: str = Field(description="UTC")
    limit_infos: list[QuotaLimitInfo] | None = None
    remark: MultiLineText | None = Field(default=None, max_length=256)


class SetQuotaStatusReq(WireModel):
    quota_status: int = Field(description="0 normal, 3 disabled, 4 being adjusted, 5 frozen")


class OperatorQuota(WireModel):
    quota_id: str
    partner_id: str
    parent_quota_id: str | None = None
    quota_type: int
    quota_value: Decimal
    balance: Decimal
    currency: str
    quota_status: int
    effective_time: str
    expire_time: str
    create_time: str
    last_update_time: str
    limit_infos: list[QuotaLimitInfo]
    remark: str | None = None


class OperatorQuotaList(WireModel):
    total_count: int
    quotas: list[OperatorQuota]


def _wire(view: QuotaView) -> OperatorQuota:
    return OperatorQuota(
        **same_named(view, "quota_id currency remark"),
        partner_id=view.owner_id,
        parent_quota_id=view.parent_id,
        quota_type=int(view.quota_type),
        **same_named(view, "quota_value balance", via=to_cents),
        quota_status=int(view.status),
        **same_named(view, "effective_time expire_time", via=format_utc),
        create_time=format_utc(view.created_at),
        last_update_time=format_utc(view.updated_at),
        limit_infos=wire_limit_infos(view.restrictions, for_coupon=False),
    )


def _restrictions(infos: list[QuotaLimitInfo] | None) -> Restrictions:
    parsed = []
    for info in infos or []:
        if not info.limit_key:
            raise invalid_parameter("limit_infos.limit_key", "Required.")
        values: list[LimitValue] = info.limit_values or []
        parsed.append(
            LimitInfo(
                info.limit_key,
                tuple((v.value1 or "", v.value2) for v in values),
            )
        )
    return Restrictions.parse(parsed)


class OperatorQuotasQuery(QueryModel):
    partner_id: str | None = None
    offset: Int = None
    limit: Int = None


@operation(router, "POST", "/coupon-quotas", kind=CallerKind.OPERATOR, status=201)
async def grant_coupon_quota(ctx: OperationContext, body: GrantCouponQuotaReq) -> OperatorQuota:
    """Grant a coupon quota to a CSP or distributor (operator)

    Gives a CSP or distributor a cash-coupon (0) or flexi-purchase (1) quota in the site
    currency, valid from effective_time (default now) to expire_time, with optional use
    restrictions in the reference's limit_infos form; the partner then issues coupons to its
    customers within it. Operator credentials.
    """
    if body.quota_type not in (0, 1):
        raise invalid_parameter("quota_type", "Use 0 (cash coupon) or 1 (flexi-purchase).")
    expire = parse_time(body.expire_time, "expire_time")
    assert expire is not None
    view = await ctx.services.coupons.quotas.grant(
        operator_id=ctx.caller.account_id,
        partner_id=body.partner_id,
        quota_value=body.quota_value,
        remark=body.remark,
        quota_type=QuotaType(body.quota_type),
        currency=ctx.state.settings.currency,
        effective_time=parse_time(body.effective_time, "effective_time"),
        expire_time=expire,
        restrictions=_restrictions(body.limit_infos),
    )
    return _wire(view)


@operation(router, "PUT", "/coupon-quotas/{quota_id}/status", kind=CallerKind.OPERATOR)
async def set_coupon_quota_status(
    ctx: OperationContext, quota_id: str, body: SetQuotaStatusReq
) -> OperatorQuota:
    """Disable, freeze, mark as being adjusted or restore a coupon quota (operator)

    Sets a quota's status: 0 normal, 3 disabled, 4 being adjusted, 5 frozen; only a normal quota
    can issue coupons. Operator credentials.
    """
    if body.quota_status not in [int(s) for s in QuotaStatus]:
        raise invalid_parameter("quota_status", "Use 0, 3, 4 or 5.")
    view = await ctx.services.coupons.quotas.set_status(
        quota_id=quota_id, status=QuotaStatus(body.quota_status)
    )
    return _wire(view)


@operation(router, "GET", "/coupon-quotas", kind=CallerKind.OPERATOR)
async def list_coupon_quotas_operator(
    ctx: OperationContext, query: OperatorQuotasQuery
) -> OperatorQuotaList:
    """List coupon quotas, optionally of one partner (operator)

    Every coupon quota, or those of one partner, newest first, with their balance, status and
    restrictions. Operator credentials.
    """
    views, total = await ctx.services.coupons.quotas.list_all(
        partner_id=query.partner_id or None, page=page(query.offset, query.limit)
    )
    return OperatorQuotaList(total_count=total, quotas=[_wire(v) for v in views])


class IssuePartnerCouponReq(WireModel):
    partner_id: str = Field(max_length=32, description="A CSP or distributor (billed partners)")
    amount: WireAmount = Field(description="> 0, 2 decimals, in the site currency")
    valid_time: str | None = Field(default=None, description="UTC; default now")
    expire_time: str = Field(description="UTC")
    customer_id: str | None = Field(
        default=None,
        max_length=32,
        description="Tie it to one reseller-model customer billed to the partner: only that "
        "customer's spend, used before the partner's general coupons",
    )
    source: str = Field(default="operator", description="operator | incentive | test")
    remark: MultiLineText | None = Field(default=None, max_length=256)


class PartnerCashCouponOut(WireModel):
    coupon_id: str
    partner_id: str
    customer_id: str | None = None
    source: str
    face_value: str
    balance: str
    currency: str
    valid_time: str
    expire_time: str
    create_time: str
    remark: str | None = None


class PartnerCashCouponList(WireModel):
    total_count: int
    coupons: list[PartnerCashCouponOut] = Field(description="Expiring first")


class PartnerCashCouponsQuery(QueryModel):
    offset: Int = None
    limit: Int = None


def _coupon_wire(view: PartnerCouponView) -> PartnerCashCouponOut:
    return PartnerCashCouponOut(
        **same_named(view, "coupon_id partner_id customer_id currency remark"),
        source=view.source.value,
        **same_named(view, "face_value balance", via=cents_text),
        **same_named(view, "valid_time expire_time", via=format_utc),
        create_time=format_utc(view.created_at),
    )


@operation(router, "POST", "/partner-cash-coupons", kind=CallerKind.OPERATOR, status=201)
async def issue_partner_cash_coupon(
    ctx: OperationContext,
    body: IssuePartnerCouponReq,
    idempotency_key: IdempotencyKey,
) -> PartnerCashCouponOut:
    """Issue a cash coupon to a partner (operator)

    Gives a CSP or distributor a cash coupon of its own (an incentive payout, a PoC test coupon
    or the operator's grant), valid from valid_time (default now) to expire_time, optionally tied
    to one of its reseller-model customers. The bill run deducts it from the partner's bills
    (tied coupons first, then expiring first); a partly used coupon keeps its balance. The same
    X-Idempotency-Key returns the first coupon. Operator credentials.
    """
    try:
        source = PartnerCouponSource(body.source)
    except ValueError:
        raise invalid_parameter("source", "Use operator, incentive or test.") from None
    expire = parse_time(body.expire_time, "expire_time")
    assert expire is not None
    view = await ctx.services.partner_coupons.issue(
        operator_id=ctx.caller.account_id,
        partner_id=body.partner_id,
        amount=body.amount,
        currency=ctx.state.settings.currency,
        expire_time=expire,
        valid_time=parse_time(body.valid_time, "valid_time"),
        customer_id=body.customer_id or None,
        source=source,
        remark=body.remark,
        issue_key=idempotency_key,
    )
    return _coupon_wire(view)


@operation(router, "GET", "/partner-cash-coupons", kind=CallerKind.ANY_PARTNER)
async def list_partner_cash_coupons(
    ctx: OperationContext, query: PartnerCashCouponsQuery
) -> PartnerCashCouponList:
    """The partner's own cash coupons (partner)

    The calling partner's cash coupons, expiring first, with their balances: what its next
    bills will deduct.
    """
    views, total = await ctx.services.partner_coupons.list_coupons(
        ctx.actor.partner_id, page(query.offset, query.limit)
    )
    return PartnerCashCouponList(total_count=total, coupons=[_coupon_wire(v) for v in views])
