"""Enterprise multi-account for a customer that is an enterprise master (api-semantics.md
§3.13): list_enterprise_sub_customers, plus our extension that creates member accounts."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from partner_center.domains.enterprises.public import EnterpriseService, MemberFilter, MemberView
from partner_center.http.auth import CallerKind
from partner_center.http.bss.coupons import parse_query, query_parameters
from partner_center.http.operations import OperationContext, run_legacy_operation
from partner_center.http.wire import WireModel, wire_body, wire_responses
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(tags=["enterprise multi-account"])


class ListEnterpriseSubCustomersQuery(WireModel):
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


def _service(ctx: OperationContext) -> EnterpriseService:
    return EnterpriseService(ctx.uow.session, clock=ctx.state.clock, identity=ctx.identity)


def _name_filter(value: str | None, field: str) -> str | None:
    """Empty means "no filter" (api-semantics.md §1.4); the reference refuses spaces."""
    if not value:
        return None
    if " " in value:
        raise invalid_parameter(field, "Spaces are not allowed.")
    return value


def _info(view: MemberView) -> SubCustomerInfoV2:
    return SubCustomerInfoV2(
        id=view.account_id,
        name=view.account_name,
        display_name=view.display_name,
        status=int(view.status),
        org_id=view.org_id,
        org_name=view.org_name,
    )


@router.get(
    "/v2/enterprises/multi-accounts/sub-customers",
    operation_id="list_enterprise_sub_customers",
    summary="List the member accounts of the calling enterprise master",
    openapi_extra=query_parameters(ListEnterpriseSubCustomersQuery),
    responses=wire_responses(ListEnterpriseSubCustomersResponse),
)
async def list_enterprise_sub_customers(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ListEnterpriseSubCustomersResponse:
        query = parse_query(request, ListEnterpriseSubCustomersQuery)
        if query.fuzzy_query not in (None, 0, 1):
            raise invalid_parameter("fuzzy_query", "Use 0 (exact) or 1 (fuzzy).")
        filters = MemberFilter(
            account_name=_name_filter(query.sub_customer_account_name, "sub_customer_account_name"),
            display_name=_name_filter(query.sub_customer_display_name, "sub_customer_display_name"),
            fuzzy=query.fuzzy_query == 1,
            org_id=query.org_id or None,
        )
        views, total = await _service(ctx).list_members(
            ctx.caller.account_id, filters, page(query.offset, query.limit)
        )
        return ListEnterpriseSubCustomersResponse(
            total_count=total, sub_customer_infos=[_info(v) for v in views]
        )

    return await run_legacy_operation(
        request,
        api="list_enterprise_sub_customers",
        kind=CallerKind.CUSTOMER,
        body_model=None,
        handler=handle,
    )


@router.post(
    "/v1/partner-center/enterprise/members",
    operation_id="create_enterprise_member",
    summary="Create a member account under the calling enterprise master (extension)",
    openapi_extra=wire_body(CreateEnterpriseMemberReq),
    responses=wire_responses(EnterpriseMemberDetail, 201),
    status_code=201,
)
async def create_enterprise_member(request: Request) -> Response:
    async def handle(
        ctx: OperationContext, body: CreateEnterpriseMemberReq
    ) -> EnterpriseMemberDetail:
        view = await _service(ctx).create_member(
            ctx.caller.account_id,
            name=body.name,
            display_name=body.display_name,
            org_id=body.org_id or None,
        )
        return EnterpriseMemberDetail(
            **_info(view).model_dump(), created_at=format_utc(view.created_at)
        )

    return await run_legacy_operation(
        request,
        api="create_enterprise_member",
        kind=CallerKind.CUSTOMER,
        body_model=CreateEnterpriseMemberReq,
        handler=handle,
        status=201,
    )
