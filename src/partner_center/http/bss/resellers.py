"""list_indirect_partners: a distributor's resellers (api-semantics.md §3.4), on both clients."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.partners.public import IndirectPartnerFilter
from partner_center.http.auth import CallerKind
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import time_filter
from partner_center.http.operations import OperationContext, operation
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(tags=["resellers"])


class QueryIndirectPartnersReq(WireModel):
    account_name: str | None = Field(
        default=None, max_length=64, description="Fuzzy match on the login name; '' = no filter"
    )
    associated_on_begin: str | None = Field(
        default=None, description="Linked to the distributor at or after (UTC)"
    )
    associated_on_end: str | None = Field(
        default=None, description="Linked to the distributor at or before (UTC)"
    )
    offset: int | None = Field(default=None, description="0-based row offset; default 0")
    limit: int | None = Field(default=None, description="1 to 100; default 10")
    indirect_partner_id: str | None = Field(default=None, max_length=64)


@sdk_model()
class IndirectPartnerInfo(WireModel):
    associated_on: str | None = Field(default=None, description="UTC")
    account_manager_id: str | None = Field(
        default=None, description="Login name of the distributor's account manager"
    )


@sdk_model(required="*")
class ListIndirectPartnersResponse(WireModel):
    pass


@operation(
    router,
    "POST",
    "/v2/partners/indirect-partners/query",
    kind=CallerKind.DISTRIBUTOR,
    body_required=False,
)
async def list_indirect_partners(
    ctx: OperationContext, body: QueryIndirectPartnersReq
) -> ListIndirectPartnersResponse:
    """List the distributor's resellers (indirect partners)

    Distributor credentials only; a distributor sees only its own resellers.
    """
    begin = time_filter(body.associated_on_begin, "associated_on_begin")
    end = time_filter(body.associated_on_end, "associated_on_end")
    if begin is not None and end is not None and begin > end:
        raise invalid_parameter("associated_on_end", "Must not be before the begin.")
    window = page(body.offset, body.limit, max_limit=100)
    rows, total = await ctx.services.partners.list_indirect_partners(
        ctx.actor.partner_id,
        IndirectPartnerFilter(
            account_name=body.account_name or None,
            associated_on_begin=begin,
            associated_on_end=end,
            indirect_partner_id=body.indirect_partner_id or None,
        ),
        window,
    )
    return ListIndirectPartnersResponse(
        count=total,
        indirect_partners=[
            IndirectPartnerInfo(
                **same_named(
                    r,
                    "indirect_partner_id mobile_phone email account_name name account_manager_name",
                ),
                associated_on=format_utc(r.associated_on),
                account_manager_id=r.account_manager_name,
            )
            for r in rows
        ],
    )
