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

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.usage.public import (
    DeductionView,
    FreeResourceView,
    PackageQuery,
    ResourceQuery,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.bss.usage_wire import (
    amount_number,
    amount_text,
    package_wire,
    resource_wire,
)
from partner_center.http.formats import time_filter
from partner_center.http.headers import XLanguage, language_of
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import UNDOCUMENTED, Doc, Int, QueryModel
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(tags=["pay-per-use"])


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


@sdk_model(required="*")
class ListCustomerOnDemandResourcesResponse(WireModel):
    pass


@operation(
    router,
    "POST",
    "/v2/partners/sub-customers/on-demand-resources/query",
    kind=CallerKind.PARTNER,
    transaction="read_only",
)
async def list_customer_on_demand_resources(
    ctx: OperationContext,
    body: QueryCustomerOnDemandResourcesReq,
    x_language: Annotated[XLanguage, UNDOCUMENTED],
) -> ListCustomerOnDemandResourcesResponse:
    """A customer's pay-per-use resources (partner)"""
    window = page(body.offset, body.limit)
    begin = time_filter(body.effective_time_begin, "effective_time_begin")
    end = time_filter(body.effective_time_end, "effective_time_end")
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
    language = language_of(x_language, ctx.state.site)
    views, total = await ctx.services.usage.list_for_partner(
        ctx.actor, query, window, customers=ctx.services.customers, language=language
    )
    return ListCustomerOnDemandResourcesResponse(
        resources=[resource_wire(v) for v in views], total_count=total
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


@sdk_model(required="*")
class ListFreeResourceInfosResponse(WireModel):
    pass


@operation(
    router,
    "POST",
    "/v3/payments/free-resources/query",
    kind=CallerKind.CUSTOMER,
    body_required=False,
)
async def list_free_resource_infos(
    ctx: OperationContext, body: ListFreeResourceInfosReq
) -> ListFreeResourceInfosResponse:
    """The customer's resource packages (customer)"""
    window = page(body.offset, body.limit)
    views, total = await ctx.services.packages.list_packages(
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


# -- list_free_resource_usages ----------------------------------------------------------------


class ListFreeResourceUsagesReq(WireModel):
    free_resource_ids: list[str] = Field(description="1 to 100 ids, each at most 64 characters")


@sdk_model(required="*")
class FreeResourceDetail(WireModel):
    quota_reuse_cycle: int | None = Field(
        default=None, description="1 hour, 2 day, 3 week, 4 month, 5 year; absent: not reset"
    )
    quota_reuse_cycle_type: int | None = Field(
        default=None, description="1 calendar cycle (the only kind)"
    )
    amount: Decimal = Field(description="Remaining in the current cycle")


@sdk_model(required="*")
class ListFreeResourceUsagesResponse(WireModel):
    pass


def usage_wire(view: FreeResourceView) -> FreeResourceDetail:
    return FreeResourceDetail(
        **same_named(view, "free_resource_id usage_type_name measure_id"),
        free_resource_type_name=view.resource_type_code,
        quota_reuse_cycle=int(view.quota_reuse_cycle) if view.quota_reuse_cycle else None,
        quota_reuse_cycle_type=1 if view.quota_reuse_cycle else None,
        start_time=format_utc(view.cycle_start),
        end_time=format_utc(view.cycle_end),
        amount=amount_number(view.remaining_amount),
        original_amount=amount_number(view.original_amount),
    )


@operation(
    router, "POST", "/v2/payments/free-resources/usages/details/query", kind=CallerKind.CUSTOMER
)
async def list_free_resource_usages(
    ctx: OperationContext, body: ListFreeResourceUsagesReq
) -> ListFreeResourceUsagesResponse:
    """What is left of the customer's free quotas in their current cycle (customer)"""
    views = await ctx.services.packages.usages(ctx.caller.account_id, body.free_resource_ids)
    return ListFreeResourceUsagesResponse(free_resources=[usage_wire(v) for v in views])


# -- list_free_resources_usage_records --------------------------------------------------------


@sdk_model(
    required=(
        "deduct_time free_resource_id resource_id resource_type_code product_id "
        "product_name usage_type_code available_amount remaining_amount used_amount "
        "measure_id effective_time expire_time"
    )
)
class FreeResourceRecord(WireModel):
    pass


@sdk_model(required="*")
class ListFreeResourcesUsageRecordsResponse(WireModel):
    pass


class FreeResourcesUsageRecordsQuery(QueryModel):
    deduct_time_begin: Annotated[str | None, Doc("YYYY-MM-DD, UTC+8", required=True)] = None
    deduct_time_end: Annotated[
        str | None, Doc("YYYY-MM-DD, UTC+8; at most 90 days after begin", required=True)
    ] = None
    free_resource_id: Annotated[str | None, Doc("One free quota")] = None
    product_id: Annotated[str | None, Doc("One package product")] = None
    resource_type_code: Annotated[str | None, Doc("One resource type")] = None
    offset: Annotated[Int, Doc("0-based row offset")] = None
    limit: Annotated[Int, Doc("1 to 100, default 10")] = None


def _date(value: str | None, name: str) -> date:
    if not value:
        raise invalid_parameter(name, "Required, YYYY-MM-DD (UTC+8).")
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise invalid_parameter(name, "Use YYYY-MM-DD (UTC+8).") from exc


def deduction_wire(view: DeductionView) -> FreeResourceRecord:
    return FreeResourceRecord(
        **same_named(
            view,
            "free_resource_id resource_id resource_type_code product_id product_name measure_id",
        ),
        **same_named(view, "deduct_time effective_time expire_time", via=format_utc),
        usage_type_code=view.usage_type,
        **same_named(view, "available_amount remaining_amount used_amount", via=amount_text),
    )


@operation(
    router, "GET", "/v2/bills/customer-bills/free-resources-usage-records", kind=CallerKind.CUSTOMER
)
async def list_free_resources_usage_records(
    ctx: OperationContext, query: FreeResourcesUsageRecordsQuery
) -> ListFreeResourcesUsageRecordsResponse:
    """Deductions from the customer's free quotas (customer)"""
    begin = _date(query.deduct_time_begin, "deduct_time_begin")
    end = _date(query.deduct_time_end, "deduct_time_end")
    window = page(query.offset, query.limit)
    views, total = await ctx.services.packages.deductions(
        ctx.caller.account_id,
        begin=begin,
        end=end,
        free_resource_id=query.free_resource_id or None,
        product_id=query.product_id or None,
        resource_type_code=query.resource_type_code or None,
        window=window,
    )
    return ListFreeResourcesUsageRecordsResponse(
        free_resource_records=[deduction_wire(v) for v in views], total_count=total
    )
