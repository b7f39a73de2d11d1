"""Reading partner and customer money: balances, statements (account change records),
allocation records, the consumption quota and a customer's expenditure quota — each scoped to
the caller (a partner sees its own money and, as a distributor, its resellers'; a customer sees
only its own)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, Select, case, func, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from partner_center.domains.balances import errors
from partner_center.domains.balances.chart import Code, customer_side, partner_side
from partner_center.domains.balances.core import ZERO, BalanceCore, balance_funded
from partner_center.domains.balances.models import (
    BalanceEntry,
    BalanceOperation,
    CustomerFunds,
    Direction,
    OperationKind,
    PartnerFunds,
    Statement,
)
from partner_center.domains.balances.trades import ADJUST_DETAIL_OF
from partner_center.domains.balances.views import (
    AccountBalance,
    AdjustRecord,
    AdjustRecordQuery,
    ConsumptionQuotaView,
    CustomerAccountView,
    CustomerBalanceSummary,
    ExpenditureQuotaView,
    StatementLine,
    StatementMismatch,
    StatementQuery,
)
from partner_center.domains.customers.public import (
    AssociationStatus,
    AssociationType,
    CustomerRecord,
    PartnerActor,
)
from partner_center.domains.identity.public import Permission
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter
from partner_center.kernel.money import CENT
from partner_center.kernel.pagination import Page

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


class QueryOps(BalanceCore):
    # -- partner ----------------------------------------------------------------------------

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
        total = (
            await self.session.execute(select(func.count()).select_from(stmt.subquery()))
        ).scalar_one()
        rows = (
            await self.session.execute(
                stmt.order_by(BalanceEntry.created_at.desc(), BalanceEntry.seq.desc())
                .offset(page.offset)
                .limit(page.limit)
            )
        ).scalars()
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
        total = (
            await self.session.execute(select(func.count()).select_from(stmt.subquery()))
        ).scalar_one()
        rows = (
            await self.session.execute(
                stmt.order_by(BalanceOperation.created_at.desc(), BalanceOperation.id.desc())
                .offset(page.offset)
                .limit(page.limit)
            )
        ).scalars()
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
        return await self._quota_view(partner_id, await self.books.partner_funds(partner_id))

    async def consumption_quota(self, actor: PartnerActor) -> ConsumptionQuotaView:
        """The partner's consumption quota and what it uses of it (intl)."""
        if not actor.caller.has(Permission.VIEW_CONSUMPTION_QUOTA):
            raise access_denied("The member lacks the permission to view the consumption quota.")
        funds = await self.books.partner_funds(actor.partner_id)
        return await self._quota_view(actor.partner_id, funds)

    # -- customer ---------------------------------------------------------------------------

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
                errors.NO_ACCOUNT_BALANCE,
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
                errors.RECORDS_NOT_FOR_RESALE_CUSTOMERS,
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
                errors.ASSOCIATION_TYPE_NOT_ALLOWED,
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

    # -- proof ------------------------------------------------------------------------------

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
