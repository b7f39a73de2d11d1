"""The chart of accounts of partner and customer money, and the books that keep it.

Every balance is a ledger account in the site currency; every change is a ledger transfer with a
derived, idempotent id. Accounts are opened on first use.

Per partner (``tenant_id`` = the partner; CSPs, distributors and resellers alike):

==========================  ==================================  =================================
code                        guard                               meaning
==========================  ==================================  =================================
``partner_cash``            debits ≤ credits (never negative)    free cash (``account_type`` 1);
                                                                 what can be allocated
``partner_designated``      debits ≤ credits (never negative)    earmarked cash: part of the type-1
                                                                 ``amount``, shown as
                                                                 ``designated_amount``, never
                                                                 allocatable
``partner_receivable``      none (the quota is checked by the    postpaid consumption owed (debit
                            service, see ``core.py``)            balance); the credit line
                                                                 (``account_type`` 2)
==========================  ==================================  =================================

Per customer (``tenant_id`` = the customer):

==========================  ==================================  =================================
``customer_balance``        debits ≤ credits (never negative)    money allocated by the partner;
                                                                 holds of pending purchases count
``customer_arrears``        none                                 on-demand usage the balance could
                                                                 not cover (debit balance = debt)
==========================  ==================================  =================================

Operator side (``tenant_id`` = ``platform``), one account per partner so that no single row is
locked by every partner's traffic:

==========================  ==================================  =================================
``funding:<partner>``       none                                 money that entered from outside
                                                                 for the partner (debit balance)
``revenue:<partner>``       none                                 consumption sold through the
                                                                 partner (credit balance)
==========================  ==================================  =================================

What each operation moves (debit → credit):

* top-up: ``funding:P`` → ``partner_cash`` (or ``partner_designated``)             RECHARGE
* allocation to a customer: owner's ``partner_cash`` → ``customer_balance``        BEADJUST
  then, if the customer owes arrears, ``customer_balance`` → ``customer_arrears``  DEDEUCT/WRITEOFF
* reclaim from a customer: ``customer_balance`` → owner's ``partner_cash``          BERETRIEVE
* distributor → reseller: distributor's ``partner_cash`` → reseller's ``partner_cash`` BEADJUST
* reseller → distributor: reseller's ``partner_cash`` → distributor's ``partner_cash`` BERETRIEVE
* disassociation: ``customer_balance`` (all that is free) → owner's ``partner_cash`` BEUNBIND
* charge, balance-funded: ``customer_balance`` → ``revenue:B`` (held first if asked); a usage
  charge's uncovered part: ``customer_arrears`` → ``revenue:B``                     DEDEUCT
* charge, postpaid: ``partner_receivable`` of B → ``revenue:B``                      DEDEUCT
* refund: ``revenue:B`` → where the charge came from (``customer_balance``, or the owner's
  ``partner_cash`` once the customer has left it, rules.md §2.6.10, or B's
  ``partner_receivable``)                                                          REFUND

* repayment: ``partner_cash`` → ``partner_receivable``                               DEDEUCT
* a partner bill's tax, at issue: ``partner_receivable`` → ``tax:P`` (platform)       DEDEUCT
* a partner bill's cash coupons, at issue: ``partner_coupons:P`` (platform clearing, funded
  by the coupons' ledger accounts) → ``partner_receivable``                        ADJUST
* an operator's bill adjustment: ``partner_receivable`` → ``revenue:B`` (or the reverse for
  a credit)                                                                        ADJUST

B is the billed partner: the distributor for a reseller's customer (its bill carries its
resellers' customers' spend, rules.md §6.1), otherwise the owning partner. A repayment (the
payments domain) is a top-up followed by the repayment transfer.

Locks, always in this order so concurrent work queues instead of deadlocking: (the caller's
customer row, when it holds one), the customer's ``customer_funds`` row, then ``partner_funds``
rows (top-level partners before resellers), then ledger accounts (the ledger sorts its own).
Every ledger account above is only written under its owner's funds-row lock, which also makes
statement sequence numbers and ``balance_after`` exact.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances.models import (
    BalanceEntry,
    CustomerFunds,
    Direction,
    PartnerFunds,
    Statement,
)
from partner_center.domains.ledger.public import (
    BalanceView,
    Guard,
    LedgerAccountView,
    LedgerService,
    TransferView,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.ids import new_id

ZERO = Decimal(0)
#: ``tenant_id`` of the operator-side system accounts.
PLATFORM_TENANT = "platform"


class Code(enum.StrEnum):
    PARTNER_CASH = "partner_cash"
    PARTNER_DESIGNATED = "partner_designated"
    PARTNER_RECEIVABLE = "partner_receivable"
    CUSTOMER_BALANCE = "customer_balance"
    CUSTOMER_ARREARS = "customer_arrears"


_GUARDS: dict[str, Guard] = {
    Code.PARTNER_CASH: Guard.DEBITS_MUST_NOT_EXCEED_CREDITS,
    Code.PARTNER_DESIGNATED: Guard.DEBITS_MUST_NOT_EXCEED_CREDITS,
    Code.PARTNER_RECEIVABLE: Guard.NONE,
    Code.CUSTOMER_BALANCE: Guard.DEBITS_MUST_NOT_EXCEED_CREDITS,
    Code.CUSTOMER_ARREARS: Guard.NONE,
}


def funding_code(partner_id: str) -> str:
    return f"funding:{partner_id}"


def revenue_code(partner_id: str) -> str:
    return f"revenue:{partner_id}"


@dataclass(frozen=True, slots=True)
class Side:
    """One ledger account of the chart: its owner and code."""

    tenant_id: str
    code: str

    @property
    def guard(self) -> Guard:
        return _GUARDS.get(self.code, Guard.NONE)


def partner_side(partner_id: str, code: Code) -> Side:
    return Side(partner_id, code.value)


def customer_side(customer_id: str, code: Code) -> Side:
    return Side(customer_id, code.value)


def funding_side(partner_id: str) -> Side:
    return Side(PLATFORM_TENANT, funding_code(partner_id))


def revenue_side(partner_id: str) -> Side:
    return Side(PLATFORM_TENANT, revenue_code(partner_id))


def tax_side(partner_id: str) -> Side:
    """The platform's account of the tax a partner's bills charge it."""
    return Side(PLATFORM_TENANT, f"tax:{partner_id}")


def partner_coupons_side(partner_id: str) -> Side:
    """The platform's clearing account of a partner's cash coupons used on its bills (the
    coupons domain moves each use into it; ``post_bill_coupons`` moves a bill's total out)."""
    return Side(PLATFORM_TENANT, f"partner_coupons:{partner_id}")


@dataclass(frozen=True, slots=True)
class EntryLine:
    """A statement line to write (see ``BalanceEntry``)."""

    statement: Statement
    trade_id: str
    transfer_id: str | None
    trade_type: str
    trade_detail_type: str
    direction: Direction
    amount: Decimal
    counterparty_id: str | None = None
    counterparty_account_name: str | None = None
    payment_channel_id: str | None = None
    payment_channel_no: str | None = None
    description: str | None = None


class Books:
    """The chart's ledger accounts, the funds-row locks, and statement lines. Flushes only."""

    def __init__(
        self, session: AsyncSession, *, clock: Clock, currency: str, ledger: LedgerService
    ) -> None:
        self.session = session
        self.clock = clock
        self.currency = currency
        self.ledger = ledger

    # -- accounts ---------------------------------------------------------------------------

    async def open(self, side: Side) -> LedgerAccountView:
        return await self.ledger.open_account(
            tenant_id=side.tenant_id, code=side.code, currency=self.currency, guard=side.guard
        )

    async def totals(self, side: Side) -> BalanceView | None:
        """The account's totals, or None if it was never opened (everything zero)."""
        account = await self.ledger.find_account(side.tenant_id, side.code, self.currency)
        if account is None:
            return None
        return await self.ledger.balance(account.id)

    async def posted_credit_balance(self, side: Side) -> Decimal:
        """Posted credits − posted debits (money in a balance-type account)."""
        totals = await self.totals(side)
        return ZERO if totals is None else totals.credit_balance

    async def posted_debit_balance(self, side: Side) -> Decimal:
        """Posted debits − posted credits (what is owed on a receivable-type account)."""
        totals = await self.totals(side)
        return ZERO if totals is None else totals.debit_balance

    async def free_balance(self, side: Side) -> Decimal:
        """What a balance-type account can still give: posted balance minus open holds."""
        totals = await self.totals(side)
        if totals is None:
            return ZERO
        return totals.credits_posted - totals.debits_posted - totals.debits_pending

    async def pending_debits(self, side: Side) -> Decimal:
        totals = await self.totals(side)
        return ZERO if totals is None else totals.debits_pending

    async def move(
        self,
        *,
        transfer_id: str,
        debit: Side,
        credit: Side,
        amount: Decimal,
        code: str,
        caused_by: str,
        pending: bool = False,
        memo: str | None = None,
    ) -> TransferView:
        """One ledger transfer between two accounts of the chart (opened if needed)."""
        debit_account = await self.open(debit)
        credit_account = await self.open(credit)
        return await self.ledger.transfer(
            transfer_id=transfer_id,
            debit_account_id=debit_account.id,
            credit_account_id=credit_account.id,
            amount=amount,
            currency=self.currency,
            code=code,
            memo=memo,
            pending=pending,
            tenant_id=caused_by,
        )

    # -- locks --------------------------------------------------------------------------------

    async def lock_partner(self, partner_id: str) -> PartnerFunds:
        """The partner's funds row, locked ``FOR UPDATE`` (created on first use)."""
        row = await self._locked(PartnerFunds, partner_id)
        if row is None:
            await self._create(
                PartnerFunds(
                    partner_id=partner_id,
                    tenant_id=partner_id,
                    consumption_quota=ZERO,
                    statement_seq=0,
                    updated_at=self.clock.now(),
                )
            )
            row = await self._locked(PartnerFunds, partner_id)
        assert isinstance(row, PartnerFunds)
        return row

    async def lock_partners(self, top_level: Iterable[str], resellers: Iterable[str] = ()) -> None:
        """Lock several partners' funds rows in the one global order."""
        for partner_id in sorted(set(top_level)):
            await self.lock_partner(partner_id)
        for partner_id in sorted(set(resellers)):
            await self.lock_partner(partner_id)

    async def lock_customer(self, customer_id: str) -> CustomerFunds:
        """The customer's funds row, locked ``FOR UPDATE`` (created on first use)."""
        row = await self._locked(CustomerFunds, customer_id)
        if row is None:
            await self._create(
                CustomerFunds(
                    customer_id=customer_id,
                    tenant_id=customer_id,
                    funded_association_at=None,
                    currency=self.currency,
                    statement_seq=0,
                    updated_at=self.clock.now(),
                )
            )
            row = await self._locked(CustomerFunds, customer_id)
        assert isinstance(row, CustomerFunds)
        return row

    async def partner_funds(self, partner_id: str) -> PartnerFunds | None:
        """The partner's funds row as committed now, without a lock."""
        stmt = (
            select(PartnerFunds)
            .where(PartnerFunds.partner_id == partner_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def customer_funds(self, customer_id: str) -> CustomerFunds | None:
        stmt = (
            select(CustomerFunds)
            .where(CustomerFunds.customer_id == customer_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def _locked(
        self, model: type[PartnerFunds] | type[CustomerFunds], key: str
    ) -> PartnerFunds | CustomerFunds | None:
        return await self.session.get(model, key, with_for_update=True, populate_existing=True)

    async def _create(self, row: PartnerFunds | CustomerFunds) -> None:
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError:
            # Another transaction created it first; the caller locks that one.
            return

    # -- statements ---------------------------------------------------------------------------

    async def partner_cash_total(self, partner_id: str) -> Decimal:
        """The partner's type-1 ``amount``: posted free cash + designated cash."""
        cash = await self.posted_credit_balance(partner_side(partner_id, Code.PARTNER_CASH))
        designated = await self.posted_credit_balance(
            partner_side(partner_id, Code.PARTNER_DESIGNATED)
        )
        return cash + designated

    async def owed(self, partner_id: str) -> Decimal:
        """Posted postpaid consumption the partner has not repaid."""
        return await self.posted_debit_balance(partner_side(partner_id, Code.PARTNER_RECEIVABLE))

    async def statement_balance(
        self, statement: Statement, owner_id: str, *, quota: Decimal = ZERO
    ) -> Decimal:
        """The balance a statement shows now (its next line's ``balance_after`` base)."""
        if statement is Statement.PARTNER_DEBIT:
            return await self.partner_cash_total(owner_id)
        if statement is Statement.PARTNER_CREDIT:
            return quota - await self.owed(owner_id)
        return await self.posted_credit_balance(customer_side(owner_id, Code.CUSTOMER_BALANCE))

    async def write_entry(
        self, owner: PartnerFunds | CustomerFunds, line: EntryLine, balance_after: Decimal
    ) -> BalanceEntry:
        """Append a statement line; the owner's funds row must be locked by this transaction."""
        owner.statement_seq += 1
        owner.updated_at = self.clock.now()
        tenant_id = owner.partner_id if isinstance(owner, PartnerFunds) else owner.customer_id
        entry = BalanceEntry(
            id=new_id(),
            tenant_id=tenant_id,
            statement=line.statement,
            seq=owner.statement_seq,
            trade_id=line.trade_id,
            transfer_id=line.transfer_id,
            trade_type=line.trade_type,
            trade_detail_type=line.trade_detail_type,
            direction=int(line.direction),
            amount=line.amount,
            balance_after=balance_after,
            counterparty_id=line.counterparty_id,
            counterparty_account_name=line.counterparty_account_name,
            payment_channel_id=line.payment_channel_id,
            payment_channel_no=line.payment_channel_no,
            description=line.description,
            created_at=self.clock.now(),
        )
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def record(self, owner: PartnerFunds | CustomerFunds, line: EntryLine) -> BalanceEntry:
        """Append a line whose ``balance_after`` is the statement's balance now (after the
        transfer it describes was made in this transaction)."""
        if isinstance(owner, PartnerFunds):
            after = await self.statement_balance(
                line.statement, owner.partner_id, quota=owner.consumption_quota
            )
        else:
            after = await self.statement_balance(line.statement, owner.customer_id)
        return await self.write_entry(owner, line, after)
