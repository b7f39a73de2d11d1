"""``TicketService``: service tickets (rules.md §9). A partner uploads attachments, opens a
ticket naming them, writes messages, cancels it while it is pending and closes it; the operator
works the queue (oldest first, late bank transfers flagged), answers, asks for a reply and
moves the state on. Every change e-mails the ticket's ``remind_mail`` and the partner's
``SERVICE_TICKET`` recipients through the notification outbox, in the same transaction.

States: pending → processing ⇄ waiting_for_reply → resolved → closed; canceled only from
pending (by the partner); the partner's reply to waiting_for_reply puts it back to processing.

A bank-transfer ticket carries amount, transfer date, payer and at least one certificate; its
deadline is three working days after submission (billing time zone, holidays skipped). The
payments domain confirms it (``lock_bank_transfer`` then ``record_confirmation``).

The service flushes but never commits: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.notifications.public import (
    SERVICE_TICKET,
    Channel,
    NotificationService,
)
from partner_center.domains.tickets import files
from partner_center.domains.tickets.calendar import BANK_TRANSFER_WORKING_DAYS, add_working_days
from partner_center.domains.tickets.errors import no_such_ticket, wrong_status
from partner_center.domains.tickets.models import (
    Author,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketMessage,
    TicketStatus,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.money import decimal_places
from partner_center.kernel.pagination import Page, paginate

TITLE_MAX = 200
DESCRIPTION_MAX = 1200
MESSAGE_MAX = 4000
PAYER_MAX = 200
#: Attachments one ticket or message may name.
MAX_ATTACHMENTS = 10
#: Largest declared bank transfer.
MAX_TRANSFER = Decimal("100000000")

_OPEN = frozenset({TicketStatus.PENDING, TicketStatus.PROCESSING, TicketStatus.WAITING_FOR_REPLY})
#: What the operator may move a ticket to, from each state.
OPERATOR_MOVES: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.PENDING: frozenset({TicketStatus.PROCESSING, TicketStatus.RESOLVED}),
    TicketStatus.PROCESSING: frozenset(
        {TicketStatus.WAITING_FOR_REPLY, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.WAITING_FOR_REPLY: frozenset(
        {TicketStatus.PROCESSING, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.RESOLVED: frozenset({TicketStatus.PROCESSING, TicketStatus.CLOSED}),
}


@dataclass(frozen=True, slots=True)
class BankTransfer:
    """What the partner declares on a ``bank_transfer`` ticket."""

    amount: Decimal
    transfer_date: date
    payer: str


@dataclass(frozen=True, slots=True)
class NewTicket:
    category: TicketCategory
    title: str
    description: str
    attachment_ids: tuple[str, ...] = ()
    remind_mail: str | None = None
    bank_transfer: BankTransfer | None = None


@dataclass(frozen=True, slots=True)
class AttachmentView:
    id: str
    name: str
    media_type: str
    size: int
    ticket_id: str | None
    message_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MessageView:
    id: str
    author: Author
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TicketView:
    id: str
    partner_id: str
    category: TicketCategory
    status: TicketStatus
    title: str
    description: str
    remind_mail: str | None
    created_at: datetime
    updated_at: datetime
    transfer_amount: Decimal | None
    transfer_date: date | None
    payer: str | None
    deadline: date | None
    late: bool
    """A bank transfer not confirmed by its deadline (as of today, billing time zone)."""
    received_amount: Decimal | None
    confirmed_at: datetime | None
    repayment_id: str | None


@dataclass(frozen=True, slots=True)
class TicketDetail:
    ticket: TicketView
    messages: list[MessageView]
    attachments: list[AttachmentView]


@dataclass(frozen=True, slots=True)
class AttachmentFile:
    name: str
    media_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class TicketFilter:
    status: TicketStatus | None = None
    category: TicketCategory | None = None
    late_only: bool = False
    partner_id: str | None = None


def _attachment_view(row: TicketAttachment) -> AttachmentView:
    return AttachmentView(
        id=row.id,
        name=row.name,
        media_type=row.media_type,
        size=row.size,
        ticket_id=row.ticket_id,
        message_id=row.message_id,
        created_at=row.created_at,
    )


def _text(value: str, field: str, max_length: int) -> str:
    text = value.strip()
    if not text or len(text) > max_length:
        raise invalid_parameter(field, f"Required, at most {max_length} characters.")
    return text


class TicketService:
    """Partner- and operator-facing ticket operations, bound to one unit of work."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        zone: ZoneInfo,
        holidays: frozenset[date],
        notifications: NotificationService,
    ) -> None:
        self.session = session
        self.clock = clock
        self.zone = zone
        self.holidays = holidays
        self.notifications = notifications

    def today(self) -> date:
        return self.clock.now().astimezone(self.zone).date()

    def _view(self, row: Ticket) -> TicketView:
        late = (
            row.deadline is not None
            and row.confirmed_at is None
            and row.status in _OPEN
            and self.today() > row.deadline
        )
        return TicketView(
            id=row.id,
            partner_id=row.tenant_id,
            category=row.category,
            status=row.status,
            title=row.title,
            description=row.description,
            remind_mail=row.remind_mail,
            created_at=row.created_at,
            updated_at=row.updated_at,
            transfer_amount=row.transfer_amount,
            transfer_date=row.transfer_date,
            payer=row.payer,
            deadline=row.deadline,
            late=late,
            received_amount=row.received_amount,
            confirmed_at=row.confirmed_at,
            repayment_id=row.repayment_id,
        )

    # -- attachments -----------------------------------------------------------------------

    async def upload_attachment(self, partner_id: str, name: str, content: bytes) -> AttachmentView:
        """Keep a file for a ticket or message to name (rules.md §9.3).

        Raises:
            DomainError: ``CBC.0100`` for a missing or too long name, an empty file, more than
                2 MB, or content that is not one of the accepted kinds or does not match the
                name's extension.
        """
        name = name.strip()
        if not name or len(name) > files.MAX_NAME or "/" in name or "\\" in name:
            raise invalid_parameter("name", f"1 to {files.MAX_NAME} characters, no path.")
        kind = files.accepted_kind(name, content)
        if isinstance(kind, str):
            raise invalid_parameter("file", kind)
        row = TicketAttachment(
            id=new_id(),
            tenant_id=partner_id,
            ticket_id=None,
            message_id=None,
            name=name,
            media_type=kind.media_type,
            size=len(content),
            content=content,
            created_at=self.clock.now(),
        )
        self.session.add(row)
        await self.session.flush()
        return _attachment_view(row)

    async def delete_attachment(self, partner_id: str, attachment_id: str) -> None:
        """Delete an attachment no ticket or message names yet (``CBC.0100`` otherwise)."""
        row = await self.session.scalar(
            select(TicketAttachment).where(
                TicketAttachment.id == attachment_id, TicketAttachment.tenant_id == partner_id
            )
        )
        if row is None or row.ticket_id is not None:
            raise invalid_parameter(
                "attachment_id", "No attachment of yours that is not yet submitted has this id."
            )
        await self.session.delete(row)
        await self.session.flush()

    async def _claim(
        self, partner_id: str, ids: Sequence[str], ticket_id: str, message_id: str | None
    ) -> None:
        if len(ids) > MAX_ATTACHMENTS:
            raise invalid_parameter("attachment_ids", f"At most {MAX_ATTACHMENTS}.")
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return
        rows = list(
            await self.session.scalars(
                select(TicketAttachment)
                .where(
                    TicketAttachment.id.in_(wanted),
                    TicketAttachment.tenant_id == partner_id,
                    TicketAttachment.ticket_id.is_(None),
                )
                .with_for_update()
            )
        )
        if len(rows) != len(wanted):
            raise invalid_parameter(
                "attachment_ids", "Name your own uploaded attachments not yet submitted."
            )
        for row in rows:
            row.ticket_id = ticket_id
            row.message_id = message_id

    async def attachment(
        self, ticket_id: str, attachment_id: str, *, partner_id: str | None
    ) -> AttachmentFile:
        """A submitted attachment of a ticket (the partner's own, or any for the operator)."""
        await self._ticket(ticket_id, partner_id=partner_id)
        row = await self.session.scalar(
            select(TicketAttachment).where(
                TicketAttachment.id == attachment_id, TicketAttachment.ticket_id == ticket_id
            )
        )
        if row is None:
            raise invalid_parameter("attachment_id", "The ticket has no attachment with this id.")
        return AttachmentFile(name=row.name, media_type=row.media_type, content=row.content)

    # -- the partner -----------------------------------------------------------------------

    def _bank_transfer(self, transfer: BankTransfer | None) -> BankTransfer:
        if transfer is None:
            raise invalid_parameter(
                "bank_transfer", "A bank_transfer ticket needs amount, transfer_date and payer."
            )
        if not 0 < transfer.amount <= MAX_TRANSFER or decimal_places(transfer.amount) > 2:
            raise invalid_parameter("bank_transfer.amount", "> 0 with at most 2 decimals.")
        if transfer.transfer_date > self.today():
            raise invalid_parameter("bank_transfer.transfer_date", "Must not be in the future.")
        return BankTransfer(
            amount=transfer.amount,
            transfer_date=transfer.transfer_date,
            payer=_text(transfer.payer, "bank_transfer.payer", PAYER_MAX),
        )

    async def open_ticket(self, partner_id: str, new: NewTicket, *, opened_by: str) -> TicketView:
        """Submit a ticket (pending) with the attachments it names.

        Raises:
            DomainError: ``CBC.0100`` for a missing or too long title or description, a bad
                ``remind_mail``, attachments that are not the partner's unsubmitted uploads, or
                (bank transfer) a missing or bad amount, date or payer, or no certificate.
        """
        title = _text(new.title, "title", TITLE_MAX)
        description = _text(new.description, "description", DESCRIPTION_MAX)
        mail = self._mail(new.remind_mail)
        transfer: BankTransfer | None = None
        deadline: date | None = None
        if new.category == TicketCategory.BANK_TRANSFER:
            transfer = self._bank_transfer(new.bank_transfer)
            if not new.attachment_ids:
                raise invalid_parameter("attachment_ids", "Attach the bank transfer certificate.")
            deadline = add_working_days(self.today(), BANK_TRANSFER_WORKING_DAYS, self.holidays)
        elif new.bank_transfer is not None:
            raise invalid_parameter("bank_transfer", "Only for the bank_transfer category.")
        now = self.clock.now()
        row = Ticket(
            id=new_id(),
            tenant_id=partner_id,
            category=new.category,
            status=TicketStatus.PENDING,
            title=title,
            description=description,
            remind_mail=mail,
            opened_by=opened_by,
            created_at=now,
            updated_at=now,
            transfer_amount=transfer.amount if transfer else None,
            transfer_date=transfer.transfer_date if transfer else None,
            payer=transfer.payer if transfer else None,
            deadline=deadline,
        )
        self.session.add(row)
        await self.session.flush()
        await self._claim(partner_id, new.attachment_ids, row.id, None)
        await self.session.flush()
        extra = f"\nTo be confirmed by {deadline.isoformat()}." if deadline else ""
        await self._notify(row, f"Ticket {row.id} submitted", f"{title}{extra}")
        return self._view(row)

    @staticmethod
    def _mail(value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        mail = value.strip()
        local, _, domain = mail.partition("@")
        if not local or "." not in domain or len(mail) > 255 or " " in mail:
            raise invalid_parameter("remind_mail", "An e-mail address.")
        return mail.lower()

    async def _ticket(
        self, ticket_id: str, *, partner_id: str | None, lock: bool = False
    ) -> Ticket:
        stmt = select(Ticket).where(Ticket.id == ticket_id)
        if partner_id is not None:
            stmt = stmt.where(Ticket.tenant_id == partner_id)
        if lock:
            stmt = stmt.with_for_update()
        row = await self.session.scalar(stmt.execution_options(populate_existing=True))
        if row is None:
            raise no_such_ticket()
        return row

    async def tickets(
        self, ticket_filter: TicketFilter, page: Page
    ) -> tuple[list[TicketView], int]:
        """Tickets matching the filter (the partner's own when ``partner_id`` is set): newest
        first for a partner, oldest first for the operator's queue."""
        stmt: Select[Ticket] = select(Ticket)
        if ticket_filter.partner_id is not None:
            stmt = stmt.where(Ticket.tenant_id == ticket_filter.partner_id)
        if ticket_filter.status is not None:
            stmt = stmt.where(Ticket.status == ticket_filter.status)
        if ticket_filter.category is not None:
            stmt = stmt.where(Ticket.category == ticket_filter.category)
        if ticket_filter.late_only:
            stmt = stmt.where(
                Ticket.deadline < self.today(),
                Ticket.confirmed_at.is_(None),
                Ticket.status.in_(_OPEN),
            )
        if ticket_filter.partner_id is not None:
            order = (Ticket.created_at.desc(), Ticket.id.desc())
        else:
            order = (Ticket.created_at.asc(), Ticket.id.asc())
        rows, total = await paginate(self.session, stmt, page, *order)
        return [self._view(r) for r in rows], total

    async def detail(self, ticket_id: str, *, partner_id: str | None) -> TicketDetail:
        """A ticket with its messages and attachments (the partner's own, or any for the
        operator)."""
        row = await self._ticket(ticket_id, partner_id=partner_id)
        messages = await self.session.scalars(
            select(TicketMessage)
            .where(TicketMessage.ticket_id == row.id)
            .order_by(TicketMessage.created_at, TicketMessage.id)
        )
        attachments = await self.session.scalars(
            select(TicketAttachment)
            .where(TicketAttachment.ticket_id == row.id)
            .order_by(TicketAttachment.created_at, TicketAttachment.id)
        )
        return TicketDetail(
            ticket=self._view(row),
            messages=[
                MessageView(id=m.id, author=m.author, body=m.body, created_at=m.created_at)
                for m in messages
            ],
            attachments=[_attachment_view(a) for a in attachments],
        )

    async def _message(
        self, row: Ticket, author: Author, body: str, attachment_ids: Sequence[str] = ()
    ) -> TicketMessage:
        message = TicketMessage(
            id=new_id(),
            tenant_id=row.tenant_id,
            ticket_id=row.id,
            author=author,
            body=_text(body, "body", MESSAGE_MAX),
            created_at=self.clock.now(),
        )
        self.session.add(message)
        await self.session.flush()
        if attachment_ids:
            await self._claim(row.tenant_id, attachment_ids, row.id, message.id)
        row.updated_at = message.created_at
        await self.session.flush()
        return message

    async def partner_message(
        self, partner_id: str, ticket_id: str, body: str, attachment_ids: Sequence[str] = ()
    ) -> TicketView:
        """The partner writes on an open or resolved ticket; a reply to ``waiting_for_reply``
        puts it back to ``processing``."""
        row = await self._ticket(ticket_id, partner_id=partner_id, lock=True)
        if row.status in (TicketStatus.CLOSED, TicketStatus.CANCELED):
            raise wrong_status(row.status, "written to")
        await self._message(row, Author.PARTNER, body, attachment_ids)
        if row.status in (TicketStatus.WAITING_FOR_REPLY, TicketStatus.RESOLVED):
            row.status = TicketStatus.PROCESSING
        await self.session.flush()
        await self._notify(row, f"Ticket {row.id}: your message was added", body)
        return self._view(row)

    async def cancel(self, partner_id: str, ticket_id: str) -> TicketView:
        """Cancel a ticket nobody has started on (only ``pending``)."""
        row = await self._ticket(ticket_id, partner_id=partner_id, lock=True)
        if row.status != TicketStatus.PENDING:
            raise wrong_status(row.status, "canceled (only a pending ticket can)")
        return await self._move(row, TicketStatus.CANCELED)

    async def close(self, partner_id: str, ticket_id: str) -> TicketView:
        """The partner closes its ticket (any state but canceled or closed)."""
        row = await self._ticket(ticket_id, partner_id=partner_id, lock=True)
        if row.status in (TicketStatus.CLOSED, TicketStatus.CANCELED):
            raise wrong_status(row.status, "closed")
        return await self._move(row, TicketStatus.CLOSED)

    # -- the operator ----------------------------------------------------------------------

    async def operator_reply(
        self, ticket_id: str, body: str, *, wait_for_reply: bool
    ) -> TicketView:
        """The operator answers; ``wait_for_reply`` asks the partner something. A pending
        ticket becomes ``processing``."""
        row = await self._ticket(ticket_id, partner_id=None, lock=True)
        if row.status in (TicketStatus.CLOSED, TicketStatus.CANCELED):
            raise wrong_status(row.status, "answered")
        await self._message(row, Author.OPERATOR, body)
        if wait_for_reply:
            row.status = TicketStatus.WAITING_FOR_REPLY
        elif row.status == TicketStatus.PENDING:
            row.status = TicketStatus.PROCESSING
        await self.session.flush()
        await self._notify(row, f"Ticket {row.id}: a reply from support", body)
        return self._view(row)

    async def operator_move(self, ticket_id: str, status: TicketStatus) -> TicketView:
        """Move a ticket on (``OPERATOR_MOVES``); ``CBC.0100`` for any other move. A
        bank-transfer ticket is resolved by confirming it, not by a move."""
        row = await self._ticket(ticket_id, partner_id=None, lock=True)
        if status not in OPERATOR_MOVES.get(row.status, frozenset()):
            raise wrong_status(row.status, f"moved to {status}")
        if (
            row.category == TicketCategory.BANK_TRANSFER
            and status == TicketStatus.RESOLVED
            and row.confirmed_at is None
        ):
            raise invalid_parameter(
                "status", "Confirm the bank transfer with the amount received to resolve it."
            )
        return await self._move(row, status)

    async def lock_bank_transfer(self, ticket_id: str) -> TicketView:
        """The bank-transfer ticket, locked for confirmation (``CBC.0100`` for another kind of
        ticket, or one canceled or closed without confirmation)."""
        row = await self._ticket(ticket_id, partner_id=None, lock=True)
        if row.category != TicketCategory.BANK_TRANSFER:
            raise invalid_parameter("ticket_id", "Not a bank_transfer ticket.")
        if row.confirmed_at is None and row.status not in _OPEN:
            raise wrong_status(row.status, "confirmed")
        return self._view(row)

    async def record_confirmation(
        self, ticket_id: str, *, received: Decimal, repayment_id: str, summary: str
    ) -> TicketView:
        """Mark a locked bank-transfer ticket confirmed and resolved, with a message."""
        row = await self._ticket(ticket_id, partner_id=None, lock=True)
        row.received_amount = received
        row.confirmed_at = self.clock.now()
        row.repayment_id = repayment_id
        await self._message(row, Author.OPERATOR, summary)
        return await self._move(row, TicketStatus.RESOLVED, note=summary)

    # -- shared ----------------------------------------------------------------------------

    async def _move(self, row: Ticket, status: TicketStatus, *, note: str = "") -> TicketView:
        row.status = status
        row.updated_at = self.clock.now()
        await self.session.flush()
        label = status.value.replace("_", " ")
        await self._notify(row, f"Ticket {row.id} is now {label}", note or row.title)
        return self._view(row)

    async def _notify(self, row: Ticket, subject: str, body: str) -> None:
        """E-mail the change to the ticket's remind_mail and the SERVICE_TICKET recipients."""
        text = f"{body}\n\nTicket: {row.id} ({row.category.value}), status {row.status.value}."
        sent: set[str] = set()
        if row.remind_mail:
            sent.add(row.remind_mail)
            await self.notifications.queue(
                tenant_id=row.tenant_id,
                channel=Channel.EMAIL,
                recipient=row.remind_mail,
                subject=subject,
                body=text,
            )
        for recipient in await self.notifications.recipients(
            tenant_id=row.tenant_id, topic=SERVICE_TICKET
        ):
            if recipient.email and recipient.email not in sent:
                sent.add(recipient.email)
                await self.notifications.queue(
                    tenant_id=row.tenant_id,
                    channel=Channel.EMAIL,
                    recipient=recipient.email,
                    subject=subject,
                    body=text,
                )
