"""The balance operations log: one ``balance_operations`` row per money movement a partner or
the operator makes, whose id is derived from the caller's ``X-Idempotency-Key`` (scoped to the
caller and the kind of operation), so a retry replays the first answer and moves nothing, and
the same key with a different request is refused (``CBC.99007009``)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances.models import (
    BalanceOperation,
    CounterpartyKind,
    OperationKind,
)
from partner_center.domains.balances.views import MoneyMovement
from partner_center.kernel.clock import Clock
from partner_center.kernel.idempotency import key_reused
from partner_center.kernel.ids import new_id


class OperationLog:
    """Idempotent operation records, bound to one unit of work."""

    def __init__(self, session: AsyncSession, *, clock: Clock, currency: str) -> None:
        self.session = session
        self.clock = clock
        self.currency = currency

    @staticmethod
    def operation_id(tenant_id: str, kind: OperationKind, key: str | None) -> str:
        """A fresh id, or one derived from the caller's idempotency key (scoped to the caller
        and the kind of operation)."""
        if key is None:
            return new_id()
        return hashlib.sha256(f"{tenant_id}|{kind.value}|{key}".encode()).hexdigest()[:32]

    async def replay(
        self, operation_id: str, request_hash: str, key: str | None
    ) -> MoneyMovement | None:
        """The earlier operation with this id (same request: replayed), or None; a different
        request under the same key is refused."""
        row = await self.session.get(BalanceOperation, operation_id, populate_existing=True)
        if row is None:
            return None
        if row.request_hash != request_hash:
            raise key_reused(key or operation_id)
        return self.movement(row, replayed=True)

    @staticmethod
    def movement(row: BalanceOperation, *, replayed: bool = False) -> MoneyMovement:
        return MoneyMovement(
            id=row.id,
            kind=row.kind,
            partner_id=row.tenant_id,
            counterparty_id=row.counterparty_id,
            amount=row.amount,
            currency=row.currency,
            created_at=row.created_at,
            replayed=replayed,
        )

    async def record(
        self,
        *,
        operation_id: str,
        kind: OperationKind,
        tenant_id: str,
        amount: Decimal,
        actor_id: str,
        request_hash: str,
        key: str | None,
        counterparty_id: str | None = None,
        counterparty_kind: CounterpartyKind | None = None,
        counterparty_account_name: str | None = None,
        counterparty_name: str | None = None,
        reference_id: str | None = None,
        channel: str | None = None,
        memo: str | None = None,
    ) -> BalanceOperation:
        row = BalanceOperation(
            id=operation_id,
            tenant_id=tenant_id,
            kind=kind,
            counterparty_id=counterparty_id,
            counterparty_kind=counterparty_kind,
            counterparty_account_name=counterparty_account_name,
            counterparty_name=counterparty_name,
            amount=amount,
            currency=self.currency,
            actor_id=actor_id,
            idempotency_key=key,
            request_hash=request_hash,
            reference_id=reference_id,
            channel=channel,
            memo=memo,
            created_at=self.clock.now(),
        )
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError:
            # The funds-row locks serialise retries of one request, so a collision here is the
            # same key used at the same moment for a different request: it must not post.
            raise key_reused(key or operation_id) from None
        return row
