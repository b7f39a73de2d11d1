"""Extension endpoints (ours, not the reference API) for the customer business of the console:
invitations by e-mail, offline link and QR code and their acceptance (rules.md §2.1–2.3),
association-type changes (§2.5), disassociation requests either way (§2.6), customers
authorizing their partner to act on their behalf (§5.1–5.2, §1.14), organization members and
customers' account managers (§1.18–1.20, §8.5).

Calls are signed like the SDK's (AK/SK, temporary AK/SK or X-Auth-Token). Partner operations
accept CSPs, distributors and resellers (the console's users; the reference BSS API is what
resellers cannot call); customer operations need the customer's own credentials — a partner
acting through the customer's agency may read but never decide. Errors are the reference body
``{"error_code", "error_msg"}``; association failure reasons have codes ``CBC.9911xxxx``.

Association types on the wire are the reference codes: ``"1"`` referral, ``"3"`` reseller
(``"2"`` on the China site).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter
from pydantic import Field, StrictBool
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from partner_center.domains.associations.public import (
    PERMISSIONS,
    AcceptedInvitation,
    AssignmentView,
    AuthorizationStatus,
    AuthorizationView,
    DisassociationView,
    Initiator,
    InvitationChannel,
    InvitationRecordView,
    InvitationStatus,
    InvitationView,
    IssuedInvitation,
    OnBehalfGrantView,
    RequestStatus,
    TypeChangeView,
)
from partner_center.domains.customers.public import AssociationType, PartnerActor
from partner_center.domains.identity.public import AccountKind, MemberView
from partner_center.http.auth import CallerKind
from partner_center.http.bss.customers import association_code
from partner_center.http.operations import OperationContext, run_operation
from partner_center.http.state import AppState, app_state
from partner_center.http.wire import WireModel, WireResponse, wire_body, wire_responses
from partner_center.kernel.clock import format_utc
from partner_center.kernel.db import refresh_sandbox_clock
from partner_center.kernel.errors import access_denied, invalid_parameter
from partner_center.kernel.pagination import Page, page
from partner_center.services import Services

router = APIRouter()
E = TypeVar("E")

_PREFIX = "/v1/partner-center"
_TYPES_IN = {
    "1": AssociationType.REFERRAL,
    "2": AssociationType.RESELLER,
    "3": AssociationType.RESELLER,
}


# -- plumbing -------------------------------------------------------------------------------


def _build(state: AppState, session: AsyncSession) -> Services:
    return state.services(session)


def _services(ctx: OperationContext) -> Services:
    return ctx.services


async def _actor(ctx: OperationContext) -> PartnerActor:
    """The calling partner (CSP, distributor or reseller) with its own credentials."""
    caller = ctx.caller
    if caller.kind != AccountKind.PARTNER or caller.delegated_by is not None:
        raise access_denied("Access denied: this operation is called with partner credentials.")
    partner = await ctx.partners.get(caller.account_id)
    if partner is None:
        raise access_denied("Access denied: the account is not a partner.")
    return PartnerActor(caller=caller, partner=partner)


def _association_type(value: str | None) -> AssociationType:
    if value is None:
        return AssociationType.RESELLER
    found = _TYPES_IN.get(value)
    if found is None:
        raise invalid_parameter("association_type", "Use 1 (referral) or 3 (reseller).")
    return found


def _code(ctx: OperationContext, kind: AssociationType) -> str:
    return association_code(kind, ctx.state.site)


def _time(value: datetime | None) -> str | None:
    return format_utc(value) if value is not None else None


def _query_page(request: Request) -> Page:
    return page(_query_int(request, "offset"), _query_int(request, "limit"), max_limit=100)


def _query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise invalid_parameter(name, "Must be an integer.") from exc


def _query_enum(request: Request, name: str, kind: Callable[[str], E]) -> E | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return kind(raw)
    except ValueError as exc:
        raise invalid_parameter(name, "Not one of the documented values.") from exc


def _query_doc(*params: tuple[str, str]) -> dict[str, Any]:
    """``openapi_extra`` documenting optional string query parameters (name, description)."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": text,
            }
            for name, text in params
        ]
    }


_PAGE_DOC = (
    ("offset", "0-based row offset (default 0)"),
    ("limit", "1 to 100 rows (default 10)"),
)

Handler = Callable[[OperationContext, Any], Awaitable[Any]]


async def _run(
    request: Request,
    api: str,
    handler: Handler,
    body_model: type[WireModel] | None = None,
    *,
    status: int = 200,
) -> Response:
    return await run_operation(
        request,
        api=api,
        kind=CallerKind.ANY,
        body_model=body_model,
        handler=handler,
        status=status,
    )


# -- wire models ----------------------------------------------------------------------------


class CreateInvitationReq(WireModel):
    channel: str = Field(description="EMAIL | LINK | QR_CODE")
    emails: list[str] | None = Field(
        default=None, description="EMAIL only: 1 to 50 invitees, each gets its own link"
    )
    association_type: str | None = Field(
        default=None, description="3 reseller (default) or 1 referral (if unlocked)"
    )


class IssuedInvitationItem(WireModel):
    invitation_id: str
    channel: str
    association_type: str
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


class InvitationItem(WireModel):
    invitation_id: str
    channel: str
    association_type: str
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


class TypeChangeReq(WireModel):
    association_type: str = Field(description="Target: 1 referral or 3 reseller")


class TypeChangeItem(WireModel):
    request_id: str
    partner_id: str
    customer_id: str
    from_association_type: str
    to_association_type: str
    status: str = Field(description="PENDING | APPROVED | REJECTED | CANCELLED")
    created_at: str
    decided_at: str | None = None


class TypeChangeListResponse(WireModel):
    requests: list[TypeChangeItem]
    count: int


class PartnerDisassociationReq(WireModel):
    reason: str = Field(max_length=256)
    statement_accepted: StrictBool = Field(description="The disassociation statement, read")


class CustomerDisassociationReq(WireModel):
    reason: str = Field(max_length=256)


class DecisionReq(WireModel):
    rejection_reason: str | None = Field(default=None, max_length=256)


class DisassociationItem(WireModel):
    request_id: str
    partner_id: str
    customer_id: str
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


class MyPartnerResponse(WireModel):
    associated: bool
    partner_id: str | None = None
    partner_name: str | None = None
    association_type: str | None = None
    associated_on: str | None = None
    disassociated_on: str | None = None
    restricted: bool


class AssociationSettingsReq(WireModel):
    referral_enabled: StrictBool


class AssociationSettingsResponse(WireModel):
    partner_id: str
    referral_enabled: bool
    commitment_letter_accepted_at: str | None = None


# -- wire conversions -------------------------------------------------------------------------


def _issued(ctx: OperationContext, item: IssuedInvitation) -> IssuedInvitationItem:
    return IssuedInvitationItem(
        invitation_id=item.invitation_id,
        channel=item.channel.value,
        association_type=_code(ctx, item.association_type),
        link=item.link,
        expires_at=_time(item.expires_at),
        invitee_email=item.invitee_email,
        qr_code_png=base64.b64encode(item.qr_png).decode() if item.qr_png else None,
    )


def _record(ctx: OperationContext, item: InvitationRecordView) -> InvitationRecordItem:
    reason = item.failure_reason
    return InvitationRecordItem(
        record_id=item.record_id,
        invitation_id=item.invitation_id,
        channel=item.channel.value,
        association_type=_code(ctx, item.association_type),
        invitee_email=item.invitee_email,
        customer_id=item.customer_id,
        status=item.status.value,
        failure_reason=reason.value if reason else None,
        failure_code=reason.code if reason else None,
        failure_msg=reason.message if reason else None,
        retryable=reason.retryable if reason else None,
        created_by=item.created_by_name,
        created_at=format_utc(item.created_at),
        updated_at=format_utc(item.updated_at),
        expires_at=_time(item.expires_at),
    )


def _invitation(ctx: OperationContext, item: InvitationView) -> InvitationItem:
    return InvitationItem(
        invitation_id=item.invitation_id,
        channel=item.channel.value,
        association_type=_code(ctx, item.association_type),
        created_by=item.created_by_name,
        created_at=format_utc(item.created_at),
        expires_at=_time(item.expires_at),
        revoked_at=_time(item.revoked_at),
    )


def _accepted(ctx: OperationContext, item: AcceptedInvitation) -> AcceptInvitationResponse:
    return AcceptInvitationResponse(
        customer_id=item.customer_id,
        partner_id=item.partner_id,
        partner_name=item.partner_name,
        association_type=_code(ctx, item.association_type),
        associated_on=format_utc(item.associated_on),
        restricted=item.restricted,
        account_manager_id=item.account_manager_id,
    )


def _type_change(ctx: OperationContext, item: TypeChangeView) -> TypeChangeItem:
    return TypeChangeItem(
        request_id=item.request_id,
        partner_id=item.partner_id,
        customer_id=item.customer_id,
        from_association_type=_code(ctx, item.from_type),
        to_association_type=_code(ctx, item.to_type),
        status=item.status.value,
        created_at=format_utc(item.created_at),
        decided_at=_time(item.decided_at),
    )


def _disassociation(ctx: OperationContext, item: DisassociationView) -> DisassociationItem:
    return DisassociationItem(
        request_id=item.request_id,
        partner_id=item.partner_id,
        customer_id=item.customer_id,
        initiator=item.initiator.value,
        association_type=_code(ctx, item.association_type),
        reason=item.reason,
        status=item.status.value,
        rejection_reason=item.rejection_reason,
        created_at=format_utc(item.created_at),
        decided_at=_time(item.decided_at),
    )


def _authorization(item: AuthorizationView) -> AuthorizationItem:
    return AuthorizationItem(
        authorization_id=item.authorization_id,
        partner_id=item.partner_id,
        partner_name=item.partner_name,
        agency_name=item.agency_name,
        customer_id=item.customer_id,
        permission=item.permission,
        status=item.status.value,
        created_at=format_utc(item.created_at),
        decided_at=_time(item.decided_at),
        revoked_at=_time(item.revoked_at),
    )


def _on_behalf(item: OnBehalfGrantView) -> OnBehalfResponse:
    return OnBehalfResponse(
        reseller_id=item.reseller_id,
        distributor_id=item.distributor_id,
        granted=item.granted,
        updated_at=_time(item.updated_at),
        revoked_authorizations=item.revoked_authorizations,
    )


def _member(item: MemberView) -> MemberItem:
    return MemberItem(
        member_id=item.member_id,
        name=item.name,
        roles=list(item.roles),
        is_admin=item.is_admin,
        status=item.status.value,
        created_at=format_utc(item.created_at),
    )


def _assignment(item: AssignmentView) -> AssignmentItem:
    return AssignmentItem(
        assignment_id=item.assignment_id,
        customer_id=item.customer_id,
        member_id=item.member_id,
        member_name=item.member_name,
        assigned_at=format_utc(item.assigned_at),
        effective_from=format_utc(item.effective_from),
        ended_at=_time(item.ended_at),
        effective_to=_time(item.effective_to),
    )


# -- invitations ------------------------------------------------------------------------------


@router.post(
    f"{_PREFIX}/invitations",
    tags=["associations (extension)"],
    operation_id="create_invitations",
    summary="Invite customers: e-mail links (7 days, one use), an offline link or a QR code",
    openapi_extra=wire_body(CreateInvitationReq),
    responses=wire_responses(CreateInvitationResponse),
)
async def create_invitations(request: Request) -> Response:
    async def handle(ctx: OperationContext, body: CreateInvitationReq) -> CreateInvitationResponse:
        actor = await _actor(ctx)
        try:
            channel = InvitationChannel(body.channel)
        except ValueError as exc:
            raise invalid_parameter("channel", "Use EMAIL, LINK or QR_CODE.") from exc
        kind = _association_type(body.association_type)
        invitations = _services(ctx).invitations
        if channel == InvitationChannel.EMAIL:
            issued = await invitations.invite_by_email(actor, body.emails or [], kind)
        else:
            if body.emails:
                raise invalid_parameter("emails", "Only e-mail invitations take addresses.")
            issued = [await invitations.create_link(actor, channel, kind)]
        return CreateInvitationResponse(invitations=[_issued(ctx, i) for i in issued])

    return await _run(request, "create_invitations", handle, CreateInvitationReq)


@router.get(
    f"{_PREFIX}/invitations",
    tags=["associations (extension)"],
    operation_id="list_invitations",
    openapi_extra=_query_doc(*_PAGE_DOC),
    summary="The partner's invitation links, newest first (offset, limit)",
    responses=wire_responses(InvitationListResponse),
)
async def list_invitations(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> InvitationListResponse:
        rows, total = await _services(ctx).invitations.invitations(
            await _actor(ctx), _query_page(request)
        )
        return InvitationListResponse(invitations=[_invitation(ctx, r) for r in rows], count=total)

    return await _run(request, "list_invitations", handle)


@router.get(
    f"{_PREFIX}/invitations/records",
    tags=["associations (extension)"],
    operation_id="list_invitation_records",
    openapi_extra=_query_doc(
        ("status", "PENDING | ACCEPTED | EXPIRED | FAILED"),
        ("channel", "EMAIL | LINK | QR_CODE"),
        *_PAGE_DOC,
    ),
    summary="Invitation history per invitee with status and failure reason "
    "(status, channel, offset, limit)",
    responses=wire_responses(InvitationHistoryResponse),
)
async def list_invitation_records(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> InvitationHistoryResponse:
        rows, total = await _services(ctx).invitations.history(
            await _actor(ctx),
            _query_page(request),
            status=_query_enum(request, "status", InvitationStatus),
            channel=_query_enum(request, "channel", InvitationChannel),
        )
        return InvitationHistoryResponse(records=[_record(ctx, r) for r in rows], count=total)

    return await _run(request, "list_invitation_records", handle)


@router.post(
    f"{_PREFIX}/invitations/{{invitation_id}}/revoke",
    tags=["associations (extension)"],
    operation_id="revoke_invitation",
    summary="Withdraw an invitation link (administrator or its maker)",
    responses=wire_responses(InvitationItem),
)
async def revoke_invitation(request: Request, invitation_id: str) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> InvitationItem:
        view = await _services(ctx).invitations.revoke(await _actor(ctx), invitation_id)
        return _invitation(ctx, view)

    return await _run(request, "revoke_invitation", handle)


@router.post(
    f"{_PREFIX}/invitations/qrcode",
    tags=["associations (extension)"],
    operation_id="render_invitation_qrcode",
    summary="The QR code (PNG) of one of your invitation links",
    openapi_extra=wire_body(QrCodeReq),
    responses={
        **wire_responses(None),
        200: {"description": "The QR code", "content": {"image/png": {}}},
    },
)
async def render_invitation_qrcode(request: Request) -> Response:
    async def handle(ctx: OperationContext, body: QrCodeReq) -> Response:
        png = await _services(ctx).invitations.qr_code(await _actor(ctx), body.link)
        return Response(content=png, media_type="image/png")

    return await _run(request, "render_invitation_qrcode", handle, QrCodeReq)


@router.get(
    f"{_PREFIX}/invitation-links/{{token}}",
    tags=["associations (extension)"],
    operation_id="show_invitation_link",
    summary="What an invitation link offers (the link itself; no sign-in needed)",
    responses=wire_responses(LinkDetailsResponse),
)
async def show_invitation_link(request: Request, token: str) -> Response:
    state = app_state(request)
    client = request.client.host if request.client else "unknown"
    state.limiter.check(f"ip:{client}", "show_invitation_link")
    async with state.db.unit_of_work() as uow:
        if state.sandbox_clock is not None:
            await refresh_sandbox_clock(state.sandbox_clock, uow.session)
        details = await _build(state, uow.session).invitations.describe(token)
    reason = details.failure_reason
    return WireResponse(
        LinkDetailsResponse(
            partner_name=details.partner_name,
            association_type=association_code(details.association_type, state.site),
            channel=details.channel.value,
            expires_at=_time(details.expires_at),
            usable=details.usable,
            failure_reason=reason.value if reason else None,
            failure_msg=reason.message if reason else None,
        )
    )


@router.post(
    f"{_PREFIX}/invitations/accept",
    tags=["associations (extension)"],
    operation_id="accept_invitation",
    summary="The signed-in customer accepts an invitation (link or token) and is associated",
    openapi_extra=wire_body(AcceptInvitationReq),
    responses=wire_responses(AcceptInvitationResponse),
)
async def accept_invitation(request: Request) -> Response:
    async def handle(ctx: OperationContext, body: AcceptInvitationReq) -> AcceptInvitationResponse:
        value = body.link or body.token
        if not value:
            raise invalid_parameter("link", "Give the invitation link (or its token).")
        accepted = await _services(ctx).invitations.accept(ctx.caller, value)
        return _accepted(ctx, accepted)

    return await _run(request, "accept_invitation", handle, AcceptInvitationReq)


# -- association type changes -----------------------------------------------------------------


@router.post(
    f"{_PREFIX}/customers/{{customer_id}}/association-type-changes",
    tags=["associations (extension)"],
    operation_id="request_association_type_change",
    summary="Ask the customer to switch its association type (one per customer per 3 months)",
    openapi_extra=wire_body(TypeChangeReq),
    responses=wire_responses(TypeChangeItem),
)
async def request_association_type_change(request: Request, customer_id: str) -> Response:
    async def handle(ctx: OperationContext, body: TypeChangeReq) -> TypeChangeItem:
        to_type = _TYPES_IN.get(body.association_type)
        if to_type is None:
            raise invalid_parameter("association_type", "Use 1 (referral) or 3 (reseller).")
        view = await _services(ctx).type_changes.request(await _actor(ctx), customer_id, to_type)
        return _type_change(ctx, view)

    return await _run(request, "request_association_type_change", handle, TypeChangeReq)


@router.get(
    f"{_PREFIX}/association-type-changes",
    tags=["associations (extension)"],
    operation_id="list_association_type_changes",
    openapi_extra=_query_doc(("status", "PENDING | APPROVED | REJECTED | CANCELLED"), *_PAGE_DOC),
    summary="Type-change requests: the partner's, or (customer credentials) the customer's",
    responses=wire_responses(TypeChangeListResponse),
)
async def list_association_type_changes(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> TypeChangeListResponse:
        service = _services(ctx).type_changes
        status = _query_enum(request, "status", RequestStatus)
        window = _query_page(request)
        if ctx.caller.kind == AccountKind.CUSTOMER:
            rows, total = await service.list_for_customer(ctx.caller, window, status=status)
        else:
            rows, total = await service.list_for_partner(await _actor(ctx), window, status=status)
        return TypeChangeListResponse(requests=[_type_change(ctx, r) for r in rows], count=total)

    return await _run(request, "list_association_type_changes", handle)


def _type_change_route(action: str) -> Callable[[Request, str], Awaitable[Response]]:
    async def route(request: Request, request_id: str) -> Response:
        async def handle(ctx: OperationContext, _body: None) -> TypeChangeItem:
            service = _services(ctx).type_changes
            if action == "cancel":
                view = await service.cancel(await _actor(ctx), request_id)
            else:
                view = await service.decide(ctx.caller, request_id, approve=action == "approve")
            return _type_change(ctx, view)

        return await _run(request, f"{action}_association_type_change", handle)

    return route


for _action, _who in (("approve", "customer"), ("reject", "customer"), ("cancel", "partner")):
    router.add_api_route(
        f"{_PREFIX}/association-type-changes/{{request_id}}/{_action}",
        _type_change_route(_action),
        methods=["POST"],
        tags=["associations (extension)"],
        operation_id=f"{_action}_association_type_change",
        summary=f"{_action.capitalize()} an association type change request ({_who})",
        responses=wire_responses(TypeChangeItem),
    )


# -- disassociation ---------------------------------------------------------------------------


@router.post(
    f"{_PREFIX}/customers/{{customer_id}}/disassociations",
    tags=["associations (extension)"],
    operation_id="request_disassociation",
    summary="The partner administrator asks to end an association (referral: ends at once)",
    openapi_extra=wire_body(PartnerDisassociationReq),
    responses=wire_responses(DisassociationItem),
)
async def request_disassociation(request: Request, customer_id: str) -> Response:
    async def handle(ctx: OperationContext, body: PartnerDisassociationReq) -> DisassociationItem:
        view = await _services(ctx).disassociations.request_by_partner(
            await _actor(ctx),
            customer_id,
            reason=body.reason,
            statement_accepted=body.statement_accepted,
        )
        return _disassociation(ctx, view)

    return await _run(request, "request_disassociation", handle, PartnerDisassociationReq)


@router.post(
    f"{_PREFIX}/my-partner/disassociations",
    tags=["associations (extension)"],
    operation_id="request_disassociation_by_customer",
    summary="The customer asks its partner to end the association (referral: ends at once)",
    openapi_extra=wire_body(CustomerDisassociationReq),
    responses=wire_responses(DisassociationItem),
)
async def request_disassociation_by_customer(request: Request) -> Response:
    async def handle(ctx: OperationContext, body: CustomerDisassociationReq) -> DisassociationItem:
        view = await _services(ctx).disassociations.request_by_customer(
            ctx.caller, reason=body.reason
        )
        return _disassociation(ctx, view)

    return await _run(
        request, "request_disassociation_by_customer", handle, CustomerDisassociationReq
    )


@router.get(
    f"{_PREFIX}/disassociations",
    tags=["associations (extension)"],
    operation_id="list_disassociations",
    openapi_extra=_query_doc(
        ("status", "PENDING | APPROVED | REJECTED | CANCELLED"),
        ("initiator", "PARTNER | CUSTOMER"),
        *_PAGE_DOC,
    ),
    summary="Association records: the partner's, or (customer credentials) the customer's "
    "(status, initiator, offset, limit)",
    responses=wire_responses(DisassociationListResponse),
)
async def list_disassociations(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> DisassociationListResponse:
        service = _services(ctx).disassociations
        status = _query_enum(request, "status", RequestStatus)
        initiator = _query_enum(request, "initiator", Initiator)
        window = _query_page(request)
        if ctx.caller.kind == AccountKind.CUSTOMER:
            rows, total = await service.list_for_customer(
                ctx.caller, window, status=status, initiator=initiator
            )
        else:
            rows, total = await service.list_for_partner(
                await _actor(ctx), window, status=status, initiator=initiator
            )
        return DisassociationListResponse(
            requests=[_disassociation(ctx, r) for r in rows], count=total
        )

    return await _run(request, "list_disassociations", handle)


def _disassociation_route(action: str) -> Callable[[Request, str], Awaitable[Response]]:
    async def route(request: Request, request_id: str) -> Response:
        async def handle(ctx: OperationContext, body: DecisionReq) -> DisassociationItem:
            service = _services(ctx).disassociations
            customer = ctx.caller.kind == AccountKind.CUSTOMER
            if action == "cancel":
                view = (
                    await service.cancel_as_customer(ctx.caller, request_id)
                    if customer
                    else await service.cancel_as_partner(await _actor(ctx), request_id)
                )
            elif customer:
                view = await service.decide_as_customer(
                    ctx.caller,
                    request_id,
                    approve=action == "approve",
                    rejection_reason=body.rejection_reason,
                )
            else:
                view = await service.decide_as_partner(
                    await _actor(ctx),
                    request_id,
                    approve=action == "approve",
                    rejection_reason=body.rejection_reason,
                )
            return _disassociation(ctx, view)

        return await _run(request, f"{action}_disassociation", handle, DecisionReq)

    return route


for _action, _what in (
    ("approve", "Approve the other side's disassociation request: the association ends"),
    ("reject", "Reject the other side's disassociation request"),
    ("cancel", "Withdraw your own pending disassociation request"),
):
    router.add_api_route(
        f"{_PREFIX}/disassociations/{{request_id}}/{_action}",
        _disassociation_route(_action),
        methods=["POST"],
        tags=["associations (extension)"],
        operation_id=f"{_action}_disassociation",
        summary=_what,
        openapi_extra=wire_body(DecisionReq, required=False),
        responses=wire_responses(DisassociationItem),
    )


# -- authorization for orders and O&M on the customer's behalf --------------------------------


@router.post(
    f"{_PREFIX}/customers/{{customer_id}}/authorizations",
    tags=["associations (extension)"],
    operation_id="request_customer_authorization",
    summary="Ask a reseller-model customer for authorization to order and operate on its "
    "behalf (the first request accepts the commitment letter)",
    openapi_extra=wire_body(AuthorizationReq, required=False),
    responses=wire_responses(AuthorizationItem),
)
async def request_customer_authorization(request: Request, customer_id: str) -> Response:
    async def handle(ctx: OperationContext, body: AuthorizationReq) -> AuthorizationItem:
        permission = body.permission if body.permission is not None else PERMISSIONS[0]
        view = await _services(ctx).authorizations.request(
            await _actor(ctx),
            customer_id,
            commitment_accepted=bool(body.commitment_letter_accepted),
            permission=permission,
        )
        return _authorization(view)

    return await _run(request, "request_customer_authorization", handle, AuthorizationReq)


@router.get(
    f"{_PREFIX}/authorizations",
    tags=["associations (extension)"],
    operation_id="list_customer_authorizations",
    openapi_extra=_query_doc(
        ("status", "PENDING | AUTHORIZED | REJECTED | REVOKED | CANCELLED"),
        ("customer_id", "Partner only: one customer (required for an account manager)"),
        *_PAGE_DOC,
    ),
    summary="Authorizations: the partner's (customer_id filter), or (customer credentials) "
    "the customer's (status, offset, limit)",
    responses=wire_responses(AuthorizationListResponse),
)
async def list_customer_authorizations(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> AuthorizationListResponse:
        service = _services(ctx).authorizations
        status = _query_enum(request, "status", AuthorizationStatus)
        window = _query_page(request)
        if ctx.caller.kind == AccountKind.CUSTOMER:
            rows, total = await service.list_for_customer(ctx.caller, window, status=status)
        else:
            rows, total = await service.list_for_partner(
                await _actor(ctx),
                window,
                status=status,
                customer_id=request.query_params.get("customer_id") or None,
            )
        return AuthorizationListResponse(
            authorizations=[_authorization(r) for r in rows], count=total
        )

    return await _run(request, "list_customer_authorizations", handle)


def _authorization_route(action: str) -> Callable[[Request, str], Awaitable[Response]]:
    async def route(request: Request, authorization_id: str) -> Response:
        async def handle(ctx: OperationContext, _body: None) -> AuthorizationItem:
            service = _services(ctx).authorizations
            if action == "cancel":
                view = await service.cancel(await _actor(ctx), authorization_id)
            elif action == "approve":
                view = await service.approve(ctx.caller, authorization_id)
            elif action == "reject":
                view = await service.reject(ctx.caller, authorization_id)
            else:
                view = await service.revoke(ctx.caller, authorization_id)
            return _authorization(view)

        return await _run(request, f"{action}_customer_authorization", handle)

    return route


for _action, _what in (
    ("approve", "The customer authorizes the partner (grants the agency)"),
    ("reject", "The customer rejects the authorization request"),
    ("revoke", "The customer withdraws the authorization; the partner's tokens stop at once"),
    ("cancel", "The partner withdraws its pending request"),
):
    router.add_api_route(
        f"{_PREFIX}/authorizations/{{authorization_id}}/{_action}",
        _authorization_route(_action),
        methods=["POST"],
        tags=["associations (extension)"],
        operation_id=f"{_action}_customer_authorization",
        summary=_what,
        responses=wire_responses(AuthorizationItem),
    )


@router.put(
    f"{_PREFIX}/resellers/{{reseller_id}}/on-behalf-permission",
    tags=["associations (extension)"],
    operation_id="update_reseller_on_behalf_permission",
    summary="The distributor lets a reseller order and operate on its customers' behalf "
    "(withdrawing it revokes the customers' authorizations of the reseller)",
    openapi_extra=wire_body(OnBehalfReq),
    responses=wire_responses(OnBehalfResponse),
)
async def update_reseller_on_behalf_permission(request: Request, reseller_id: str) -> Response:
    async def handle(ctx: OperationContext, body: OnBehalfReq) -> OnBehalfResponse:
        view = await _services(ctx).authorizations.set_on_behalf_permission(
            await _actor(ctx), reseller_id, granted=body.granted
        )
        return _on_behalf(view)

    return await _run(request, "update_reseller_on_behalf_permission", handle, OnBehalfReq)


@router.get(
    f"{_PREFIX}/resellers/{{reseller_id}}/on-behalf-permission",
    tags=["associations (extension)"],
    operation_id="show_reseller_on_behalf_permission",
    summary="Whether the reseller may order and operate on customers' behalf (distributor or "
    "the reseller itself)",
    responses=wire_responses(OnBehalfResponse),
)
async def show_reseller_on_behalf_permission(request: Request, reseller_id: str) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> OnBehalfResponse:
        view = await _services(ctx).authorizations.on_behalf_permission(
            await _actor(ctx), reseller_id
        )
        return _on_behalf(view)

    return await _run(request, "show_reseller_on_behalf_permission", handle)


# -- members and account managers ---------------------------------------------------------------


@router.post(
    f"{_PREFIX}/members",
    tags=["members (extension)"],
    operation_id="create_member",
    summary="Add an organization member with 1 to 3 roles (administrator)",
    openapi_extra=wire_body(MemberReq),
    responses=wire_responses(MemberItem, 201),
    status_code=201,
)
async def create_member(request: Request) -> Response:
    async def handle(ctx: OperationContext, body: MemberReq) -> MemberItem:
        view = await _services(ctx).members.create_member(
            await _actor(ctx), name=body.name, roles=body.roles, password=body.password
        )
        return _member(view)

    return await _run(request, "create_member", handle, MemberReq, status=201)


@router.get(
    f"{_PREFIX}/members",
    tags=["members (extension)"],
    operation_id="list_members",
    summary="The organization's members (administrator)",
    responses=wire_responses(MemberListResponse),
)
async def list_members(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> MemberListResponse:
        rows = await _services(ctx).members.list_members(await _actor(ctx))
        return MemberListResponse(members=[_member(r) for r in rows])

    return await _run(request, "list_members", handle)


@router.put(
    f"{_PREFIX}/members/{{member_id}}/roles",
    tags=["members (extension)"],
    operation_id="update_member_roles",
    summary="Replace a member's roles (administrator)",
    openapi_extra=wire_body(RolesReq),
    responses=wire_responses(MemberItem),
)
async def update_member_roles(request: Request, member_id: str) -> Response:
    async def handle(ctx: OperationContext, body: RolesReq) -> MemberItem:
        view = await _services(ctx).members.set_roles(await _actor(ctx), member_id, body.roles)
        return _member(view)

    return await _run(request, "update_member_roles", handle, RolesReq)


@router.post(
    f"{_PREFIX}/members/{{member_id}}/access-keys",
    tags=["members (extension)"],
    operation_id="create_member_access_key",
    summary="A permanent AK/SK for a member (administrator); the SK is shown once",
    responses=wire_responses(AccessKeyResponse, 201),
    status_code=201,
)
async def create_member_access_key(request: Request, member_id: str) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> AccessKeyResponse:
        key = await _services(ctx).members.issue_access_key(await _actor(ctx), member_id)
        return AccessKeyResponse(access_key=key.access_key, secret_key=key.secret_key)

    return await _run(request, "create_member_access_key", handle, status=201)


@router.put(
    f"{_PREFIX}/customers/{{customer_id}}/account-manager",
    tags=["members (extension)"],
    operation_id="assign_customer_account_manager",
    summary="Make a member the customer's account manager (administrator or account "
    "director); attribution starts the next day",
    openapi_extra=wire_body(AssignManagerReq),
    responses=wire_responses(AssignmentItem),
)
async def assign_customer_account_manager(request: Request, customer_id: str) -> Response:
    async def handle(ctx: OperationContext, body: AssignManagerReq) -> AssignmentItem:
        view = await _services(ctx).account_managers.assign(
            await _actor(ctx), customer_id, body.member_id
        )
        return _assignment(view)

    return await _run(request, "assign_customer_account_manager", handle, AssignManagerReq)


@router.delete(
    f"{_PREFIX}/customers/{{customer_id}}/account-manager",
    tags=["members (extension)"],
    operation_id="withdraw_customer_account_manager",
    summary="Withdraw the customer's account manager; attribution ends the next day",
    responses=wire_responses(AssignmentItem),
)
async def withdraw_customer_account_manager(request: Request, customer_id: str) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> AssignmentItem:
        view = await _services(ctx).account_managers.withdraw(await _actor(ctx), customer_id)
        return _assignment(view)

    return await _run(request, "withdraw_customer_account_manager", handle)


@router.get(
    f"{_PREFIX}/customers/{{customer_id}}/account-manager-history",
    tags=["members (extension)"],
    operation_id="list_customer_account_manager_history",
    summary="Every account manager the customer had with you, newest first",
    responses=wire_responses(AssignmentHistoryResponse),
)
async def list_customer_account_manager_history(request: Request, customer_id: str) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> AssignmentHistoryResponse:
        rows = await _services(ctx).account_managers.history(await _actor(ctx), customer_id)
        return AssignmentHistoryResponse(assignments=[_assignment(r) for r in rows])

    return await _run(request, "list_customer_account_manager_history", handle)


# -- the customer's view and the partner's settings ---------------------------------------------


@router.get(
    f"{_PREFIX}/my-partner",
    tags=["associations (extension)"],
    operation_id="show_my_partner",
    summary="The customer's partner and association (customer credentials)",
    responses=wire_responses(MyPartnerResponse),
)
async def show_my_partner(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> MyPartnerResponse:
        view = await _services(ctx).association_overview.my_partner(ctx.caller)
        return MyPartnerResponse(
            associated=view.associated,
            partner_id=view.partner_id,
            partner_name=view.partner_name,
            association_type=_code(ctx, view.association_type) if view.association_type else None,
            associated_on=_time(view.associated_on),
            disassociated_on=_time(view.disassociated_on),
            restricted=view.restricted,
        )

    return await _run(request, "show_my_partner", handle)


@router.get(
    f"{_PREFIX}/association-settings",
    tags=["associations (extension)"],
    operation_id="show_association_settings",
    summary="Whether the referral model is unlocked and when the commitment letter was accepted",
    responses=wire_responses(AssociationSettingsResponse),
)
async def show_association_settings(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> AssociationSettingsResponse:
        view = await _services(ctx).association_overview.settings(await _actor(ctx))
        return AssociationSettingsResponse(
            partner_id=view.partner_id,
            referral_enabled=view.referral_enabled,
            commitment_letter_accepted_at=_time(view.commitment_accepted_at),
        )

    return await _run(request, "show_association_settings", handle)


@router.put(
    f"{_PREFIX}/partners/{{partner_id}}/association-settings",
    tags=["associations (extension)"],
    operation_id="update_association_settings",
    summary="The operator (ecosystem manager) unlocks or locks the referral model for a partner",
    openapi_extra=wire_body(AssociationSettingsReq),
    responses=wire_responses(AssociationSettingsResponse),
)
async def update_association_settings(request: Request, partner_id: str) -> Response:
    async def handle(
        ctx: OperationContext, body: AssociationSettingsReq
    ) -> AssociationSettingsResponse:
        view = await _services(ctx).association_overview.set_referral_enabled(
            ctx.caller, partner_id, enabled=body.referral_enabled
        )
        return AssociationSettingsResponse(
            partner_id=view.partner_id,
            referral_enabled=view.referral_enabled,
            commitment_letter_accepted_at=_time(view.commitment_accepted_at),
        )

    return await _run(request, "update_association_settings", handle, AssociationSettingsReq)
