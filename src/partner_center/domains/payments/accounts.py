"""``TopUpAccounts``: the standard top-up account the operator publishes (rules.md §6.13). A
partner reads the current one (also printed on its invoices) and transfers money to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.payments.errors import no_top_up_account
from partner_center.domains.payments.models import TopUpAccount
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.ids import new_id


@dataclass(frozen=True, slots=True)
class TopUpAccountView:
    id: str
    bank_name: str
    account_name: str
    account_number: str
    swift_code: str | None
    bank_address: str | None
    currency: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NewTopUpAccount:
    bank_name: str
    account_name: str
    account_number: str
    swift_code: str | None = None
    bank_address: str | None = None


def _view(row: TopUpAccount) -> TopUpAccountView:
    return TopUpAccountView(
        id=row.id,
        bank_name=row.bank_name,
        account_name=row.account_name,
        account_number=row.account_number,
        swift_code=row.swift_code,
        bank_address=row.bank_address,
        currency=row.currency,
        updated_at=row.created_at,
    )


def _field(value: str | None, name: str, max_length: int) -> str | None:
    text = (value or "").strip()
    if len(text) > max_length:
        raise invalid_parameter(name, f"At most {max_length} characters.")
    return text or None


def _required(value: str, name: str, max_length: int) -> str:
    text = _field(value, name, max_length)
    if text is None:
        raise invalid_parameter(name, "Required.")
    return text


class TopUpAccounts:
    def __init__(self, session: AsyncSession, *, clock: Clock, currency: str) -> None:
        self.session = session
        self.clock = clock
        self.currency = currency

    async def latest(self) -> TopUpAccountView | None:
        """The current account, or None before the operator publishes one."""
        row = await self.session.scalar(
            select(TopUpAccount).order_by(TopUpAccount.created_at.desc(), TopUpAccount.id.desc())
        )
        return None if row is None else _view(row)

    async def current(self) -> TopUpAccountView:
        """The current account (``CBC.99000047`` before one is published)."""
        found = await self.latest()
        if found is None:
            raise no_top_up_account()
        return found

    async def publish(self, new: NewTopUpAccount, *, actor_id: str) -> TopUpAccountView:
        """Publish a new standard top-up account; the old ones stay on earlier invoices."""
        row = TopUpAccount(
            id=new_id(),
            bank_name=_required(new.bank_name, "bank_name", 200),
            account_name=_required(new.account_name, "account_name", 200),
            account_number=_required(new.account_number, "account_number", 64),
            swift_code=_field(new.swift_code, "swift_code", 16),
            bank_address=_field(new.bank_address, "bank_address", 300),
            currency=self.currency,
            set_by=actor_id,
            created_at=self.clock.now(),
        )
        self.session.add(row)
        await self.session.flush()
        return _view(row)
