"""What every balances operation shares: parameter checks, whose money a call may touch,
idempotent operation records, and the consumption-quota state (rules.md §6.9).

Consumption quota. ``used = due + unbilled − amount − coupon`` (api-semantics.md §3.5): the cash
a partner holds offsets what it owes. A postpaid *purchase* that would take ``used`` (plus open
holds) over the quota is refused and changes nothing. *Usage* (pay-per-use that already ran)
is always recorded; when it takes ``used`` over the quota the partner is marked restricted
(``PartnerFunds.quota_restricted_at``): from then on no postpaid reseller-model customer billed
to it can buy (``charge_customer`` and ``ensure_purchase_allowed`` refuse with the restricted
code) until a top-up, a higher quota, a refund or a repayment brings ``used`` back within the
quota — every one of those re-evaluates the state, and ``recheck_consumption_quota`` does it on
demand. The state is kept here, not on customer rows, so lifting it never races a partner's own
restriction of a customer and never needs locks on every customer of the partner.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances import errors
from partner_center.domains.balances.chart import Books, Code, partner_side
from partner_center.domains.balances.models import (
    BalanceOperation,
    CounterpartyKind,
    CustomerFunds,
    OperationKind,
    PartnerFunds,
)
from partner_center.domains.balances.sources import PartnerDebt, Sources
from partner_center.domains.balances.views import ConsumptionQuotaView, MoneyMovement
from partner_center.domains.budgets.public import BudgetEngine
from partner_center.domains.customers.public import (
    AssociationStatus,
    CustomerRecord,
    CustomerRecords,
    PartnerActor,
)
from partner_center.domains.partners.public import PartnerService, PartnerType, PartnerView
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.money import MoneyError, decimal_places, to_decimal

ZERO = Decimal(0)
#: Largest single amount accepted (allocations, top-ups, quotas, charges), site currency.
MAX_AMOUNT = Decimal("9999999999.99")
_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def check_amount(
    value: object, field: str, *, places: int = 2, allow_zero: bool = False
) -> Decimal:
    """An exact amount: a Decimal or int (never a float), > 0 (or >= 0), at most ``places``
    decimals and at most ``MAX_AMOUNT``; ``CBC.0100`` naming ``field`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise invalid_parameter(field, "Must be a number.")
    try:
        amount = to_decimal(value)
    except MoneyError as exc:
        raise invalid_parameter(field, str(exc)) from exc
    if amount < 0 or (amount == 0 and not allow_zero):
        raise invalid_parameter(
            field, "Must not be negative." if allow_zero else "Must be greater than 0."
        )
    if decimal_places(amount) > places:
        raise invalid_parameter(field, f"At most {places} decimal places are allowed.")
    if amount > MAX_AMOUNT:
        raise invalid_parameter(field, f"Must not exceed {MAX_AMOUNT:f}.")
    return amount


def check_key(key: str | None) -> str | None:
    """An idempotency key: 1–64 of letters, digits and ``._:-``; ``None`` when absent."""
    if key is None:
        return None
    if not _KEY.match(key):
        raise invalid_parameter(
            "X-Idempotency-Key", "Use 1 to 64 letters, digits, '.', '_', ':' or '-'."
        )
    return key


def fingerprint(*parts: object) -> str:
    """SHA-256 of an operation's parameters (Decimals normalised, so 10 and 10.00 agree)."""
    text = "|".join(format(p.normalize(), "f") if isinstance(p, Decimal) else str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()


def display_name(customer: CustomerRecord) -> str:
    return customer.customer_name or customer.account_name


def balance_funded(funds: CustomerFunds | None, customer: CustomerRecord) -> bool:
    """Whether the customer's current association is paid from an allocated balance."""
    return (
        funds is not None
        and funds.funded_association_at is not None
        and customer.association_status == AssociationStatus.ASSOCIATED
        and funds.funded_association_at == customer.associated_on
    )


def left_association(customer: CustomerRecord, associated_on: datetime) -> bool:
    """The customer is no longer in the association that began at ``associated_on``."""
    return (
        customer.association_status != AssociationStatus.ASSOCIATED
        or customer.associated_on != associated_on
    )


class BalanceCore:
    """State and helpers shared by the operation groups of ``BalanceService``."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        zone: ZoneInfo,
        currency: str,
        partners: PartnerService,
        books: Books,
        sources: Sources,
        budgets: BudgetEngine,
        customer_records: CustomerRecords,
    ) -> None:
        self.session = session
        self.clock = clock
        self.zone = zone
        self.currency = currency
        self.partners = partners
        self.books = books
        self.sources = sources
        self.budgets = budgets
        self.customer_records = customer_records

    # -- whose money ------------------------------------------------------------------------

    async def _owner_for(self, actor: PartnerActor, indirect_partner_id: str | None) -> PartnerView:
        """The calling partner, or (a distributor passing ``indirect_partner_id``) its reseller;
        ``CBC.99000037`` for anyone else's reseller."""
        if not indirect_partner_id:
            return actor.partner
        if actor.partner.partner_type != PartnerType.DISTRIBUTOR:
            raise DomainError(
                errors.NOT_YOUR_RESELLER,
                "Only a distributor may act for a reseller (indirect partner).",
            )
        return await self.partners.reseller_of(
            distributor_id=actor.partner_id, reseller_id=indirect_partner_id
        )

    async def _customer(self, customer_id: str) -> CustomerRecord | None:
        return await self.customer_records.get(customer_id, fresh=True)

    async def _owned_customer(self, owner_id: str, customer_id: str) -> CustomerRecord:
        """An associated customer owned by ``owner_id``; ``CBC.99000035`` otherwise (so a
        distributor addresses its reseller's customers only with ``indirect_partner_id``)."""
        row = await self._customer(customer_id)
        if (
            row is None
            or row.association_status != AssociationStatus.ASSOCIATED
            or row.tenant_id != owner_id
        ):
            raise errors.not_your_customer()
        return row

    @staticmethod
    def _billed_partner(customer: CustomerRecord) -> str:
        """Whose bill carries the customer's spend: the distributor above a reseller."""
        return customer.distributor_id or customer.tenant_id

    # -- idempotent operations ----------------------------------------------------------------

    @staticmethod
    def _operation_id(tenant_id: str, kind: OperationKind, key: str | None) -> str:
        """A fresh id, or one derived from the caller's idempotency key (scoped to the caller
        and the kind of operation)."""
        if key is None:
            return new_id()
        return hashlib.sha256(f"{tenant_id}|{kind.value}|{key}".encode()).hexdigest()[:32]

    async def _replay(
        self, operation_id: str, request_hash: str, key: str | None
    ) -> MoneyMovement | None:
        """The earlier operation with this id (same request: replayed), or None; a different
        request under the same key is refused."""
        row = await self.session.get(BalanceOperation, operation_id, populate_existing=True)
        if row is None:
            return None
        if row.request_hash != request_hash:
            raise errors.duplicate_transaction(key or operation_id)
        return self._movement(row, replayed=True)

    @staticmethod
    def _movement(row: BalanceOperation, *, replayed: bool = False) -> MoneyMovement:
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

    async def _record_operation(
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
            raise errors.duplicate_transaction(key or operation_id) from None
        return row

    # -- consumption quota ----------------------------------------------------------------

    async def _debt(self, partner_id: str) -> PartnerDebt:
        if self.sources.debt is not None:
            return await self.sources.debt.partner_debt(
                self.session, partner_id=partner_id, currency=self.currency, as_of=self.clock.now()
            )
        return PartnerDebt(
            due_amount=ZERO, unbilled_amount=await self.books.owed(partner_id), coupon_amount=ZERO
        )

    async def _quota_view(
        self, partner_id: str, funds: PartnerFunds | None
    ) -> ConsumptionQuotaView:
        debt = await self._debt(partner_id)
        amount = await self.books.partner_cash_total(partner_id)
        used = debt.due_amount + debt.unbilled_amount - amount - debt.coupon_amount
        return ConsumptionQuotaView(
            consumption_quota=funds.consumption_quota if funds else ZERO,
            amount=amount,
            coupon_amount=debt.coupon_amount,
            due_amount=debt.due_amount,
            unbilled_amount=debt.unbilled_amount,
            used_consumption_quota=used,
            currency=self.currency,
            restricted=bool(funds and funds.quota_restricted_at is not None),
        )

    async def _settle_quota_state(self, funds: PartnerFunds) -> ConsumptionQuotaView:
        """Mark the partner restricted when its used quota is over the quota, lift the mark
        when it is back within. ``funds`` must be locked by this transaction."""
        view = await self._quota_view(funds.partner_id, funds)
        exceeded = view.used_consumption_quota > view.consumption_quota
        if exceeded and funds.quota_restricted_at is None:
            funds.quota_restricted_at = self.clock.now()
        elif not exceeded and funds.quota_restricted_at is not None:
            funds.quota_restricted_at = None
        else:
            return view
        funds.updated_at = self.clock.now()
        await self.session.flush()
        return await self._quota_view(funds.partner_id, funds)

    async def _free_cash(self, partner_id: str) -> Decimal:
        return await self.books.free_balance(partner_side(partner_id, Code.PARTNER_CASH))
