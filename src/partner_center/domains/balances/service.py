"""``BalanceService``: partner and customer money as partners and the operator manage it
(issue "Transactions", part 7) — top-ups and the credit line (operator), allocations and
reclaims between partners, resellers and customers (api-semantics.md §3.4–3.5, rules.md
§1.17, §6.9), and reading balances, statements (account change records), allocation records,
the consumption quota and a customer's expenditure quota, each scoped to the caller. The
mechanics it shares with the system (ledger moves, statement lines, the consumption-quota
state) are the ``BalanceEngine``'s.

The service flushes but never commits: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Select, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from partner_center.domains.balances import errors, trades
from partner_center.domains.balances.chart import (
    Books,
    Code,
    EntryLine,
    customer_side,
    funding_side,
    partner_side,
)
from partner_center.domains.balances.core import (
    ZERO,
    balance_funded,
    check_amount,
    display_name,
)
from partner_center.domains.balances.engine import BalanceEngine
from partner_center.domains.balances.models import (
    BalanceEntry,
    BalanceOperation,
    CounterpartyKind,
    CustomerFunds,
    Direction,
    OperationKind,
    PartnerFunds,
    Statement,
)
from partner_center.domains.balances.operations import OperationLog
from partner_center.domains.balances.sources import Sources
from partner_center.domains.balances.trades import ADJUST_DETAIL_OF
from partner_center.domains.balances.views import (
    AccountBalance,
    AdjustRecord,
    AdjustRecordQuery,
    ConsumptionQuotaView,
    CustomerAccountView,
    CustomerBalanceSummary,
    ExpenditureQuotaView,
    MoneyMovement,
    StatementLine,
    StatementMismatch,
    StatementQuery,
)
from partner_center.domains.budgets.public import BudgetEngine
from partner_center.domains.customers.public import (
    AssociationStatus,
    AssociationType,
    CustomerRecord,
    CustomerRecords,
    PartnerActor,
)
from partner_center.domains.identity.public import Permission
from partner_center.domains.partners.public import PartnerService, PartnerType, PartnerView
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter
from partner_center.kernel.idempotency import check_key, fingerprint
from partner_center.kernel.money import CENT
from partner_center.kernel.pagination import Page, paginate

#: Largest single online payment (rules.md §6.12), applied on a USD site.
ONLINE_PAYMENT_LIMIT_USD = Decimal(40000)


class TopUpChannel(enum.StrEnum):
    """How money reached the operator (rules.md §6.11–6.13)."""

    BANK_TRANSFER = "BANK_TRANSFER"
    ONLINE_PAYMENT = "ONLINE_PAYMENT"

    @property
    def payment_channel_id(self) -> str:
        if self is TopUpChannel.BANK_TRANSFER:
            return trades.CHANNEL_BANK_TRANSFER
        return trades.CHANNEL_ONLINE


#: At most this many customers per list_customers_balances_detail call.
MAX_BALANCE_QUERY = 100
_ADJUST_KINDS = (OperationKind.ALLOCATE, OperationKind.RECLAIM, OperationKind.UNBIND_RETURN)


def _line(row: BalanceEntry) -> StatementLine:
    return StatementLine(
        id=row.id,
        statement=row.statement,
        trade_type=row.trade_type,
        trade_detail_type=row.trade_detail_type,
        trade_time=row.created_at,
        trade_id=row.trade_id,
        amount=row.amount,
        balance_after=row.balance_after,
        direction=Direction(row.direction),
        counterparty_id=row.counterparty_id,
        counterparty_account_name=row.counterparty_account_name,
        payment_channel_id=row.payment_channel_id,
        payment_channel_no=row.payment_channel_no,
        description=row.description,
    )


class BalanceService:
    """Partner- and operator-facing balance operations, bound to one unit of work."""

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
        operations: OperationLog,
        engine: BalanceEngine,
        budgets: BudgetEngine,
        customer_records: CustomerRecords,
        online_payment_limit: Decimal = ONLINE_PAYMENT_LIMIT_USD,
    ) -> None:
        self.online_payment_limit = online_payment_limit
        self.session = session
        self.clock = clock
        self.zone = zone
        self.currency = currency
        self.partners = partners
        self.books = books
        self.sources = sources
        self.operations = operations
        self.engine = engine
        self.budgets = budgets
        self.customer_records = customer_records

    async def _owner_for(self, actor: PartnerActor, indirect_partner_id: str | None) -> PartnerView:
        """The calling partner, or (a distributor passing ``indirect_partner_id``) its reseller;
        ``CBC.99000037`` for anyone else's reseller."""
        if not indirect_partner_id:
            return actor.partner
        if actor.partner.partner_type != PartnerType.DISTRIBUTOR:
            raise DomainError(
                errors.BalanceErrorCode.NOT_YOUR_RESELLER,
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

    async def _fundable_partner(self, partner_id: str) -> PartnerView:
        partner = await self.partners.get(partner_id)
        if partner is None:
            raise DomainError(
                errors.BalanceErrorCode.ACCOUNT_DOES_NOT_EXIST,
                f"Partner {partner_id} does not exist.",
            )
        if partner.partner_type == PartnerType.RESELLER:
            raise invalid_parameter(
                "partner_id",
                "A reseller is funded by its distributor (update_indirect_partner_account) and "
                "billed through it; it has no account with the operator.",
            )
        return partner

    async def top_up(
        self,
        partner_id: str,
        amount: Decimal,
        *,
        channel: TopUpChannel,
        actor_id: str,
        designated: bool = False,
        payment_reference: str | None = None,
        idempotency_key: str | None = None,
        memo: str | None = None,
    ) -> MoneyMovement:
        """Credit a partner's cash with money the operator received (a confirmed bank transfer
        or an online payment). Moves ``funding:<partner>`` → ``partner_cash`` (or
        ``partner_designated``: earmarked, never allocatable).

        Raises:
            DomainError: ``CBC.0100`` bad amount (> 0, 2 decimals; online payments at most
                40,000 USD) or a reseller; ``CBC.99000047`` unknown partner; ``CBC.99007009``
                the idempotency key was used for a different top-up.
        """
        amount = check_amount(amount, "amount")
        key = check_key(idempotency_key)
        if channel is TopUpChannel.ONLINE_PAYMENT and amount > self.online_payment_limit:
            raise invalid_parameter(
                "amount",
                f"An online payment is at most {self.online_payment_limit:,} {self.currency}.",
            )
        if payment_reference is not None and not 0 < len(payment_reference) <= 64:
            raise invalid_parameter("payment_reference", "1 to 64 characters.")
        if memo is not None and len(memo) > 256:
            raise invalid_parameter("memo", "At most 256 characters.")
        await self._fundable_partner(partner_id)
        request = fingerprint("top_up", partner_id, amount, channel, designated, payment_reference)
        funds = await self.books.lock_partner(partner_id)
        operation_id = self.operations.operation_id(partner_id, OperationKind.TOP_UP, key)
        replay = await self.operations.replay(operation_id, request, key)
        if replay is not None:
            return replay
        row = await self.operations.record(
            operation_id=operation_id,
            kind=OperationKind.TOP_UP,
            tenant_id=partner_id,
            amount=amount,
            actor_id=actor_id,
            request_hash=request,
            key=key,
            reference_id=payment_reference,
            channel=channel.payment_channel_id,
            memo=memo,
        )
        target = Code.PARTNER_DESIGNATED if designated else Code.PARTNER_CASH
        transfer = await self.books.move(
            transfer_id=operation_id,
            debit=funding_side(partner_id),
            credit=partner_side(partner_id, target),
            amount=amount,
            code="top_up",
            caused_by=actor_id,
            memo=memo,
        )
        await self.books.record(
            funds,
            EntryLine(
                statement=Statement.PARTNER_DEBIT,
                trade_id=operation_id,
                transfer_id=transfer.id,
                trade_type=trades.RECHARGE,
                trade_detail_type=trades.DETAIL_RECHARGE,
                direction=Direction.INCOME,
                amount=amount,
                payment_channel_id=channel.payment_channel_id,
                payment_channel_no=payment_reference,
            ),
        )
        await self.engine.settle_quota_state(funds)
        return self.operations.movement(row)

    async def set_consumption_quota(
        self, partner_id: str, quota: Decimal, *, actor_id: str
    ) -> ConsumptionQuotaView:
        """Set the partner's consumption quota (credit line, rules.md §6.9). Not a transfer: the
        change is an ADJUST line on the partner's credit statement. Lowering it below what is
        used restricts the partner at once; raising it can lift the restriction.

        Raises:
            DomainError: ``CBC.0100`` bad quota (>= 0, 2 decimals) or a reseller;
                ``CBC.99000047`` unknown partner.
        """
        quota = check_amount(quota, "consumption_quota", allow_zero=True)
        await self._fundable_partner(partner_id)
        funds = await self.books.lock_partner(partner_id)
        previous = funds.consumption_quota
        if quota != previous:
            operation_id = self.operations.operation_id(
                partner_id, OperationKind.QUOTA_CHANGE, None
            )
            await self.operations.record(
                operation_id=operation_id,
                kind=OperationKind.QUOTA_CHANGE,
                tenant_id=partner_id,
                amount=quota,
                actor_id=actor_id,
                request_hash=fingerprint("quota", partner_id, quota),
                key=None,
            )
            funds.consumption_quota = quota
            await self.books.record(
                funds,
                EntryLine(
                    statement=Statement.PARTNER_CREDIT,
                    trade_id=operation_id,
                    transfer_id=None,
                    trade_type=trades.ADJUST,
                    trade_detail_type=trades.DETAIL_ADJUST_CREDIT,
                    direction=Direction.INCOME if quota > previous else Direction.EXPENSE,
                    amount=abs(quota - previous),
                ),
            )
        return await self.engine.settle_quota_state(funds)

    async def _customer_for_money(
        self, actor: PartnerActor, customer_id: str, indirect_partner_id: str | None
    ) -> tuple[PartnerView, CustomerRecord]:
        if not customer_id or len(customer_id) > 64:
            raise invalid_parameter("customer_id", "Required, at most 64 characters.")
        owner = await self._owner_for(actor, indirect_partner_id)
        customer = await self._owned_customer(owner.partner_id, customer_id)
        if customer.association_type != AssociationType.RESELLER:
            raise DomainError(
                errors.BalanceErrorCode.NO_PERMISSION_ON_CUSTOMER,
                "No permission to operate this customer's funds: referral customers pay for "
                "themselves.",
            )
        return owner, customer

    async def allocate_to_customer(
        self,
        actor: PartnerActor,
        *,
        customer_id: str,
        amount: Decimal,
        indirect_partner_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> MoneyMovement:
        """Allocate money from the partner's (or, with ``indirect_partner_id``, its reseller's)
        free cash to a reseller-model customer: ``partner_cash`` → ``customer_balance``; arrears
        the customer owes are then paid from it (``customer_balance`` → ``customer_arrears``).

        Raises:
            DomainError: ``CBC.0100`` bad amount; ``CBC.0151`` member lacks the permission;
                ``CBC.99000037`` not the caller's reseller; ``CBC.99000035`` not the owner's
                customer; ``CBC.99000000`` a referral customer; ``CBC.99005003`` more than the
                free cash (``amount − designated_amount``); ``CBC.99007009`` key reused.
        """
        amount = check_amount(amount, "amount")
        key = check_key(idempotency_key)
        needed = Permission.SET_RESELLER_BUDGET if indirect_partner_id else Permission.SET_BUDGET
        if not actor.caller.has(needed):
            raise access_denied("The member lacks the permission to allocate funds.")
        owner, customer = await self._customer_for_money(actor, customer_id, indirect_partner_id)
        request = fingerprint("allocate", owner.partner_id, customer.account_id, amount)
        customer_funds = await self.books.lock_customer(customer.account_id)
        owner_funds = await self.books.lock_partner(owner.partner_id)
        operation_id = self.operations.operation_id(actor.partner_id, OperationKind.ALLOCATE, key)
        replay = await self.operations.replay(operation_id, request, key)
        if replay is not None:
            return replay
        free = await self.engine.free_cash(owner.partner_id)
        if free < amount:
            whose = "the reseller" if owner.partner_id != actor.partner_id else "your account"
            raise errors.insufficient(f"{whose} (free of designated funds)", free, self.currency)
        row = await self.operations.record(
            operation_id=operation_id,
            kind=OperationKind.ALLOCATE,
            tenant_id=owner.partner_id,
            amount=amount,
            actor_id=actor.caller.account_id,
            request_hash=request,
            key=key,
            counterparty_id=customer.account_id,
            counterparty_kind=CounterpartyKind.CUSTOMER,
            counterparty_account_name=customer.account_name,
            counterparty_name=display_name(customer),
        )
        transfer = await self.books.move(
            transfer_id=operation_id,
            debit=partner_side(owner.partner_id, Code.PARTNER_CASH),
            credit=customer_side(customer.account_id, Code.CUSTOMER_BALANCE),
            amount=amount,
            code="allocation",
            caused_by=actor.partner_id,
        )
        if customer_funds.funded_association_at != customer.associated_on:
            customer_funds.funded_association_at = customer.associated_on
        await self.engine.adjust_lines(
            owner_funds=owner_funds,
            customer_funds=customer_funds,
            customer=customer,
            operation_id=operation_id,
            transfer_id=transfer.id,
            trade_type=trades.BEADJUST,
            detail=trades.DETAIL_BEADJUST,
            to_customer=True,
            amount=amount,
        )
        await self.engine.write_off_arrears(
            customer_funds, f"{operation_id}:writeoff", actor.partner_id
        )
        await self.engine.settle_quota_state(owner_funds)
        return self.operations.movement(row)

    async def reclaim_from_customer(
        self,
        actor: PartnerActor,
        *,
        customer_id: str,
        amount: Decimal,
        indirect_partner_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> MoneyMovement:
        """Take money back from a customer's balance: ``customer_balance`` → the owner's
        ``partner_cash``. At most the customer's free balance (open holds excluded).

        Raises:
            DomainError: as ``allocate_to_customer``; ``CBC.99005003`` more than the
                customer's free balance.
        """
        amount = check_amount(amount, "amount")
        key = check_key(idempotency_key)
        if not actor.caller.has(Permission.RECLAIM_FROM_CUSTOMER):
            raise access_denied("The member lacks the permission to reclaim funds.")
        owner, customer = await self._customer_for_money(actor, customer_id, indirect_partner_id)
        request = fingerprint("reclaim", owner.partner_id, customer.account_id, amount)
        customer_funds = await self.books.lock_customer(customer.account_id)
        owner_funds = await self.books.lock_partner(owner.partner_id)
        operation_id = self.operations.operation_id(actor.partner_id, OperationKind.RECLAIM, key)
        replay = await self.operations.replay(operation_id, request, key)
        if replay is not None:
            return replay
        free = await self.books.free_balance(
            customer_side(customer.account_id, Code.CUSTOMER_BALANCE)
        )
        if free < amount:
            raise errors.insufficient("the customer's balance", free, self.currency)
        row = await self.operations.record(
            operation_id=operation_id,
            kind=OperationKind.RECLAIM,
            tenant_id=owner.partner_id,
            amount=amount,
            actor_id=actor.caller.account_id,
            request_hash=request,
            key=key,
            counterparty_id=customer.account_id,
            counterparty_kind=CounterpartyKind.CUSTOMER,
            counterparty_account_name=customer.account_name,
            counterparty_name=display_name(customer),
        )
        transfer = await self.books.move(
            transfer_id=operation_id,
            debit=customer_side(customer.account_id, Code.CUSTOMER_BALANCE),
            credit=partner_side(owner.partner_id, Code.PARTNER_CASH),
            amount=amount,
            code="reclaim",
            caused_by=actor.partner_id,
        )
        await self.engine.adjust_lines(
            owner_funds=owner_funds,
            customer_funds=customer_funds,
            customer=customer,
            operation_id=operation_id,
            transfer_id=transfer.id,
            trade_type=trades.BERETRIEVE,
            detail=trades.DETAIL_BERETRIEVE,
            to_customer=False,
            amount=amount,
        )
        await self.engine.settle_quota_state(owner_funds)
        return self.operations.movement(row)

    async def allocate_to_reseller(
        self,
        actor: PartnerActor,
        *,
        reseller_id: str,
        amount: Decimal,
        idempotency_key: str | None = None,
    ) -> MoneyMovement:
        """A distributor funds one of its resellers: distributor's ``partner_cash`` → the
        reseller's ``partner_cash`` (rules.md §1.17).

        Raises:
            DomainError: ``CBC.0100`` bad amount; ``CBC.0151`` not a distributor or the member
                lacks the permission; ``CBC.99000037`` not its reseller; ``CBC.99005003`` more
                than its free cash; ``CBC.99007009`` key reused.
        """
        return await self._reseller_movement(
            actor, reseller_id=reseller_id, amount=amount, key=idempotency_key, to_reseller=True
        )

    async def reclaim_from_reseller(
        self,
        actor: PartnerActor,
        *,
        reseller_id: str,
        amount: Decimal,
        idempotency_key: str | None = None,
    ) -> MoneyMovement:
        """A distributor takes money back from a reseller, at most the reseller's free cash:
        the reseller's ``partner_cash`` → the distributor's ``partner_cash``.

        Raises:
            DomainError: as ``allocate_to_reseller``; ``CBC.99005003`` more than the
                reseller's free cash.
        """
        return await self._reseller_movement(
            actor, reseller_id=reseller_id, amount=amount, key=idempotency_key, to_reseller=False
        )

    async def _reseller_movement(
        self,
        actor: PartnerActor,
        *,
        reseller_id: str,
        amount: Decimal,
        key: str | None,
        to_reseller: bool,
    ) -> MoneyMovement:
        amount = check_amount(amount, "amount")
        key = check_key(key)
        if actor.partner.partner_type != PartnerType.DISTRIBUTOR:
            raise access_denied("Only a distributor may move funds to or from resellers.")
        if not actor.caller.has(Permission.RECLAIM_FROM_RESELLER):
            raise access_denied("The member lacks the permission to move resellers' funds.")
        if not reseller_id or len(reseller_id) > 64:
            raise invalid_parameter("indirect_partner_id", "Required, at most 64 characters.")
        reseller = await self.partners.reseller_of(
            distributor_id=actor.partner_id, reseller_id=reseller_id
        )
        distributor_id = actor.partner_id
        kind = OperationKind.ALLOCATE if to_reseller else OperationKind.RECLAIM
        request = fingerprint(kind, distributor_id, reseller_id, amount)
        distributor_funds = await self.books.lock_partner(distributor_id)
        reseller_funds = await self.books.lock_partner(reseller_id)
        operation_id = self.operations.operation_id(distributor_id, kind, key)
        replay = await self.operations.replay(operation_id, request, key)
        if replay is not None:
            return replay
        giver = distributor_id if to_reseller else reseller_id
        taker = reseller_id if to_reseller else distributor_id
        free = await self.engine.free_cash(giver)
        if free < amount:
            whose = "your account (free of designated funds)" if to_reseller else "the reseller"
            raise errors.insufficient(whose, free, self.currency)
        row = await self.operations.record(
            operation_id=operation_id,
            kind=kind,
            tenant_id=distributor_id,
            amount=amount,
            actor_id=actor.caller.account_id,
            request_hash=request,
            key=key,
            counterparty_id=reseller_id,
            counterparty_kind=CounterpartyKind.RESELLER,
            counterparty_account_name=reseller.name,
            counterparty_name=reseller.company_name or reseller.name,
        )
        transfer = await self.books.move(
            transfer_id=operation_id,
            debit=partner_side(giver, Code.PARTNER_CASH),
            credit=partner_side(taker, Code.PARTNER_CASH),
            amount=amount,
            code="reseller_allocation" if to_reseller else "reseller_reclaim",
            caused_by=distributor_id,
        )
        trade_type = trades.BEADJUST if to_reseller else trades.BERETRIEVE
        detail = trades.DETAIL_BEADJUST if to_reseller else trades.DETAIL_BERETRIEVE
        await self.books.record(
            distributor_funds,
            EntryLine(
                statement=Statement.PARTNER_DEBIT,
                trade_id=operation_id,
                transfer_id=transfer.id,
                trade_type=trade_type,
                trade_detail_type=detail,
                direction=Direction.EXPENSE if to_reseller else Direction.INCOME,
                amount=amount,
                counterparty_id=reseller_id,
                counterparty_account_name=reseller.name,
            ),
        )
        await self.books.record(
            reseller_funds,
            EntryLine(
                statement=Statement.PARTNER_DEBIT,
                trade_id=operation_id,
                transfer_id=transfer.id,
                trade_type=trade_type,
                trade_detail_type=detail,
                direction=Direction.INCOME if to_reseller else Direction.EXPENSE,
                amount=amount,
                counterparty_id=distributor_id,
                counterparty_account_name=actor.partner.name,
            ),
        )
        await self.engine.settle_quota_state(distributor_funds)
        return self.operations.movement(row)

    async def partner_balances(
        self, actor: PartnerActor, *, indirect_partner_id: str | None = None
    ) -> list[AccountBalance]:
        """The partner's (or, for its distributor, a reseller's) accounts: type 1 cash with its
        designated part; type 2 credit line (not for resellers, whose customers' spend is
        billed to the distributor)."""
        target = await self._owner_for(actor, indirect_partner_id)
        partner_id = target.partner_id
        cash = await self.books.open(partner_side(partner_id, Code.PARTNER_CASH))
        designated = await self.books.posted_credit_balance(
            partner_side(partner_id, Code.PARTNER_DESIGNATED)
        )
        balances = [
            AccountBalance(
                account_id=cash.id,
                account_type=1,
                amount=await self.books.partner_cash_total(partner_id),
                designated_amount=designated,
                credit_amount=None,
                currency=self.currency,
            )
        ]
        if target.partner_type != PartnerType.RESELLER:
            credit = await self.books.open(partner_side(partner_id, Code.PARTNER_RECEIVABLE))
            funds = await self.books.partner_funds(partner_id)
            quota = funds.consumption_quota if funds else ZERO
            balances.append(
                AccountBalance(
                    account_id=credit.id,
                    account_type=2,
                    amount=quota - await self.books.owed(partner_id),
                    designated_amount=ZERO,
                    credit_amount=quota,
                    currency=self.currency,
                )
            )
        return balances

    async def customer_balances(
        self,
        actor: PartnerActor,
        customer_ids: list[str],
        *,
        indirect_partner_id: str | None = None,
    ) -> list[CustomerBalanceSummary]:
        """Balances of the owner's reseller-model customers among ``customer_ids`` (1–100), in
        the order asked. Referral customers and ids the owner does not own are left out, so
        the answer never tells whether someone else's customer exists."""
        if not customer_ids or len(customer_ids) > MAX_BALANCE_QUERY:
            raise invalid_parameter("customer_infos", f"Give 1 to {MAX_BALANCE_QUERY} customers.")
        for customer_id in customer_ids:
            if not customer_id or len(customer_id) > 64:
                raise invalid_parameter("customer_infos.customer_id", "1 to 64 characters.")
        owner = await self._owner_for(actor, indirect_partner_id)
        owned = await self.customer_records.id_set(
            self.customer_records.ids(
                among=customer_ids,
                owner_id=owner.partner_id,
                associated=True,
                association_type=AssociationType.RESELLER,
            )
        )
        result: list[CustomerBalanceSummary] = []
        for customer_id in dict.fromkeys(customer_ids):
            if customer_id not in owned:
                continue
            result.append(
                CustomerBalanceSummary(
                    customer_id=customer_id,
                    amount=await self.books.free_balance(
                        customer_side(customer_id, Code.CUSTOMER_BALANCE)
                    ),
                    debt_amount=await self.books.posted_debit_balance(
                        customer_side(customer_id, Code.CUSTOMER_ARREARS)
                    ),
                    currency=self.currency,
                )
            )
        return result

    def _window(self, query: StatementQuery) -> tuple[datetime, datetime]:
        """The UTC instants of 00:00 on ``begin`` and on the day after ``end``, billing zone."""
        if query.begin > query.end:
            raise invalid_parameter("trade_time_begin", "Must not be after trade_time_end.")
        start = datetime.combine(query.begin, time(0), tzinfo=self.zone).astimezone(UTC)
        stop = datetime.combine(query.end + timedelta(days=1), time(0), tzinfo=self.zone)
        return start, stop.astimezone(UTC)

    async def _statement_page(
        self, owner_id: str, statement: Statement, query: StatementQuery, page: Page
    ) -> tuple[list[StatementLine], int]:
        start, stop = self._window(query)
        stmt: Select[BalanceEntry] = select(BalanceEntry).where(
            BalanceEntry.tenant_id == owner_id,
            BalanceEntry.statement == statement,
            BalanceEntry.created_at >= start,
            BalanceEntry.created_at < stop,
        )
        if query.trade_type:
            stmt = stmt.where(BalanceEntry.trade_type == query.trade_type)
        if query.direction is not None:
            stmt = stmt.where(BalanceEntry.direction == int(query.direction))
        if query.trade_id:
            stmt = stmt.where(BalanceEntry.trade_id == query.trade_id)
        if query.payment_channel_ids:
            stmt = stmt.where(BalanceEntry.payment_channel_id.in_(query.payment_channel_ids))
        if query.payment_channel_no:
            stmt = stmt.where(BalanceEntry.payment_channel_no == query.payment_channel_no)
        if query.trade_types:
            stmt = stmt.where(BalanceEntry.trade_type.in_(query.trade_types))
        if query.trade_detail_types:
            stmt = stmt.where(BalanceEntry.trade_detail_type.in_(query.trade_detail_types))
        rows, total = await paginate(
            self.session, stmt, page, BalanceEntry.created_at.desc(), BalanceEntry.seq.desc()
        )
        return [_line(r) for r in rows], int(total)

    async def partner_statement(
        self,
        actor: PartnerActor,
        *,
        credit: bool,
        query: StatementQuery,
        page: Page,
        indirect_partner_id: str | None = None,
    ) -> tuple[list[StatementLine], int]:
        """The partner's (or its reseller's) cash (``credit=False``) or credit-line statement,
        newest first."""
        target = await self._owner_for(actor, indirect_partner_id)
        statement = Statement.PARTNER_CREDIT if credit else Statement.PARTNER_DEBIT
        return await self._statement_page(target.partner_id, statement, query, page)

    async def adjust_records(
        self,
        actor: PartnerActor,
        *,
        query: AdjustRecordQuery,
        page: Page,
        indirect_partner_id: str | None = None,
    ) -> tuple[list[AdjustRecord], int]:
        """Allocations, reclaims and disassociation returns made from the partner's (or its
        reseller's) account, to or from customers and (for a distributor) resellers."""
        target = await self._owner_for(actor, indirect_partner_id)
        partner_id = target.partner_id
        stmt: Select[BalanceOperation] = select(BalanceOperation).where(
            BalanceOperation.tenant_id == partner_id,
            BalanceOperation.kind.in_([query.kind] if query.kind else _ADJUST_KINDS),
        )
        if query.customer_id:
            stmt = stmt.where(BalanceOperation.counterparty_id == query.customer_id)
        if query.begin is not None:
            stmt = stmt.where(BalanceOperation.created_at >= query.begin)
        if query.end is not None:
            stmt = stmt.where(BalanceOperation.created_at <= query.end)
        if query.trans_id:
            stmt = stmt.where(BalanceOperation.id == query.trans_id)
        rows, total = await paginate(
            self.session, stmt, page, BalanceOperation.created_at.desc(), BalanceOperation.id.desc()
        )
        return [
            AdjustRecord(
                customer_id=r.counterparty_id or "",
                customer_name=r.counterparty_name,
                operation_type=ADJUST_DETAIL_OF[r.kind],
                amount=r.amount,
                currency=r.currency,
                operation_time=r.created_at,
                trans_id=r.id,
                memo=r.memo,
            )
            for r in rows
        ], int(total)

    async def partner_quota(self, partner_id: str) -> ConsumptionQuotaView:
        """A partner's consumption quota state, for the operator (read-only)."""
        return await self.engine.quota_view(partner_id, await self.books.partner_funds(partner_id))

    async def consumption_quota(self, actor: PartnerActor) -> ConsumptionQuotaView:
        """The partner's consumption quota and what it uses of it (intl)."""
        if not actor.caller.has(Permission.VIEW_CONSUMPTION_QUOTA):
            raise access_denied("The member lacks the permission to view the consumption quota.")
        funds = await self.books.partner_funds(actor.partner_id)
        return await self.engine.quota_view(actor.partner_id, funds)

    async def _funded(self, customer_id: str) -> tuple[CustomerRecord | None, CustomerFunds | None]:
        return await self._customer(customer_id), await self.books.customer_funds(customer_id)

    @staticmethod
    def _is_resale_customer(customer: CustomerRecord | None) -> bool:
        return (
            customer is not None
            and customer.association_status == AssociationStatus.ASSOCIATED
            and customer.association_type == AssociationType.RESELLER
        )

    async def customer_account(self, customer_id: str) -> CustomerAccountView:
        """The calling customer's own balance. A reseller-model customer that was never
        allocated money has none (``CBC.99000049``): its partner pays for it."""
        customer, funds = await self._funded(customer_id)
        if (
            customer is not None
            and self._is_resale_customer(customer)
            and not balance_funded(funds, customer)
        ):
            raise DomainError(
                errors.BalanceErrorCode.NO_ACCOUNT_BALANCE,
                "The customer has no account balance: its partner pays for its consumption.",
            )
        account = await self.books.open(customer_side(customer_id, Code.CUSTOMER_BALANCE))
        return CustomerAccountView(
            account_id=account.id,
            amount=await self.books.free_balance(customer_side(customer_id, Code.CUSTOMER_BALANCE)),
            debt_amount=await self.books.posted_debit_balance(
                customer_side(customer_id, Code.CUSTOMER_ARREARS)
            ),
            currency=self.currency,
        )

    async def customer_statement(
        self, customer_id: str, *, credit: bool, query: StatementQuery, page: Page
    ) -> tuple[list[StatementLine], int]:
        """The calling customer's income and expense records. A partner's reseller-model
        customer cannot read them (``CBC.99000084``); customers have no credit account, so
        the credit statement is empty."""
        customer = await self._customer(customer_id)
        if self._is_resale_customer(customer):
            raise DomainError(
                errors.BalanceErrorCode.RECORDS_NOT_FOR_RESALE_CUSTOMERS,
                "Income and expense records are not available to a partner's reseller-model "
                "customers.",
            )
        self._window(query)
        if credit:
            return [], 0
        return await self._statement_page(customer_id, Statement.CUSTOMER_DEBIT, query, page)

    async def expenditure_quota(self, customer_id: str) -> ExpenditureQuotaView:
        """The calling reseller-model customer's spending cap: its budget (monthly, or the
        one-time budget if that is its type) and what the current period used. Without a
        budget: 0 granted (it cannot buy). Referral customers have none (``CBC.5024``)."""
        customer = await self._customer(customer_id)
        if not self._is_resale_customer(customer):
            raise DomainError(
                errors.BalanceErrorCode.ASSOCIATION_TYPE_NOT_ALLOWED,
                "Only a partner's reseller-model customer has an expenditure quota.",
            )
        granting, used = ZERO, ZERO
        if self.sources.expenditure is not None:
            quota = await self.sources.expenditure.monthly_expenditure(
                self.session, customer_id=customer_id, as_of=self.clock.now()
            )
            if quota is not None:
                granting, used = quota.granting_amount, quota.used_amount
        else:
            budget = await self.budgets.view(customer_id, currency=self.currency)
            if budget.is_set:
                granting, used = budget.budget_amount, budget.used_amount
        if granting > 0:
            percentage = (used * 100 / granting).quantize(CENT, ROUND_HALF_UP)
        else:
            percentage = Decimal("100.00") if used > 0 else Decimal("0.00")
        return ExpenditureQuotaView(
            granting_amount=granting,
            granting_amount_used=used,
            percentage_granting_amount_used=percentage,
            currency=self.currency,
        )

    async def verify_statements(self) -> list[StatementMismatch]:
        """Prove every statement against the ledger: each line's ``balance_after`` is the
        previous line's plus its signed amount (from zero), and each statement's last line
        equals the balance the ledger (and the quota) gives now. Read-only."""
        signed: ColumnElement[int] = case(
            (
                BalanceEntry.direction == int(Direction.INCOME),
                type_coerce(BalanceEntry.amount, BigInteger),
            ),
            else_=-type_coerce(BalanceEntry.amount, BigInteger),
        )
        after = type_coerce(BalanceEntry.balance_after, BigInteger)
        previous = func.lag(after).over(
            partition_by=(BalanceEntry.tenant_id, BalanceEntry.statement),
            order_by=BalanceEntry.seq,
        )
        chained = select(
            BalanceEntry.tenant_id.label("owner"),
            BalanceEntry.statement.label("statement"),
            BalanceEntry.seq.label("seq"),
            after.label("after"),
            signed.label("signed"),
            previous.label("previous"),
        ).subquery()
        broken = select(chained.c.owner, chained.c.statement, chained.c.seq).where(
            func.coalesce(chained.c.previous, 0) + chained.c.signed != chained.c.after
        )
        problems = [
            StatementMismatch(
                owner_id=owner,
                statement=Statement(statement),
                problem=f"line {seq}: balance_after does not follow from the previous line",
            )
            for owner, statement, seq in (await self.session.execute(broken)).all()
        ]
        last = (
            select(
                BalanceEntry.tenant_id,
                BalanceEntry.statement,
                func.max(BalanceEntry.seq).label("last_seq"),
            )
            .group_by(BalanceEntry.tenant_id, BalanceEntry.statement)
            .subquery()
        )
        finals = select(BalanceEntry).join(
            last,
            (BalanceEntry.tenant_id == last.c.tenant_id)
            & (BalanceEntry.statement == last.c.statement)
            & (BalanceEntry.seq == last.c.last_seq),
        )
        for entry in (await self.session.execute(finals)).scalars():
            quota = ZERO
            if entry.statement is Statement.PARTNER_CREDIT:
                funds = await self.session.get(PartnerFunds, entry.tenant_id)
                quota = funds.consumption_quota if funds else ZERO
            now = await self.books.statement_balance(entry.statement, entry.tenant_id, quota=quota)
            if now != entry.balance_after:
                problems.append(
                    StatementMismatch(
                        owner_id=entry.tenant_id,
                        statement=entry.statement,
                        problem=f"last line shows {entry.balance_after:f}, the ledger {now:f}",
                    )
                )
        return problems
