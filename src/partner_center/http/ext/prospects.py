"""Extension endpoints (ours, not the reference API): a partner pre-registers prospects
(rules.md §2.1.1–2.1.4) and lists its pre-registrations. Every call is signed like the SDK's."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.associations.public import ProspectView
from partner_center.http.auth import CallerKind
from partner_center.http.ext import PREFIX
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import PageQuery
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
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
    state: str = Field(description="RESERVED, EXPIRED or PENDING_REVIEW")
    reserved_at: str
    expires_at: str


class ProspectList(WireModel):
    total_count: int
    prospects: list[ProspectInfo]


def _wire(view: ProspectView) -> ProspectInfo:
    return ProspectInfo(
        **same_named(view, "prospect_id email name customer_id"),
        state=view.state.value,
        **same_named(view, "reserved_at expires_at", via=format_utc),
    )


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

    With their state now: RESERVED, EXPIRED or PENDING_REVIEW.
    """
    rows, total = await ctx.services.prospects.list(ctx.actor, page(query.offset, query.limit))
    return ProspectList(total_count=total, prospects=[_wire(r) for r in rows])
