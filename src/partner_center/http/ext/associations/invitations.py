"""Invitations by e-mail, offline link and QR code, and their acceptance (rules.md §2.1–2.3):
the partner's side (any partner, ``ANY_PARTNER``), the link's public description, and the
signed-in account accepting it."""

from __future__ import annotations

import base64
from typing import Annotated

from pydantic import Field
from starlette.responses import Response

from partner_center.domains.associations.public import (
    AcceptedInvitation,
    InvitationChannel,
    InvitationRecordView,
    InvitationStatus,
    InvitationView,
    IssuedInvitation,
)
from partner_center.http.auth import CallerKind
from partner_center.http.ext.associations import (
    PARTNER_SIDE,
    Limit,
    Offset,
    area_router,
    association_type_of,
    type_code,
)
from partner_center.http.formats import optional_utc
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import CHOICE, Doc, QueryModel
from partner_center.http.wire import WireModel, same_named, wire_responses
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = area_router()


class CreateInvitationReq(WireModel):
    channel: str = Field(description="EMAIL | LINK | QR_CODE")
    emails: list[str] | None = Field(
        default=None, description="EMAIL only: 1 to 50 invitees, each gets its own link"
    )
    association_type: str | None = Field(
        default=None, description="3 reseller (default) or 1 referral (if unlocked)"
    )


class InvitationHead(WireModel):
    """What every answer about an invitation starts with."""

    invitation_id: str
    channel: str
    association_type: str


class IssuedInvitationItem(InvitationHead):
    link: str = Field(description="Shown only now: the server keeps only a hash of its token")
    expires_at: str | None = Field(default=None, description="UTC; absent = never expires")
    invitee_email: str | None = None
    qr_code_png: str | None = Field(default=None, description="QR_CODE: the PNG, base64")


class CreateInvitationResponse(WireModel):
    invitations: list[IssuedInvitationItem]


class InvitationRecordItem(WireModel):
    record_id: str
    invitation_id: str
    channel: str
    association_type: str
    invitee_email: str | None = None
    customer_id: str | None = None
    status: str = Field(description="PENDING | ACCEPTED | EXPIRED | FAILED")
    failure_reason: str | None = Field(default=None, description="Why it failed or expired")
    failure_code: str | None = None
    failure_msg: str | None = None
    retryable: bool | None = Field(default=None, description="Re-sending can succeed")
    created_by: str | None = Field(default=None, description="Member account name (tag)")
    created_at: str
    updated_at: str
    expires_at: str | None = None


class InvitationHistoryResponse(WireModel):
    records: list[InvitationRecordItem]
    count: int


class InvitationItem(InvitationHead):
    created_by: str | None = None
    created_at: str
    expires_at: str | None = None
    revoked_at: str | None = None


class InvitationListResponse(WireModel):
    invitations: list[InvitationItem]
    count: int


class QrCodeReq(WireModel):
    link: str = Field(max_length=2048, description="One of your invitation links")


class AcceptInvitationReq(WireModel):
    link: str | None = Field(default=None, max_length=2048)
    token: str | None = Field(default=None, max_length=128)


class AcceptInvitationResponse(WireModel):
    customer_id: str
    partner_id: str
    partner_name: str
    association_type: str
    associated_on: str
    restricted: bool = Field(description="Reseller-model customers start purchase-restricted")
    account_manager_id: str | None = None


class LinkDetailsResponse(WireModel):
    partner_name: str
    association_type: str
    channel: str
    expires_at: str | None = None
    usable: bool
    failure_reason: str | None = None
    failure_msg: str | None = None


def _issued(ctx: OperationContext, item: IssuedInvitation) -> IssuedInvitationItem:
    return IssuedInvitationItem(
        **same_named(item, "invitation_id link invitee_email"),
        channel=item.channel.value,
        association_type=type_code(ctx, item.association_type),
        expires_at=optional_utc(item.expires_at),
        qr_code_png=base64.b64encode(item.qr_png).decode() if item.qr_png else None,
    )


def _record(ctx: OperationContext, item: InvitationRecordView) -> InvitationRecordItem:
    reason = item.failure_reason
    return InvitationRecordItem(
        **same_named(item, "record_id invitation_id invitee_email customer_id"),
        channel=item.channel.value,
        association_type=type_code(ctx, item.association_type),
        status=item.status.value,
        failure_reason=reason.value if reason else None,
        failure_code=reason.code if reason else None,
        failure_msg=reason.message if reason else None,
        retryable=reason.retryable if reason else None,
        created_by=item.created_by_name,
        **same_named(item, "created_at updated_at", via=format_utc),
        expires_at=optional_utc(item.expires_at),
    )


def _invitation(ctx: OperationContext, item: InvitationView) -> InvitationItem:
    return InvitationItem(
        invitation_id=item.invitation_id,
        channel=item.channel.value,
        association_type=type_code(ctx, item.association_type),
        created_by=item.created_by_name,
        created_at=format_utc(item.created_at),
        **same_named(item, "expires_at revoked_at", via=optional_utc),
    )


def _accepted(ctx: OperationContext, item: AcceptedInvitation) -> AcceptInvitationResponse:
    return AcceptInvitationResponse(
        **same_named(item, "customer_id partner_id partner_name restricted account_manager_id"),
        association_type=type_code(ctx, item.association_type),
        associated_on=format_utc(item.associated_on),
    )


class PageQuery(QueryModel):
    offset: Offset = None
    limit: Limit = None


class InvitationRecordsQuery(QueryModel):
    status: Annotated[
        InvitationStatus | None, CHOICE, Doc("PENDING | ACCEPTED | EXPIRED | FAILED")
    ] = None
    channel: Annotated[InvitationChannel | None, CHOICE, Doc("EMAIL | LINK | QR_CODE")] = None
    offset: Offset = None
    limit: Limit = None


@operation(router, "POST", "/invitations", kind=PARTNER_SIDE)
async def create_invitations(
    ctx: OperationContext, body: CreateInvitationReq
) -> CreateInvitationResponse:
    """Invite customers: e-mail links (7 days, one use), an offline link or a QR code

    channel EMAIL sends each of 1 to 50 addresses its own link, valid 7 days and usable once;
    LINK and QR_CODE make one offline link (the QR code as a base64 PNG). The association type
    is 3 reseller by default, 1 referral once the operator unlocked it. The link is shown only
    in this answer: the server keeps a hash of its token. Any partner (CSP, distributor or
    reseller) with its own credentials.
    """
    actor = ctx.actor
    try:
        channel = InvitationChannel(body.channel)
    except ValueError as exc:
        raise invalid_parameter("channel", "Use EMAIL, LINK or QR_CODE.") from exc
    kind = association_type_of(body.association_type)
    invitations = ctx.services.invitations
    if channel == InvitationChannel.EMAIL:
        issued = await invitations.invite_by_email(actor, body.emails or [], kind)
    else:
        if body.emails:
            raise invalid_parameter("emails", "Only e-mail invitations take addresses.")
        issued = [await invitations.create_link(actor, channel, kind)]
    return CreateInvitationResponse(invitations=[_issued(ctx, i) for i in issued])


@operation(router, "GET", "/invitations", kind=PARTNER_SIDE)
async def list_invitations(ctx: OperationContext, query: PageQuery) -> InvitationListResponse:
    """The partner's invitation links, newest first (offset, limit)

    The calling partner's invitation links (e-mail, offline and QR code), newest first, with who
    made them and when they expire or were revoked. Any partner with its own credentials.
    """
    rows, total = await ctx.services.invitations.invitations(
        ctx.actor, page(query.offset, query.limit)
    )
    return InvitationListResponse(invitations=[_invitation(ctx, r) for r in rows], count=total)


@operation(router, "GET", "/invitations/records", kind=PARTNER_SIDE)
async def list_invitation_records(
    ctx: OperationContext, query: InvitationRecordsQuery
) -> InvitationHistoryResponse:
    """Invitation history per invitee with status and failure reason (status, channel, offset,
    limit)

    One record per invitee and attempt: PENDING, ACCEPTED, EXPIRED or FAILED, with the failure
    reason, its CBC.9911xxxx code and whether sending again can succeed; filtered by status and
    channel. Any partner with its own credentials.
    """
    rows, total = await ctx.services.invitations.history(
        ctx.actor, page(query.offset, query.limit), status=query.status, channel=query.channel
    )
    return InvitationHistoryResponse(records=[_record(ctx, r) for r in rows], count=total)


@operation(router, "POST", "/invitations/{invitation_id}/revoke", kind=PARTNER_SIDE)
async def revoke_invitation(ctx: OperationContext, invitation_id: str) -> InvitationItem:
    """Withdraw an invitation link (administrator or its maker)

    The link stops working at once and invitees still waiting are told it no longer exists. The
    partner's administrator or the member who made the link.
    """
    view = await ctx.services.invitations.revoke(ctx.actor, invitation_id)
    return _invitation(ctx, view)


@operation(
    router,
    "POST",
    "/invitations/qrcode",
    kind=PARTNER_SIDE,
    responses={
        **wire_responses(None),
        200: {"description": "The QR code", "content": {"image/png": {}}},
    },
)
async def render_invitation_qrcode(ctx: OperationContext, body: QrCodeReq) -> Response:
    """The QR code (PNG) of one of your invitation links

    The QR code (PNG) of one of the calling partner's links again: the server keeps only a hash
    of the token, so the partner brings the link.
    """
    png = await ctx.services.invitations.qr_code(ctx.actor, body.link)
    return Response(content=png, media_type="image/png")


@operation(router, "GET", "/invitation-links/{token}", kind=CallerKind.PUBLIC)
async def show_invitation_link(ctx: OperationContext, token: str) -> LinkDetailsResponse:
    """What an invitation link offers (the link itself; no sign-in needed)

    What the invitation whose token is in the path offers: the partner's name, the association
    type, the channel, when it expires, and whether it can still be accepted (with the reason if
    not). No sign-in needed; throttled per client address.
    """
    details = await ctx.services.invitations.describe(token)
    reason = details.failure_reason
    return LinkDetailsResponse(
        **same_named(details, "partner_name usable"),
        association_type=type_code(ctx, details.association_type),
        channel=details.channel.value,
        expires_at=optional_utc(details.expires_at),
        failure_reason=reason.value if reason else None,
        failure_msg=reason.message if reason else None,
    )


@operation(router, "POST", "/invitations/accept", kind=CallerKind.ANY)
async def accept_invitation(
    ctx: OperationContext, body: AcceptInvitationReq
) -> AcceptInvitationResponse:
    """The signed-in customer accepts an invitation (link or token) and is associated

    The signed-in account accepts an invitation (the link or its token) and becomes the
    partner's customer; a reseller-model customer starts purchase-restricted (rules.md §2.3.1).
    A failure is recorded on the invitee's record with its reason and answered with its
    CBC.9911xxxx code; accepting again after success answers the same association. A partner
    acting through the account's agency cannot accept for it.
    """
    value = body.link or body.token
    if not value:
        raise invalid_parameter("link", "Give the invitation link (or its token).")
    accepted = await ctx.services.invitations.accept(ctx.caller, value)
    return _accepted(ctx, accepted)
