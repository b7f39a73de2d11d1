"""Disassociation requests either way (rules.md §2.6): the partner's administrator or the
customer asks, the other side approves or rejects, the asking side may withdraw; both sides list
their association records."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool

from partner_center.domains.associations.public import DisassociationView, Initiator
from partner_center.http.auth import CallerKind
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
from partner_center.http.query import CHOICE, Doc, QueryModel
from partner_center.http.wire import MultiLineText, WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.pagination import page

router = area_router()

_REQUEST = "/disassociations/{request_id}"


class PartnerDisassociationReq(WireModel):
    reason: MultiLineText = Field(max_length=256)
    statement_accepted: StrictBool = Field(description="The disassociation statement, read")


class CustomerDisassociationReq(WireModel):
    reason: MultiLineText = Field(max_length=256)


class DecisionReq(WireModel):
    rejection_reason: MultiLineText | None = Field(default=None, max_length=256)


class DisassociationItem(RequestItem):
    initiator: str = Field(description="PARTNER | CUSTOMER")
    association_type: str
    reason: str
    status: str = Field(description="PENDING | APPROVED (ended) | REJECTED | CANCELLED")
    rejection_reason: str | None = None
    created_at: str
    decided_at: str | None = None


class DisassociationListResponse(WireModel):
    requests: list[DisassociationItem]
    count: int


def _disassociation(ctx: OperationContext, item: DisassociationView) -> DisassociationItem:
    return DisassociationItem(
        **same_named(item, "request_id partner_id customer_id reason rejection_reason"),
        initiator=item.initiator.value,
        association_type=type_code(ctx, item.association_type),
        status=item.status.value,
        created_at=format_utc(item.created_at),
        decided_at=optional_utc(item.decided_at),
    )


class DisassociationsQuery(QueryModel):
    status: StatusFilter = None
    initiator: Annotated[Initiator | None, CHOICE, Doc("PARTNER | CUSTOMER")] = None
    offset: Offset = None
    limit: Limit = None


@operation(router, "POST", "/customers/{customer_id}/disassociations", kind=PARTNER_SIDE)
async def request_disassociation(
    ctx: OperationContext, customer_id: str, body: PartnerDisassociationReq
) -> DisassociationItem:
    """The partner administrator asks to end an association (referral: ends at once)

    The partner's administrator asks to end the association with a customer, having read the
    disassociation statement (statement_accepted: true); a referral association ends at once, a
    reseller association when the customer approves. The number of requests per period is
    limited (PARTNER_CENTER_DISASSOCIATION_LIMIT). Any partner with its own credentials.
    """
    view = await ctx.services.disassociations.request_by_partner(
        ctx.actor,
        customer_id,
        reason=body.reason,
        statement_accepted=body.statement_accepted,
    )
    return _disassociation(ctx, view)


@operation(router, "POST", "/my-partner/disassociations", kind=CallerKind.ANY)
async def request_disassociation_by_customer(
    ctx: OperationContext, body: CustomerDisassociationReq
) -> DisassociationItem:
    """The customer asks its partner to end the association (referral: ends at once)

    The customer, with its own credentials, asks its partner to end the association (rules.md
    §2.6.3); a referral association ends at once (§2.6.7), a reseller association when the
    partner approves.
    """
    view = await ctx.services.disassociations.request_by_customer(ctx.caller, reason=body.reason)
    return _disassociation(ctx, view)


@operation(router, "GET", "/disassociations", kind=EITHER_SIDE)
async def list_disassociations(
    ctx: OperationContext, query: DisassociationsQuery
) -> DisassociationListResponse:
    """Association records: the partner's, or (customer credentials) the customer's (status,
    initiator, offset, limit)

    With partner credentials, the partner's association records; with the customer's
    credentials, the customer's. Filtered by status and initiator, newest first.
    """
    service = ctx.services.disassociations
    status, initiator, window = query.status, query.initiator, page(query.offset, query.limit)
    if ctx.partner is None:
        rows, total = await service.list_for_customer(
            ctx.caller, window, status=status, initiator=initiator
        )
    else:
        rows, total = await service.list_for_partner(
            ctx.actor, window, status=status, initiator=initiator
        )
    return DisassociationListResponse(requests=[_disassociation(ctx, r) for r in rows], count=total)


async def _decide_disassociation(
    ctx: OperationContext, request_id: str, body: DecisionReq, *, approve: bool
) -> DisassociationItem:
    service = ctx.services.disassociations
    actor = ctx.partner_actor
    if actor is None:
        view = await service.decide_as_customer(
            ctx.caller, request_id, approve=approve, rejection_reason=body.rejection_reason
        )
    else:
        view = await service.decide_as_partner(
            actor, request_id, approve=approve, rejection_reason=body.rejection_reason
        )
    return _disassociation(ctx, view)


@operation(router, "POST", f"{_REQUEST}/approve", kind=EITHER_SIDE, body_required=False)
async def approve_disassociation(
    ctx: OperationContext, request_id: str, body: DecisionReq
) -> DisassociationItem:
    """Approve the other side's disassociation request: the association ends

    The side that did not ask (the customer with its own credentials, or the partner) approves a
    pending request: the association ends, the customer's budget is removed and what the rules
    return on disassociation is returned.
    """
    return await _decide_disassociation(ctx, request_id, body, approve=True)


@operation(router, "POST", f"{_REQUEST}/reject", kind=EITHER_SIDE, body_required=False)
async def reject_disassociation(
    ctx: OperationContext, request_id: str, body: DecisionReq
) -> DisassociationItem:
    """Reject the other side's disassociation request

    The side that did not ask rejects a pending request, optionally with a rejection_reason; the
    association continues.
    """
    return await _decide_disassociation(ctx, request_id, body, approve=False)


@operation(router, "POST", f"{_REQUEST}/cancel", kind=EITHER_SIDE, body_required=False)
async def cancel_disassociation(
    ctx: OperationContext, request_id: str, body: DecisionReq
) -> DisassociationItem:
    """Withdraw your own pending disassociation request

    The side that asked withdraws its request while it is pending.
    """
    service = ctx.services.disassociations
    actor = ctx.partner_actor
    view = (
        await service.cancel_as_customer(ctx.caller, request_id)
        if actor is None
        else await service.cancel_as_partner(actor, request_id)
    )
    return _disassociation(ctx, view)
