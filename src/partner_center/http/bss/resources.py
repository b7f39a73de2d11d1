"""Yearly/monthly resources of the partner API (api-semantics.md §3.8): the resource list
(customer, or partner with ``customer_id``; the path keeps the reference's "suscriptions"
typo), renewal, unsubscription, auto-renew and its settings, and switching to pay-per-use.

Batch operations answer 200 with the failed ids listed (``fail_resource_infos`` /
``error_details``) once the request itself is valid (api-semantics.md §1.8).
"""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.identity.public import Permission
from partner_center.domains.orders.public import (
    ItemFailure,
    UnsubscribeReason,
    check_status_filter,
)
from partner_center.domains.resources.public import ResourceFilter, ResourceView
from partner_center.http.auth import CallerKind
from partner_center.http.bss.order_wire import (
    caller_name,
    enterprise_project,
)
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import optional_utc, parse_time, zero_or_one
from partner_center.http.operations import OperationContext, operation
from partner_center.http.wire import MultiLineText, WireModel, same_named
from partner_center.kernel.errors import access_denied, invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(tags=["yearly/monthly resources"])
_RESOURCES = "/v2/orders/subscriptions/resources"

MAX_QUERY_IDS = 50


class QueryResourcesReq(WireModel):
    resource_ids: list[str] | None = None
    order_id: str | None = Field(default=None, max_length=64)
    only_main_resource: int | None = None
    status_list: list[int] | None = None
    offset: int | None = None
    limit: int | None = None
    expire_time_begin: str | None = None
    expire_time_end: str | None = None
    service_type_code: str | None = None
    customer_id: str | None = Field(default=None, max_length=64)


@sdk_model(required="id resource_id is_main_resource status expire_policy")
class OrderInstanceV2(WireModel):
    pass


@sdk_model(required="*")
class ListPayPerUseCustomerResourcesResponse(WireModel):
    pass


class RenewalResourcesReq(WireModel):
    resource_ids: list[str]
    period_type: int
    period_num: int
    is_auto_pay: int | None = None


@sdk_model(required="*")
class FailResourceInfo(WireModel):
    pass


@sdk_model(required="*")
class RenewalResourcesResponse(WireModel):
    pass


class UnsubscribeResourcesReq(WireModel):
    resource_ids: list[str]
    unsubscribe_type: int
    unsubscribe_reason_type: int | None = None
    unsubscribe_reason: MultiLineText | None = Field(default=None, max_length=512)


class AutoRenewalResourcesReq(WireModel):
    auto_renew_times: int | None = None
    period_type: str | None = None


class RenewResourceConfigReq(WireModel):
    config_name: str
    config_value: str


@sdk_model()
class SetResourcesRenewConfigResponse(WireModel):
    pass


class PeriodToOnDemandReq(WireModel):
    operation: str
    resource_ids: list[str]


@sdk_model(required="*")
class ErrorDetail(WireModel):
    pass


@sdk_model(required="*")
class UpdatePeriodToOnDemandResponse(WireModel):
    pass


class PeriodToOnDemandInstantlyReq(WireModel):
    resource_ids: list[str]


@sdk_model(required="resource_id result")
class ToOndemandServiceResult(WireModel):
    pass


@sdk_model(required="*")
class UpdatePeriodToOnDemandInstantlyResponse(WireModel):
    pass


def instance_wire(view: ResourceView) -> OrderInstanceV2:
    return OrderInstanceV2(
        **same_named(
            view,
            "id resource_id resource_name region_code service_type_code resource_type_code"
            " resource_type_name service_type_name resource_spec_code project_id product_id"
            " parent_resource_id product_spec_desc spec_size_measure_id",
        ),
        is_main_resource=1 if view.is_main else 0,
        **same_named(view, "status expire_policy", via=int),
        **same_named(view, "effective_time expire_time update_time", via=optional_utc),
        spec_size=Decimal(view.spec_size) if view.spec_size is not None else None,
        enterprise_project=enterprise_project(view.enterprise_project_id),
    )


def _failures(items: list[ItemFailure]) -> list[FailResourceInfo]:
    return [
        FailResourceInfo(resource_id=x.id, error_code=x.error_code, error_msg=x.error_msg)
        for x in items
    ]


@operation(
    router,
    "POST",
    "/v2/orders/suscriptions/resources/query",
    kind=CallerKind.PARTNER_OR_CUSTOMER,
    body_required=False,
    transaction="read_only",
)
async def list_pay_per_use_customer_resources(
    ctx: OperationContext, body: QueryResourcesReq
) -> ListPayPerUseCustomerResourcesResponse:
    """A customer's yearly/monthly resources (the partner names the customer)"""
    actor = ctx.partner_actor
    service = ctx.services.orders
    if actor is None:
        customer_id = ctx.caller.account_id
        if body.customer_id and body.customer_id != customer_id:
            raise access_denied("A customer sees only its own resources.")
    else:
        if not body.customer_id:
            raise invalid_parameter("customer_id", "A partner names the customer.")
        if not ctx.caller.has(Permission.VIEW_CUSTOMER_RESOURCES):
            raise access_denied("The member lacks the permission to view customer resources.")
        customer_id = (
            await ctx.services.customers.get_for_partner(actor, body.customer_id)
        ).account_id
    ids = body.resource_ids or []
    if len(ids) > MAX_QUERY_IDS:
        raise invalid_parameter("resource_ids", f"At most {MAX_QUERY_IDS} ids.")
    only_main = zero_or_one(body.only_main_resource, "only_main_resource")
    if body.service_type_code == "":
        raise invalid_parameter("service_type_code", "Must not be empty.")
    filters = ResourceFilter(
        resource_ids=tuple(ids),
        order_id=body.order_id.upper() if body.order_id else None,
        only_main=only_main,
        statuses=check_status_filter(body.status_list or []),
        expire_after=parse_time(body.expire_time_begin, "expire_time_begin"),
        expire_before=parse_time(body.expire_time_end, "expire_time_end"),
        service_type_code=body.service_type_code,
    )
    views, total = await service.resources.list_for_customer(
        customer_id, filters, page(body.offset, body.limit)
    )
    return ListPayPerUseCustomerResourcesResponse(
        data=[instance_wire(v) for v in views], total_count=total
    )


@operation(router, "POST", f"{_RESOURCES}/renew", kind=CallerKind.CUSTOMER)
async def renewal_resources(
    ctx: OperationContext, body: RenewalResourcesReq
) -> RenewalResourcesResponse:
    """Renew 1 to 10 primary resources (pending order, or paid at once)"""
    auto_pay = zero_or_one(body.is_auto_pay, "is_auto_pay")
    result = await ctx.services.subscriptions.renew(
        ctx.caller.account_id,
        body.resource_ids,
        period_type=body.period_type,
        period_num=body.period_num,
        auto_pay=auto_pay,
        created_by=caller_name(ctx),
    )
    return RenewalResourcesResponse(
        order_ids=result.order_ids, fail_resource_infos=_failures(result.failures)
    )


@operation(router, "POST", f"{_RESOURCES}/unsubscribe", kind=CallerKind.CUSTOMER)
async def cancel_resources_subscription(
    ctx: OperationContext, body: UnsubscribeResourcesReq
) -> RenewalResourcesResponse:
    """Unsubscribe resources (1: all periods, 2: renewals not started) with a refund"""
    if body.unsubscribe_reason_type not in (None, 1, 2, 3, 4, 5):
        raise invalid_parameter("unsubscribe_reason_type", "Use 1 to 5.")
    result = await ctx.services.subscriptions.unsubscribe(
        ctx.caller.account_id,
        body.resource_ids,
        unsubscribe_type=body.unsubscribe_type,
        created_by=caller_name(ctx),
        reason=UnsubscribeReason(body.unsubscribe_reason_type, body.unsubscribe_reason or None),
    )
    return RenewalResourcesResponse(
        order_ids=result.order_ids, fail_resource_infos=_failures(result.failures)
    )


@operation(
    router,
    "POST",
    _RESOURCES + "/autorenew/{resource_id}",
    kind=CallerKind.CUSTOMER,
    body_required=False,
)
async def auto_renewal_resources(
    ctx: OperationContext, resource_id: str, body: AutoRenewalResourcesReq
) -> None:
    """Turn auto-renew on (expire_policy 3); attached resources follow"""
    await ctx.services.subscriptions.enable_auto_renew(
        ctx.caller.account_id,
        resource_id,
        times=body.auto_renew_times,
        period_type=body.period_type,
    )


@operation(router, "DELETE", _RESOURCES + "/autorenew/{resource_id}", kind=CallerKind.CUSTOMER)
async def cancel_auto_renewal_resources(ctx: OperationContext, resource_id: str) -> None:
    """Turn auto-renew off"""
    await ctx.services.subscriptions.disable_auto_renew(ctx.caller.account_id, resource_id)


@operation(router, "POST", f"{_RESOURCES}/renew/config", kind=CallerKind.CUSTOMER)
async def set_resources_renew_config(
    ctx: OperationContext, body: RenewResourceConfigReq
) -> SetResourcesRenewConfigResponse:
    """Renewal settings: DEDUCTION_DATE (2..7 days) or EXPIRE_DATE (1..28, -1)"""
    await ctx.services.subscriptions.set_renew_config(
        ctx.caller.account_id, body.config_name, body.config_value
    )
    return SetResourcesRenewConfigResponse(error_code="CBC.0000", error_msg="success")


@operation(router, "POST", f"{_RESOURCES}/to-on-demand", kind=CallerKind.CUSTOMER)
async def update_period_to_on_demand(
    ctx: OperationContext, body: PeriodToOnDemandReq
) -> UpdatePeriodToOnDemandResponse:
    """Switch resources to pay-per-use at expiry (SET_UP) or undo it (CANCEL)"""
    failures = await ctx.services.subscriptions.to_on_demand(
        ctx.caller.account_id, body.operation, body.resource_ids
    )
    return UpdatePeriodToOnDemandResponse(
        error_details=[
            ErrorDetail(id=x.id, error_code=x.error_code, error_msg=x.error_msg) for x in failures
        ]
    )


@operation(router, "POST", f"{_RESOURCES}/to-on-demand/instantly", kind=CallerKind.CUSTOMER)
async def update_period_to_on_demand_instantly(
    ctx: OperationContext, body: PeriodToOnDemandInstantlyReq
) -> UpdatePeriodToOnDemandInstantlyResponse:
    """Switch resources to pay-per-use now, refunding the unused paid time"""
    results = await ctx.services.subscriptions.to_on_demand_now(
        ctx.caller.account_id, body.resource_ids, created_by=caller_name(ctx)
    )
    return UpdatePeriodToOnDemandInstantlyResponse(
        to_ondemand_service_results=[
            ToOndemandServiceResult(
                **same_named(x, "resource_id result error_code error_msg order_id"),
            )
            for x in results
        ]
    )
