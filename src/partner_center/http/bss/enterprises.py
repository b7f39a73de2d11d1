"""Enterprise multi-account for a customer that is an enterprise master (api-semantics.md
§3.13): list_enterprise_sub_customers, plus our extension that creates member accounts."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.enterprises.public import MemberFilter, MemberView
from partner_center.http.auth import CallerKind
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import QueryModel
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(tags=["enterprise multi-account"])


class ListEnterpriseSubCustomersQuery(QueryModel):
    openapi_style = "schema"

    sub_customer_account_name: str | None = Field(
        default=None, description="Member account name; exact, or a substring if fuzzy_query=1"
    )
    sub_customer_display_name: str | None = Field(
        default=None, description="Member display name; exact, or a substring if fuzzy_query=1"
    )
    fuzzy_query: int | None = Field(default=None, description="0 exact (default), 1 fuzzy")
    offset: int | None = None
    limit: int | None = Field(default=None, description="1-100, default 10")
    org_id: str | None = Field(default=None, description="Organization unit of the members")


class SubCustomerInfoV2(WireModel):
    id: str
    name: str
    display_name: str
    status: int = Field(description="1 normal, 2 creating, 3 closing, 4 closed")
    org_id: str
    org_name: str | None = None


class ListEnterpriseSubCustomersResponse(WireModel):
    total_count: int
    sub_customer_infos: list[SubCustomerInfoV2]


class CreateEnterpriseMemberReq(WireModel):
    name: str = Field(description="Login name of the new member account (5-32 characters)")
    display_name: str | None = Field(default=None, description="Defaults to the name")
    org_id: str | None = Field(default=None, description="Defaults to the master's root unit")


class EnterpriseMemberDetail(SubCustomerInfoV2):
    created_at: str


def _name_filter(value: str | None, field: str) -> str | None:
    """Empty means "no filter" (api-semantics.md §1.4); the reference refuses spaces."""
    if not value:
        return None
    if " " in value:
        raise invalid_parameter(field, "Spaces are not allowed.")
    return value


def _info(view: MemberView) -> SubCustomerInfoV2:
    return SubCustomerInfoV2(
        **same_named(view, "display_name org_id org_name"),
        id=view.account_id,
        name=view.account_name,
        status=int(view.status),
    )


@operation(router, "GET", "/v2/enterprises/multi-accounts/sub-customers", kind=CallerKind.CUSTOMER)
async def list_enterprise_sub_customers(
    ctx: OperationContext, query: ListEnterpriseSubCustomersQuery
) -> ListEnterpriseSubCustomersResponse:
    """List the member accounts of the calling enterprise master"""
    if query.fuzzy_query not in (None, 0, 1):
        raise invalid_parameter("fuzzy_query", "Use 0 (exact) or 1 (fuzzy).")
    filters = MemberFilter(
        account_name=_name_filter(query.sub_customer_account_name, "sub_customer_account_name"),
        display_name=_name_filter(query.sub_customer_display_name, "sub_customer_display_name"),
        fuzzy=query.fuzzy_query == 1,
        org_id=query.org_id or None,
    )
    views, total = await ctx.services.enterprises.list_members(
        ctx.caller.account_id, filters, page(query.offset, query.limit)
    )
    return ListEnterpriseSubCustomersResponse(
        total_count=total, sub_customer_infos=[_info(v) for v in views]
    )


@operation(
    router, "POST", "/v1/partner-center/enterprise/members", kind=CallerKind.CUSTOMER, status=201
)
async def create_enterprise_member(
    ctx: OperationContext, body: CreateEnterpriseMemberReq
) -> EnterpriseMemberDetail:
    """Create a member account under the calling enterprise master (extension)

    Creates a member account under the calling enterprise master (customer credentials), in the
    master's root unit unless org_id names another; list_enterprise_sub_customers then lists it.
    """
    view = await ctx.services.enterprises.create_member(
        ctx.caller.account_id,
        name=body.name,
        display_name=body.display_name,
        org_id=body.org_id or None,
    )
    return EnterpriseMemberDetail(
        **_info(view).model_dump(), created_at=format_utc(view.created_at)
    )
