"""Enterprise multi-account for a customer that is an enterprise master (api-semantics.md
§3.13): the member accounts (list_enterprise_sub_customers, create_sub_enterprise_account and
our extension that creates one without SMS), the organization (list_enterprise_organizations),
the SMS codes that verify a member's mobile (send_sms_verification_code), and
create_enterprise_project_auth. Money and coupons moved to members: ``multi_accounts.py``."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.enterprises.public import (
    SAME_LEGAL_ENTITY,
    MemberFilter,
    MemberView,
    NewMember,
    OrgNode,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import zero_or_one
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import QueryModel
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

_MULTI_ACCOUNTS = "/v2/enterprises/multi-accounts"
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


@sdk_model(required="id name display_name org_id")
class SubCustomerInfoV2(WireModel):
    status: int = Field(description="1 normal, 2 creating, 3 closing, 4 closed")


@sdk_model(required="*")
class ListEnterpriseSubCustomersResponse(WireModel):
    pass


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


@operation(router, "GET", f"{_MULTI_ACCOUNTS}/sub-customers", kind=CallerKind.CUSTOMER)
async def list_enterprise_sub_customers(
    ctx: OperationContext, query: ListEnterpriseSubCustomersQuery
) -> ListEnterpriseSubCustomersResponse:
    """List the member accounts of the calling enterprise master"""
    fuzzy = zero_or_one(query.fuzzy_query, "fuzzy_query", "Use 0 (exact) or 1 (fuzzy).")
    filters = MemberFilter(
        account_name=_name_filter(query.sub_customer_account_name, "sub_customer_account_name"),
        display_name=_name_filter(query.sub_customer_display_name, "sub_customer_display_name"),
        fuzzy=fuzzy,
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
        NewMember(name=body.name, display_name=body.display_name, org_id=body.org_id or None),
    )
    return EnterpriseMemberDetail(
        **_info(view).model_dump(), created_at=format_utc(view.created_at)
    )


class NewCustomerV2(WireModel):
    customer_name: str = Field(description="Login name of the member account (5-32 characters)")
    mobile_phone: str | None = Field(
        default=None, description="Chinese mobile number; needs verification_code"
    )
    use_pri_mobile_phone: str | None = Field(
        default=None, description="true: no mobile of its own (the master's is used)"
    )
    password: str
    verification_code: str | None = Field(
        default=None, description="The code send_sms_verification_code sent to mobile_phone"
    )


class CreateSubCustomerReqV2(WireModel):
    party_id: str = Field(description="Organization unit the member is placed in")
    display_name: str | None = None
    sub_customer_association_type: int = Field(description="1 same legal entity")
    permission_ids: list[str] | None = None
    new_sub_customer: NewCustomerV2
    financial_custody: int | None = Field(
        default=None, description="1: the master pays for the member; 0 (default) not"
    )


class TemplateArgs(WireModel):
    key: str
    value: str


class SendSmVerificationCodeReq(WireModel):
    mobile_phone: str
    timeout: int | None = Field(default=None, description="Minutes, default 10; over 60 means 5")
    language: str | None = Field(default=None, description="zh-cn or en-us")
    sm_template_args: list[TemplateArgs]


class ListEnterpriseOrganizationsQuery(QueryModel):
    openapi_style = "schema"

    recursive_query: int | None = Field(default=None, description="0 one level (default), 1 all")
    parent_id: str | None = Field(default=None, description="Default: the root unit")


@sdk_model(required="*")
class EmChildNodeV2(WireModel):
    pass


@sdk_model(required="*")
class ListEnterpriseOrganizationsResponse(WireModel):
    pass


def _node(node: OrgNode) -> EmChildNodeV2:
    return EmChildNodeV2(
        **same_named(node, "relation_id id name"), child_nodes=[_node(c) for c in node.children]
    )


@operation(router, "POST", f"{_MULTI_ACCOUNTS}/sub-customers", kind=CallerKind.CUSTOMER)
async def create_sub_enterprise_account(
    ctx: OperationContext, body: CreateSubCustomerReqV2
) -> None:
    """Create a member account under the calling enterprise master

    Only an enterprise master (a customer with enterprise real-name authentication, not itself
    a member) creates members (CBC.99007004 otherwise). A mobile number needs the code
    send_sms_verification_code sent to it.
    """
    if body.sub_customer_association_type != SAME_LEGAL_ENTITY:
        raise invalid_parameter("sub_customer_association_type", "Use 1 (same legal entity).")
    new = body.new_sub_customer
    if new.use_pri_mobile_phone not in (None, "true", "false"):
        raise invalid_parameter("use_pri_mobile_phone", "Use true or false.")
    if new.use_pri_mobile_phone == "true" and new.mobile_phone:
        raise invalid_parameter("mobile_phone", "Leave it out when use_pri_mobile_phone is true.")
    await ctx.services.enterprises.create_member(
        ctx.caller.account_id,
        NewMember(
            name=new.customer_name,
            password=new.password,
            display_name=body.display_name,
            org_id=body.party_id or None,
            mobile=new.mobile_phone or None,
            verification_code=new.verification_code,
            permission_ids=tuple(body.permission_ids or ()),
            financial_custody=body.financial_custody or 0,
        ),
    )


@operation(router, "GET", f"{_MULTI_ACCOUNTS}/enterprise-organizations", kind=CallerKind.CUSTOMER)
async def list_enterprise_organizations(
    ctx: OperationContext, query: ListEnterpriseOrganizationsQuery
) -> ListEnterpriseOrganizationsResponse:
    """Show the calling enterprise master's organization units"""
    recursive = zero_or_one(query.recursive_query, "recursive_query")
    tree = await ctx.services.enterprises.organizations(
        ctx.caller.account_id, parent_id=query.parent_id or None, recursive=recursive
    )
    return ListEnterpriseOrganizationsResponse(
        root_id=tree.root_id,
        root_name=tree.root_name,
        child_nodes=[_node(n) for n in tree.children],
    )


@operation(router, "POST", f"{_MULTI_ACCOUNTS}/sm-verification-code", kind=CallerKind.CUSTOMER)
async def send_sms_verification_code(
    ctx: OperationContext, body: SendSmVerificationCodeReq
) -> None:
    """Text a verification code to a future member account's mobile number

    Only an enterprise master may send (CBC.70300008). The code is valid for timeout minutes
    (default 10); 15 sends an hour and 60 a day per number (CBC.99004015).
    """
    if not body.sm_template_args or any(not a.key for a in body.sm_template_args):
        raise invalid_parameter("sm_template_args", "Give at least one key and value.")
    await ctx.services.enterprises.send_member_code(
        ctx.caller.account_id,
        mobile=body.mobile_phone,
        timeout_minutes=body.timeout,
        lang=body.language,
    )


@operation(
    router, "POST", "/v2/enterprises/enterprise-projects/authority", kind=CallerKind.CUSTOMER
)
async def create_enterprise_project_auth(ctx: OperationContext) -> None:
    """Enable enterprise projects for the calling customer

    Idempotent: enabling them again changes nothing.
    """
    await ctx.services.enterprises.enable_enterprise_projects(ctx.caller.account_id)
