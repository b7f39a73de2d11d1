"""The ledger service: open accounts, move money between them, hold and release it.

Rules (TigerBeetle's, adapted):

* Transfers are immutable and carry a client-chosen id. Submitting the same id again with the same
  fields returns the first transfer and posts nothing; with different fields it is refused.
* A guarded account cannot let its guarded side outgrow the other side by more than its limit,
  counting pending holds. A transfer that would break this is refused and nothing is written.
* A PENDING transfer holds the amount; POST_PENDING posts all or part of it and releases the rest;
  VOID_PENDING releases all of it. A hold is resolved exactly once.
* A correction is a new POSTED transfer in the opposite direction (``reverse``); it obeys the same
  guards as any other transfer, so spent money cannot be "un-received" into a negative balance.

The service flushes but never commits: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Subquery, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.ledger.errors import LedgerErrorCode, invalid, ledger_error
from partner_center.domains.ledger.models import Guard, LedgerAccount, LedgerTransfer, TransferKind
from partner_center.domains.ledger.repository import LedgerRepository
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_id
from partner_center.kernel.metrics import LEDGER_POSTINGS
from partner_center.kernel.money import (
    MAX_STORABLE,
    STORAGE_SCALE,
    MoneyError,
    decimal_places,
    to_decimal,
)

ZERO = Decimal(0)
REVERSAL_CODE = "reversal"

# ---------------------------------------------------------------------------------------------
# Views returned to callers (plain values, never ORM rows)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerAccountView:
    id: str
    tenant_id: str
    code: str
    currency: str
    guard: Guard
    limit: Decimal
    """Overdraft/credit limit in ``currency`` (>= 0)."""
    created_at: datetime
    """Business time the account was opened (aware UTC)."""


@dataclass(frozen=True, slots=True)
class TransferView:
    id: str
    tenant_id: str
    debit_account_id: str
    credit_account_id: str
    amount: Decimal
    """Amount in ``currency`` (> 0, at most 8 decimals)."""
    currency: str
    kind: TransferKind
    pending_id: str | None
    reverses_id: str | None
    code: str
    memo: str | None
    created_at: datetime
    """Business time the transfer was recorded (aware UTC)."""


@dataclass(frozen=True, slots=True)
class BalanceView:
    """The four totals of an account and what they mean. All amounts in ``currency``."""

    account_id: str
    currency: str
    guard: Guard
    limit: Decimal
    debits_posted: Decimal
    credits_posted: Decimal
    debits_pending: Decimal
    credits_pending: Decimal

    @property
    def credit_balance(self) -> Decimal:
        """Posted credits minus posted debits (money *in* a balance-type account)."""
        return self.credits_posted - self.debits_posted

    @property
    def debit_balance(self) -> Decimal:
        """Posted debits minus posted credits (use of a quota-type account)."""
        return self.debits_posted - self.credits_posted

    @property
    def available(self) -> Decimal | None:
        """How much more the guarded side can still take, after holds and including the limit.

        ``None`` for an unguarded account (no bound). Never negative while the guard holds.
        """
        return available_amount(
            Guard(self.guard),
            self.limit,
            debits_posted=self.debits_posted,
            credits_posted=self.credits_posted,
            debits_pending=self.debits_pending,
            credits_pending=self.credits_pending,
        )


def available_amount(
    guard: Guard,
    limit: Decimal,
    *,
    debits_posted: Decimal,
    credits_posted: Decimal,
    debits_pending: Decimal,
    credits_pending: Decimal,
) -> Decimal | None:
    """Headroom left on the guarded side; negative means the guard is broken, ``None`` unbounded.

    * DEBITS_MUST_NOT_EXCEED_CREDITS: ``credits_posted + limit - debits_posted - debits_pending``
    * CREDITS_MUST_NOT_EXCEED_DEBITS: ``debits_posted + limit - credits_posted - credits_pending``

    Pending holds count against the guarded side; pending amounts on the other side do not count
    in its favour until posted.
    """
    if guard is Guard.DEBITS_MUST_NOT_EXCEED_CREDITS:
        return credits_posted + limit - debits_posted - debits_pending
    if guard is Guard.CREDITS_MUST_NOT_EXCEED_DEBITS:
        return debits_posted + limit - credits_posted - credits_pending
    return None


# ---------------------------------------------------------------------------------------------
# Internal values
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Delta:
    """A change to the four totals of one account."""

    debits_posted: Decimal = ZERO
    credits_posted: Decimal = ZERO
    debits_pending: Decimal = ZERO
    credits_pending: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class _Intent:
    """Every field of the transfer a call wants to record; compared on idempotent retries."""

    id: str
    tenant_id: str
    debit_account_id: str
    credit_account_id: str
    amount: Decimal
    currency: str
    kind: TransferKind
    pending_id: str | None
    reverses_id: str | None
    code: str
    memo: str | None


def _intent_differences(row: LedgerTransfer, intent: _Intent) -> list[str]:
    differing = []
    for field in fields(_Intent):
        stored: Any = getattr(row, field.name)
        wanted: Any = getattr(intent, field.name)
        if field.name == "kind":
            stored = TransferKind(stored)
        if stored != wanted:
            differing.append(field.name)
    return differing


def _transfer_view(row: LedgerTransfer) -> TransferView:
    return TransferView(
        id=row.id,
        tenant_id=row.tenant_id,
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount=row.amount,
        currency=row.currency,
        kind=TransferKind(row.kind),
        pending_id=row.pending_id,
        reverses_id=row.reverses_id,
        code=row.code,
        memo=row.memo,
        created_at=row.created_at,
    )


def _account_view(row: LedgerAccount) -> LedgerAccountView:
    return LedgerAccountView(
        id=row.id,
        tenant_id=row.tenant_id,
        code=row.code,
        currency=row.currency,
        guard=Guard(row.guard),
        limit=row.limit,
        created_at=row.created_at,
    )


def _balance_view(row: LedgerAccount) -> BalanceView:
    return BalanceView(
        account_id=row.id,
        currency=row.currency,
        guard=Guard(row.guard),
        limit=row.limit,
        debits_posted=row.debits_posted,
        credits_posted=row.credits_posted,
        debits_pending=row.debits_pending,
        credits_pending=row.credits_pending,
    )


# ---------------------------------------------------------------------------------------------
# Parameter checks (CBC.0100)
# ---------------------------------------------------------------------------------------------


def _money(value: object, field: str, *, positive: bool) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise invalid(field, f"Must be a Decimal, got {type(value).__name__}.")
    try:
        amount = to_decimal(value)
    except MoneyError as exc:
        raise invalid(field, str(exc)) from exc
    if positive and amount <= 0:
        raise invalid(field, "Must be greater than 0.")
    if not positive and amount < 0:
        raise invalid(field, "Must not be negative.")
    if decimal_places(amount) > STORAGE_SCALE:
        raise invalid(field, f"At most {STORAGE_SCALE} decimal places are allowed.")
    if amount > MAX_STORABLE:
        raise invalid(field, f"Must not exceed {MAX_STORABLE:f}.")
    return amount


def _text(value: object, field: str, max_length: int) -> str:
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise invalid(field, f"Must be a non-empty string of at most {max_length} characters.")
    return value


def _memo(value: object) -> str | None:
    if value is None:
        return None
    return _text(value, "memo", 256)


def _currency(value: object) -> str:
    if not (isinstance(value, str) and len(value) == 3 and value.isalpha() and value.isupper()):
        raise invalid("currency", "Must be an upper-case ISO-4217 code such as USD.")
    return value


def _guard(value: object) -> Guard:
    choices = ", ".join(g.value for g in Guard)
    if not isinstance(value, str):
        raise invalid("guard", f"Must be one of {choices}.")
    try:
        return Guard(value)
    except ValueError as exc:
        raise invalid("guard", f"Must be one of {choices}.") from exc


def _checked_limit(guard: Guard, value: object) -> Decimal:
    limit = _money(value, "limit", positive=False)
    if guard is Guard.NONE and limit != 0:
        raise invalid("limit", "Only a guarded account can have a limit.")
    return limit


# ---------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------


class LedgerService:
    """Double-entry bookkeeping over ``ledger_accounts`` and ``ledger_transfers``."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session = session
        self._clock = clock
        self._repo = LedgerRepository(session)

    # -- accounts ---------------------------------------------------------------------------

    async def open_account(
        self,
        *,
        tenant_id: str,
        code: str,
        currency: str,
        guard: Guard,
        limit: Decimal = ZERO,
    ) -> LedgerAccountView:
        """Open the account ``(tenant_id, code, currency)``, or return it if it already exists.

        Opening again with the same guard and limit returns the existing account; a different
        guard or limit is refused (change the limit with ``set_limit``).

        Raises:
            DomainError: ``CBC.0100`` for invalid parameters or a conflicting existing account.
        """
        tenant_id = _text(tenant_id, "tenant_id", 32)
        code = _text(code, "code", 64)
        currency = _currency(currency)
        guard = _guard(guard)
        limit = _checked_limit(guard, limit)

        existing = await self._repo.account_by_key(tenant_id, code, currency)
        if existing is None:
            row = LedgerAccount(
                id=new_id(),
                tenant_id=tenant_id,
                code=code,
                currency=currency,
                guard=guard.value,
                limit=limit,
                debits_posted=ZERO,
                credits_posted=ZERO,
                debits_pending=ZERO,
                credits_pending=ZERO,
                created_at=self._clock.now(),
            )
            try:
                async with self._session.begin_nested():
                    self._session.add(row)
                    await self._session.flush()
            except IntegrityError:
                # Someone opened it concurrently; theirs wins and is compared below.
                existing = await self._repo.account_by_key(tenant_id, code, currency)
                if existing is None:
                    raise
            else:
                return _account_view(row)

        if Guard(existing.guard) is not guard or existing.limit != limit:
            raise ledger_error(
                LedgerErrorCode.ACCOUNT_CONFLICT,
                f"Ledger account {code} ({currency}) of {tenant_id} already exists with guard "
                f"{existing.guard} and limit {existing.limit:f}.",
                account_id=existing.id,
            )
        return _account_view(existing)

    async def get_account(self, account_id: str) -> LedgerAccountView:
        """The account with this id.

        Raises:
            DomainError: ``CBC.99000047`` if there is no such account.
        """
        return _account_view(await self._account(account_id))

    async def find_account(
        self, tenant_id: str, code: str, currency: str
    ) -> LedgerAccountView | None:
        """The account ``(tenant_id, code, currency)``, or ``None``."""
        row = await self._repo.account_by_key(tenant_id, code, currency)
        return None if row is None else _account_view(row)

    async def debit_balances(self, code: str, currency: str) -> dict[str, Decimal]:
        """Tenant → posted debit balance of every ``code`` account that has one (> 0)."""
        return {
            row.tenant_id: _balance_view(row).debit_balance
            for row in await self._repo.owing(code, currency)
        }

    async def balance(self, account_id: str) -> BalanceView:
        """The account's current totals (including changes flushed in this transaction).

        Raises:
            DomainError: ``CBC.99000047`` if there is no such account.
        """
        return _balance_view(await self._account(account_id))

    @staticmethod
    def posted_net_debits() -> Subquery:
        """Every account's posted debits less its posted credits, for set-based reads of other
        domains (a budget's use is its period account's): a subquery of ``account_id`` and
        ``net`` (10⁻⁸ units, BIGINT; wrap sums in ``MoneyAmount`` to read Decimals)."""
        return select(
            LedgerAccount.id.label("account_id"),
            (
                type_coerce(LedgerAccount.debits_posted, BigInteger)
                - type_coerce(LedgerAccount.credits_posted, BigInteger)
            ).label("net"),
        ).subquery("posted_net_debits")

    async def balances(self, account_ids: Iterable[str]) -> dict[str, BalanceView]:
        """The current totals of many accounts in one statement, by id (unknown ids are left
        out)."""
        ids = sorted(set(account_ids))
        if not ids:
            return {}
        return {row.id: _balance_view(row) for row in await self._repo.accounts(ids)}

    async def set_limit(
        self, *, account_id: str, limit: Decimal, clamp_to_usage: bool = False
    ) -> BalanceView:
        """Change a guarded account's overdraft/credit limit. Not a balance change: no transfer.

        Args:
            clamp_to_usage: when the account already uses more than ``limit`` would allow
                (holds included), set the lowest limit that keeps its guard intact instead of
                refusing. The account then has no headroom left: nothing more can be drawn,
                but everything already drawn or held stays valid. Quotas and budgets that are
                lowered below what was spent use this.

        Raises:
            DomainError: ``CBC.0100`` if the limit is invalid, the account is unguarded, or
                (without ``clamp_to_usage``) the account already uses more than the new limit
                would allow.
        """
        row = (await self._lock([account_id]))[account_id]
        guard = Guard(row.guard)
        new_limit = _checked_limit(guard, limit)
        headroom = available_amount(
            guard,
            new_limit,
            debits_posted=row.debits_posted,
            credits_posted=row.credits_posted,
            debits_pending=row.debits_pending,
            credits_pending=row.credits_pending,
        )
        if headroom is not None and headroom < 0 and clamp_to_usage:
            new_limit = _checked_limit(guard, new_limit - headroom)
        elif headroom is not None and headroom < 0:
            minimum = new_limit - headroom
            raise ledger_error(
                LedgerErrorCode.LIMIT_BELOW_USAGE,
                f"Invalid parameter: limit. The account already uses {minimum:f} {row.currency} "
                f"beyond its balance (including holds); the limit cannot be lower than that.",
                field="limit",
                account_id=row.id,
                minimum_limit=f"{minimum:f}",
            )
        row.limit = new_limit
        await self._session.flush()
        return _balance_view(row)

    # -- transfers --------------------------------------------------------------------------

    async def get_transfer(self, transfer_id: str) -> TransferView | None:
        """The transfer with this id, or ``None``."""
        row = await self._repo.transfer(transfer_id)
        return None if row is None else _transfer_view(row)

    async def transfer(
        self,
        *,
        transfer_id: str,
        debit_account_id: str,
        credit_account_id: str,
        amount: Decimal,
        currency: str,
        code: str,
        memo: str | None = None,
        pending: bool = False,
        tenant_id: str,
    ) -> TransferView:
        """Move ``amount`` from the debit account to the credit account (or hold it if ``pending``).

        Args:
            transfer_id: the caller's idempotency id; a retry with identical fields returns the
                first transfer and posts nothing.
            tenant_id: the account that caused the transfer.

        Raises:
            DomainError: ``CBC.0100`` invalid amount/currency/accounts, ``CBC.99000047`` unknown
                account, ``CBC.99005003`` a guard would be broken, ``CBC.99007009`` the id was
                already used for a different transfer.
        """
        intent = _Intent(
            id=_text(transfer_id, "transfer_id", 128),
            tenant_id=_text(tenant_id, "tenant_id", 32),
            debit_account_id=_text(debit_account_id, "debit_account_id", 32),
            credit_account_id=_text(credit_account_id, "credit_account_id", 32),
            amount=_money(amount, "amount", positive=True),
            currency=_currency(currency),
            kind=TransferKind.PENDING if pending else TransferKind.POSTED,
            pending_id=None,
            reverses_id=None,
            code=_text(code, "code", 64),
            memo=_memo(memo),
        )
        if intent.debit_account_id == intent.credit_account_id:
            raise ledger_error(
                LedgerErrorCode.SAME_ACCOUNT,
                "Invalid parameter: credit_account_id. Debit and credit accounts must differ.",
                field="credit_account_id",
            )
        replay = await self._replay(intent)
        if replay is not None:
            return replay
        accounts = await self._lock([intent.debit_account_id, intent.credit_account_id])
        replay = await self._replay(intent)
        if replay is not None:
            return replay
        for account in accounts.values():
            if account.currency != intent.currency:
                raise ledger_error(
                    LedgerErrorCode.CURRENCY_MISMATCH,
                    f"Invalid parameter: currency. Account {account.id} is in "
                    f"{account.currency}, the transfer in {intent.currency}.",
                    field="currency",
                    account_id=account.id,
                )
        if pending:
            debit = _Delta(debits_pending=intent.amount)
            credit = _Delta(credits_pending=intent.amount)
        else:
            debit = _Delta(debits_posted=intent.amount)
            credit = _Delta(credits_posted=intent.amount)
        return await self._record(
            intent,
            accounts[intent.debit_account_id],
            debit,
            accounts[intent.credit_account_id],
            credit,
        )

    async def post_pending(
        self,
        *,
        transfer_id: str,
        pending_id: str,
        amount: Decimal | None = None,
        code: str | None = None,
        memo: str | None = None,
        tenant_id: str | None = None,
    ) -> TransferView:
        """Post all (``amount=None``) or part of a pending transfer; the rest of the hold is freed.

        ``code`` and ``tenant_id`` default to the pending transfer's.

        Raises:
            DomainError: ``CBC.0100`` unknown or not-pending transfer, already resolved, or an
                amount above the held amount; ``CBC.99007009`` id reused for something else.
        """
        return await self._resolve(
            TransferKind.POST_PENDING,
            transfer_id=transfer_id,
            pending_id=pending_id,
            amount=amount,
            code=code,
            memo=memo,
            tenant_id=tenant_id,
        )

    async def void_pending(
        self,
        *,
        transfer_id: str,
        pending_id: str,
        code: str | None = None,
        memo: str | None = None,
        tenant_id: str | None = None,
    ) -> TransferView:
        """Release a pending transfer's whole hold; nothing is posted.

        The VOID_PENDING transfer records the released amount. ``code`` and ``tenant_id``
        default to the pending transfer's.

        Raises:
            DomainError: ``CBC.0100`` unknown or not-pending transfer, or already resolved;
                ``CBC.99007009`` id reused for something else.
        """
        return await self._resolve(
            TransferKind.VOID_PENDING,
            transfer_id=transfer_id,
            pending_id=pending_id,
            amount=None,
            code=code,
            memo=memo,
            tenant_id=tenant_id,
        )

    async def reverse(
        self,
        *,
        transfer_id: str,
        original_id: str,
        memo: str | None = None,
        code: str = REVERSAL_CODE,
        tenant_id: str | None = None,
    ) -> TransferView:
        """Correct a posted transfer with a new POSTED transfer of the same amount the other way.

        The original stays untouched; a transfer can be reversed once. The reversal obeys the
        guards, so it is refused if the money has been spent since. ``tenant_id`` defaults to the
        original's.

        Raises:
            DomainError: ``CBC.0100`` unknown, pending/void or already reversed transfer;
                ``CBC.99005003`` a guard would be broken; ``CBC.99007009`` id reused.
        """
        transfer_id = _text(transfer_id, "transfer_id", 128)
        original_id = _text(original_id, "original_id", 128)
        memo = _memo(memo)
        code = _text(code, "code", 64)
        if tenant_id is not None:
            tenant_id = _text(tenant_id, "tenant_id", 32)

        existing = await self._repo.transfer(transfer_id)
        original = await self._repo.transfer(original_id)
        if original is None:
            if existing is not None:
                raise self._duplicate(existing, ["reverses_id"])
            raise ledger_error(
                LedgerErrorCode.TRANSFER_NOT_FOUND,
                f"Invalid parameter: original_id. Transfer {original_id} does not exist.",
                field="original_id",
            )
        intent = _Intent(
            id=transfer_id,
            tenant_id=tenant_id or original.tenant_id,
            debit_account_id=original.credit_account_id,
            credit_account_id=original.debit_account_id,
            amount=original.amount,
            currency=original.currency,
            kind=TransferKind.POSTED,
            pending_id=None,
            reverses_id=original.id,
            code=code,
            memo=memo,
        )
        if existing is not None:
            return self._compare(existing, intent)
        if original.kind not in (TransferKind.POSTED, TransferKind.POST_PENDING):
            raise ledger_error(
                LedgerErrorCode.NOT_REVERSIBLE,
                f"Invalid parameter: original_id. Transfer {original.id} is {original.kind}; "
                "only posted transfers can be reversed (void a pending one instead).",
                field="original_id",
            )
        accounts = await self._lock([intent.debit_account_id, intent.credit_account_id])
        replay = await self._replay(intent)
        if replay is not None:
            return replay
        reversal = await self._repo.reversal_of(original.id)
        if reversal is not None:
            raise self._already_reversed(original.id, reversal.id)
        return await self._record(
            intent,
            accounts[intent.debit_account_id],
            _Delta(debits_posted=intent.amount),
            accounts[intent.credit_account_id],
            _Delta(credits_posted=intent.amount),
        )

    # -- internals --------------------------------------------------------------------------

    async def _resolve(
        self,
        kind: TransferKind,
        *,
        transfer_id: str,
        pending_id: str,
        amount: Decimal | None,
        code: str | None,
        memo: str | None,
        tenant_id: str | None,
    ) -> TransferView:
        transfer_id = _text(transfer_id, "transfer_id", 128)
        pending_id = _text(pending_id, "pending_id", 128)
        wanted = None if amount is None else _money(amount, "amount", positive=True)
        if code is not None:
            code = _text(code, "code", 64)
        memo = _memo(memo)
        if tenant_id is not None:
            tenant_id = _text(tenant_id, "tenant_id", 32)

        existing = await self._repo.transfer(transfer_id)
        held = await self._repo.transfer(pending_id)
        if held is None:
            if existing is not None:
                raise self._duplicate(existing, ["pending_id"])
            raise ledger_error(
                LedgerErrorCode.TRANSFER_NOT_FOUND,
                f"Invalid parameter: pending_id. Transfer {pending_id} does not exist.",
                field="pending_id",
            )
        intent = _Intent(
            id=transfer_id,
            tenant_id=tenant_id or held.tenant_id,
            debit_account_id=held.debit_account_id,
            credit_account_id=held.credit_account_id,
            amount=held.amount if wanted is None else wanted,
            currency=held.currency,
            kind=kind,
            pending_id=held.id,
            reverses_id=None,
            code=code or held.code,
            memo=memo,
        )
        if existing is not None:
            return self._compare(existing, intent)
        if held.kind != TransferKind.PENDING:
            raise ledger_error(
                LedgerErrorCode.NOT_PENDING,
                f"Invalid parameter: pending_id. Transfer {held.id} is {held.kind}, not PENDING.",
                field="pending_id",
            )
        if intent.amount > held.amount:
            raise ledger_error(
                LedgerErrorCode.POST_EXCEEDS_PENDING,
                f"Invalid parameter: amount. {intent.amount:f} exceeds the pending amount "
                f"{held.amount:f} of transfer {held.id}.",
                field="amount",
            )
        accounts = await self._lock([intent.debit_account_id, intent.credit_account_id])
        replay = await self._replay(intent)
        if replay is not None:
            return replay
        resolution = await self._repo.resolution_of(held.id)
        if resolution is not None:
            raise self._already_resolved(held.id, resolution)
        posted = intent.amount if kind is TransferKind.POST_PENDING else ZERO
        return await self._record(
            intent,
            accounts[intent.debit_account_id],
            _Delta(debits_posted=posted, debits_pending=-held.amount),
            accounts[intent.credit_account_id],
            _Delta(credits_posted=posted, credits_pending=-held.amount),
        )

    async def _account(self, account_id: str) -> LedgerAccount:
        row = await self._repo.account(account_id)
        if row is None:
            raise self._no_account(account_id)
        return row

    async def _lock(self, account_ids: list[str]) -> dict[str, LedgerAccount]:
        locked = await self._repo.lock_accounts(account_ids)
        found: dict[str, LedgerAccount] = {}
        for account_id in account_ids:
            row = locked[account_id]
            if row is None:
                raise self._no_account(account_id)
            found[account_id] = row
        return found

    async def _replay(self, intent: _Intent) -> TransferView | None:
        """The stored transfer if ``intent.id`` was already recorded with the same fields."""
        existing = await self._repo.transfer(intent.id)
        return None if existing is None else self._compare(existing, intent)

    def _compare(self, existing: LedgerTransfer, intent: _Intent) -> TransferView:
        differing = _intent_differences(existing, intent)
        if differing:
            raise self._duplicate(existing, differing)
        return _transfer_view(existing)

    async def _record(
        self,
        intent: _Intent,
        debit_account: LedgerAccount,
        debit: _Delta,
        credit_account: LedgerAccount,
        credit: _Delta,
    ) -> TransferView:
        """Check the guards, insert the transfer and update both accounts' cached totals.

        The accounts must already be locked. Nothing is written if any check fails.
        """
        for account, delta in ((debit_account, debit), (credit_account, credit)):
            self._check_guard(account, delta)
        row = LedgerTransfer(
            id=intent.id,
            tenant_id=intent.tenant_id,
            debit_account_id=intent.debit_account_id,
            credit_account_id=intent.credit_account_id,
            amount=intent.amount,
            currency=intent.currency,
            kind=intent.kind.value,
            pending_id=intent.pending_id,
            reverses_id=intent.reverses_id,
            code=intent.code,
            memo=intent.memo,
            created_at=self._clock.now(),
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
                await self._session.flush()
            LEDGER_POSTINGS.labels(intent.kind.value).inc()
        except IntegrityError:
            # A concurrent writer recorded this id (or resolved/reversed the same transfer)
            # between our checks and our insert; the database's unique keys decided.
            replay = await self._replay(intent)
            if replay is not None:
                return replay
            if intent.pending_id is not None:
                resolution = await self._repo.resolution_of(intent.pending_id)
                if resolution is not None:
                    raise self._already_resolved(intent.pending_id, resolution) from None
            if intent.reverses_id is not None:
                reversal = await self._repo.reversal_of(intent.reverses_id)
                if reversal is not None:
                    raise self._already_reversed(intent.reverses_id, reversal.id) from None
            raise
        for account, delta in ((debit_account, debit), (credit_account, credit)):
            account.debits_posted += delta.debits_posted
            account.credits_posted += delta.credits_posted
            account.debits_pending += delta.debits_pending
            account.credits_pending += delta.credits_pending
        await self._session.flush()
        return _transfer_view(row)

    @staticmethod
    def _check_guard(account: LedgerAccount, delta: _Delta) -> None:
        """Refuse a change that shrinks a guarded account's headroom below zero.

        Only a change that *reduces* the headroom is checked, so money can always flow into an
        account, and resolving a hold is never refused.
        """
        new_totals = {
            "debits_posted": account.debits_posted + delta.debits_posted,
            "credits_posted": account.credits_posted + delta.credits_posted,
            "debits_pending": account.debits_pending + delta.debits_pending,
            "credits_pending": account.credits_pending + delta.credits_pending,
        }
        for name, total in new_totals.items():
            if total > MAX_STORABLE:
                raise invalid("amount", f"The account's {name} would exceed {MAX_STORABLE:f}.")
        guard = Guard(account.guard)
        before = available_amount(
            guard,
            account.limit,
            debits_posted=account.debits_posted,
            credits_posted=account.credits_posted,
            debits_pending=account.debits_pending,
            credits_pending=account.credits_pending,
        )
        after = available_amount(guard, account.limit, **new_totals)
        if before is None or after is None or after >= 0 or after >= before:
            return
        raise ledger_error(
            LedgerErrorCode.INSUFFICIENT_BALANCE,
            f"Insufficient balance on ledger account {account.code} ({account.currency}): "
            f"{max(before, ZERO):f} available, {before - after:f} requested.",
            account_id=account.id,
            available=f"{max(before, ZERO):f}",
            requested=f"{before - after:f}",
        )

    @staticmethod
    def _no_account(account_id: str) -> DomainError:
        return ledger_error(
            LedgerErrorCode.ACCOUNT_NOT_FOUND,
            f"Ledger account {account_id} does not exist.",
            account_id=account_id,
        )

    @staticmethod
    def _duplicate(existing: LedgerTransfer, differing: list[str]) -> DomainError:
        return ledger_error(
            LedgerErrorCode.DUPLICATE_TRANSFER_ID,
            f"duplicate transaction id {existing.id}: it was already used for a different "
            f"transfer (differs in {', '.join(differing)}).",
            transfer_id=existing.id,
            differing_fields=differing,
        )

    @staticmethod
    def _already_resolved(pending_id: str, resolution: LedgerTransfer) -> DomainError:
        return ledger_error(
            LedgerErrorCode.PENDING_ALREADY_RESOLVED,
            f"Invalid parameter: pending_id. Pending transfer {pending_id} was already resolved "
            f"by {resolution.kind} transfer {resolution.id}.",
            field="pending_id",
            resolved_by=resolution.id,
        )

    @staticmethod
    def _already_reversed(original_id: str, reversal_id: str) -> DomainError:
        return ledger_error(
            LedgerErrorCode.ALREADY_REVERSED,
            f"Invalid parameter: original_id. Transfer {original_id} was already reversed by "
            f"{reversal_id}.",
            field="original_id",
            reversed_by=reversal_id,
        )
