"""Association-type changes (rules.md §2.5): the partner asks, the customer approves or
rejects, the partner may withdraw; both sides list their requests."""

from __future__ import annotations

from pydantic import Field

from partner_center.domains.associations.public import TypeChangeView
from partner_center.http.auth import CallerKind
from partner_center.http.bss.schemas import ASSOCIATION_TYPES_IN
from partner_center.http.ext.associations import (
    EITHER_SIDE,
    PARTNER_SIDE,
    Limit,
    Offset,
    RequestItem,
    StatusFilter,
    area_router,
    type_code,
)
from partner_center.http.formats import optional_utc
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import QueryModel
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = area_router()


class TypeChangeReq(WireModel):
    association_type: str = Field(description="Target: 1 referral or 3 reseller")


class TypeChangeItem(RequestItem):
    from_association_type: str
    to_association_type: str
    status: str = Field(description="PENDING | APPROVED | REJECTED | CANCELLED")
    created_at: str
    decided_at: str | None = None


class TypeChangeListResponse(WireModel):
    requests: list[TypeChangeItem]
    count: int


def _type_change(ctx: OperationContext, item: TypeChangeView) -> TypeChangeItem:
    return TypeChangeItem(
        **same_named(item, "request_id partner_id customer_id"),
        from_association_type=type_code(ctx, item.from_type),
        to_association_type=type_code(ctx, item.to_type),
        status=item.status.value,
        created_at=format_utc(item.created_at),
        decided_at=optional_utc(item.decided_at),
    )


class TypeChangesQuery(QueryModel):
    status: StatusFilter = None
    offset: Offset = None
    limit: Limit = None


@operation(router, "POST", "/customers/{customer_id}/association-type-changes", kind=PARTNER_SIDE)
async def request_association_type_change(
    ctx: OperationContext, customer_id: str, body: TypeChangeReq
) -> TypeChangeItem:
    """Ask the customer to switch its association type (one per customer per 3 months)

    Asks the customer to switch between referral (1) and reseller (3): one request per customer
    per 3 months; the customer approves or rejects it. Any partner with its own credentials.
    """
    to_type = ASSOCIATION_TYPES_IN.get(body.association_type)
    if to_type is None:
        raise invalid_parameter("association_type", "Use 1 (referral) or 3 (reseller).")
    view = await ctx.services.type_changes.request(ctx.actor, customer_id, to_type)
    return _type_change(ctx, view)


@operation(router, "GET", "/association-type-changes", kind=EITHER_SIDE)
async def list_association_type_changes(
    ctx: OperationContext, query: TypeChangesQuery
) -> TypeChangeListResponse:
    """Type-change requests: the partner's, or (customer credentials) the customer's

    With partner credentials, the requests the partner filed; with the customer's credentials,
    the requests filed to it. Filtered by status, newest first.
    """
    service = ctx.services.type_changes
    status, window = query.status, page(query.offset, query.limit)
    if ctx.partner is None:
        rows, total = await service.list_for_customer(ctx.caller, window, status=status)
    else:
        rows, total = await service.list_for_partner(ctx.actor, window, status=status)
    return TypeChangeListResponse(requests=[_type_change(ctx, r) for r in rows], count=total)


async def _decide_type_change(
    ctx: OperationContext, request_id: str, *, approve: bool
) -> TypeChangeItem:
    view = await ctx.services.type_changes.decide(ctx.caller, request_id, approve=approve)
    return _type_change(ctx, view)


@operation(router, "POST", "/association-type-changes/{request_id}/approve", kind=CallerKind.ANY)
async def approve_association_type_change(ctx: OperationContext, request_id: str) -> TypeChangeItem:
    """Approve an association type change request (customer)

    The customer, with its own credentials, approves a pending request: the association type
    changes at once. A partner acting through the customer's agency may read but never decide.
    """
    return await _decide_type_change(ctx, request_id, approve=True)


@operation(router, "POST", "/association-type-changes/{request_id}/reject", kind=CallerKind.ANY)
async def reject_association_type_change(ctx: OperationContext, request_id: str) -> TypeChangeItem:
    """Reject an association type change request (customer)

    The customer, with its own credentials, rejects a pending request; the association is
    unchanged.
    """
    return await _decide_type_change(ctx, request_id, approve=False)


@operation(router, "POST", "/association-type-changes/{request_id}/cancel", kind=PARTNER_SIDE)
async def cancel_association_type_change(ctx: OperationContext, request_id: str) -> TypeChangeItem:
    """Cancel an association type change request (partner)

    The partner withdraws a request the customer has not decided yet. Any partner with its own
    credentials.
    """
    view = await ctx.services.type_changes.cancel(ctx.actor, request_id)
    return _type_change(ctx, view)
