"""Message Center extensions of ours (not part of the reference API): the recipients a partner
wants told about a topic (SMS & Email Settings, e.g. ``PARTNER_BUDGET`` budget alerts), and the
delivery log of the messages sent on its behalf.

Every call acts on the calling partner's own rows only. Recipients of a topic are managed by the
partner's administrator or by members holding a role the topic names (``PARTNER_BUDGET``:
Finance); the delivery log is the administrator's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.notifications.public import (
    TOPICS,
    DeliveryStatus,
    MessageView,
    RecipientView,
    may_manage,
    require_manager,
)
from partner_center.http.auth import CallerKind
from partner_center.http.formats import optional_utc
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Doc, QueryModel, RowLimit, RowOffset, TextFilter
from partner_center.http.wire import WireModel, same_named
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


class RecipientsQuery(QueryModel):
    topic: Annotated[TextFilter, Doc(f"Only this topic. {_TOPIC_HELP}")] = None


class MessagesQuery(QueryModel):
    status: Annotated[
        TextFilter,
        Doc("QUEUED | SENT | FAILED", schema={"enum": [s.value for s in DeliveryStatus]}),
    ] = None
    recipient: Annotated[str | None, Doc("Only messages to this address or number")] = None
    offset: RowOffset = None
    limit: RowLimit = None


def _recipient_item(row: RecipientView) -> RecipientItem:
    return RecipientItem(
        **same_named(row, "id topic name email mobile"),
        created_at=format_utc(row.created_at),
    )


def _message_item(row: MessageView) -> MessageItem:
    return MessageItem(
        **same_named(row, "id recipient subject attempts last_error"),
        channel=row.channel.value,
        status=row.status.value,
        created_at=format_utc(row.created_at),
        **same_named(row, "next_attempt_at last_attempt_at sent_at", via=optional_utc),
    )


@operation(router, "GET", "/v1/notifications/recipients", kind=CallerKind.PARTNER)
async def list_notification_recipients(
    ctx: OperationContext, query: RecipientsQuery
) -> RecipientList:
    """List the recipients of a topic (or of every topic the member manages)

    The recipients subscribed to a topic (e.g. PARTNER_BUDGET budget alerts), or to every topic
    the member may manage. The partner's administrator, or a member holding a role the topic
    names.
    """
    caller = ctx.caller
    name = query.topic
    if name is not None:
        require_manager(name, roles=caller.roles, is_admin=caller.is_admin)
    manageable = {
        t.name
        for t in TOPICS.values()
        if may_manage(t, roles=caller.roles, is_admin=caller.is_admin)
    }
    if not manageable:
        raise access_denied("The member may not manage the recipients of any topic.")
    rows = await ctx.services.notifications.recipients(tenant_id=caller.account_id, topic=name)
    visible = [r for r in rows if r.topic in manageable]
    return RecipientList(recipients=[_recipient_item(r) for r in visible], count=len(visible))


@operation(router, "POST", "/v1/notifications/recipients", kind=CallerKind.PARTNER, status=201)
async def add_notification_recipient(ctx: OperationContext, body: NewRecipientReq) -> RecipientItem:
    """Subscribe an e-mail address and/or a mobile number to a topic

    Subscribes an e-mail address, a mobile number or both to a topic of the calling partner; the
    same address twice on a topic is refused. The partner's administrator, or a member holding a
    role the topic names.
    """
    caller = ctx.caller
    require_manager(body.topic, roles=caller.roles, is_admin=caller.is_admin)
    row = await ctx.services.notifications.add_recipient(
        tenant_id=caller.account_id,
        topic=body.topic,
        name=body.name,
        email=body.email or None,
        mobile=body.mobile or None,
    )
    return _recipient_item(row)


@operation(router, "DELETE", "/v1/notifications/recipients/{recipient_id}", kind=CallerKind.PARTNER)
async def remove_notification_recipient(ctx: OperationContext, recipient_id: str) -> None:
    """Unsubscribe a recipient

    Unsubscribes one of the calling partner's recipients. The partner's administrator, or a
    member holding a role its topic names.
    """
    caller = ctx.caller
    found = await ctx.services.notifications.find_recipient(
        tenant_id=caller.account_id, recipient_id=recipient_id
    )
    require_manager(found.topic, roles=caller.roles, is_admin=caller.is_admin)
    await ctx.services.notifications.remove_recipient(
        tenant_id=caller.account_id, recipient_id=recipient_id
    )


@operation(router, "GET", "/v1/notifications/messages", kind=CallerKind.PARTNER)
async def list_notification_messages(ctx: OperationContext, query: MessagesQuery) -> MessageList:
    """The delivery log: messages sent on the partner's behalf, newest first (no bodies)

    The delivery log of messages sent on the calling partner's behalf, newest first: channel,
    recipient, subject, status (QUEUED, SENT or FAILED), attempts and the latest error; never
    the bodies. The partner's administrator.
    """
    if not ctx.caller.is_admin:
        raise access_denied("Only the partner's administrator may read the delivery log.")
    status_text = query.status
    status = None
    if status_text is not None:
        try:
            status = DeliveryStatus(status_text)
        except ValueError as exc:
            raise invalid_parameter("status", "Use QUEUED, SENT or FAILED.") from exc
    recipient = (query.recipient or "").strip() or None
    window = page(query.offset, query.limit)
    rows, total = await ctx.services.notifications.messages(
        tenant_id=ctx.caller.account_id,
        page=window,
        status=status,
        recipient=recipient.lower() if recipient and "@" in recipient else recipient,
    )
    return MessageList(messages=[_message_item(r) for r in rows], count=total)
