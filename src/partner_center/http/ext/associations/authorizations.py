"""Customers authorizing their partner to order and operate on their behalf (rules.md §5.1–5.2,
§1.14), and a distributor letting a reseller do so for the reseller's customers."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool

from partner_center.domains.associations.public import (
    PERMISSIONS,
    AuthorizationStatus,
    AuthorizationView,
    OnBehalfGrantView,
)
from partner_center.http.auth import CallerKind
from partner_center.http.ext.associations import (
    EITHER_SIDE,
    PARTNER_SIDE,
    Limit,
    Offset,
    area_router,
)
from partner_center.http.formats import optional_utc
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import CHOICE, Doc, QueryModel, TextFilter
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.pagination import page

router = area_router()


class AuthorizationReq(WireModel):
    commitment_letter_accepted: StrictBool | None = Field(
        default=None, description="Required true on the partner's first request"
    )
    permission: str | None = Field(default=None, description="te_admin (default) | readonly")


class AuthorizationItem(WireModel):
    authorization_id: str
    partner_id: str
    partner_name: str
    agency_name: str = Field(description="What assume_role's agency_name must be")
    customer_id: str
    permission: str
    status: str = Field(description="PENDING | AUTHORIZED | REJECTED | REVOKED | CANCELLED")
    created_at: str
    decided_at: str | None = None
    revoked_at: str | None = None


class AuthorizationListResponse(WireModel):
    authorizations: list[AuthorizationItem]
    count: int


class OnBehalfReq(WireModel):
    granted: StrictBool


class OnBehalfResponse(WireModel):
    reseller_id: str
    distributor_id: str
    granted: bool
    updated_at: str | None = None
    revoked_authorizations: int = 0


def _authorization(item: AuthorizationView) -> AuthorizationItem:
    return AuthorizationItem(
        **same_named(
            item, "authorization_id partner_id partner_name agency_name customer_id permission"
        ),
        status=item.status.value,
        created_at=format_utc(item.created_at),
        **same_named(item, "decided_at revoked_at", via=optional_utc),
    )


def _on_behalf(item: OnBehalfGrantView) -> OnBehalfResponse:
    return OnBehalfResponse(
        **same_named(item, "reseller_id distributor_id granted revoked_authorizations"),
        updated_at=optional_utc(item.updated_at),
    )


class AuthorizationsQuery(QueryModel):
    status: Annotated[
        AuthorizationStatus | None,
        CHOICE,
        Doc("PENDING | AUTHORIZED | REJECTED | REVOKED | CANCELLED"),
    ] = None
    customer_id: Annotated[
        TextFilter, Doc("Partner only: one customer (required for an account manager)")
    ] = None
    offset: Offset = None
    limit: Limit = None


@operation(
    router,
    "POST",
    "/customers/{customer_id}/authorizations",
    kind=PARTNER_SIDE,
    body_required=False,
)
async def request_customer_authorization(
    ctx: OperationContext, customer_id: str, body: AuthorizationReq
) -> AuthorizationItem:
    """Ask a reseller-model customer for authorization to order and operate on its behalf (the
    first request accepts the commitment letter)

    Asks a reseller-model customer for the agency that lets the partner order and operate on its
    behalf (assume_role), with permission te_admin (default) or readonly; the partner's first
    request accepts the commitment letter (commitment_letter_accepted: true). Any partner with
    its own credentials; a reseller needs its distributor's on-behalf permission.
    """
    permission = body.permission if body.permission is not None else PERMISSIONS[0]
    view = await ctx.services.authorizations.request(
        ctx.actor,
        customer_id,
        commitment_accepted=bool(body.commitment_letter_accepted),
        permission=permission,
    )
    return _authorization(view)


@operation(router, "GET", "/authorizations", kind=EITHER_SIDE)
async def list_customer_authorizations(
    ctx: OperationContext, query: AuthorizationsQuery
) -> AuthorizationListResponse:
    """Authorizations: the partner's (customer_id filter), or (customer credentials) the customer's
    (status, offset, limit)

    With partner credentials, the partner's authorizations (one customer with customer_id; an
    account manager must name one); with the customer's credentials, the customer's. Filtered by
    status, newest first.
    """
    service = ctx.services.authorizations
    status, window = query.status, page(query.offset, query.limit)
    if ctx.partner is None:
        rows, total = await service.list_for_customer(ctx.caller, window, status=status)
    else:
        rows, total = await service.list_for_partner(
            ctx.actor,
            window,
            status=status,
            customer_id=query.customer_id,
        )
    return AuthorizationListResponse(authorizations=[_authorization(r) for r in rows], count=total)


@operation(router, "POST", "/authorizations/{authorization_id}/approve", kind=CallerKind.ANY)
async def approve_customer_authorization(
    ctx: OperationContext, authorization_id: str
) -> AuthorizationItem:
    """The customer authorizes the partner (grants the agency)

    The customer, with its own credentials, grants the agency the partner's assume_role needs;
    the answer names the agency.
    """
    return _authorization(await ctx.services.authorizations.approve(ctx.caller, authorization_id))


@operation(router, "POST", "/authorizations/{authorization_id}/reject", kind=CallerKind.ANY)
async def reject_customer_authorization(
    ctx: OperationContext, authorization_id: str
) -> AuthorizationItem:
    """The customer rejects the authorization request

    The customer, with its own credentials, rejects a pending authorization request.
    """
    return _authorization(await ctx.services.authorizations.reject(ctx.caller, authorization_id))


@operation(router, "POST", "/authorizations/{authorization_id}/revoke", kind=CallerKind.ANY)
async def revoke_customer_authorization(
    ctx: OperationContext, authorization_id: str
) -> AuthorizationItem:
    """The customer withdraws the authorization; the partner's tokens stop at once

    The customer withdraws an authorization it granted; the partner's tokens for the customer
    stop working at once.
    """
    return _authorization(await ctx.services.authorizations.revoke(ctx.caller, authorization_id))


@operation(router, "POST", "/authorizations/{authorization_id}/cancel", kind=PARTNER_SIDE)
async def cancel_customer_authorization(
    ctx: OperationContext, authorization_id: str
) -> AuthorizationItem:
    """The partner withdraws its pending request

    The partner withdraws its own pending authorization request. Any partner with its own
    credentials.
    """
    return _authorization(await ctx.services.authorizations.cancel(ctx.actor, authorization_id))


@operation(router, "PUT", "/resellers/{reseller_id}/on-behalf-permission", kind=PARTNER_SIDE)
async def update_reseller_on_behalf_permission(
    ctx: OperationContext, reseller_id: str, body: OnBehalfReq
) -> OnBehalfResponse:
    """The distributor lets a reseller order and operate on its customers' behalf (withdrawing it
    revokes the customers' authorizations of the reseller)

    The distributor grants or withdraws a reseller's permission to order and operate on behalf
    of its customers; withdrawing it revokes the customers' authorizations of that reseller
    (their count is answered).
    """
    view = await ctx.services.authorizations.set_on_behalf_permission(
        ctx.actor, reseller_id, granted=body.granted
    )
    return _on_behalf(view)


@operation(router, "GET", "/resellers/{reseller_id}/on-behalf-permission", kind=PARTNER_SIDE)
async def show_reseller_on_behalf_permission(
    ctx: OperationContext, reseller_id: str
) -> OnBehalfResponse:
    """Whether the reseller may order and operate on customers' behalf (distributor or the reseller
    itself)

    Whether the reseller holds its distributor's permission to act for customers, as the
    distributor or the reseller itself sees it.
    """
    view = await ctx.services.authorizations.on_behalf_permission(ctx.actor, reseller_id)
    return _on_behalf(view)
