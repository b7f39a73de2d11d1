"""Message Center extensions of ours (not part of the reference API): the recipients a partner
wants told about a topic (SMS & Email Settings, e.g. ``PARTNER_BUDGET`` budget alerts), and the
delivery log of the messages sent on its behalf.

Every call acts on the calling partner's own rows only. Recipients of a topic are managed by the
partner's administrator or by members holding a role the topic names (``PARTNER_BUDGET``:
Finance); the delivery log is the administrator's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from partner_center.domains.notifications.public import (
    TOPICS,
    DeliveryStatus,
    MessageView,
    RecipientView,
    may_manage,
    require_manager,
)
from partner_center.http.auth import CallerKind
from partner_center.http.operations import OperationContext, run_operation
from partner_center.http.wire import WireModel, wire_body, wire_responses
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import access_denied, invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(tags=["notifications"])

_TOPIC_HELP = "; ".join(f"{t.name}: {t.description}" for t in TOPICS.values())


class NewRecipientReq(WireModel):
    topic: str = Field(max_length=64, description=f"The topic. {_TOPIC_HELP}")
    name: str = Field(max_length=128, description="Who the recipient is, 1–128 characters")
    email: str | None = Field(default=None, max_length=255, description="E-mail address")
    mobile: str | None = Field(
        default=None,
        max_length=32,
        description="Mobile number for SMS, e.g. 0086-13800138000 (an e-mail, a mobile or both)",
    )


class RecipientItem(WireModel):
    id: str
    topic: str
    name: str
    email: str | None = None
    mobile: str | None = None
    created_at: str = Field(description="When it was added, UTC")


class RecipientList(WireModel):
    recipients: list[RecipientItem]
    count: int


class MessageItem(WireModel):
    id: str
    channel: str = Field(description="EMAIL | SMS")
    recipient: str
    subject: str
    status: str = Field(
        description="QUEUED (waiting for an attempt, or for a sender of its channel: SMS has "
        "none unless a gateway is plugged in), SENT, or FAILED (refused, or every attempt failed)"
    )
    attempts: int
    created_at: str = Field(description="When it was queued, UTC")
    next_attempt_at: str | None = Field(default=None, description="Next attempt, UTC")
    last_attempt_at: str | None = None
    sent_at: str | None = None
    last_error: str | None = Field(default=None, description="Why the latest attempt failed")


class MessageList(WireModel):
    messages: list[MessageItem]
    count: int


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise invalid_parameter(name, "Must be an integer.") from exc


def _recipient_item(row: RecipientView) -> RecipientItem:
    return RecipientItem(
        id=row.id,
        topic=row.topic,
        name=row.name,
        email=row.email,
        mobile=row.mobile,
        created_at=format_utc(row.created_at),
    )


def _time(value: Any) -> str | None:
    return format_utc(value) if value is not None else None


def _message_item(row: MessageView) -> MessageItem:
    return MessageItem(
        id=row.id,
        channel=row.channel.value,
        recipient=row.recipient,
        subject=row.subject,
        status=row.status.value,
        attempts=row.attempts,
        created_at=format_utc(row.created_at),
        next_attempt_at=_time(row.next_attempt_at),
        last_attempt_at=_time(row.last_attempt_at),
        sent_at=_time(row.sent_at),
        last_error=row.last_error,
    )


@router.get(
    "/v1/notifications/recipients",
    operation_id="list_notification_recipients",
    summary="List the recipients of a topic (or of every topic the member manages)",
    openapi_extra={
        "parameters": [
            _query("topic", f"Only this topic. {_TOPIC_HELP}", {"type": "string"}),
        ]
    },
    responses=wire_responses(RecipientList),
)
async def list_recipients(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> RecipientList:
        caller = ctx.caller
        name = request.query_params.get("topic") or None
        if name is not None:
            require_manager(name, roles=caller.roles, is_admin=caller.is_admin)
        manageable = {
            t.name
            for t in TOPICS.values()
            if may_manage(t, roles=caller.roles, is_admin=caller.is_admin)
        }
        if not manageable:
            raise access_denied("The member may not manage the recipients of any topic.")
        rows = await ctx.notifications.recipients(tenant_id=caller.account_id, topic=name)
        visible = [r for r in rows if r.topic in manageable]
        return RecipientList(recipients=[_recipient_item(r) for r in visible], count=len(visible))

    return await run_operation(
        request,
        api="list_notification_recipients",
        kind=CallerKind.PARTNER,
        body_model=None,
        handler=handle,
    )


@router.post(
    "/v1/notifications/recipients",
    operation_id="add_notification_recipient",
    summary="Subscribe an e-mail address and/or a mobile number to a topic",
    openapi_extra=wire_body(NewRecipientReq),
    responses=wire_responses(RecipientItem, 201),
    status_code=201,
)
async def add_recipient(request: Request) -> Response:
    async def handle(ctx: OperationContext, body: NewRecipientReq) -> RecipientItem:
        caller = ctx.caller
        require_manager(body.topic, roles=caller.roles, is_admin=caller.is_admin)
        row = await ctx.notifications.add_recipient(
            tenant_id=caller.account_id,
            topic=body.topic,
            name=body.name,
            email=body.email or None,
            mobile=body.mobile or None,
        )
        return _recipient_item(row)

    return await run_operation(
        request,
        api="add_notification_recipient",
        kind=CallerKind.PARTNER,
        body_model=NewRecipientReq,
        handler=handle,
        status=201,
    )


@router.delete(
    "/v1/notifications/recipients/{recipient_id}",
    operation_id="remove_notification_recipient",
    summary="Unsubscribe a recipient",
    responses=wire_responses(None, 204),
    status_code=204,
)
async def remove_recipient(request: Request, recipient_id: str) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> Response:
        caller = ctx.caller
        found = await ctx.notifications.find_recipient(
            tenant_id=caller.account_id, recipient_id=recipient_id
        )
        require_manager(found.topic, roles=caller.roles, is_admin=caller.is_admin)
        await ctx.notifications.remove_recipient(
            tenant_id=caller.account_id, recipient_id=recipient_id
        )
        return Response(status_code=204)

    return await run_operation(
        request,
        api="remove_notification_recipient",
        kind=CallerKind.PARTNER,
        body_model=None,
        handler=handle,
    )


@router.get(
    "/v1/notifications/messages",
    operation_id="list_notification_messages",
    summary="The delivery log: messages sent on the partner's behalf, newest first (no bodies)",
    openapi_extra={
        "parameters": [
            _query(
                "status",
                "QUEUED | SENT | FAILED",
                {"type": "string", "enum": [s.value for s in DeliveryStatus]},
            ),
            _query("recipient", "Only messages to this address or number", {"type": "string"}),
            _query("offset", "Rows to skip, default 0", {"type": "integer", "minimum": 0}),
            _query(
                "limit",
                "Rows, 1–100, default 10",
                {"type": "integer", "minimum": 1, "maximum": 100},
            ),
        ]
    },
    responses=wire_responses(MessageList),
)
async def list_messages(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> MessageList:
        if not ctx.caller.is_admin:
            raise access_denied("Only the partner's administrator may read the delivery log.")
        status_text = request.query_params.get("status") or None
        status = None
        if status_text is not None:
            try:
                status = DeliveryStatus(status_text)
            except ValueError as exc:
                raise invalid_parameter("status", "Use QUEUED, SENT or FAILED.") from exc
        recipient = (request.query_params.get("recipient") or "").strip() or None
        window = page(_int_param(request, "offset"), _int_param(request, "limit"))
        rows, total = await ctx.notifications.messages(
            tenant_id=ctx.caller.account_id,
            page=window,
            status=status,
            recipient=recipient.lower() if recipient and "@" in recipient else recipient,
        )
        return MessageList(messages=[_message_item(r) for r in rows], count=total)

    return await run_operation(
        request,
        api="list_notification_messages",
        kind=CallerKind.PARTNER,
        body_model=None,
        handler=handle,
    )
