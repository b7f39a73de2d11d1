"""Extension endpoints (ours, not the reference API): a partner pre-registers prospects
(rules.md §2.1.1–2.1.4) and lists its pre-registrations; the operator lists those that went to
review and approves or rejects them. Every call is signed like the SDK's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.associations.public import ProspectView
from partner_center.http.auth import CallerKind
from partner_center.http.ext import PREFIX
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Doc, PageQuery
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(prefix=PREFIX, tags=["pre-registration (extension)"])


class PreRegisterReq(WireModel):
    email: str = Field(min_length=3, max_length=255)
    name: str = Field(min_length=1, max_length=128, description="The prospect's company or name")


class ProspectInfo(WireModel):
    prospect_id: str
    email: str
    name: str
    customer_id: str | None = None
    state: str = Field(description="RESERVED, EXPIRED, PENDING_REVIEW or REJECTED")
    reserved_at: str
    expires_at: str
    review_opinion: str | None = Field(default=None, description="The operator's reason")
    reviewed_at: str | None = None


class OperatorProspectInfo(ProspectInfo):
    partner_id: str


class OperatorProspectList(WireModel):
    total_count: int
    prospects: list[OperatorProspectInfo]


class ProspectReviewQuery(PageQuery):
    review: Annotated[str | None, Doc("pending (default) or all")] = None


class ProspectReviewReq(WireModel):
    result: str = Field(description="approve or reject")
    opinion: str | None = Field(
        default=None, max_length=512, description="The reason; required to reject"
    )


class ProspectList(WireModel):
    total_count: int
    prospects: list[ProspectInfo]


def _wire(view: ProspectView) -> ProspectInfo:
    return ProspectInfo(
        **same_named(view, "prospect_id email name customer_id"),
        state=view.state.value,
        **same_named(view, "reserved_at expires_at", via=format_utc),
        review_opinion=view.review_opinion,
        reviewed_at=format_utc(view.reviewed_at) if view.reviewed_at else None,
    )


def _operator_wire(view: ProspectView) -> OperatorProspectInfo:
    return OperatorProspectInfo(partner_id=view.partner_id, **_wire(view).model_dump())


@operation(router, "POST", "/prospects", kind=CallerKind.ANY_PARTNER, status=201)
async def pre_register_prospect(ctx: OperationContext, body: PreRegisterReq) -> ProspectInfo:
    """Pre-register a prospect by e-mail address

    Reserves the prospect for the partner for the pre-registration validity period
    (PARTNER_CENTER_PRE_REGISTRATION_DAYS, default 90); meanwhile another partner's invitation
    fails with PRE_REGISTERED_BY_ANOTHER_PARTNER. Refused when the partner has no e-mail or mobile
    on its account, when the prospect is associated with a partner, or when another partner's
    reservation is in force (CBC.99110007). An account registered more than 7 days earlier goes
    to manual review (PENDING_REVIEW) and reserves nothing.
    """
    view = await ctx.services.prospects.pre_register(ctx.actor, email=body.email, name=body.name)
    return _wire(view)


@operation(router, "GET", "/prospects", kind=CallerKind.ANY_PARTNER)
async def list_prospects(ctx: OperationContext, query: PageQuery) -> ProspectList:
    """The partner's pre-registrations, newest first

    With their state now: RESERVED, EXPIRED, PENDING_REVIEW or REJECTED (with the operator's
    reason).
    """
    rows, total = await ctx.services.prospects.list(ctx.actor, page(query.offset, query.limit))
    return ProspectList(total_count=total, prospects=[_wire(r) for r in rows])


@operation(router, "GET", "/operator/prospects")
async def list_prospects_for_review(
    ctx: OperationContext, query: ProspectReviewQuery
) -> OperatorProspectList:
    """Pre-registrations that went to manual review, oldest first (operator)

    review=pending (default) keeps those still waiting; review=all adds the reviewed ones.
    Operator credentials.
    """
    if query.review not in (None, "pending", "all"):
        raise invalid_parameter("review", "Use pending or all.")
    rows, total = await ctx.services.prospects.list_for_review(
        page(query.offset, query.limit), pending_only=query.review != "all"
    )
    return OperatorProspectList(total_count=total, prospects=[_operator_wire(r) for r in rows])


@operation(router, "POST", "/operator/prospects/{prospect_id}/review")
async def review_prospect(
    ctx: OperationContext, prospect_id: str, body: ProspectReviewReq
) -> OperatorProspectInfo:
    """Approve or reject a pre-registration waiting for review (operator)

    approve reserves the prospect for the partner from now for the validity period
    (PARTNER_CENTER_PRE_REGISTRATION_DAYS), refused with the association failure code when the
    prospect is meanwhile associated with a partner or reserved by another (CBC.99110007);
    reject needs the opinion (the reason), which the partner reads. The partner is e-mailed
    either way. CBC.99110030 when the pre-registration is not waiting for review. Operator
    credentials.
    """
    if body.result not in ("approve", "reject"):
        raise invalid_parameter("result", "Use approve or reject.")
    view = await ctx.services.prospects.review(
        prospect_id, approve=body.result == "approve", opinion=body.opinion
    )
    return _operator_wire(view)
