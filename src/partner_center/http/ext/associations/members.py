"""Organization members and their roles, their access keys, and customers' account managers
(rules.md §1.18–1.20, §8.5); the partner administrator's (or an account director's) tools."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.associations.public import AssignmentView
from partner_center.domains.identity.public import MemberView
from partner_center.http.ext import PREFIX
from partner_center.http.ext.associations import PARTNER_SIDE
from partner_center.http.formats import optional_utc
from partner_center.http.operations import OperationContext, operation
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc

router = APIRouter(prefix=PREFIX, tags=["members (extension)"])


class MemberReq(WireModel):
    name: str = Field(max_length=64)
    roles: list[str] = Field(description="1 to 3 of ACCOUNT_MANAGER, ACCOUNT_DIRECTOR, ...")
    password: str | None = Field(default=None, max_length=32)


class RolesReq(WireModel):
    roles: list[str]


class MemberItem(WireModel):
    member_id: str
    name: str
    roles: list[str]
    is_admin: bool
    status: str
    created_at: str


class MemberListResponse(WireModel):
    members: list[MemberItem]


class AccessKeyResponse(WireModel):
    access_key: str
    secret_key: str = Field(description="Shown only now")


class AssignManagerReq(WireModel):
    member_id: str = Field(max_length=32)


class AssignmentItem(WireModel):
    assignment_id: str
    customer_id: str
    member_id: str
    member_name: str
    assigned_at: str
    effective_from: str = Field(description="Attribution starts: next 00:00, billing time zone")
    ended_at: str | None = None
    effective_to: str | None = None


class AssignmentHistoryResponse(WireModel):
    assignments: list[AssignmentItem]


def _member(item: MemberView) -> MemberItem:
    return MemberItem(
        **same_named(item, "member_id name is_admin"),
        roles=list(item.roles),
        status=item.status.value,
        created_at=format_utc(item.created_at),
    )


def _assignment(item: AssignmentView) -> AssignmentItem:
    return AssignmentItem(
        **same_named(item, "assignment_id customer_id member_id member_name"),
        **same_named(item, "assigned_at effective_from", via=format_utc),
        **same_named(item, "ended_at effective_to", via=optional_utc),
    )


@operation(router, "POST", "/members", kind=PARTNER_SIDE, status=201)
async def create_member(ctx: OperationContext, body: MemberReq) -> MemberItem:
    """Add an organization member with 1 to 3 roles (administrator)

    Adds a member to the calling partner's organization with 1 to 3 roles (the administrator
    role alone; account manager and account director exclusive). The partner's administrator.
    """
    view = await ctx.services.members.create_member(
        ctx.actor, name=body.name, roles=body.roles, password=body.password
    )
    return _member(view)


@operation(router, "GET", "/members", kind=PARTNER_SIDE)
async def list_members(ctx: OperationContext) -> MemberListResponse:
    """The organization's members (administrator)

    The calling partner's organization members with their roles and status. The partner's
    administrator.
    """
    rows = await ctx.services.members.list_members(ctx.actor)
    return MemberListResponse(members=[_member(r) for r in rows])


@operation(router, "PUT", "/members/{member_id}/roles", kind=PARTNER_SIDE)
async def update_member_roles(ctx: OperationContext, member_id: str, body: RolesReq) -> MemberItem:
    """Replace a member's roles (administrator)

    Replaces a member's roles; a member who still manages customers keeps the account-manager
    role until they are given to someone else (one manager per customer). The partner's
    administrator.
    """
    view = await ctx.services.members.set_roles(ctx.actor, member_id, body.roles)
    return _member(view)


@operation(router, "POST", "/members/{member_id}/access-keys", kind=PARTNER_SIDE, status=201)
async def create_member_access_key(ctx: OperationContext, member_id: str) -> AccessKeyResponse:
    """A permanent AK/SK for a member (administrator); the SK is shown once

    Issues a permanent AK/SK for one member; the SK is shown only in this answer. The partner's
    administrator.
    """
    key = await ctx.services.members.issue_access_key(ctx.actor, member_id)
    return AccessKeyResponse(access_key=key.access_key, secret_key=key.secret_key)


@operation(router, "PUT", "/customers/{customer_id}/account-manager", kind=PARTNER_SIDE)
async def assign_customer_account_manager(
    ctx: OperationContext, customer_id: str, body: AssignManagerReq
) -> AssignmentItem:
    """Make a member the customer's account manager (administrator or account director);
    attribution starts the next day

    Makes a member holding the account-manager role the customer's account manager: it sees the
    customer at once, and the customer's spend counts towards it from the next 00:00 in the
    billing time zone. The partner's administrator or an account director.
    """
    view = await ctx.services.account_managers.assign(ctx.actor, customer_id, body.member_id)
    return _assignment(view)


@operation(router, "DELETE", "/customers/{customer_id}/account-manager", kind=PARTNER_SIDE)
async def withdraw_customer_account_manager(
    ctx: OperationContext, customer_id: str
) -> AssignmentItem:
    """Withdraw the customer's account manager; attribution ends the next day

    Takes the customer's account manager away; attribution ends at the next 00:00 in the billing
    time zone.
    """
    view = await ctx.services.account_managers.withdraw(ctx.actor, customer_id)
    return _assignment(view)


@operation(router, "GET", "/customers/{customer_id}/account-manager-history", kind=PARTNER_SIDE)
async def list_customer_account_manager_history(
    ctx: OperationContext, customer_id: str
) -> AssignmentHistoryResponse:
    """Every account manager the customer had with you, newest first

    Every account manager the customer had with the calling partner, newest first, with when
    attribution started and ended.
    """
    rows = await ctx.services.account_managers.history(ctx.actor, customer_id)
    return AssignmentHistoryResponse(assignments=[_assignment(r) for r in rows])
