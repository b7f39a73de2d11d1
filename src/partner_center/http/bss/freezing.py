"""freeze_sub_customers and unfreeze_sub_customers of the international partner API
(api-semantics.md §3.2): batch operations that answer 200 with the customers that failed in
``error_details`` (§1.8)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from partner_center.domains.customers.public import (
    MAX_CUSTOMERS_PER_CALL,
    FreezingService,
    ItemFailure,
    parse_freeze_type,
)
from partner_center.http.auth import CallerKind
from partner_center.http.operations import OperationContext, run_operation
from partner_center.http.wire import WireModel, wire_body, wire_responses

router = APIRouter(tags=["customers"])

_TYPES = "ACCOUNT (default) | ACCOUNT_AND_RESOURCE; an empty string is refused"


class FreezeSubCustomersReq(WireModel):
    customer_ids: list[str] = Field(
        description=f"1 to {MAX_CUSTOMERS_PER_CALL} customer ids; a repeated id counts once"
    )
    reason: str = Field(description="Why; required, at most 256 characters")
    indirect_partner_id: str | None = Field(
        default=None,
        max_length=64,
        description="A distributor acting on one of its resellers' customers",
    )
    freeze_type: str | None = Field(default=None, description=_TYPES)


class UnfreezeSubCustomersReq(WireModel):
    customer_ids: list[str] = Field(
        description=f"1 to {MAX_CUSTOMERS_PER_CALL} customer ids; a repeated id counts once"
    )
    reason: str = Field(description="Why; required, at most 256 characters")
    indirect_partner_id: str | None = Field(
        default=None,
        max_length=64,
        description="A distributor acting on one of its resellers' customers",
    )
    unfreeze_type: str | None = Field(
        default=None, description=f"{_TYPES}; must equal the customer's freeze type"
    )


class CustomerErrorDetail(WireModel):
    id: str = Field(description="The customer that was not changed")
    error_code: str
    error_msg: str


class FreezeSubCustomersResponse(WireModel):
    error_details: list[CustomerErrorDetail] = Field(
        description="Customers that were not changed; the others were"
    )


class UnfreezeSubCustomersResponse(WireModel):
    error_details: list[CustomerErrorDetail] = Field(
        description="Customers that were not changed; the others were"
    )


def _details(failures: list[ItemFailure]) -> list[CustomerErrorDetail]:
    return [
        CustomerErrorDetail(id=f.customer_id, error_code=f.error_code, error_msg=f.error_msg)
        for f in failures
    ]


def _freezing(ctx: OperationContext) -> FreezingService:
    return ctx.services.freezing


@router.post(
    "/v2/partners/sub-customers/freeze",
    operation_id="freeze_sub_customers",
    summary="Freeze reseller-model customers' accounts (and resources)",
    description="A CSP or distributor freezes its own customers; a distributor freezes a "
    "reseller's customers with indirect_partner_id. Customers that cannot be frozen are listed "
    "in error_details (HTTP 200); the others are frozen.",
    openapi_extra=wire_body(FreezeSubCustomersReq),
    responses=wire_responses(FreezeSubCustomersResponse),
)
async def freeze_sub_customers(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: FreezeSubCustomersReq
    ) -> FreezeSubCustomersResponse:
        failures = await _freezing(ctx).freeze_customers(
            ctx.actor,
            body.customer_ids,
            freeze_type=parse_freeze_type(body.freeze_type, "freeze_type"),
            reason=body.reason,
            indirect_partner_id=body.indirect_partner_id or None,
        )
        return FreezeSubCustomersResponse(error_details=_details(failures))

    return await run_operation(
        request,
        api="freeze_sub_customers",
        kind=CallerKind.PARTNER,
        body_model=FreezeSubCustomersReq,
        handler=handle,
    )


@router.post(
    "/v2/partners/sub-customers/unfreeze",
    operation_id="unfreeze_sub_customers",
    summary="Unfreeze reseller-model customers (the type must match their freeze)",
    description="Also lifts the purchase restriction new reseller-model customers start with "
    "(unfreeze_type ACCOUNT). A partner whose own account is frozen cannot unfreeze. Customers "
    "that cannot be unfrozen are listed in error_details (HTTP 200); the others are unfrozen.",
    openapi_extra=wire_body(UnfreezeSubCustomersReq),
    responses=wire_responses(UnfreezeSubCustomersResponse),
)
async def unfreeze_sub_customers(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: UnfreezeSubCustomersReq
    ) -> UnfreezeSubCustomersResponse:
        failures = await _freezing(ctx).unfreeze_customers(
            ctx.actor,
            body.customer_ids,
            unfreeze_type=parse_freeze_type(body.unfreeze_type, "unfreeze_type"),
            reason=body.reason,
            indirect_partner_id=body.indirect_partner_id or None,
        )
        return UnfreezeSubCustomersResponse(error_details=_details(failures))

    return await run_operation(
        request,
        api="unfreeze_sub_customers",
        kind=CallerKind.PARTNER,
        body_model=UnfreezeSubCustomersReq,
        handler=handle,
    )
