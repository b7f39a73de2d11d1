"""Service tickets, extension operations of ours (rules.md §9): the partner uploads
attachments, opens tickets (a ``bank_transfer`` ticket declares amount, transfer date, payer
and carries the transfer certificate), reads them with their messages, writes messages,
cancels a pending ticket and closes one; the operator works the queue (oldest first; late bank
transfers flagged), answers, and moves tickets on. Every change is e-mailed through the
notification outbox to the ticket's ``remind_mail`` and the partner's ``SERVICE_TICKET``
recipients.

Attachments: at most 2 MB, JPG, JPEG, BMP, PNG, GIF, TXT, DOC, DOCX, RAR, ZIP, PDF, XLS or XLSX,
recognised by their content (the name's extension must agree with it).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field, StrictBool
from starlette.responses import Response

from partner_center.domains.tickets.public import (
    MAX_ATTACHMENT_BYTES,
    AttachmentView,
    BankTransfer,
    NewTicket,
    TicketCategory,
    TicketDetail,
    TicketFilter,
    TicketStatus,
    TicketView,
)
from partner_center.http.auth import CallerKind
from partner_center.http.ext import PREFIX
from partner_center.http.formats import WireAmount, wire_amount
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import CHOICE, Doc, QueryModel, RowLimit, RowOffset
from partner_center.http.wire import Payload, WireModel, same_named, wire_responses
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(prefix=PREFIX, tags=["service tickets (extension)"])

#: A file upload: its bytes as sent (any non-JSON type the SDK signs unsigned), at most 2 MB.
FILE_UPLOAD = Payload(
    media_types=("application/octet-stream",), upload=True, max_bytes=MAX_ATTACHMENT_BYTES
)
_STATUSES = " | ".join(s.value for s in TicketStatus)
_CATEGORIES = " | ".join(c.value for c in TicketCategory)


class BankTransferReq(WireModel):
    amount: WireAmount = Field(description="What was transferred: > 0, at most 2 decimals")
    transfer_date: date = Field(description="YYYY-MM-DD, the day of the transfer")
    payer: str = Field(max_length=200, description="The remitter's name")


class NewTicketReq(WireModel):
    category: TicketCategory = Field(description=_CATEGORIES)
    title: str = Field(max_length=200)
    description: str = Field(max_length=1200, description="The problem, at most 1200 characters")
    attachment_ids: list[str] = Field(
        default_factory=list, max_length=10, description="Uploaded attachments to submit with it"
    )
    remind_mail: str | None = Field(
        default=None, max_length=255, description="E-mail for the ticket's progress"
    )
    bank_transfer: BankTransferReq | None = Field(
        default=None, description="Required for (and only for) the bank_transfer category"
    )


class MessageReq(WireModel):
    body: str = Field(max_length=4000)
    attachment_ids: list[str] = Field(default_factory=list, max_length=10)


class OperatorReplyReq(WireModel):
    body: str = Field(max_length=4000)
    wait_for_reply: StrictBool = Field(
        default=False, description="Ask the partner something: the ticket waits for its reply"
    )


class MoveReq(WireModel):
    status: TicketStatus = Field(description=_STATUSES)


class AttachmentItem(WireModel):
    id: str
    name: str
    media_type: str = Field(description="What the content is, recognised from its bytes")
    size: int = Field(description="Bytes")
    created_at: str = Field(description="UTC")


class MessageItem(WireModel):
    id: str
    author: str = Field(description="partner | operator")
    body: str
    created_at: str = Field(description="UTC")


class TicketItem(WireModel):
    id: str
    partner_id: str
    category: str
    status: str = Field(description=_STATUSES)
    title: str
    description: str
    remind_mail: str | None = None
    created_at: str = Field(description="UTC")
    updated_at: str = Field(description="UTC")
    transfer_amount: str | None = Field(default=None, description="Bank transfer: declared")
    transfer_date: str | None = None
    payer: str | None = None
    deadline: str | None = Field(
        default=None,
        description="Bank transfer: topped up within three working days, by this day "
        "(YYYY-MM-DD, billing time zone)",
    )
    late: bool = Field(description="A bank transfer still unconfirmed after its deadline")
    received_amount: str | None = Field(default=None, description="Bank transfer: confirmed")
    confirmed_at: str | None = None
    repayment_id: str | None = None


class TicketDetailItem(TicketItem):
    messages: list[MessageItem]
    attachments: list[AttachmentItem]


class TicketList(WireModel):
    tickets: list[TicketItem]
    count: int


class TicketQuery(QueryModel):
    status: Annotated[TicketStatus | None, CHOICE, Doc(_STATUSES)] = None
    category: Annotated[TicketCategory | None, CHOICE, Doc(_CATEGORIES)] = None
    offset: RowOffset = None
    limit: RowLimit = None


class QueueQuery(TicketQuery):
    late: Annotated[bool | None, Doc("Only bank transfers past their deadline")] = None
    partner_id: Annotated[str | None, Doc("Only this partner's tickets")] = None


class UploadQuery(QueryModel):
    name: Annotated[str | None, Doc("The file name, with its extension", required=True)] = None


def _attachment(row: AttachmentView) -> AttachmentItem:
    return AttachmentItem(
        **same_named(row, "id name media_type size"),
        created_at=format_utc(row.created_at),
    )


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def _fields(view: TicketView) -> dict[str, object]:
    return {
        "id": view.id,
        "partner_id": view.partner_id,
        "category": view.category.value,
        "status": view.status.value,
        "title": view.title,
        "description": view.description,
        "remind_mail": view.remind_mail,
        "created_at": format_utc(view.created_at),
        "updated_at": format_utc(view.updated_at),
        "transfer_amount": _optional(view.transfer_amount and wire_amount(view.transfer_amount)),
        "transfer_date": _optional(view.transfer_date),
        "payer": view.payer,
        "deadline": _optional(view.deadline),
        "late": view.late,
        "received_amount": _optional(view.received_amount and wire_amount(view.received_amount)),
        "confirmed_at": view.confirmed_at and format_utc(view.confirmed_at),
        "repayment_id": view.repayment_id,
    }


def _ticket(view: TicketView) -> TicketItem:
    return TicketItem.model_validate(_fields(view))


def _detail(found: TicketDetail) -> TicketDetailItem:
    return TicketDetailItem.model_validate(
        {
            **_fields(found.ticket),
            "messages": [
                MessageItem(
                    id=m.id, author=m.author.value, body=m.body, created_at=format_utc(m.created_at)
                )
                for m in found.messages
            ],
            "attachments": [_attachment(a) for a in found.attachments],
        }
    )


def _file(name: str, media_type: str, content: bytes) -> Response:
    quoted = name.replace('"', "")
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{quoted}"'},
    )


_FILE_RESPONSES = {**wire_responses(None), 200: {"description": "The file", "content": {}}}


@operation(
    router,
    "POST",
    "/ticket-attachments",
    kind=CallerKind.PARTNER,
    status=201,
    payload=FILE_UPLOAD,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def upload_ticket_attachment(
    ctx: OperationContext, query: UploadQuery, raw: bytes
) -> AttachmentItem:
    """Upload a file for a ticket or a message (2 MB at most)

    Upload the file's bytes (application/octet-stream) with its name; the server recognises
    the kind from the content (JPG, JPEG, BMP, PNG, GIF, TXT, DOC, DOCX, RAR, ZIP, PDF, XLS,
    XLSX) and refuses anything else, or a name whose extension disagrees with the content. Name
    the answer's id in attachment_ids when opening a ticket or writing a message.
    """
    if not query.name:
        raise invalid_parameter("name", "Give the file name.")
    view = await ctx.services.tickets.upload_attachment(ctx.actor.partner_id, query.name, raw)
    return _attachment(view)


@operation(router, "DELETE", "/ticket-attachments/{attachment_id}", kind=CallerKind.PARTNER)
async def delete_ticket_attachment(ctx: OperationContext, attachment_id: str) -> None:
    """Delete an uploaded attachment not yet submitted

    Deletes one of the calling partner's uploads that no ticket or message names yet.
    """
    await ctx.services.tickets.delete_attachment(ctx.actor.partner_id, attachment_id)


@operation(router, "POST", "/tickets", kind=CallerKind.PARTNER, status=201)
async def create_ticket(ctx: OperationContext, body: NewTicketReq) -> TicketItem:
    """Open a service ticket

    Submits a ticket (pending) with the attachments it names. A bank_transfer ticket declares
    the amount, transfer date and payer and attaches the transfer certificate; the operator
    tops up the account within three working days (its deadline).
    """
    transfer = body.bank_transfer
    view = await ctx.services.tickets.open_ticket(
        ctx.actor.partner_id,
        NewTicket(
            **same_named(body, "category title description remind_mail"),
            attachment_ids=tuple(body.attachment_ids),
            bank_transfer=BankTransfer(transfer.amount, transfer.transfer_date, transfer.payer)
            if transfer
            else None,
        ),
        opened_by=ctx.caller.member_name or ctx.caller.account_id,
    )
    return _ticket(view)


@operation(router, "GET", "/tickets", kind=CallerKind.PARTNER)
async def list_tickets(ctx: OperationContext, query: TicketQuery) -> TicketList:
    """The calling partner's tickets, newest first

    The calling partner's tickets, filtered by status and category, newest first.
    """
    rows, total = await ctx.services.tickets.tickets(
        TicketFilter(status=query.status, category=query.category, partner_id=ctx.actor.partner_id),
        page(query.offset, query.limit),
    )
    return TicketList(tickets=[_ticket(r) for r in rows], count=total)


@operation(router, "GET", "/tickets/{ticket_id}", kind=CallerKind.PARTNER)
async def show_ticket(ctx: OperationContext, ticket_id: str) -> TicketDetailItem:
    """One of the calling partner's tickets with its messages and attachments

    The ticket, its messages both ways (oldest first) and its attachments.
    """
    return _detail(await ctx.services.tickets.detail(ticket_id, partner_id=ctx.actor.partner_id))


_ATTACHMENT = "/tickets/{ticket_id}/attachments/{attachment_id}"


async def _attachment_file(
    ctx: OperationContext, ticket_id: str, attachment_id: str, *, partner_id: str | None
) -> Response:
    """An attachment's file: of one of ``partner_id``'s tickets, or (None) of any ticket."""
    found = await ctx.services.tickets.attachment(ticket_id, attachment_id, partner_id=partner_id)
    return _file(found.name, found.media_type, found.content)


@operation(router, "GET", _ATTACHMENT, kind=CallerKind.PARTNER, responses=_FILE_RESPONSES)
async def download_ticket_attachment(
    ctx: OperationContext, ticket_id: str, attachment_id: str
) -> Response:
    """Download an attachment of one of your tickets

    The file's bytes with the media type recognised at upload.
    """
    return await _attachment_file(ctx, ticket_id, attachment_id, partner_id=ctx.actor.partner_id)


@operation(router, "POST", "/tickets/{ticket_id}/messages", kind=CallerKind.PARTNER)
async def add_ticket_message(ctx: OperationContext, ticket_id: str, body: MessageReq) -> TicketItem:
    """Write on one of your tickets

    Adds the partner's message (with attachments) to a ticket that is not closed or canceled;
    a ticket waiting for the partner's reply, or resolved, goes back to processing.
    """
    view = await ctx.services.tickets.partner_message(
        ctx.actor.partner_id, ticket_id, body.body, tuple(body.attachment_ids)
    )
    return _ticket(view)


@operation(router, "POST", "/tickets/{ticket_id}/cancel", kind=CallerKind.PARTNER)
async def cancel_ticket(ctx: OperationContext, ticket_id: str) -> TicketItem:
    """Cancel one of your tickets while it is pending

    Only a pending ticket (nobody has started on it) can be canceled.
    """
    return _ticket(await ctx.services.tickets.cancel(ctx.actor.partner_id, ticket_id))


@operation(router, "POST", "/tickets/{ticket_id}/close", kind=CallerKind.PARTNER)
async def close_ticket(ctx: OperationContext, ticket_id: str) -> TicketItem:
    """Close one of your tickets

    Closes a ticket that is neither canceled nor closed already.
    """
    return _ticket(await ctx.services.tickets.close(ctx.actor.partner_id, ticket_id))


# -- the operator's queue --------------------------------------------------------------------


@operation(router, "GET", "/operator/tickets")
async def operator_list_tickets(ctx: OperationContext, query: QueueQuery) -> TicketList:
    """The operator's ticket queue, oldest first (operator)

    Every partner's tickets, oldest first, by status, category and partner; late=true keeps
    the bank transfers still unconfirmed after their three-working-day deadline. Operator
    credentials.
    """
    rows, total = await ctx.services.tickets.tickets(
        TicketFilter(
            status=query.status,
            category=query.category,
            late_only=bool(query.late),
            partner_id=query.partner_id or None,
        ),
        page(query.offset, query.limit),
    )
    return TicketList(tickets=[_ticket(r) for r in rows], count=total)


@operation(router, "GET", "/operator/tickets/{ticket_id}")
async def operator_show_ticket(ctx: OperationContext, ticket_id: str) -> TicketDetailItem:
    """A ticket with its messages and attachments (operator)

    Any partner's ticket, its messages and attachments. Operator credentials.
    """
    return _detail(await ctx.services.tickets.detail(ticket_id, partner_id=None))


@operation(router, "GET", "/operator" + _ATTACHMENT, responses=_FILE_RESPONSES)
async def operator_download_ticket_attachment(
    ctx: OperationContext, ticket_id: str, attachment_id: str
) -> Response:
    """Download an attachment of a ticket (operator)

    The file's bytes (a bank transfer certificate, say). Operator credentials.
    """
    return await _attachment_file(ctx, ticket_id, attachment_id, partner_id=None)


@operation(router, "POST", "/operator/tickets/{ticket_id}/messages")
async def operator_reply_ticket(
    ctx: OperationContext, ticket_id: str, body: OperatorReplyReq
) -> TicketItem:
    """Answer a ticket (operator)

    Adds the operator's message; a pending ticket becomes processing, and wait_for_reply=true
    makes it wait for the partner's reply. Operator credentials.
    """
    view = await ctx.services.tickets.operator_reply(
        ticket_id, body.body, wait_for_reply=body.wait_for_reply
    )
    return _ticket(view)


@operation(router, "POST", "/operator/tickets/{ticket_id}/status")
async def operator_move_ticket(ctx: OperationContext, ticket_id: str, body: MoveReq) -> TicketItem:
    """Move a ticket to another state (operator)

    pending → processing or resolved; processing → waiting_for_reply, resolved or closed;
    waiting_for_reply → processing, resolved or closed; resolved → processing or closed. A bank
    transfer is resolved by confirming it. Operator credentials.
    """
    return _ticket(await ctx.services.tickets.operator_move(ticket_id, body.status))
