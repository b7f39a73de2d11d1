"""Pay-per-use resources and resource packages of the reference API (api-semantics.md §3.9,
§3.10): list_customer_on_demand_resources (partner credentials) and list_free_resource_infos,
list_free_resource_usages, list_free_resources_usage_records (customer credentials: the
customer's own AK/SK, or the partner through the customer's agency).

Wire decisions: package and free-resource amounts are strings (``amount``, ``original_amount``)
except in ``list_free_resource_usages``, whose SDK model types them as decimals; amounts keep up
to 8 decimals with trailing zeros removed. Deduction dates are ``YYYY-MM-DD`` in the billing
time zone (UTC+8 by default); every time in a response is UTC ``yyyy-MM-ddTHH:mm:ssZ``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from partner_center.domains.usage.public import (
    DeductionView,
    FreeResourceView,
    PackageQuery,
    PackageService,
    PackageView,
    ResourceQuery,
    ResourceView,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.catalog import language_of
from partner_center.http.operations import OperationContext, run_operation
from partner_center.http.wire import WireModel, wire_body, wire_responses
from partner_center.kernel.clock import format_utc, parse_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(tags=["pay-per-use"])


def amount_text(value: Decimal) -> str:
    """Up to 8 decimals, trailing zeros dropped (``"100"``, ``"12.5"``)."""
    text = f"{value.normalize():f}"
    return text


def amount_number(value: Decimal) -> Decimal:
    return Decimal(amount_text(value))


# -- list_customer_on_demand_resources --------------------------------------------------------


class QueryCustomerOnDemandResourcesReq(WireModel):
    customer_id: str = Field(max_length=64)
    region_code: str | None = Field(default=None, max_length=64)
    service_type_code: str | None = Field(default=None, max_length=64)
    resource_ids: list[str] | None = Field(default=None, description="At most 50 ids")
    effective_time_begin: str | None = Field(default=None, description="UTC")
    effective_time_end: str | None = Field(default=None, description="UTC")
    offset: int | None = None
    limit: int | None = None
    status: int | None = Field(
        default=None,
        description="1 normal, 2 grace period, 3 frozen, 4 changing, 5 closing, 6 closed",
    )
    indirect_partner_id: str | None = Field(default=None, max_length=64)


class CustomerOnDemandResource(WireModel):
    customer_id: str
    region_code: str
    availability_zone_code: str | None = None
    service_type_code: str
    resource_type_code: str
    service_type_name: str
    resource_type_name: str
    resource_id: str
    resource_name: str
    effective_time: str
    expire_time: str | None = None
    status: int
    resource_spec_code: str
    resource_info: str
    product_spec_desc: str


class ListCustomerOnDemandResourcesResponse(WireModel):
    resources: list[CustomerOnDemandResource]
    total_count: int


def _time(value: str | None, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_utc(value)
    except ValueError as exc:
        raise invalid_parameter(field, "Use yyyy-MM-ddTHH:mm:ssZ (UTC).") from exc


def resource_wire(view: ResourceView) -> CustomerOnDemandResource:
    return CustomerOnDemandResource(
        customer_id=view.customer_id,
        region_code=view.region_code,
        availability_zone_code=view.availability_zone_code,
        service_type_code=view.service_type_code,
        resource_type_code=view.resource_type_code,
        service_type_name=view.service_type_name,
        resource_type_name=view.resource_type_name,
        resource_id=view.resource_id,
        resource_name=view.resource_name,
        effective_time=format_utc(view.effective_time),
        expire_time=format_utc(view.expire_time) if view.expire_time else None,
        status=int(view.status),
        resource_spec_code=view.resource_spec_code,
        resource_info=view.resource_info,
        product_spec_desc=view.product_spec_desc,
    )


@router.post(
    "/v2/partners/sub-customers/on-demand-resources/query",
    operation_id="list_customer_on_demand_resources",
    summary="A customer's pay-per-use resources (partner)",
    openapi_extra=wire_body(QueryCustomerOnDemandResourcesReq),
    responses=wire_responses(ListCustomerOnDemandResourcesResponse),
)
async def list_customer_on_demand_resources(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: QueryCustomerOnDemandResourcesReq
    ) -> ListCustomerOnDemandResourcesResponse:
        window = page(body.offset, body.limit)
        begin = _time(body.effective_time_begin, "effective_time_begin")
        end = _time(body.effective_time_end, "effective_time_end")
        query = ResourceQuery(
            customer_id=body.customer_id,
            region_code=body.region_code or None,
            service_type_code=body.service_type_code or None,
            resource_ids=tuple(body.resource_ids) if body.resource_ids else None,
            effective_time_begin=begin,
            effective_time_end=end,
            status=body.status,
            indirect_partner_id=body.indirect_partner_id or None,
        )
        language = language_of(request, ctx.state.site)
        views, total = await ctx.services.usage.list_for_partner(
            ctx.actor, query, window, customers=ctx.customers, language=language
        )
        return ListCustomerOnDemandResourcesResponse(
            resources=[resource_wire(v) for v in views], total_count=total
        )

    return await run_operation(
        request,
        api="list_customer_on_demand_resources",
        kind=CallerKind.PARTNER,
        body_model=QueryCustomerOnDemandResourcesReq,
        handler=handle,
    )


# -- list_free_resource_infos -----------------------------------------------------------------


class ListFreeResourceInfosReq(WireModel):
    region_code: str | None = Field(default=None, max_length=64)
    order_id: str | None = Field(default=None, max_length=64)
    product_id: str | None = Field(default=None, max_length=64)
    product_name: str | None = Field(default=None, max_length=128)
    enterprise_project_id: str | None = Field(default=None, max_length=64)
    status: int | None = Field(
        default=None,
        description="0 not effective, 1 effective, 2 used up, 3 expired, 4 unsubscribed",
    )
    offset: int | None = None
    limit: int | None = None
    service_type_code_list: list[str] | None = Field(default=None, description="Case-insensitive")


class FreeResourceV3(WireModel):
    free_resource_id: str
    usage_type_name: str
    amount: str = Field(description="Remaining in the current cycle")
    original_amount: str
    measure_id: int


class FreeResourcePackageV3(WireModel):
    order_instance_id: str
    order_id: str = Field(description="Empty for a given (gift) package")
    product_id: str
    product_name: str
    enterprise_project_id: str = "0"
    enterprise_project_scope: int = 0
    effective_time: str
    expire_time: str
    status: int
    service_type_code: str
    service_type_name: str | None = None
    region_code: str
    source_type: int
    bundle_type: str
    quota_reuse_mode: int
    free_resources: list[FreeResourceV3]


class ListFreeResourceInfosResponse(WireModel):
    free_resource_packages: list[FreeResourcePackageV3]
    total_count: int


def package_wire(view: PackageView) -> FreeResourcePackageV3:
    return FreeResourcePackageV3(
        order_instance_id=view.package_id,
        order_id=view.order_id or "",
        product_id=view.product_id,
        product_name=view.product_name,
        effective_time=format_utc(view.effective_time),
        expire_time=format_utc(view.expire_time),
        status=int(view.status),
        service_type_code=view.service_type_code,
        region_code=view.region_code,
        source_type=view.source_type,
        bundle_type=view.bundle_type,
        quota_reuse_mode=int(view.quota_reuse_mode),
        free_resources=[
            FreeResourceV3(
                free_resource_id=f.free_resource_id,
                usage_type_name=f.usage_type_name,
                amount=amount_text(f.remaining_amount),
                original_amount=amount_text(f.original_amount),
                measure_id=f.measure_id,
            )
            for f in view.free_resources
        ],
    )


def packages(ctx: OperationContext) -> PackageService:
    return ctx.services.packages


@router.post(
    "/v3/payments/free-resources/query",
    operation_id="list_free_resource_infos",
    summary="The customer's resource packages (customer)",
    openapi_extra=wire_body(ListFreeResourceInfosReq, required=False),
    responses=wire_responses(ListFreeResourceInfosResponse),
)
async def list_free_resource_infos(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: ListFreeResourceInfosReq
    ) -> ListFreeResourceInfosResponse:
        window = page(body.offset, body.limit)
        views, total = await packages(ctx).list_packages(
            ctx.caller.account_id,
            PackageQuery(
                region_code=body.region_code or None,
                order_id=body.order_id or None,
                product_id=body.product_id or None,
                product_name=body.product_name or None,
                status=body.status,
                enterprise_project_id=body.enterprise_project_id or None,
                service_type_codes=tuple(body.service_type_code_list)
                if body.service_type_code_list
                else None,
            ),
            window,
        )
        return ListFreeResourceInfosResponse(
            free_resource_packages=[package_wire(v) for v in views], total_count=total
        )

    return await run_operation(
        request,
        api="list_free_resource_infos",
        kind=CallerKind.CUSTOMER,
        body_model=ListFreeResourceInfosReq,
        handler=handle,
    )


# -- list_free_resource_usages ----------------------------------------------------------------


class ListFreeResourceUsagesReq(WireModel):
    free_resource_ids: list[str] = Field(description="1 to 100 ids, each at most 64 characters")


class FreeResourceDetail(WireModel):
    free_resource_id: str
    free_resource_type_name: str
    quota_reuse_cycle: int | None = Field(
        default=None, description="1 hour, 2 day, 3 week, 4 month, 5 year; absent: not reset"
    )
    quota_reuse_cycle_type: int | None = Field(
        default=None, description="1 calendar cycle (the only kind)"
    )
    usage_type_name: str
    start_time: str
    end_time: str
    amount: Decimal = Field(description="Remaining in the current cycle")
    original_amount: Decimal
    measure_id: int


class ListFreeResourceUsagesResponse(WireModel):
    free_resources: list[FreeResourceDetail]


def usage_wire(view: FreeResourceView) -> FreeResourceDetail:
    return FreeResourceDetail(
        free_resource_id=view.free_resource_id,
        free_resource_type_name=view.resource_type_code,
        quota_reuse_cycle=int(view.quota_reuse_cycle) if view.quota_reuse_cycle else None,
        quota_reuse_cycle_type=1 if view.quota_reuse_cycle else None,
        usage_type_name=view.usage_type_name,
        start_time=format_utc(view.cycle_start),
        end_time=format_utc(view.cycle_end),
        amount=amount_number(view.remaining_amount),
        original_amount=amount_number(view.original_amount),
        measure_id=view.measure_id,
    )


@router.post(
    "/v2/payments/free-resources/usages/details/query",
    operation_id="list_free_resource_usages",
    summary="What is left of the customer's free quotas in their current cycle (customer)",
    openapi_extra=wire_body(ListFreeResourceUsagesReq),
    responses=wire_responses(ListFreeResourceUsagesResponse),
)
async def list_free_resource_usages(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: ListFreeResourceUsagesReq
    ) -> ListFreeResourceUsagesResponse:
        views = await packages(ctx).usages(ctx.caller.account_id, body.free_resource_ids)
        return ListFreeResourceUsagesResponse(free_resources=[usage_wire(v) for v in views])

    return await run_operation(
        request,
        api="list_free_resource_usages",
        kind=CallerKind.CUSTOMER,
        body_model=ListFreeResourceUsagesReq,
        handler=handle,
    )


# -- list_free_resources_usage_records --------------------------------------------------------


class FreeResourceRecord(WireModel):
    deduct_time: str
    free_resource_id: str
    resource_id: str
    resource_type_code: str
    resource_type_name: str | None = None
    resource_tag: str | None = None
    product_id: str
    product_name: str
    usage_type_code: str
    available_amount: str
    remaining_amount: str
    used_amount: str
    measure_id: int
    effective_time: str
    expire_time: str


class ListFreeResourcesUsageRecordsResponse(WireModel):
    free_resource_records: list[FreeResourceRecord]
    total_count: int


def _date(request: Request, name: str) -> date:
    value = request.query_params.get(name)
    if not value:
        raise invalid_parameter(name, "Required, YYYY-MM-DD (UTC+8).")
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise invalid_parameter(name, "Use YYYY-MM-DD (UTC+8).") from exc


def _int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise invalid_parameter(name, "Must be an integer.") from exc


def deduction_wire(view: DeductionView) -> FreeResourceRecord:
    return FreeResourceRecord(
        deduct_time=format_utc(view.deduct_time),
        free_resource_id=view.free_resource_id,
        resource_id=view.resource_id,
        resource_type_code=view.resource_type_code,
        product_id=view.product_id,
        product_name=view.product_name,
        usage_type_code=view.usage_type,
        available_amount=amount_text(view.available_amount),
        remaining_amount=amount_text(view.remaining_amount),
        used_amount=amount_text(view.used_amount),
        measure_id=view.measure_id,
        effective_time=format_utc(view.effective_time),
        expire_time=format_utc(view.expire_time),
    )


def _query_parameters(*params: tuple[str, str, bool, str]) -> dict[str, object]:
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


@router.get(
    "/v2/bills/customer-bills/free-resources-usage-records",
    operation_id="list_free_resources_usage_records",
    summary="Deductions from the customer's free quotas (customer)",
    openapi_extra=_query_parameters(
        ("deduct_time_begin", "string", True, "YYYY-MM-DD, UTC+8"),
        ("deduct_time_end", "string", True, "YYYY-MM-DD, UTC+8; at most 90 days after begin"),
        ("free_resource_id", "string", False, "One free quota"),
        ("product_id", "string", False, "One package product"),
        ("resource_type_code", "string", False, "One resource type"),
        ("offset", "integer", False, "0-based row offset"),
        ("limit", "integer", False, "1 to 100, default 10"),
    ),
    responses=wire_responses(ListFreeResourcesUsageRecordsResponse),
)
async def list_free_resources_usage_records(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ListFreeResourcesUsageRecordsResponse:
        begin = _date(request, "deduct_time_begin")
        end = _date(request, "deduct_time_end")
        window = page(_int(request, "offset"), _int(request, "limit"))
        views, total = await packages(ctx).deductions(
            ctx.caller.account_id,
            begin=begin,
            end=end,
            free_resource_id=request.query_params.get("free_resource_id") or None,
            product_id=request.query_params.get("product_id") or None,
            resource_type_code=request.query_params.get("resource_type_code") or None,
            window=window,
        )
        return ListFreeResourcesUsageRecordsResponse(
            free_resource_records=[deduction_wire(v) for v in views], total_count=total
        )

    return await run_operation(
        request,
        api="list_free_resources_usage_records",
        kind=CallerKind.CUSTOMER,
        body_model=None,
        handler=handle,
    )
