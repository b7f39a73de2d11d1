"""Coupon quotas of the partner API (api-semantics.md §3.6): the partner's quotas, and the
distributor's quotas for its resellers (issue, reclaim, list, records).

Extension: ``update_coupon_quotas`` accepts an optional ``X-Idempotency-Key`` header (1–128
letters, digits, ``._:-``). Replaying a request with the same key returns the first answer and
issues nothing; the same key with a different request is refused with ``CBC.99007009``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.coupons.public import (
    QuotaFilter,
    QuotaOperation,
    QuotaRecordFilter,
    QuotaStatus,
    QuotaType,
    QuotaView,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.coupons import (
    MEASURE_YUAN,
    BatchResult,
    enum_int,
    error_details,
    text_filter,
    wire_limit_infos,
)
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import parse_time
from partner_center.http.headers import CouponIdempotencyKey
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import QueryModel
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import to_cents
from partner_center.kernel.pagination import page

_QUOTAS = "/v2/partners/coupon-quotas"
router = APIRouter(tags=["coupons"])


class QueryCouponQuotasReqExt(WireModel):
    quota_ids: list[str] | None = None
    quota_status_list: list[int] | None = None
    quota_type: int | None = Field(default=None, description="0 cash coupon (default), 1 flexi")
    create_time_begin: str | None = None
    create_time_end: str | None = None
    effective_time_begin: str | None = None
    effective_time_end: str | None = None
    expire_time_begin: str | None = None
    expire_time_end: str | None = None
    offset: int | None = None
    limit: int | None = None
    indirect_partner_id: str | None = Field(default=None, max_length=64)


@sdk_model()
class CouponQuotaV2(WireModel):
    pass


@sdk_model(required="*")
class ListQuotaCouponsResponse(WireModel):
    pass


class AdjustCouponQuotasReq(WireModel):
    quota_id: str = Field(max_length=64)
    indirect_partner_ids: list[str]
    quota_amount: Decimal = Field(description="> 0, 2 decimals, given to each reseller")


@sdk_model()
class QuotaSimpleInfo(WireModel):
    pass


@sdk_model(required="*")
class UpdateCouponQuotasResponse(BatchResult):
    pass


class ReclaimCouponQuotasReq(WireModel):
    quota_ids: list[str]
    remark: str | None = None


@sdk_model()
class QuotaReclaim(WireModel):
    pass


@sdk_model(required="*")
class ReclaimCouponQuotasResponse(BatchResult):
    pass


class ListIssuedCouponQuotasQuery(QueryModel):
    openapi_style = "schema"

    quota_id: str | None = None
    indirect_partner_id: str | None = None
    parent_quota_id: str | None = None
    offset: int | None = None
    limit: int | None = None


@sdk_model()
class IssuedCouponQuota(CouponQuotaV2):
    pass


@sdk_model(required="*")
class ListIssuedCouponQuotasResponse(WireModel):
    pass


class ListCouponQuotasRecordsQuery(QueryModel):
    openapi_style = "schema"

    indirect_partner_id: str | None = None
    quota_id: str | None = None
    operation_time_begin: str | None = None
    operation_time_end: str | None = None
    parent_quota_id: str | None = None
    operation_type: str | None = None
    offset: int | None = None
    limit: int | None = None


@sdk_model()
class QuotaRecord(WireModel):
    pass


@sdk_model(required="*")
class ListCouponQuotasRecordsResponse(WireModel):
    pass


def _quota_wire(view: QuotaView) -> dict[str, Any]:
    return {
        "quota_id": view.quota_id,
        "quota_type": int(view.quota_type),
        "create_time": format_utc(view.created_at),
        "last_update_time": format_utc(view.updated_at),
        "quota_value": to_cents(view.quota_value),
        "quota_status": int(view.status),
        "balance": to_cents(view.balance),
        "measure_id": MEASURE_YUAN,
        "currency": view.currency,
        "effective_time": format_utc(view.effective_time),
        "expire_time": format_utc(view.expire_time),
        "limit_infos": wire_limit_infos(view.restrictions, for_coupon=False),
    }


@operation(router, "POST", f"{_QUOTAS}/query", kind=CallerKind.PARTNER, body_required=False)
async def list_quota_coupons(
    ctx: OperationContext, body: QueryCouponQuotasReqExt
) -> ListQuotaCouponsResponse:
    """List the partner's coupon quotas (or a reseller's, for its distributor)"""
    statuses = None
    if body.quota_status_list:
        allowed = [int(s) for s in QuotaStatus]
        for value in body.quota_status_list:
            enum_int(value, "quota_status_list", allowed)
        statuses = frozenset(QuotaStatus(v) for v in body.quota_status_list)
    quota_type = enum_int(body.quota_type, "quota_type", [0, 1])
    filters = QuotaFilter(
        quota_ids=tuple(body.quota_ids) if body.quota_ids else None,
        statuses=statuses,
        quota_type=QuotaType(quota_type if quota_type is not None else 0),
        created_after=parse_time(body.create_time_begin, "create_time_begin"),
        created_before=parse_time(body.create_time_end, "create_time_end"),
        effective_after=parse_time(body.effective_time_begin, "effective_time_begin"),
        effective_before=parse_time(body.effective_time_end, "effective_time_end"),
        expire_after=parse_time(body.expire_time_begin, "expire_time_begin"),
        expire_before=parse_time(body.expire_time_end, "expire_time_end"),
    )
    views, total = await ctx.services.coupons.quotas.list_quotas(
        ctx.actor,
        filters,
        page(body.offset, body.limit),
        indirect_partner_id=text_filter(body.indirect_partner_id),
    )
    return ListQuotaCouponsResponse(
        total_count=total, quotas=[CouponQuotaV2(**_quota_wire(v)) for v in views]
    )


@operation(router, "POST", f"{_QUOTAS}/indirect-partner-adjust", kind=CallerKind.DISTRIBUTOR)
async def update_coupon_quotas(
    ctx: OperationContext, body: AdjustCouponQuotasReq, idempotency_key: CouponIdempotencyKey
) -> UpdateCouponQuotasResponse:
    """Give resellers coupon quotas split from one of the distributor's quotas"""
    issued, errors, _replayed = await ctx.services.coupons.issue_quotas(
        ctx.actor,
        quota_id=body.quota_id,
        reseller_ids=tuple(body.indirect_partner_ids),
        amount=body.quota_amount,
        idempotency_key=idempotency_key,
    )
    return UpdateCouponQuotasResponse(
        error_details=error_details(errors),
        simple_quota_infos=[QuotaSimpleInfo(id=r, quota_id=q) for r, q in issued],
    )


@operation(router, "POST", f"{_QUOTAS}/indirect-partner-reclaim", kind=CallerKind.DISTRIBUTOR)
async def reclaim_coupon_quotas(
    ctx: OperationContext, body: ReclaimCouponQuotasReq
) -> ReclaimCouponQuotasResponse:
    """Take back what is left of up to 10 reseller coupon quotas"""
    done, errors = await ctx.services.coupons.quotas.reclaim_from_resellers(
        ctx.actor, quota_ids=body.quota_ids, remark=body.remark
    )
    return ReclaimCouponQuotasResponse(
        error_details=error_details(errors),
        simple_quota_infos=[QuotaReclaim(quota_id=q, quota_balance=to_cents(b)) for q, b in done],
    )


@operation(router, "GET", "/v2/partners/issued-coupon-quotas", kind=CallerKind.DISTRIBUTOR)
async def list_issued_coupon_quotas(
    ctx: OperationContext, query: ListIssuedCouponQuotasQuery
) -> ListIssuedCouponQuotasResponse:
    """List the coupon quotas the distributor gave its resellers"""
    views, total = await ctx.services.coupons.quotas.list_issued(
        ctx.actor,
        quota_id=text_filter(query.quota_id),
        reseller_id=text_filter(query.indirect_partner_id),
        parent_quota_id=text_filter(query.parent_quota_id),
        page=page(query.offset, query.limit),
    )
    return ListIssuedCouponQuotasResponse(
        total_count=total,
        quotas=[
            IssuedCouponQuota(
                **_quota_wire(v),
                indirect_partner_id=v.owner_id,
                indirect_partner_account_name=v.owner_account_name,
                indirect_partner_name=v.owner_name,
                parent_quota_id=v.parent_id,
            )
            for v in views
        ],
    )


@operation(router, "GET", f"{_QUOTAS}/records", kind=CallerKind.DISTRIBUTOR)
async def list_coupon_quotas_records(
    ctx: OperationContext, query: ListCouponQuotasRecordsQuery
) -> ListCouponQuotasRecordsResponse:
    """List the distributor's quota issue and reclaim records"""
    operation = None
    if query.operation_type is not None:
        if query.operation_type not in ("10", "11"):
            raise invalid_parameter("operation_type", "Use 10 (issue) or 11 (reclaim).")
        operation = QuotaOperation(int(query.operation_type))
    filters = QuotaRecordFilter(
        reseller_id=text_filter(query.indirect_partner_id),
        **same_named(query, "quota_id parent_quota_id", via=text_filter),
        operation_type=operation,
        from_time=parse_time(query.operation_time_begin, "operation_time_begin"),
        to_time=parse_time(query.operation_time_end, "operation_time_end"),
    )
    views, total = await ctx.services.coupons.quotas.list_records(
        ctx.actor, filters, page(query.offset, query.limit)
    )
    return ListCouponQuotasRecordsResponse(
        total_count=total,
        records=[
            QuotaRecord(
                **same_named(r, "id operator quota_id parent_quota_id result remark"),
                operation_type=str(int(r.operation_type)),
                amount=to_cents(r.amount),
                operation_time=format_utc(r.operation_time),
                indirect_partner_account_name=r.reseller_account_name,
                indirect_partner_id=r.reseller_id,
                indirect_partner_name=r.reseller_name,
            )
            for r in views
        ],
    )
