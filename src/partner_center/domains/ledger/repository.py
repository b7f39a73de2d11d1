"""Queries on ledger tables. Takes the session; knows nothing of business rules."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.ledger.models import LedgerAccount, LedgerTransfer


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def accounts(self, account_ids: list[str]) -> list[LedgerAccount]:
        """Many accounts as the database has them now, in one statement."""
        stmt = (
            select(LedgerAccount)
            .where(LedgerAccount.id.in_(account_ids))
            .execution_options(populate_existing=True)
        )
        return list((await self._session.scalars(stmt)).all())

    async def account(self, account_id: str) -> LedgerAccount | None:
        """The account as the database has it now (refreshes any copy in the identity map)."""
        stmt = (
            select(LedgerAccount)
            .where(LedgerAccount.id == account_id)
            .execution_options(populate_existing=True)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def owing(self, code: str, currency: str) -> list[LedgerAccount]:
        """Every ``code`` account whose posted debits exceed its posted credits."""
        stmt = (
            select(LedgerAccount)
            .where(
                LedgerAccount.code == code,
                LedgerAccount.currency == currency,
                LedgerAccount.debits_posted > LedgerAccount.credits_posted,
            )
            .order_by(LedgerAccount.tenant_id)
            .execution_options(populate_existing=True)
        )
        return list((await self._session.scalars(stmt)).all())

    async def account_by_key(
        self, tenant_id: str, code: str, currency: str
    ) -> LedgerAccount | None:
        stmt = (
            select(LedgerAccount)
            .where(
                LedgerAccount.tenant_id == tenant_id,
                LedgerAccount.code == code,
                LedgerAccount.currency == currency,
            )
            .execution_options(populate_existing=True)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def lock_accounts(self, account_ids: list[str]) -> dict[str, LedgerAccount | None]:
        """``SELECT … FOR UPDATE`` each account, one statement per row in ascending id order.

        Every writer takes the locks in the same order, so two transfers touching the same pair of
        accounts queue instead of deadlocking. (SQLite has no row locks; its ``BEGIN IMMEDIATE``
        transactions already serialise writers.)
        """
        locked: dict[str, LedgerAccount | None] = {}
        for account_id in sorted(set(account_ids)):
            stmt = (
                select(LedgerAccount)
                .where(LedgerAccount.id == account_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            locked[account_id] = (await self._session.execute(stmt)).scalar_one_or_none()
        return locked

    async def transfer(self, transfer_id: str) -> LedgerTransfer | None:
        # Transfers are immutable, so a copy already in the identity map is current.
        return await self._session.get(LedgerTransfer, transfer_id)

    async def resolution_of(self, pending_id: str) -> LedgerTransfer | None:
        """The POST_PENDING / VOID_PENDING transfer that resolved ``pending_id``, if any."""
        stmt = select(LedgerTransfer).where(LedgerTransfer.pending_id == pending_id)
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def reversal_of(self, transfer_id: str) -> LedgerTransfer | None:
        """The transfer that reversed ``transfer_id``, if any."""
        stmt = select(LedgerTransfer).where(LedgerTransfer.reverses_id == transfer_id)
        return (await self._session.execute(stmt)).scalar_one_or_none()
