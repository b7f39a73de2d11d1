"""freeze_sub_customers and unfreeze_sub_customers of the international partner API
(api-semantics.md §3.2): batch operations that answer 200 with the customers that failed in
``error_details`` (§1.8)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.customers.public import (
    MAX_CUSTOMERS_PER_CALL,
    parse_freeze_type,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.headers import VerificationCodeHeader
from partner_center.http.operations import OperationContext, operation
from partner_center.http.wire import MultiLineText, WireModel

router = APIRouter(tags=["customers"])
_SUB_CUSTOMERS = "/v2/partners/sub-customers"

_TYPES = "ACCOUNT (default) | ACCOUNT_AND_RESOURCE; an empty string is refused"


class _CustomersReason(WireModel):
    """The customers a freeze or an unfreeze is about, and why."""

    customer_ids: list[str] = Field(
        description=f"1 to {MAX_CUSTOMERS_PER_CALL} customer ids; a repeated id counts once"
    )
    reason: MultiLineText = Field(description="Why; required, at most 256 characters")
    indirect_partner_id: str | None = Field(
        default=None,
        max_length=64,
        description="A distributor acting on one of its resellers' customers",
    )


class FreezeSubCustomersReq(_CustomersReason):
    freeze_type: str | None = Field(default=None, description=_TYPES)


class UnfreezeSubCustomersReq(_CustomersReason):
    unfreeze_type: str | None = Field(
        default=None, description=f"{_TYPES}; must equal the customer's freeze type"
    )


@sdk_model(fields="id error_code error_msg", required="*")
class CustomerErrorDetail(WireModel):
    id: str = Field(description="The customer that was not changed")


class FreezeSubCustomersResponse(WireModel):
    error_details: list[CustomerErrorDetail] = Field(
        description="Customers that were not changed; the others were"
    )


class UnfreezeSubCustomersResponse(FreezeSubCustomersResponse):
    pass


async def _change(
    ctx: OperationContext,
    body: _CustomersReason,
    verification_code: str | None,
    *,
    unfreeze: bool,
    type_text: str | None,
) -> list[CustomerErrorDetail]:
    """Freeze (or ``unfreeze``) the body's customers once the verification code is checked;
    the customers that were not changed."""
    name = "unfreeze" if unfreeze else "freeze"
    await ctx.services.critical_operations.check(
        ctx.caller.account_id, verification_code, operation=f"{name}_sub_customers"
    )
    freezing = ctx.services.freezing
    kind = parse_freeze_type(type_text, f"{name}_type")
    ids, reason, reseller = body.customer_ids, body.reason, body.indirect_partner_id or None
    if unfreeze:
        failures = await freezing.unfreeze_customers(
            ctx.actor, ids, unfreeze_type=kind, reason=reason, indirect_partner_id=reseller
        )
    else:
        failures = await freezing.freeze_customers(
            ctx.actor, ids, freeze_type=kind, reason=reason, indirect_partner_id=reseller
        )
    return [
        CustomerErrorDetail(id=f.customer_id, error_code=f.error_code, error_msg=f.error_msg)
        for f in failures
    ]


@operation(router, "POST", f"{_SUB_CUSTOMERS}/freeze", kind=CallerKind.PARTNER)
async def freeze_sub_customers(
    ctx: OperationContext, body: FreezeSubCustomersReq, verification_code: VerificationCodeHeader
) -> FreezeSubCustomersResponse:
    """Freeze reseller-model customers' accounts (and resources)

    A CSP or distributor freezes its own customers; a distributor freezes a reseller's customers
    with indirect_partner_id. Customers that cannot be frozen are listed in error_details (HTTP
    200); the others are frozen.
    """
    return FreezeSubCustomersResponse(
        error_details=await _change(
            ctx, body, verification_code, unfreeze=False, type_text=body.freeze_type
        )
    )


@operation(router, "POST", f"{_SUB_CUSTOMERS}/unfreeze", kind=CallerKind.PARTNER)
async def unfreeze_sub_customers(
    ctx: OperationContext, body: UnfreezeSubCustomersReq, verification_code: VerificationCodeHeader
) -> UnfreezeSubCustomersResponse:
    """Unfreeze reseller-model customers (the type must match their freeze)

    Also lifts the purchase restriction new reseller-model customers start with (unfreeze_type
    ACCOUNT). A partner whose own account is frozen cannot unfreeze. Customers that cannot be
    unfrozen are listed in error_details (HTTP 200); the others are unfrozen.
    """
    return UnfreezeSubCustomersResponse(
        error_details=await _change(
            ctx, body, verification_code, unfreeze=True, type_text=body.unfreeze_type
        )
    )
