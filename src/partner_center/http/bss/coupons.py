"""Coupons and coupon quotas of the partner API (api-semantics.md §3.4, §3.6): quotas, issuing
and reclaiming coupons, distributor quotas for resellers, and the coupon lists and records.

Extension: ``create_partner_coupons`` and ``update_coupon_quotas`` accept an optional
``X-Idempotency-Key`` header (1–128 letters, digits, `._:-`). Replaying a request with the same key
returns the first answer and issues nothing; the same key with a different request is refused
with ``CBC.99007009``. The SDK sends it with
``client.create_partner_coupons_invoker(req).add_header("X-Idempotency-Key", key).invoke()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar, get_args, get_origin

from fastapi import APIRouter
from pydantic import BaseModel, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from partner_center.domains.coupons.public import (
    CouponChangeFilter,
    CouponFilter,
    CouponOperation,
    CouponRecordFilter,
    CouponService,
    CouponStatus,
    CouponType,
    CouponView,
    IssueRequest,
    ItemError,
    QuotaFilter,
    QuotaOperation,
    QuotaRecordFilter,
    QuotaStatus,
    QuotaType,
    QuotaView,
    Restrictions,
)
from partner_center.domains.customers.public import PartnerActor
from partner_center.domains.identity.public import AccountKind
from partner_center.http.auth import CallerKind, require_kind
from partner_center.http.operations import OperationContext, run_operation
from partner_center.http.wire import WireModel, validation_message, wire_body, wire_responses
from partner_center.kernel.clock import format_utc, parse_utc, utc
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter
from partner_center.kernel.money import to_cents
from partner_center.kernel.pagination import page

router = APIRouter(tags=["coupons"])

IDEMPOTENCY_HEADER = "x-idempotency-key"
#: Amounts are in the main currency unit (yuan / US dollar).
_MEASURE_YUAN = 1
#: Partner coupons are electronic, issued online, and reusable until their balance is spent.
_ELECTRONIC = 1
_ONLINE_ISSUE = 3
_REUSABLE = 2

M = TypeVar("M", bound=BaseModel)


# ---------------------------------------------------------------------------------------------
# Wire models (field for field as the SDK's, ../shared/spec/api-surface.json)
# ---------------------------------------------------------------------------------------------


class LimitValue(WireModel):
    value1: str | None = None
    value2: str | None = None


class QuotaLimitInfo(WireModel):
    limit_key: str | None = None
    limit_values: list[LimitValue] | None = None


class ErrorDetail(WireModel):
    error_code: str | None = None
    error_msg: str | None = None
    id: str | None = None


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


class CouponQuotaV2(WireModel):
    quota_id: str | None = None
    quota_type: int | None = None
    create_time: str | None = None
    last_update_time: str | None = None
    quota_value: Decimal | None = None
    quota_status: int | None = None
    balance: Decimal | None = None
    measure_id: int | None = None
    currency: str | None = None
    effective_time: str | None = None
    expire_time: str | None = None
    limit_infos: list[QuotaLimitInfo] | None = None


class ListQuotaCouponsResponse(WireModel):
    total_count: int
    quotas: list[CouponQuotaV2]


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


class CouponSimpleInfo(WireModel):
    id: str | None = None
    coupon_id: str | None = None


class CreatePartnerCouponsResponse(WireModel):
    error_details: list[ErrorDetail]
    coupon_infos: list[CouponSimpleInfo]


class ReclaimPartnerCouponsReq(WireModel):
    coupon_id: str = Field(max_length=64)
    indirect_partner_id: str | None = Field(default=None, max_length=64)


class ICouponUseLimitInfoV2(WireModel):
    use_limiti_info_id: str | None = None
    limit_key: str | None = None
    value1: str | None = None
    value2: str | None = None
    value_unit: str | None = None
    limit_type: str | None = None
    promotion_plan_id: str | None = None


class IQueryUserPartnerCouponsResultV2(WireModel):
    coupon_id: str | None = None
    status: int | None = None
    customer_id: str | None = None
    coupon_type: int | None = None
    measure_id: int | None = None
    face_value: Decimal | None = None
    effective_time: str | None = None
    expire_time: str | None = None
    order_id: str | None = None
    media_type: int | None = None
    fetch_method: int | None = None
    use_limits: list[ICouponUseLimitInfoV2] | None = None
    active_time: str | None = None
    last_used_time: str | None = None
    create_time: str | None = None
    balance: Decimal | None = None
    lock_order_id: str | None = None
    is_frozen: str | None = None


class ListIssuedPartnerCouponsQuery(WireModel):
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


class ListIssuedPartnerCouponsResponse(WireModel):
    total_count: int
    user_coupons: list[IQueryUserPartnerCouponsResultV2]


class ListPartnerCouponsRecordQuery(WireModel):
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


class CouponRecordV2(WireModel):
    id: str | None = None
    operation_type: str | None = None
    quota_id: str | None = None
    quota_type: int | None = None
    coupon_id: str | None = None
    customer_id: str | None = None
    operation_amount: Decimal | None = None
    operation_time: str | None = None
    result: str | None = None
    remark: str | None = None


class ListPartnerCouponsRecordResponse(WireModel):
    total_count: int
    records: list[CouponRecordV2]


class ListSubCustomerCouponsQuery(WireModel):
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


class IQueryUserCouponsResultV2(WireModel):
    coupon_id: str | None = None
    status: int | None = None
    customer_id: str | None = None
    coupon_type: int | None = None
    measure_id: int | None = None
    face_value: Decimal | None = None
    valid_time: str | None = None
    expire_time: str | None = None
    order_id: str | None = None
    media_type: int | None = None
    fetch_method: int | None = None
    use_limits: list[ICouponUseLimitInfoV2] | None = None
    active_time: str | None = None
    reserve_time: str | None = None
    create_time: str | None = None
    coupon_version: int | None = None
    balance: Decimal | None = None
    lock_order_id: str | None = None
    is_frozen: str | None = None
    currency: str | None = None
    source_id: str | None = None


class ListSubCustomerCouponsResponse(WireModel):
    count: int
    user_coupons: list[IQueryUserCouponsResultV2]


class ListCustomerCouponChangeRecordsQuery(WireModel):
    balance_type: str | None = None
    revenue_expense_type: str | None = None
    trade_type: str | None = None
    trade_id: str | None = Field(default=None, max_length=128)
    trade_time_begin: str | None = None
    trade_time_end: str | None = None
    coupon_id: str | None = Field(default=None, max_length=64)
    offset: int | None = None
    limit: int | None = None


class CustomerCouponChangeRecord(WireModel):
    coupon_id: str | None = None
    trade_detail_type: str | None = None
    trade_time: str | None = None
    trade_id: str | None = None
    change_amount: str | None = None
    balance_after_change: str | None = None
    revenue_expense_type: str | None = None
    bill_cycle: str | None = None
    account_name: str | None = None
    cloud_service_type_name: str | None = None
    resource_type_name: str | None = None


class ListCustomerCouponChangeRecordsResponse(WireModel):
    total_count: int
    currency: str
    records: list[CustomerCouponChangeRecord]


class AdjustCouponQuotasReq(WireModel):
    quota_id: str = Field(max_length=64)
    indirect_partner_ids: list[str]
    quota_amount: Decimal = Field(description="> 0, 2 decimals, given to each reseller")


class QuotaSimpleInfo(WireModel):
    id: str | None = None
    quota_id: str | None = None


class UpdateCouponQuotasResponse(WireModel):
    error_details: list[ErrorDetail]
    simple_quota_infos: list[QuotaSimpleInfo]


class ReclaimCouponQuotasReq(WireModel):
    quota_ids: list[str]
    remark: str | None = None


class QuotaReclaim(WireModel):
    quota_id: str | None = None
    quota_balance: Decimal | None = None


class ReclaimCouponQuotasResponse(WireModel):
    error_details: list[ErrorDetail]
    simple_quota_infos: list[QuotaReclaim]


class ListIssuedCouponQuotasQuery(WireModel):
    quota_id: str | None = None
    indirect_partner_id: str | None = None
    parent_quota_id: str | None = None
    offset: int | None = None
    limit: int | None = None


class IssuedCouponQuota(CouponQuotaV2):
    indirect_partner_id: str | None = None
    indirect_partner_account_name: str | None = None
    indirect_partner_name: str | None = None
    parent_quota_id: str | None = None


class ListIssuedCouponQuotasResponse(WireModel):
    total_count: int
    quotas: list[IssuedCouponQuota]


class ListCouponQuotasRecordsQuery(WireModel):
    indirect_partner_id: str | None = None
    quota_id: str | None = None
    operation_time_begin: str | None = None
    operation_time_end: str | None = None
    parent_quota_id: str | None = None
    operation_type: str | None = None
    offset: int | None = None
    limit: int | None = None


class QuotaRecord(WireModel):
    id: str | None = None
    operator: str | None = None
    operation_type: str | None = None
    quota_id: str | None = None
    parent_quota_id: str | None = None
    amount: Decimal | None = None
    operation_time: str | None = None
    result: str | None = None
    indirect_partner_account_name: str | None = None
    indirect_partner_id: str | None = None
    indirect_partner_name: str | None = None
    remark: str | None = None


class ListCouponQuotasRecordsResponse(WireModel):
    total_count: int
    records: list[QuotaRecord]


# ---------------------------------------------------------------------------------------------
# Parsing helpers
# ---------------------------------------------------------------------------------------------


def query_parameters(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting ``model``'s fields as query parameters (lists repeat the
    key, ``k=v1&k=v2``)."""
    properties = model.model_json_schema().get("properties", {})
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": schema,
                **(
                    {"explode": True} if schema.get("anyOf", [{}])[0].get("type") == "array" else {}
                ),
            }
            for name, schema in properties.items()
        ]
    }


def _is_list(annotation: Any) -> bool:
    """``list[...]`` or ``list[...] | None``."""
    if get_origin(annotation) is list:
        return True
    return any(get_origin(arg) is list for arg in get_args(annotation))


def parse_query(request: Request, model: type[M]) -> M:
    """The query string as ``model``; list fields collect repeated keys (``multi`` format)."""
    lists = {name for name, info in model.model_fields.items() if _is_list(info.annotation)}
    data: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in lists:
            data.setdefault(key, []).append(value)
        else:
            data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DomainError("CBC.0100", validation_message(exc)) from exc


def parse_time(value: str | None, field: str) -> datetime | None:
    """A UTC filter or input time; absent = None, empty or malformed = ``CBC.0100``."""
    if value is None:
        return None
    try:
        return parse_utc(value)
    except ValueError as exc:
        raise invalid_parameter(field, "Use the UTC format yyyy-MM-ddTHH:mm:ssZ.") from exc


def _text(value: str | None) -> str | None:
    """A free-text or id filter: empty means "no filter" (api-semantics.md §1.4)."""
    return value or None


def _enum_int(value: int | None, field: str, allowed: Sequence[int]) -> int | None:
    if value is not None and value not in allowed:
        raise invalid_parameter(field, f"Use one of {', '.join(str(a) for a in allowed)}.")
    return value


def wire_limit_infos(restrictions: Restrictions, *, for_coupon: bool) -> list[QuotaLimitInfo]:
    return [
        QuotaLimitInfo(
            limit_key=info.limit_key,
            limit_values=[LimitValue(value1=v1, value2=v2) for v1, v2 in info.limit_values],
        )
        for info in restrictions.limit_infos(for_coupon=for_coupon)
    ]


def _use_limits(coupon: CouponView) -> list[ICouponUseLimitInfoV2]:
    out: list[ICouponUseLimitInfoV2] = []
    for info in coupon.restrictions.limit_infos(for_coupon=True):
        for v1, v2 in info.limit_values:
            out.append(
                ICouponUseLimitInfoV2(
                    use_limiti_info_id=f"{coupon.coupon_id}-{len(out) + 1}",
                    limit_key=info.limit_key,
                    value1=v1,
                    value2=v2,
                )
            )
    return out


def _errors(errors: Sequence[ItemError]) -> list[ErrorDetail]:
    return [ErrorDetail(id=e.id, error_code=e.code, error_msg=e.message) for e in errors]


def _coupons(ctx: OperationContext) -> CouponService:
    return ctx.services.coupons


def _quota_wire(view: QuotaView) -> dict[str, Any]:
    return {
        "quota_id": view.quota_id,
        "quota_type": int(view.quota_type),
        "create_time": format_utc(view.created_at),
        "last_update_time": format_utc(view.updated_at),
        "quota_value": to_cents(view.quota_value),
        "quota_status": int(view.status),
        "balance": to_cents(view.balance),
        "measure_id": _MEASURE_YUAN,
        "currency": view.currency,
        "effective_time": format_utc(view.effective_time),
        "expire_time": format_utc(view.expire_time),
        "limit_infos": wire_limit_infos(view.restrictions, for_coupon=False),
    }


def _idempotency_key(request: Request) -> str | None:
    return request.headers.get(IDEMPOTENCY_HEADER)


# ---------------------------------------------------------------------------------------------
# Quotas
# ---------------------------------------------------------------------------------------------


@router.post(
    "/v2/partners/coupon-quotas/query",
    operation_id="list_quota_coupons",
    summary="List the partner's coupon quotas (or a reseller's, for its distributor)",
    openapi_extra=wire_body(QueryCouponQuotasReqExt, required=False),
    responses=wire_responses(ListQuotaCouponsResponse),
)
async def list_quota_coupons(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: QueryCouponQuotasReqExt
    ) -> ListQuotaCouponsResponse:
        statuses = None
        if body.quota_status_list:
            allowed = [int(s) for s in QuotaStatus]
            for value in body.quota_status_list:
                _enum_int(value, "quota_status_list", allowed)
            statuses = frozenset(QuotaStatus(v) for v in body.quota_status_list)
        quota_type = _enum_int(body.quota_type, "quota_type", [0, 1])
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
        views, total = await _coupons(ctx).quotas.list_quotas(
            ctx.actor,
            filters,
            page(body.offset, body.limit),
            indirect_partner_id=_text(body.indirect_partner_id),
        )
        return ListQuotaCouponsResponse(
            total_count=total, quotas=[CouponQuotaV2(**_quota_wire(v)) for v in views]
        )

    return await run_operation(
        request,
        api="list_quota_coupons",
        kind=CallerKind.PARTNER,
        body_model=QueryCouponQuotasReqExt,
        handler=handle,
    )


@router.post(
    "/v2/partners/coupon-quotas/indirect-partner-adjust",
    operation_id="update_coupon_quotas",
    summary="Give resellers coupon quotas split from one of the distributor's quotas",
    openapi_extra=wire_body(AdjustCouponQuotasReq)
    | {
        "parameters": [
            {
                "name": "X-Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 128},
                "description": "Extension: replaying a key returns the first answer.",
            }
        ]
    },
    responses=wire_responses(UpdateCouponQuotasResponse),
)
async def update_coupon_quotas(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: AdjustCouponQuotasReq
    ) -> UpdateCouponQuotasResponse:
        issued, errors, _replayed = await _coupons(ctx).issue_quotas(
            ctx.actor,
            quota_id=body.quota_id,
            reseller_ids=tuple(body.indirect_partner_ids),
            amount=body.quota_amount,
            idempotency_key=_idempotency_key(request),
        )
        return UpdateCouponQuotasResponse(
            error_details=_errors(errors),
            simple_quota_infos=[QuotaSimpleInfo(id=r, quota_id=q) for r, q in issued],
        )

    return await run_operation(
        request,
        api="update_coupon_quotas",
        kind=CallerKind.DISTRIBUTOR,
        body_model=AdjustCouponQuotasReq,
        handler=handle,
    )


@router.post(
    "/v2/partners/coupon-quotas/indirect-partner-reclaim",
    operation_id="reclaim_coupon_quotas",
    summary="Take back what is left of up to 10 reseller coupon quotas",
    openapi_extra=wire_body(ReclaimCouponQuotasReq),
    responses=wire_responses(ReclaimCouponQuotasResponse),
)
async def reclaim_coupon_quotas(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: ReclaimCouponQuotasReq
    ) -> ReclaimCouponQuotasResponse:
        done, errors = await _coupons(ctx).quotas.reclaim_from_resellers(
            ctx.actor, quota_ids=body.quota_ids, remark=body.remark
        )
        return ReclaimCouponQuotasResponse(
            error_details=_errors(errors),
            simple_quota_infos=[
                QuotaReclaim(quota_id=q, quota_balance=to_cents(b)) for q, b in done
            ],
        )

    return await run_operation(
        request,
        api="reclaim_coupon_quotas",
        kind=CallerKind.DISTRIBUTOR,
        body_model=ReclaimCouponQuotasReq,
        handler=handle,
    )


@router.get(
    "/v2/partners/issued-coupon-quotas",
    operation_id="list_issued_coupon_quotas",
    summary="List the coupon quotas the distributor gave its resellers",
    openapi_extra=query_parameters(ListIssuedCouponQuotasQuery),
    responses=wire_responses(ListIssuedCouponQuotasResponse),
)
async def list_issued_coupon_quotas(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ListIssuedCouponQuotasResponse:
        query = parse_query(request, ListIssuedCouponQuotasQuery)
        views, total = await _coupons(ctx).quotas.list_issued(
            ctx.actor,
            quota_id=_text(query.quota_id),
            reseller_id=_text(query.indirect_partner_id),
            parent_quota_id=_text(query.parent_quota_id),
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

    return await run_operation(
        request,
        api="list_issued_coupon_quotas",
        kind=CallerKind.DISTRIBUTOR,
        body_model=None,
        handler=handle,
    )


@router.get(
    "/v2/partners/coupon-quotas/records",
    operation_id="list_coupon_quotas_records",
    summary="List the distributor's quota issue and reclaim records",
    openapi_extra=query_parameters(ListCouponQuotasRecordsQuery),
    responses=wire_responses(ListCouponQuotasRecordsResponse),
)
async def list_coupon_quotas_records(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ListCouponQuotasRecordsResponse:
        query = parse_query(request, ListCouponQuotasRecordsQuery)
        operation = None
        if query.operation_type is not None:
            if query.operation_type not in ("10", "11"):
                raise invalid_parameter("operation_type", "Use 10 (issue) or 11 (reclaim).")
            operation = QuotaOperation(int(query.operation_type))
        filters = QuotaRecordFilter(
            reseller_id=_text(query.indirect_partner_id),
            quota_id=_text(query.quota_id),
            parent_quota_id=_text(query.parent_quota_id),
            operation_type=operation,
            from_time=parse_time(query.operation_time_begin, "operation_time_begin"),
            to_time=parse_time(query.operation_time_end, "operation_time_end"),
        )
        views, total = await _coupons(ctx).quotas.list_records(
            ctx.actor, filters, page(query.offset, query.limit)
        )
        return ListCouponQuotasRecordsResponse(
            total_count=total,
            records=[
                QuotaRecord(
                    id=r.id,
                    operator=r.operator,
                    operation_type=str(int(r.operation_type)),
                    quota_id=r.quota_id,
                    parent_quota_id=r.parent_quota_id,
                    amount=to_cents(r.amount),
                    operation_time=format_utc(r.operation_time),
                    result=r.result,
                    indirect_partner_account_name=r.reseller_account_name,
                    indirect_partner_id=r.reseller_id,
                    indirect_partner_name=r.reseller_name,
                    remark=r.remark,
                )
                for r in views
            ],
        )

    return await run_operation(
        request,
        api="list_coupon_quotas_records",
        kind=CallerKind.DISTRIBUTOR,
        body_model=None,
        handler=handle,
    )


# ---------------------------------------------------------------------------------------------
# Coupons
# ---------------------------------------------------------------------------------------------


@router.post(
    "/v2/promotions/benefits/partner-coupons",
    operation_id="create_partner_coupons",
    summary="Issue coupons to resale customers within a coupon quota",
    openapi_extra=wire_body(CreatePartnerCouponsReq)
    | {
        "parameters": [
            {
                "name": "X-Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 128},
                "description": "Extension: replaying a key returns the first answer and issues "
                "nothing.",
            }
        ]
    },
    responses=wire_responses(CreatePartnerCouponsResponse),
)
async def create_partner_coupons(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: CreatePartnerCouponsReq
    ) -> CreatePartnerCouponsResponse:
        issue = IssueRequest(
            quota_id=body.quota_id,
            customer_ids=tuple(body.customer_ids),
            face_value=body.face_value,
            valid_time=parse_time(body.valid_time, "valid_time"),
            expire_time=parse_time(body.expire_time, "expire_time"),
            cloud_service_types=tuple(body.cloud_service_types)
            if body.cloud_service_types
            else None,
            product_ids=tuple(body.product_ids) if body.product_ids else None,
            subscribe_types=tuple(body.subscribe_types) if body.subscribe_types else None,
            memo=body.memo,
            indirect_partner_id=_text(body.indirect_partner_id),
        )
        result = await _coupons(ctx).issue(
            ctx.actor, issue, idempotency_key=_idempotency_key(request)
        )
        return CreatePartnerCouponsResponse(
            error_details=_errors(result.errors),
            coupon_infos=[CouponSimpleInfo(id=c, coupon_id=k) for c, k in result.coupons],
        )

    return await run_operation(
        request,
        api="create_partner_coupons",
        kind=CallerKind.PARTNER,
        body_model=CreatePartnerCouponsReq,
        handler=handle,
    )


@router.post(
    "/v2/promotions/benefits/partner-coupons/reclaim",
    operation_id="reclaim_partner_coupons",
    summary="Reclaim an available coupon; its whole balance returns to the quota",
    openapi_extra=wire_body(ReclaimPartnerCouponsReq),
    responses=wire_responses(None, 204),
    status_code=204,
)
async def reclaim_partner_coupons(request: Request) -> Response:
    async def handle(ctx: OperationContext, body: ReclaimPartnerCouponsReq) -> Response:
        await _coupons(ctx).reclaim(
            ctx.actor,
            coupon_id=body.coupon_id,
            indirect_partner_id=_text(body.indirect_partner_id),
        )
        return Response(status_code=204)

    return await run_operation(
        request,
        api="reclaim_partner_coupons",
        kind=CallerKind.PARTNER,
        body_model=ReclaimPartnerCouponsReq,
        handler=handle,
    )


def _status(value: int | None) -> CouponStatus | None:
    checked = _enum_int(value, "status", [int(s) for s in CouponStatus])
    return None if checked is None else CouponStatus(checked)


@router.get(
    "/v2/promotions/benefits/partner-coupons",
    operation_id="list_issued_partner_coupons",
    summary="List the coupons the partner (or a reseller, for its distributor) issued",
    openapi_extra=query_parameters(ListIssuedPartnerCouponsQuery),
    responses=wire_responses(ListIssuedPartnerCouponsResponse),
)
async def list_issued_partner_coupons(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ListIssuedPartnerCouponsResponse:
        query = parse_query(request, ListIssuedPartnerCouponsQuery)
        coupon_type = _enum_int(query.coupon_type, "coupon_type", [1, 4])
        filters = CouponFilter(
            coupon_id=_text(query.coupon_id),
            customer_id=_text(query.customer_id),
            order_id=_text(query.order_id),
            coupon_type=None if coupon_type is None else CouponType(coupon_type),
            status=_status(query.status),
            created_after=parse_time(query.create_time_begin, "create_time_begin"),
            created_before=parse_time(query.create_time_end, "create_time_end"),
            valid_after=parse_time(query.effective_time_begin, "effective_time_begin"),
            valid_before=parse_time(query.effective_time_end, "effective_time_end"),
            expire_after=parse_time(query.expire_time_begin, "expire_time_begin"),
            expire_before=parse_time(query.expire_time_end, "expire_time_end"),
        )
        views, total = await _coupons(ctx).list_issued(
            ctx.actor,
            filters,
            page(query.offset, query.limit),
            indirect_partner_id=_text(query.indirect_partner_id),
        )
        return ListIssuedPartnerCouponsResponse(
            total_count=total,
            user_coupons=[
                IQueryUserPartnerCouponsResultV2(
                    coupon_id=v.coupon_id,
                    status=int(v.status),
                    customer_id=v.customer_id,
                    coupon_type=int(v.coupon_type),
                    measure_id=_MEASURE_YUAN,
                    face_value=to_cents(v.face_value),
                    effective_time=format_utc(v.valid_time),
                    expire_time=format_utc(v.expire_time),
                    order_id=v.order_id,
                    media_type=_ELECTRONIC,
                    fetch_method=_ONLINE_ISSUE,
                    use_limits=_use_limits(v),
                    active_time=format_utc(v.created_at),
                    last_used_time=format_utc(v.last_used_at) if v.last_used_at else None,
                    create_time=format_utc(v.created_at),
                    balance=to_cents(v.balance),
                    lock_order_id=v.lock_order_id,
                    is_frozen="1" if v.frozen else "0",
                )
                for v in views
            ],
        )

    return await run_operation(
        request,
        api="list_issued_partner_coupons",
        kind=CallerKind.PARTNER,
        body_model=None,
        handler=handle,
    )


@router.get(
    "/v2/promotions/benefits/partner-coupons/records/query",
    operation_id="list_partner_coupons_record",
    summary="List the partner's coupon issue and reclaim records",
    openapi_extra=query_parameters(ListPartnerCouponsRecordQuery),
    responses=wire_responses(ListPartnerCouponsRecordResponse),
)
async def list_partner_coupons_record(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ListPartnerCouponsRecordResponse:
        query = parse_query(request, ListPartnerCouponsRecordQuery)
        operations = None
        if query.operation_types is not None:
            allowed = {str(int(o)) for o in CouponOperation}
            if any(v not in allowed for v in query.operation_types if v != ""):
                raise invalid_parameter("operation_types", "Use values 1 to 9.")
            operations = frozenset(
                CouponOperation(int(v)) for v in query.operation_types if v != ""
            )
        result = query.result if query.result in ("0", "-1") else None
        filters = CouponRecordFilter(
            operation_types=operations,
            quota_id=_text(query.quota_id),
            quota_type=_enum_int(query.quota_type, "quota_type", [0, 1]),
            coupon_ids=tuple(query.coupon_ids) if query.coupon_ids is not None else None,
            customer_id=_text(query.customer_id),
            after=parse_time(query.operation_time_begin, "operation_time_begin"),
            before=parse_time(query.operation_time_end, "operation_time_end"),
            result=result,
        )
        views, total = await _coupons(ctx).list_records(
            ctx.actor,
            filters,
            page(query.offset, query.limit),
            indirect_partner_id=_text(query.indirect_partner_id),
        )
        return ListPartnerCouponsRecordResponse(
            total_count=total,
            records=[
                CouponRecordV2(
                    id=r.id,
                    operation_type=str(int(r.operation_type)),
                    quota_id=r.quota_id,
                    quota_type=r.quota_type,
                    coupon_id=r.coupon_id,
                    customer_id=r.customer_id,
                    operation_amount=to_cents(r.operation_amount),
                    operation_time=format_utc(r.operation_time),
                    result=r.result,
                    remark=r.remark,
                )
                for r in views
            ],
        )

    return await run_operation(
        request,
        api="list_partner_coupons_record",
        kind=CallerKind.PARTNER,
        body_model=None,
        handler=handle,
    )


@router.get(
    "/v2/promotions/benefits/coupons",
    operation_id="list_sub_customer_coupons",
    summary="A customer's own coupons, or the coupons of a partner's customers",
    openapi_extra=query_parameters(ListSubCustomerCouponsQuery),
    responses=wire_responses(ListSubCustomerCouponsResponse),
)
async def list_sub_customer_coupons(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ListSubCustomerCouponsResponse:
        query = parse_query(request, ListSubCustomerCouponsQuery)
        actor: PartnerActor | None = None
        if ctx.caller.kind == AccountKind.PARTNER:
            partner = await require_kind(ctx.caller, CallerKind.PARTNER, ctx.services.partners)
            assert partner is not None
            actor = PartnerActor(caller=ctx.caller, partner=partner)
        elif ctx.caller.kind != AccountKind.CUSTOMER:
            raise access_denied("Access denied: call with partner or customer credentials.")
        coupon_type = _enum_int(query.coupon_type, "coupon_type", [1, 2, 3, 4])
        filters = CouponFilter(
            coupon_id=_text(query.coupon_id),
            order_id=_text(query.order_id),
            coupon_type=None if coupon_type is None else CouponType(coupon_type),
            status=_status(query.status),
            source_id=_text(query.source_id),
            created_after=parse_time(query.active_start_time, "active_start_time"),
            created_before=parse_time(query.active_end_time, "active_end_time"),
            no_match=bool(query.promotion_plan_id),
        )
        views, total = await _coupons(ctx).list_held(
            ctx.caller,
            actor,
            filters,
            page(query.offset, query.limit),
            indirect_partner_id=_text(query.indirect_partner_id) if actor else None,
        )
        return ListSubCustomerCouponsResponse(
            count=total,
            user_coupons=[
                IQueryUserCouponsResultV2(
                    coupon_id=v.coupon_id,
                    status=int(v.status),
                    customer_id=v.customer_id,
                    coupon_type=int(v.coupon_type),
                    measure_id=_MEASURE_YUAN,
                    face_value=to_cents(v.face_value),
                    valid_time=format_utc(v.valid_time),
                    expire_time=format_utc(v.expire_time),
                    order_id=v.order_id,
                    media_type=_ELECTRONIC,
                    fetch_method=_ONLINE_ISSUE,
                    use_limits=_use_limits(v),
                    active_time=format_utc(v.created_at),
                    reserve_time=format_utc(v.last_used_at) if v.last_used_at else None,
                    create_time=format_utc(v.created_at),
                    coupon_version=_REUSABLE,
                    balance=to_cents(v.balance),
                    lock_order_id=v.lock_order_id,
                    is_frozen="1" if v.frozen else "0",
                    currency=v.currency,
                    source_id=v.issuer_id,
                )
                for v in views
            ],
        )

    return await run_operation(
        request,
        api="list_sub_customer_coupons",
        kind=CallerKind.ANY,
        body_model=None,
        handler=handle,
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


@router.get(
    "/v2/promotions/benefits/account-change-records",
    operation_id="list_customer_coupon_change_records",
    summary="The customer's coupon balance changes",
    openapi_extra=query_parameters(ListCustomerCouponChangeRecordsQuery),
    responses=wire_responses(ListCustomerCouponChangeRecordsResponse),
)
async def list_customer_coupon_change_records(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ListCustomerCouponChangeRecordsResponse:
        query = parse_query(request, ListCustomerCouponChangeRecordsQuery)
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
            trade_id=_text(query.trade_id),
            coupon_id=_text(query.coupon_id),
        )
        views, total = await _coupons(ctx).list_changes(
            ctx.caller.account_id, filters, page(query.offset, query.limit)
        )
        return ListCustomerCouponChangeRecordsResponse(
            total_count=total,
            currency=ctx.state.settings.currency,
            records=[
                CustomerCouponChangeRecord(
                    coupon_id=r.coupon_id,
                    trade_detail_type=r.trade_detail_type,
                    trade_time=format_utc(r.trade_time),
                    trade_id=r.trade_id,
                    change_amount=f"{to_cents(r.change_amount):f}",
                    balance_after_change=f"{to_cents(r.balance_after):f}",
                    revenue_expense_type=r.revenue_expense_type,
                    bill_cycle=utc(r.trade_time).astimezone(zone).strftime("%Y-%m"),
                    account_name=ctx.caller.account_name,
                    cloud_service_type_name=r.cloud_service_type_name,
                    resource_type_name=r.resource_type_name,
                )
                for r in views
            ],
        )

    return await run_operation(
        request,
        api="list_customer_coupon_change_records",
        kind=CallerKind.CUSTOMER,
        body_model=None,
        handler=handle,
    )
