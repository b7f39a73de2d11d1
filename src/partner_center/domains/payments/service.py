"""``RepaymentService``: paying the partner's amount due (the seed's Repayment page, rules.md
§6.10–6.13, rule 21).

Online: the amount is > 0 with at most 2 decimals, at most the remaining amount due and at most
the online limit (40,000 USD by default, ``PARTNER_CENTER_ONLINE_PAYMENT_LIMIT``); the card is
checked (Luhn, expiry, CVC) and charged through the ``PaymentGateway``. Anything refused is a
``CBC.*`` error and changes nothing; a declined card is recorded as a declined repayment and
moves no money. An approved charge tops the partner's cash up (``ONLINE_PAYMENT``), moves it to
what the partner owes (the repayment transfer) and has billing settle the oldest unpaid bill
first; the account statement then shows the top-up and the repayment.

Bank transfer: the operator confirms a ``bank_transfer`` ticket with the amount received; that
tops the cash up (``BANK_TRANSFER``) and repays as much of the amount due as it covers (the rest
stays as cash), once per ticket.

Concurrency: everything happens under the partner's funds-row lock (balances), taken before the
amount due is read, so two concurrent repayments queue and the second sees what the first
left: together they never pay more than is due. Idempotency: ``X-Idempotency-Key`` (scoped to
the partner) replays the first answer; the ledger transfers carry ids derived from the
repayment id, so they post once.

The service flushes but never commits: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances.public import (
    BalanceEngine,
    BalanceService,
    Books,
    TopUpChannel,
    check_amount,
)
from partner_center.domains.billing.public import BillingService
from partner_center.domains.payments.errors import PaymentErrorCode, over_amount_due
from partner_center.domains.payments.gateway import PaymentGateway, check_card
from partner_center.domains.payments.models import (
    Repayment,
    RepaymentChannel,
    RepaymentStatus,
)
from partner_center.domains.tickets.public import TicketService
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.idempotency import check_key, fingerprint, key_reused
from partner_center.kernel.ids import new_id
from partner_center.kernel.money import Money
from partner_center.kernel.pagination import Page, paginate


@dataclass(frozen=True, slots=True)
class CardInput:
    """The card fields as received (checked by ``check_card``; never logged)."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str
    holder_name: str

    def __repr__(self) -> str:
        return "CardInput(<redacted>)"


@dataclass(frozen=True, slots=True)
class RepaymentView:
    id: str
    partner_id: str
    channel: RepaymentChannel
    status: RepaymentStatus
    amount: Decimal
    repaid_amount: Decimal
    remaining_due: Decimal
    currency: str
    card_brand: str | None
    card_last4: str | None
    decline_reason: str | None
    ticket_id: str | None
    created_at: datetime
    replayed: bool = False


def _view(row: Repayment, *, replayed: bool = False) -> RepaymentView:
    return RepaymentView(
        id=row.id,
        partner_id=row.tenant_id,
        channel=row.channel,
        status=row.status,
        amount=row.amount,
        repaid_amount=row.repaid_amount,
        remaining_due=row.remaining_due,
        currency=row.currency,
        card_brand=row.card_brand,
        card_last4=row.card_last4,
        decline_reason=row.decline_reason,
        ticket_id=row.ticket_id,
        created_at=row.created_at,
        replayed=replayed,
    )


class RepaymentService:
    """Online and bank-transfer repayments."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        zone: ZoneInfo,
        currency: str,
        online_limit: Decimal,
        gateway: PaymentGateway,
        billing: BillingService,
        balances: BalanceService,
        engine: BalanceEngine,
        books: Books,
        tickets: TicketService,
    ) -> None:
        self.session = session
        self.clock = clock
        self.zone = zone
        self.currency = currency
        self.online_limit = online_limit
        self.gateway = gateway
        self.billing = billing
        self.balances = balances
        self.engine = engine
        self.books = books
        self.tickets = tickets

    # -- online ------------------------------------------------------------------------------

    async def repay_online(
        self,
        partner_id: str,
        amount: object,
        card_input: CardInput,
        *,
        actor_id: str,
        idempotency_key: str | None = None,
    ) -> RepaymentView:
        """Pay ``amount`` of the amount due by card.

        Raises:
            DomainError: ``CBC.0100`` for an amount that is not > 0 with at most 2 decimals,
                over the online limit or over the remaining amount due, a card that fails the
                checks, or a bad key; ``CBC.99007009`` the key was used for another request.
        """
        checked = check_amount(amount, "amount")
        if checked > self.online_limit:
            raise invalid_parameter(
                "amount",
                f"A single online payment is at most {self.online_limit:,} {self.currency}.",
            )
        card = check_card(
            number=card_input.number,
            exp_month=card_input.exp_month,
            exp_year=card_input.exp_year,
            cvc=card_input.cvc,
            holder_name=card_input.holder_name,
            today=self.clock.now().astimezone(self.zone).date(),
        )
        key = check_key(idempotency_key)
        request = fingerprint("online", partner_id, checked, card.brand, card.last4)
        await self.books.lock_partner(partner_id)
        earlier = await self._replay(partner_id, key, request)
        if earlier is not None:
            return earlier
        due = (await self.billing.amount_due(partner_id)).amount
        if checked > due:
            raise over_amount_due(f"{due:.2f}")
        repayment_id = new_id()
        outcome = await self.gateway.charge(card, checked, self.currency, reference=repayment_id)
        row = Repayment(
            id=repayment_id,
            tenant_id=partner_id,
            channel=RepaymentChannel.ONLINE,
            status=RepaymentStatus.SUCCEEDED if outcome.approved else RepaymentStatus.DECLINED,
            amount=checked,
            repaid_amount=Decimal(0),
            remaining_due=due,
            currency=self.currency,
            card_brand=card.brand.value,
            card_last4=card.last4,
            processor_reference=outcome.processor_reference[:64],
            decline_reason=outcome.decline_reason,
            ticket_id=None,
            idempotency_key=key,
            request_hash=request,
            actor_id=actor_id,
            created_at=self.clock.now(),
        )
        if outcome.approved:
            await self.balances.top_up(
                partner_id,
                checked,
                channel=TopUpChannel.ONLINE_PAYMENT,
                actor_id=actor_id,
                payment_reference=repayment_id,
                idempotency_key=f"repayment-{repayment_id}",
                memo=f"Online repayment {repayment_id} ({card})",
            )
            row.repaid_amount = checked
            row.remaining_due = await self._repay(partner_id, checked, repayment_id, actor_id)
        await self._insert(row, key)
        return _view(row)

    async def _replay(self, partner_id: str, key: str | None, request: str) -> RepaymentView | None:
        if key is None:
            return None
        row = await self.session.scalar(
            select(Repayment)
            .where(Repayment.tenant_id == partner_id, Repayment.idempotency_key == key)
            .execution_options(populate_existing=True)
        )
        if row is None:
            return None
        if row.request_hash != request:
            raise key_reused(key)
        return _view(row, replayed=True)

    async def _insert(self, row: Repayment, key: str | None) -> None:
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError:
            raise key_reused(key or row.id) from None

    async def _repay(
        self, partner_id: str, amount: Decimal, repayment_id: str, actor_id: str
    ) -> Decimal:
        """Cash → what is owed, bills settled oldest first, the quota state re-evaluated; the
        amount due afterwards."""
        await self.engine.repay(partner_id, amount, repayment_id=repayment_id, actor_id=actor_id)
        remaining = await self.billing.apply_repayment(
            partner_id, Money(amount, self.currency), payment_ref=repayment_id
        )
        await self.engine.recheck_consumption_quota(partner_id)
        return remaining.amount

    # -- bank transfer -----------------------------------------------------------------------

    async def confirm_bank_transfer(
        self, ticket_id: str, received: object, *, actor_id: str
    ) -> RepaymentView:
        """The operator confirms a bank-transfer ticket with the amount received: the cash is
        topped up and repays as much of the amount due as it covers; the ticket is resolved.
        Confirming again answers the first confirmation (``replayed``) and moves nothing.

        Raises:
            DomainError: ``CBC.0100`` for a bad amount, a ticket that is not an open bank
                transfer, or a second confirmation with another amount.
        """
        amount = check_amount(received, "received_amount")
        ticket = await self.tickets.lock_bank_transfer(ticket_id)
        if ticket.repayment_id is not None:
            row = await self.session.get(Repayment, ticket.repayment_id)
            assert row is not None
            if row.amount != amount:
                raise DomainError(
                    PaymentErrorCode.INVALID_PARAMETER,
                    f"Invalid parameter: received_amount. The transfer was already confirmed "
                    f"with {row.amount:.2f}.",
                    {"field": "received_amount"},
                )
            return _view(row, replayed=True)
        partner_id = ticket.partner_id
        await self.books.lock_partner(partner_id)
        repayment_id = new_id()
        await self.balances.top_up(
            partner_id,
            amount,
            channel=TopUpChannel.BANK_TRANSFER,
            actor_id=actor_id,
            payment_reference=ticket_id,
            idempotency_key=f"ticket-{ticket_id}",
            memo=f"Bank transfer from {ticket.payer}, ticket {ticket_id}",
        )
        due = (await self.billing.amount_due(partner_id)).amount
        repaid = min(amount, due)
        remaining = due
        if repaid > 0:
            remaining = await self._repay(partner_id, repaid, repayment_id, actor_id)
        row = Repayment(
            id=repayment_id,
            tenant_id=partner_id,
            channel=RepaymentChannel.BANK_TRANSFER,
            status=RepaymentStatus.SUCCEEDED,
            amount=amount,
            repaid_amount=repaid,
            remaining_due=remaining,
            currency=self.currency,
            card_brand=None,
            card_last4=None,
            processor_reference=None,
            decline_reason=None,
            ticket_id=ticket_id,
            idempotency_key=None,
            request_hash=fingerprint("bank_transfer", ticket_id, amount),
            actor_id=actor_id,
            created_at=self.clock.now(),
        )
        await self._insert(row, None)
        kept = amount - repaid
        summary = (
            f"Bank transfer of {amount:.2f} {self.currency} received and credited; "
            f"{repaid:.2f} repaid the amount due"
            + (f", {kept:.2f} kept as account balance" if kept else "")
            + f"; amount due now {remaining:.2f}."
        )
        await self.tickets.record_confirmation(
            ticket_id, received=amount, repayment_id=repayment_id, summary=summary
        )
        return _view(row)

    # -- records -----------------------------------------------------------------------------

    async def repayments(self, partner_id: str, page: Page) -> tuple[list[RepaymentView], int]:
        """The partner's repayments (payment records), newest first."""
        stmt = select(Repayment).where(Repayment.tenant_id == partner_id)
        rows, total = await paginate(
            self.session, stmt, page, Repayment.created_at.desc(), Repayment.id.desc()
        )
        return [_view(r) for r in rows], total
