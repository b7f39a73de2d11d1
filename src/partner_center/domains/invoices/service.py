"""``InvoiceService``: a PDF invoice per partner bill (rules.md §6.19), issued after the bill run
on the 5th and e-mailed then.

Numbers: one gap-free sequence per issuer. The issuer's counter row is locked (``FOR UPDATE``;
SQLite's write transaction) in the transaction that inserts the invoice, so two issuers of
numbers queue, and a rolled back issue gives its number back. An invoice is issued once per
bill (a unique bill id) and never changes: its PDF prints the top-up account current at issue.

E-mail: to the partner's invoice e-mail and its ``INVOICE`` recipients, through the
notification outbox; a month with nothing to pay only when the partner asked for those too.

The service flushes but never commits: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.billing.public import BillingService, PartnerBillView
from partner_center.domains.invoices.models import Invoice, InvoiceCounter, InvoiceSettings
from partner_center.domains.invoices.pdf import InvoiceDocument, render
from partner_center.domains.notifications.public import INVOICE, Channel, NotificationService
from partner_center.domains.partners.public import PartnerService
from partner_center.domains.payments.public import TopUpAccounts
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page, paginate

_BATCH = 200


@dataclass(frozen=True, slots=True)
class Issuer:
    name: str
    address: str
    prefix: str


@dataclass(frozen=True, slots=True)
class InvoiceView:
    id: str
    partner_id: str
    bill_id: str
    cycle: str
    issuer: str
    number: int
    invoice_no: str
    title: str
    address: str | None
    email: str | None
    amount: Decimal
    tax_amount: Decimal
    tax_rate: Decimal
    currency: str
    issued_at: datetime
    emailed_at: datetime | None


@dataclass(frozen=True, slots=True)
class InvoiceSettingsView:
    address: str | None
    email: str | None
    email_zero_months: bool


def _view(row: Invoice) -> InvoiceView:
    return InvoiceView(
        id=row.id,
        partner_id=row.tenant_id,
        bill_id=row.bill_id,
        cycle=row.cycle,
        issuer=row.issuer,
        number=row.number,
        invoice_no=row.invoice_no,
        title=row.title,
        address=row.address,
        email=row.email,
        amount=row.amount,
        tax_amount=row.tax_amount,
        tax_rate=row.tax_rate,
        currency=row.currency,
        issued_at=row.issued_at,
        emailed_at=row.emailed_at,
    )


def bill_lines(bill: PartnerBillView) -> list[tuple[str, Decimal]]:
    """What the invoice itemises, the amount due last."""
    return [
        ("Consumption", bill.consumption_amount),
        ("Refunds", bill.refund_amount),
        ("Adjustments", bill.adjustment_amount),
        ("Coupons", -bill.coupon_amount),
        ("Partner cash coupons", -bill.partner_coupon_amount),
        ("Tax", bill.tax_amount),
        ("Amount due", bill.amount_due),
    ]


class InvoiceService:
    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        issuer: Issuer,
        billing: BillingService,
        partners: PartnerService,
        accounts: TopUpAccounts,
        notifications: NotificationService,
    ) -> None:
        self.session = session
        self.clock = clock
        self.issuer = issuer
        self.billing = billing
        self.partners = partners
        self.accounts = accounts
        self.notifications = notifications

    # -- issuing -----------------------------------------------------------------------------

    async def issue_cycle(self, cycle: str) -> int:
        """Invoice every partner bill of ``cycle`` not invoiced yet; how many were issued.
        Idempotent: a second run issues nothing."""
        issued = 0
        after: str | None = None
        while True:
            partner_ids = await self.partners.billing_accounts(after=after, limit=_BATCH)
            if not partner_ids:
                return issued
            for partner_id in partner_ids:
                try:
                    detail = await self.billing.partner_bill(partner_id, cycle)
                except DomainError:
                    continue
                if await self._invoice_of(detail.bill.bill_id) is None and await self._issue(
                    detail.bill
                ):
                    issued += 1
            after = partner_ids[-1]

    async def _invoice_of(self, bill_id: str) -> Invoice | None:
        result: Invoice | None = await self.session.scalar(
            select(Invoice).where(Invoice.bill_id == bill_id)
        )
        return result

    async def _lock_counter(self) -> InvoiceCounter:
        name = self.issuer.name[:64]
        counter = await self.session.get(
            InvoiceCounter, name, with_for_update=True, populate_existing=True
        )
        if counter is None:
            try:
                async with self.session.begin_nested():
                    self.session.add(InvoiceCounter(issuer=name, last_number=0))
                    await self.session.flush()
            except IntegrityError:
                pass  # another transaction created it; lock that one
            counter = await self.session.get(
                InvoiceCounter, name, with_for_update=True, populate_existing=True
            )
        assert counter is not None
        return counter

    async def _issue(self, bill: PartnerBillView) -> InvoiceView | None:
        """Invoice ``bill`` under the issuer's counter lock; None when another transaction
        invoiced it meanwhile."""
        counter = await self._lock_counter()
        if await self._invoice_of(bill.bill_id) is not None:
            return None
        counter.last_number += 1
        number = counter.last_number
        partner = await self.partners.get(bill.partner_id)
        settings = await self._settings_row(bill.partner_id)
        account = await self.accounts.latest()
        invoice_no = f"{self.issuer.prefix}{number:08d}"
        now = self.clock.now()
        title = partner.company_name if partner and partner.company_name else bill.partner_id
        address = settings.address if settings else None
        account_lines = (
            [
                f"Bank: {account.bank_name}",
                f"Account name: {account.account_name}",
                f"Account number: {account.account_number}",
                *([f"SWIFT: {account.swift_code}"] if account.swift_code else []),
                *([f"Bank address: {account.bank_address}"] if account.bank_address else []),
                f"Currency: {account.currency}",
            ]
            if account
            else []
        )
        pdf = render(
            InvoiceDocument(
                issuer=self.issuer.name,
                issuer_address=self.issuer.address,
                invoice_no=invoice_no,
                issued_at=now,
                cycle=bill.cycle,
                title=title,
                address=address,
                currency=bill.currency,
                lines=bill_lines(bill),
                tax_rate=bill.tax_rate,
                top_up_account=account_lines,
            )
        )
        row = Invoice(
            id=new_id(),
            tenant_id=bill.partner_id,
            bill_id=bill.bill_id,
            cycle=bill.cycle,
            issuer=self.issuer.name[:64],
            number=number,
            invoice_no=invoice_no,
            title=title[:200],
            address=address,
            email=settings.email if settings else None,
            amount=bill.amount_due,
            tax_amount=bill.tax_amount,
            tax_rate=bill.tax_rate,
            currency=bill.currency,
            pdf=pdf,
            issued_at=now,
            emailed_at=None,
        )
        self.session.add(row)
        await self.session.flush()
        wanted = bill.amount_due > 0 or (settings is not None and settings.email_zero_months)
        if wanted and await self._email(row):
            row.emailed_at = now
            await self.session.flush()
        return _view(row)

    async def _email(self, row: Invoice) -> bool:
        subject = f"Invoice {row.invoice_no} for {row.cycle}"
        body = (
            f"Your invoice {row.invoice_no} for the billing cycle {row.cycle} is issued: amount "
            f"due {row.amount:.2f} {row.currency}. Download it from Partner Center "
            f"(GET /v1/partner-center/invoices/{row.id}/pdf)."
        )
        addresses = [row.email] if row.email else []
        for recipient in await self.notifications.recipients(
            tenant_id=row.tenant_id, topic=INVOICE
        ):
            if recipient.email and recipient.email not in addresses:
                addresses.append(recipient.email)
        for address in addresses:
            await self.notifications.queue(
                tenant_id=row.tenant_id,
                channel=Channel.EMAIL,
                recipient=address,
                subject=subject,
                body=body,
            )
        return bool(addresses)

    # -- reading -----------------------------------------------------------------------------

    async def invoices(
        self, partner_id: str, *, start: datetime, end: datetime, page: Page
    ) -> tuple[list[InvoiceView], int]:
        """The partner's invoices issued in [start, end], newest first."""
        if start > end:
            raise invalid_parameter("start_time", "Must not be after end_time.")
        stmt = select(Invoice).where(
            Invoice.tenant_id == partner_id,
            Invoice.issued_at >= start,
            Invoice.issued_at <= end,
        )
        rows, total = await paginate(
            self.session, stmt, page, Invoice.issued_at.desc(), Invoice.id.desc()
        )
        return [_view(r) for r in rows], total

    async def pdf(self, partner_id: str, invoice_id: str) -> tuple[str, bytes]:
        """The invoice's number and PDF (``CBC.0100`` if the partner has no such invoice)."""
        row = await self.session.scalar(
            select(Invoice).where(Invoice.id == invoice_id, Invoice.tenant_id == partner_id)
        )
        if row is None:
            raise invalid_parameter("invoice_id", "No invoice of yours has this id.")
        return row.invoice_no, row.pdf

    # -- settings ----------------------------------------------------------------------------

    async def _settings_row(self, partner_id: str) -> InvoiceSettings | None:
        result: InvoiceSettings | None = await self.session.get(InvoiceSettings, partner_id)
        return result

    async def settings(self, partner_id: str) -> InvoiceSettingsView:
        row = await self._settings_row(partner_id)
        if row is None:
            return InvoiceSettingsView(address=None, email=None, email_zero_months=False)
        return InvoiceSettingsView(row.address, row.email, row.email_zero_months)

    async def set_settings(
        self, partner_id: str, *, address: str | None, email: str | None, email_zero_months: bool
    ) -> InvoiceSettingsView:
        """Set the invoice address and e-mail (``CBC.0100`` for a malformed address)."""
        address = (address or "").strip() or None
        if address is not None and len(address) > 500:
            raise invalid_parameter("address", "At most 500 characters.")
        mail = (email or "").strip().lower() or None
        if mail is not None:
            local, _, domain = mail.partition("@")
            if not local or "." not in domain or len(mail) > 255 or " " in mail:
                raise invalid_parameter("email", "An e-mail address.")
        row = await self._settings_row(partner_id)
        if row is None:
            row = InvoiceSettings(id=partner_id, tenant_id=partner_id, consumption_file=False)
            self.session.add(row)
        row.address, row.email, row.email_zero_months = address, mail, email_zero_months
        row.updated_at = self.clock.now()
        await self.session.flush()
        return InvoiceSettingsView(address, mail, email_zero_months)
