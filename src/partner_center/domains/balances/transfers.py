"""Money moved between two customer balances: an enterprise master and its member accounts
(api-semantics.md §3.13). ``customer_balance`` of one → ``customer_balance`` of the other, a
TRANS line on both statements, one ``balance_operations`` row (owned by the master) whose id is
derived from the caller's transaction id, so a retry moves nothing and the same id with a
different request is ``CBC.99007009``.

Locks: both customers' funds rows in ascending id order (the global order of several
customers), before anything is read: concurrent transfers of one master queue, and the free
balance checked is the one debited, so a balance is never overdrawn.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances import errors
from partner_center.domains.balances.chart import Books, Code, EntryLine, customer_side
from partner_center.domains.balances.core import check_amount
from partner_center.domains.balances.models import (
    CounterpartyKind,
    Direction,
    OperationKind,
    Statement,
)
from partner_center.domains.balances.operations import OperationLog
from partner_center.domains.balances.views import MoneyMovement
from partner_center.kernel.clock import Clock
from partner_center.kernel.idempotency import check_key, fingerprint

TRANS = "TRANS"
DETAIL_TRANS = "SOURCE_OPERAIION_TRANS"


class CustomerTransfers:
    """Transfers between a master's and its members' balances; flushes only."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        currency: str,
        books: Books,
        operations: OperationLog,
    ) -> None:
        self.session = session
        self.clock = clock
        self.currency = currency
        self.books = books
        self.operations = operations

    async def free_balance(self, customer_id: str) -> Decimal:
        """What the customer's balance can give now (posted balance minus open holds)."""
        return await self.books.free_balance(customer_side(customer_id, Code.CUSTOMER_BALANCE))

    async def posted_balance(self, customer_id: str) -> Decimal:
        return await self.books.posted_credit_balance(
            customer_side(customer_id, Code.CUSTOMER_BALANCE)
        )

    async def move(
        self,
        *,
        master_id: str,
        member_id: str,
        to_member: bool,
        amount: Decimal,
        transaction_id: str | None,
        actor_id: str,
    ) -> MoneyMovement:
        """Move ``amount`` from the master to the member (``to_member``) or back.

        Raises:
            DomainError: ``CBC.0100`` bad amount or transaction id; ``CBC.99005003`` more
                than the paying side's free balance; ``CBC.99007009`` the transaction id was
                used for a different request.
        """
        amount = check_amount(amount, "amount")
        key = check_key(transaction_id)
        kind = OperationKind.MEMBER_TRANSFER if to_member else OperationKind.MEMBER_RECLAIM
        source, target = (master_id, member_id) if to_member else (member_id, master_id)
        locked = {
            customer_id: await self.books.lock_customer(customer_id)
            for customer_id in sorted({master_id, member_id})
        }
        operation_id = self.operations.operation_id(master_id, kind, key)
        request = fingerprint(kind.value, master_id, member_id, amount)
        replay = await self.operations.replay(operation_id, request, key)
        if replay is not None:
            return replay
        free = await self.free_balance(source)
        if free < amount:
            whose = "the enterprise master account" if to_member else "the member account"
            raise errors.insufficient(whose, free, self.currency)
        row = await self.operations.record(
            operation_id=operation_id,
            kind=kind,
            tenant_id=master_id,
            amount=amount,
            actor_id=actor_id,
            request_hash=request,
            key=key,
            counterparty_id=member_id,
            counterparty_kind=CounterpartyKind.CUSTOMER,
        )
        transfer = await self.books.move(
            transfer_id=operation_id,
            debit=customer_side(source, Code.CUSTOMER_BALANCE),
            credit=customer_side(target, Code.CUSTOMER_BALANCE),
            amount=amount,
            code="member_transfer" if to_member else "member_reclaim",
            caused_by=actor_id,
        )
        for owner, direction, counterparty in (
            (source, Direction.EXPENSE, target),
            (target, Direction.INCOME, source),
        ):
            await self.books.record(
                locked[owner],
                EntryLine(
                    statement=Statement.CUSTOMER_DEBIT,
                    trade_id=operation_id,
                    transfer_id=transfer.id,
                    trade_type=TRANS,
                    trade_detail_type=DETAIL_TRANS,
                    direction=direction,
                    amount=amount,
                    counterparty_id=counterparty,
                ),
            )
        return self.operations.movement(row)
