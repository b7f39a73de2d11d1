"""Coupons of the partner API (api-semantics.md §3.4, §3.6): issuing and reclaiming coupons
within a quota, and the coupon lists and records (the quotas are ``quotas.py``).

Extension: ``create_partner_coupons`` accepts an optional ``X-Idempotency-Key`` header (1–128
letters, digits, ``._:-``). Replaying a request with the same key returns the first answer and
issues nothing; the same key with a different request is refused with ``CBC.99007009``. The SDK sends it with
``client.create_partner_coupons_invoker(req).add_header("X-Idempotency-Key", key).invoke()``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.coupons.public import (
    CouponChangeFilter,
    CouponFilter,
    CouponOperation,
    CouponRecordFilter,
    CouponStatus,
    CouponType,
    CouponView,
    IssueRequest,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.coupons import (
    MEASURE_YUAN,
    BatchResult,
    enum_int,
    error_details,
    text_filter,
    use_limits,
)
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import optional_utc, parse_time
from partner_center.http.headers import CouponIdempotencyKey
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import QueryModel
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc, utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import to_cents
from partner_center.kernel.pagination import page

router = APIRouter(tags=["coupons"])
_BENEFITS = "/v2/promotions/benefits"

#: Partner coupons are electronic, issued online, and reusable until their balance is spent.
_ELECTRONIC = 1
_ONLINE_ISSUE = 3
_REUSABLE = 2


# ---------------------------------------------------------------------------------------------
# Wire models (field for field as the SDK's, ../shared/spec/api-surface.json)
# ---------------------------------------------------------------------------------------------


class CreatePartnerCouponsReq(WireModel):
    quota_id: str = Field(max_length=64)
    customer_ids: list[str]
    face_value: Decimal = Field(description="> 0, 2 decimals")
    valid_time: str | None = None
    expire_time: str | None = None
    cloud_service_types: list[str] | None = None
    product_ids: list[str] | None = None
    memo: str | None = None
    indirect_partner_id: str | None = Field(default=None, max_length=64)
    subscribe_types: list[str] | None = Field(
        default=None,
        description="Extension of ours: narrow the quota's subscribe types (1 new, 2 renew, "
        "3 change).",
    )


@sdk_model()
class CouponSimpleInfo(WireModel):
    pass


@sdk_model(required="*")
class CreatePartnerCouponsResponse(BatchResult):
    pass


class ReclaimPartnerCouponsReq(WireModel):
    coupon_id: str = Field(max_length=64)
    indirect_partner_id: str | None = Field(default=None, max_length=64)


@sdk_model(omit="promotion_plan_id promotion_plan_name promotion_plan_desc promotion_id")
class IQueryUserPartnerCouponsResultV2(WireModel):
    pass


class ListIssuedPartnerCouponsQuery(QueryModel):
    openapi_style = "schema"

    coupon_id: str | None = None
    customer_id: str | None = None
    order_id: str | None = None
    coupon_type: int | None = None
    status: int | None = None
    create_time_begin: str | None = None
    create_time_end: str | None = None
    effective_time_begin: str | None = None
    effective_time_end: str | None = None
    expire_time_begin: str | None = None
    expire_time_end: str | None = None
    offset: int | None = None
    limit: int | None = None
    indirect_partner_id: str | None = None


@sdk_model(required="*")
class ListIssuedPartnerCouponsResponse(WireModel):
    pass


class ListPartnerCouponsRecordQuery(QueryModel):
    openapi_style = "schema"

    operation_types: list[str] | None = None
    quota_id: str | None = None
    quota_type: int | None = None
    coupon_ids: list[str] | None = None
    customer_id: str | None = None
    operation_time_begin: str | None = None
    operation_time_end: str | None = None
    result: str | None = None
    offset: int | None = None
    limit: int | None = None
    indirect_partner_id: str | None = None


@sdk_model()
class CouponRecordV2(WireModel):
    pass


@sdk_model(required="*")
class ListPartnerCouponsRecordResponse(WireModel):
    pass


class ListSubCustomerCouponsQuery(QueryModel):
    openapi_style = "schema"

    coupon_id: str | None = None
    order_id: str | None = None
    promotion_plan_id: str | None = None
    coupon_type: int | None = None
    status: int | None = None
    active_start_time: str | None = None
    active_end_time: str | None = None
    offset: int | None = None
    limit: int | None = None
    source_id: str | None = None
    indirect_partner_id: str | None = None


@sdk_model(omit="coupon_code plan_name plan_desc promotion_id coupon_usage extend_param1")
class IQueryUserCouponsResultV2(WireModel):
    promotion_plan_id: str | None = Field(
        default=None, description="The coupon quota the coupon was issued from"
    )


@sdk_model(required="*")
class ListSubCustomerCouponsResponse(WireModel):
    pass


class ListCustomerCouponChangeRecordsQuery(QueryModel):
    openapi_style = "schema"

    balance_type: str | None = None
    revenue_expense_type: str | None = None
    trade_type: str | None = None
    trade_id: str | None = Field(default=None, max_length=128)
    trade_time_begin: str | None = None
    trade_time_end: str | None = None
    coupon_id: str | None = Field(default=None, max_length=64)
    offset: int | None = None
    limit: int | None = None


@sdk_model()
class CustomerCouponChangeRecord(WireModel):
    pass


@sdk_model(required="*")
class ListCustomerCouponChangeRecordsResponse(WireModel):
    pass


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _coupon_fields(v: CouponView) -> dict[str, Any]:
    """What the partner's and the customer's coupon lists write alike."""
    return {
        "coupon_id": v.coupon_id,
        "status": int(v.status),
        "customer_id": v.customer_id,
        "coupon_type": int(v.coupon_type),
        "measure_id": MEASURE_YUAN,
        "face_value": to_cents(v.face_value),
        "expire_time": format_utc(v.expire_time),
        "order_id": v.order_id,
        "media_type": _ELECTRONIC,
        "fetch_method": _ONLINE_ISSUE,
        "use_limits": use_limits(v),
        "active_time": format_utc(v.created_at),
        "create_time": format_utc(v.created_at),
        "balance": to_cents(v.balance),
        "lock_order_id": v.lock_order_id,
        "is_frozen": "1" if v.frozen else "0",
    }


# ---------------------------------------------------------------------------------------------
# Coupons
# ---------------------------------------------------------------------------------------------


@operation(router, "POST", f"{_BENEFITS}/partner-coupons", kind=CallerKind.PARTNER)
async def create_partner_coupons(
    ctx: OperationContext, body: CreatePartnerCouponsReq, idempotency_key: CouponIdempotencyKey
) -> CreatePartnerCouponsResponse:
    """Issue coupons to resale customers within a coupon quota"""
    issue = IssueRequest(
        quota_id=body.quota_id,
        customer_ids=tuple(body.customer_ids),
        face_value=body.face_value,
        valid_time=parse_time(body.valid_time, "valid_time"),
        expire_time=parse_time(body.expire_time, "expire_time"),
        cloud_service_types=tuple(body.cloud_service_types) if body.cloud_service_types else None,
        product_ids=tuple(body.product_ids) if body.product_ids else None,
        subscribe_types=tuple(body.subscribe_types) if body.subscribe_types else None,
        memo=body.memo,
        indirect_partner_id=text_filter(body.indirect_partner_id),
    )
    result = await ctx.services.coupons.issue(ctx.actor, issue, idempotency_key=idempotency_key)
    return CreatePartnerCouponsResponse(
        error_details=error_details(result.errors),
        coupon_infos=[CouponSimpleInfo(id=c, coupon_id=k) for c, k in result.coupons],
    )


@operation(router, "POST", f"{_BENEFITS}/partner-coupons/reclaim", kind=CallerKind.PARTNER)
async def reclaim_partner_coupons(ctx: OperationContext, body: ReclaimPartnerCouponsReq) -> None:
    """Reclaim an available coupon; its whole balance returns to the quota"""
    await ctx.services.coupons.reclaim(
        ctx.actor,
        coupon_id=body.coupon_id,
        indirect_partner_id=text_filter(body.indirect_partner_id),
    )


def _status(value: int | None) -> CouponStatus | None:
    checked = enum_int(value, "status", [int(s) for s in CouponStatus])
    return None if checked is None else CouponStatus(checked)


@operation(router, "GET", f"{_BENEFITS}/partner-coupons", kind=CallerKind.PARTNER)
async def list_issued_partner_coupons(
    ctx: OperationContext, query: ListIssuedPartnerCouponsQuery
) -> ListIssuedPartnerCouponsResponse:
    """List the coupons the partner (or a reseller, for its distributor) issued"""
    coupon_type = enum_int(query.coupon_type, "coupon_type", [1, 4])
    filters = CouponFilter(
        **same_named(query, "coupon_id customer_id order_id", via=text_filter),
        coupon_type=None if coupon_type is None else CouponType(coupon_type),
        status=_status(query.status),
        created_after=parse_time(query.create_time_begin, "create_time_begin"),
        created_before=parse_time(query.create_time_end, "create_time_end"),
        valid_after=parse_time(query.effective_time_begin, "effective_time_begin"),
        valid_before=parse_time(query.effective_time_end, "effective_time_end"),
        expire_after=parse_time(query.expire_time_begin, "expire_time_begin"),
        expire_before=parse_time(query.expire_time_end, "expire_time_end"),
    )
    views, total = await ctx.services.coupons.list_issued(
        ctx.actor,
        filters,
        page(query.offset, query.limit),
        indirect_partner_id=text_filter(query.indirect_partner_id),
    )
    return ListIssuedPartnerCouponsResponse(
        total_count=total,
        user_coupons=[
            IQueryUserPartnerCouponsResultV2(
                **_coupon_fields(v),
                effective_time=format_utc(v.valid_time),
                last_used_time=optional_utc(v.last_used_at),
            )
            for v in views
        ],
    )


@operation(router, "GET", f"{_BENEFITS}/partner-coupons/records/query", kind=CallerKind.PARTNER)
async def list_partner_coupons_record(
    ctx: OperationContext, query: ListPartnerCouponsRecordQuery
) -> ListPartnerCouponsRecordResponse:
    """List the partner's coupon issue and reclaim records"""
    operations = None
    if query.operation_types is not None:
        allowed = {str(int(o)) for o in CouponOperation}
        if any(v not in allowed for v in query.operation_types if v != ""):
            raise invalid_parameter("operation_types", "Use values 1 to 9.")
        operations = frozenset(CouponOperation(int(v)) for v in query.operation_types if v != "")
    result = query.result if query.result in ("0", "-1") else None
    filters = CouponRecordFilter(
        operation_types=operations,
        **same_named(query, "quota_id customer_id", via=text_filter),
        quota_type=enum_int(query.quota_type, "quota_type", [0, 1]),
        coupon_ids=tuple(query.coupon_ids) if query.coupon_ids is not None else None,
        after=parse_time(query.operation_time_begin, "operation_time_begin"),
        before=parse_time(query.operation_time_end, "operation_time_end"),
        result=result,
    )
    views, total = await ctx.services.coupons.list_records(
        ctx.actor,
        filters,
        page(query.offset, query.limit),
        indirect_partner_id=text_filter(query.indirect_partner_id),
    )
    return ListPartnerCouponsRecordResponse(
        total_count=total,
        records=[
            CouponRecordV2(
                **same_named(r, "id quota_id quota_type coupon_id customer_id result remark"),
                operation_type=str(int(r.operation_type)),
                operation_amount=to_cents(r.operation_amount),
                operation_time=format_utc(r.operation_time),
            )
            for r in views
        ],
    )


@operation(router, "GET", f"{_BENEFITS}/coupons", kind=CallerKind.PARTNER_OR_CUSTOMER)
async def list_sub_customer_coupons(
    ctx: OperationContext, query: ListSubCustomerCouponsQuery
) -> ListSubCustomerCouponsResponse:
    """A customer's own coupons, or the coupons of a partner's customers"""
    actor = ctx.partner_actor
    coupon_type = enum_int(query.coupon_type, "coupon_type", [1, 2, 3, 4])
    filters = CouponFilter(
        **same_named(query, "coupon_id order_id source_id", via=text_filter),
        coupon_type=None if coupon_type is None else CouponType(coupon_type),
        status=_status(query.status),
        created_after=parse_time(query.active_start_time, "active_start_time"),
        created_before=parse_time(query.active_end_time, "active_end_time"),
        quota_id=text_filter(query.promotion_plan_id),
    )
    views, total = await ctx.services.coupons.list_held(
        ctx.caller,
        actor,
        filters,
        page(query.offset, query.limit),
        indirect_partner_id=text_filter(query.indirect_partner_id) if actor else None,
    )
    return ListSubCustomerCouponsResponse(
        count=total,
        user_coupons=[
            IQueryUserCouponsResultV2(
                **_coupon_fields(v),
                promotion_plan_id=v.quota_id,
                valid_time=format_utc(v.valid_time),
                reserve_time=optional_utc(v.last_used_at),
                coupon_version=_REUSABLE,
                currency=v.currency,
                source_id=v.issuer_id,
            )
            for v in views
        ],
    )


_TRADE_TYPES = ("ADJUST", "DEDEUCT", "REFUND", "RFROZEN", "EXPIRED", "COUPONADJUST", "COUPONCANCEL")


def _local_date(value: str | None, field: str, default: date) -> date:
    if value is None:
        return default
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise invalid_parameter(field, "Use the date format YYYY-MM-DD (UTC+8).") from exc
    if len(value) != 10:
        raise invalid_parameter(field, "Use the date format YYYY-MM-DD (UTC+8).")
    return parsed


@operation(router, "GET", f"{_BENEFITS}/account-change-records", kind=CallerKind.CUSTOMER)
async def list_customer_coupon_change_records(
    ctx: OperationContext, query: ListCustomerCouponChangeRecordsQuery
) -> ListCustomerCouponChangeRecordsResponse:
    """The customer's coupon balance changes"""
    if query.balance_type != "BALANCE_TYPE_COUPON":
        raise invalid_parameter("balance_type", "Required: BALANCE_TYPE_COUPON.")
    if query.revenue_expense_type is not None and query.revenue_expense_type not in (
        "REVENUE",
        "EXPENSE",
    ):
        raise invalid_parameter("revenue_expense_type", "Use REVENUE or EXPENSE.")
    if query.trade_type is not None and query.trade_type not in _TRADE_TYPES:
        raise invalid_parameter("trade_type", f"Use one of {', '.join(_TRADE_TYPES)}.")
    zone = ctx.state.settings.zone
    today = utc(ctx.state.clock.now()).astimezone(zone).date()
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:
        year_ago = today - timedelta(days=365)
    begin = _local_date(query.trade_time_begin, "trade_time_begin", year_ago)
    end = _local_date(query.trade_time_end, "trade_time_end", today)
    if begin > end:
        raise invalid_parameter("trade_time_end", "Must not be before trade_time_begin.")
    filters = CouponChangeFilter(
        from_time=datetime.combine(begin, time(0), tzinfo=zone),
        to_time=datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone),
        revenue_expense_type=query.revenue_expense_type,
        trade_type=query.trade_type,
        **same_named(query, "trade_id coupon_id", via=text_filter),
    )
    views, total = await ctx.services.coupons.list_changes(
        ctx.caller.account_id, filters, page(query.offset, query.limit)
    )
    return ListCustomerCouponChangeRecordsResponse(
        total_count=total,
        currency=ctx.state.settings.currency,
        records=[
            CustomerCouponChangeRecord(
                **same_named(
                    r,
                    "coupon_id trade_detail_type trade_id revenue_expense_type"
                    " cloud_service_type_name resource_type_name",
                ),
                trade_time=format_utc(r.trade_time),
                change_amount=f"{to_cents(r.change_amount):f}",
                balance_after_change=f"{to_cents(r.balance_after):f}",
                bill_cycle=utc(r.trade_time).astimezone(zone).strftime("%Y-%m"),
                account_name=ctx.caller.account_name,
            )
            for r in views
        ],
    )
