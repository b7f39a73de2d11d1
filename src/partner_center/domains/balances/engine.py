"""``BalanceEngine``: the system-facing mechanics of partner and customer money — charging
customers for what they buy and use (for the orders and pay-per-use domains), holds and
refunds, returning a disassociating customer's balance, and the consumption-quota state. The
partner-facing rules are in ``service.py``, as in the budgets domain.

A charge is paid from the customer's allocated balance when the customer has received an
allocation in its current association (China-site resale model); otherwise — an international
reseller-model customer — it is billed to the partner's postpaid consumption, within the
partner's consumption quota. Every call is idempotent on the caller's ids (``charge_id``,
``refund_id``): a retry with the same parameters returns the first result and moves nothing.

Ledger transfer ids: ``chg:<charge_id>`` (the charge or its hold), ``chg:<charge_id>:arrears``
(uncovered usage), ``chg:<charge_id>:capture`` / ``:release`` (resolving a hold),
``rfd:<refund_id>`` (a refund) and ``rfd:<refund_id>:writeoff``.

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

The engine flushes but never commits: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances import errors, trades
from partner_center.domains.balances.chart import (
    Books,
    Code,
    EntryLine,
    Side,
    customer_side,
    partner_coupons_side,
    partner_side,
    revenue_side,
    tax_side,
)
from partner_center.domains.balances.core import (
    ZERO,
    balance_funded,
    check_amount,
    display_name,
    left_association,
)
from partner_center.domains.balances.models import (
    ChargeFunding,
    ChargeKind,
    ChargeStatus,
    CounterpartyKind,
    CustomerCharge,
    CustomerFunds,
    Direction,
    OperationKind,
    PartnerFunds,
    Statement,
)
from partner_center.domains.balances.operations import OperationLog
from partner_center.domains.balances.sources import PartnerDebt, Sources
from partner_center.domains.balances.views import ChargeView, ConsumptionQuotaView, MoneyMovement
from partner_center.domains.customers.public import (
    AssociationStatus,
    AssociationType,
    CustomerRecord,
    CustomerRecords,
)
from partner_center.kernel.clock import Clock, to_micros
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.idempotency import fingerprint, key_reused

#: Charges carry rating precision (api-semantics.md §1.7: bill amounts up to 8 decimals).
CHARGE_PLACES = 8


def _charge_view(row: CustomerCharge) -> ChargeView:
    return ChargeView(
        charge_id=row.id,
        customer_id=row.tenant_id,
        billed_partner_id=row.billed_partner_id,
        kind=row.kind,
        funding=row.funding,
        status=row.status,
        amount=row.amount,
        captured_amount=row.captured_amount,
        arrears_amount=row.arrears_amount,
        refunded_amount=row.refunded_amount,
        currency=row.currency,
        created_at=row.created_at,
    )


def _text(value: str | None, field: str, max_length: int, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise invalid_parameter(field, f"A non-empty string of at most {max_length} characters.")
    return value


class BalanceEngine:
    """The system-facing balance mechanics, bound to one unit of work."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        currency: str,
        books: Books,
        sources: Sources,
        operations: OperationLog,
        customer_records: CustomerRecords,
    ) -> None:
        self.session = session
        self.clock = clock
        self.currency = currency
        self.books = books
        self.sources = sources
        self.operations = operations
        self.customer_records = customer_records

    async def _customer(self, customer_id: str) -> CustomerRecord | None:
        return await self.customer_records.get(customer_id, fresh=True)

    @staticmethod
    def _billed_partner(customer: CustomerRecord) -> str:
        """Whose bill carries the customer's spend: the distributor above a reseller."""
        return customer.distributor_id or customer.tenant_id

    async def _debt(self, partner_id: str) -> PartnerDebt:
        if self.sources.debt is not None:
            debt = await self.sources.debt.partner_debt(
                self.session, partner_id=partner_id, currency=self.currency, as_of=self.clock.now()
            )
            if debt.unbilled_amount is None:
                owed = await self.books.owed(partner_id)
                unbilled = max(ZERO, owed - debt.due_amount)
                return PartnerDebt(
                    debt.due_amount, unbilled, debt.coupon_amount, debt.overdue_restricted
                )
            return debt
        return PartnerDebt(
            due_amount=ZERO, unbilled_amount=await self.books.owed(partner_id), coupon_amount=ZERO
        )

    async def quota_view(self, partner_id: str, funds: PartnerFunds | None) -> ConsumptionQuotaView:
        debt = await self._debt(partner_id)
        amount = await self.books.partner_cash_total(partner_id)
        unbilled = debt.unbilled_amount if debt.unbilled_amount is not None else ZERO
        used = debt.due_amount + unbilled - amount - debt.coupon_amount
        return ConsumptionQuotaView(
            consumption_quota=funds.consumption_quota if funds else ZERO,
            amount=amount,
            coupon_amount=debt.coupon_amount,
            due_amount=debt.due_amount,
            unbilled_amount=unbilled,
            used_consumption_quota=used,
            currency=self.currency,
            restricted=bool(funds and funds.quota_restricted_at is not None),
        )

    async def settle_quota_state(self, funds: PartnerFunds) -> ConsumptionQuotaView:
        """Mark the partner restricted when its used quota is over the quota, lift the mark
        when it is back within. ``funds`` must be locked by this transaction."""
        view = await self.quota_view(funds.partner_id, funds)
        exceeded = view.used_consumption_quota > view.consumption_quota
        if exceeded and funds.quota_restricted_at is None:
            funds.quota_restricted_at = self.clock.now()
        elif not exceeded and funds.quota_restricted_at is not None:
            funds.quota_restricted_at = None
        else:
            return view
        funds.updated_at = self.clock.now()
        await self.session.flush()
        return await self.quota_view(funds.partner_id, funds)

    async def free_cash(self, partner_id: str) -> Decimal:
        return await self.books.free_balance(partner_side(partner_id, Code.PARTNER_CASH))

    async def recheck_consumption_quota(self, partner_id: str) -> ConsumptionQuotaView:
        """Re-evaluate the quota restriction (billing calls it after a repayment or a bill)."""
        funds = await self.books.lock_partner(partner_id)
        return await self.settle_quota_state(funds)

    async def repay(
        self, partner_id: str, amount: Decimal, *, repayment_id: str, actor_id: str
    ) -> MoneyMovement:
        """REPAYMENT: the partner's ``partner_cash`` → its ``partner_receivable`` (what it owes
        for postpaid consumption), a DEDEUCT line on its cash statement. Idempotent on
        ``repayment_id``: a retry answers the first movement and moves nothing. The cash must be
        there (a top-up first); the ledger's guard refuses a repayment beyond it.

        Raises:
            DomainError: ``CBC.0100`` bad amount; ``CBC.99007009`` the id was used for another
                amount.
        """
        amount = check_amount(amount, "amount")
        funds = await self.books.lock_partner(partner_id)
        operation_id = self.operations.operation_id(
            partner_id, OperationKind.REPAYMENT, repayment_id
        )
        request = fingerprint("repay", partner_id, amount)
        replay = await self.operations.replay(operation_id, request, repayment_id)
        if replay is not None:
            return replay
        row = await self.operations.record(
            operation_id=operation_id,
            kind=OperationKind.REPAYMENT,
            tenant_id=partner_id,
            amount=amount,
            actor_id=actor_id,
            request_hash=request,
            key=repayment_id,
            reference_id=repayment_id,
        )
        transfer = await self.books.move(
            transfer_id=operation_id,
            debit=partner_side(partner_id, Code.PARTNER_CASH),
            credit=partner_side(partner_id, Code.PARTNER_RECEIVABLE),
            amount=amount,
            code="repayment",
            caused_by=actor_id,
        )
        await self.books.record(
            funds,
            EntryLine(
                statement=Statement.PARTNER_DEBIT,
                trade_id=operation_id,
                transfer_id=transfer.id,
                trade_type=trades.DEDEUCT,
                trade_detail_type=trades.DETAIL_REPAYMENT,
                direction=Direction.EXPENSE,
                amount=amount,
                payment_channel_no=repayment_id,
            ),
        )
        await self.settle_quota_state(funds)
        return self.operations.movement(row)

    async def post_bill_tax(self, partner_id: str, bill_id: str, amount: Decimal) -> None:
        """A partner bill's tax, owed from its issue: the partner's ``partner_receivable`` →
        the platform's ``tax:<partner>``, a DEDEUCT line on its credit statement. So what the
        partner owes is its consumption plus the tax of its bills, and repaying a taxed bill in
        full leaves the receivable at zero (not at minus the tax). Ledger transfer
        ``tax:<bill id>``: posted once per bill."""
        if amount > 0:
            await self._post_owed(
                partner_id,
                f"tax:{bill_id}",
                amount,
                counter=tax_side(partner_id),
                code="bill_tax",
                line=(trades.DEDEUCT, trades.DETAIL_DEDUCT, f"Tax of bill {bill_id}"),
            )

    async def post_bill_coupons(self, partner_id: str, bill_id: str, amount: Decimal) -> None:
        """What a partner bill's cash coupons paid (rules.md §7.8), at its issue: the platform's
        ``partner_coupons:<partner>`` clearing account → the partner's ``partner_receivable``
        (it owes that much less), an ADJUST line on its credit statement. Ledger transfer
        ``pcoupons:<bill id>``: posted once per bill."""
        if amount > 0:
            await self._post_owed(
                partner_id,
                f"pcoupons:{bill_id}",
                -amount,
                counter=partner_coupons_side(partner_id),
                code="bill_partner_coupons",
                line=(
                    trades.ADJUST,
                    trades.DETAIL_PARTNER_COUPON,
                    f"Cash coupons on bill {bill_id}",
                ),
            )

    async def post_bill_adjustment(
        self, partner_id: str, adjustment_id: str, amount: Decimal, memo: str
    ) -> None:
        """An operator's bill adjustment of a customer billed to ``partner_id``: > 0 the
        partner's ``partner_receivable`` → ``revenue:P`` (it owes more), < 0 the reverse (a
        reversing entry), an ADJUST line on its credit statement. Ledger transfer
        ``adj:<adjustment id>``: posted once."""
        await self._post_owed(
            partner_id,
            f"adj:{adjustment_id}",
            amount,
            counter=revenue_side(partner_id),
            code="bill_adjustment",
            line=(trades.ADJUST, trades.DETAIL_ADJUST_CREDIT, memo[:200]),
        )

    async def _post_owed(
        self,
        partner_id: str,
        transfer_id: str,
        amount: Decimal,
        *,
        counter: Side,
        code: str,
        line: tuple[str, str, str],
    ) -> None:
        """Change what the partner owes by ``amount`` (signed): its ``partner_receivable`` ↔
        ``counter``, once per ``transfer_id``, with a line on its credit statement."""
        funds = await self.books.lock_partner(partner_id)
        if await self.books.ledger.get_transfer(transfer_id) is not None:
            return
        receivable = partner_side(partner_id, Code.PARTNER_RECEIVABLE)
        more = amount > 0
        transfer = await self.books.move(
            transfer_id=transfer_id,
            debit=receivable if more else counter,
            credit=counter if more else receivable,
            amount=abs(amount),
            code=code,
            caused_by=partner_id,
            memo=line[2][:256],
        )
        trade_type, detail, description = line
        await self.books.record(
            funds,
            EntryLine(
                statement=Statement.PARTNER_CREDIT,
                trade_id=transfer_id,
                transfer_id=transfer.id,
                trade_type=trade_type,
                trade_detail_type=detail,
                direction=Direction.EXPENSE if more else Direction.INCOME,
                amount=abs(amount),
                description=description,
            ),
        )
        await self.settle_quota_state(funds)

    async def return_remaining_on_disassociation(
        self, customer_id: str, *, actor_id: str | None = None
    ) -> MoneyMovement | None:
        """Return a disassociating customer's free balance to the partner that owns it
        (rules.md §2.6.11): ``customer_balance`` → owner's ``partner_cash``, a BEUNBIND line on
        both statements. Runs in the transaction that ends the association (the associations
        hook calls it), before or after the status changes. Open holds stay until the charging
        domain resolves them: a hold released later also goes back to the partner. Arrears stay
        with the customer. Idempotent per association: a second call returns the first
        movement. Returns None when there is nothing to return.

        Raises:
            DomainError: ``CBC.99000035`` unknown customer.
        """
        customer = await self._customer(customer_id)
        if customer is None:
            raise errors.not_your_customer()
        funded = await self.books.customer_funds(customer_id)
        if funded is None or funded.funded_association_at != customer.associated_on:
            return None
        customer_funds = await self.books.lock_customer(customer_id)
        owner_funds = await self.books.lock_partner(customer.tenant_id)
        operation_id = self.operations.operation_id(
            customer_id,
            OperationKind.UNBIND_RETURN,
            f"association-{to_micros(customer.associated_on)}",
        )
        request = fingerprint("unbind", customer.tenant_id, customer_id, customer.associated_on)
        replay = await self.operations.replay(operation_id, request, None)
        if replay is not None:
            return replay
        free = await self.books.free_balance(customer_side(customer_id, Code.CUSTOMER_BALANCE))
        if free <= 0:
            return None
        return await self.return_to_owner(
            customer,
            customer_funds,
            owner_funds,
            amount=free,
            operation_id=operation_id,
            request=request,
            actor_id=actor_id or customer.tenant_id,
            memo="Remaining balance returned on disassociation.",
        )

    async def return_to_owner(
        self,
        customer: CustomerRecord,
        customer_funds: CustomerFunds,
        owner_funds: PartnerFunds,
        *,
        amount: Decimal,
        operation_id: str,
        request: str,
        actor_id: str,
        memo: str,
    ) -> MoneyMovement:
        """BEUNBIND: ``customer_balance`` → the owner's ``partner_cash`` (both funds rows
        locked by the caller)."""
        owner_id = owner_funds.partner_id
        row = await self.operations.record(
            operation_id=operation_id,
            kind=OperationKind.UNBIND_RETURN,
            tenant_id=owner_id,
            amount=amount,
            actor_id=actor_id,
            request_hash=request,
            key=None,
            counterparty_id=customer.account_id,
            counterparty_kind=CounterpartyKind.CUSTOMER,
            counterparty_account_name=customer.account_name,
            counterparty_name=display_name(customer),
            memo=memo,
        )
        transfer = await self.books.move(
            transfer_id=operation_id,
            debit=customer_side(customer.account_id, Code.CUSTOMER_BALANCE),
            credit=partner_side(owner_id, Code.PARTNER_CASH),
            amount=amount,
            code="unbind_return",
            caused_by=actor_id,
        )
        await self.adjust_lines(
            owner_funds=owner_funds,
            customer_funds=customer_funds,
            customer=customer,
            operation_id=operation_id,
            transfer_id=transfer.id,
            trade_type=trades.BEUNBIND,
            detail=trades.DETAIL_BEUNBIND,
            to_customer=False,
            amount=amount,
        )
        await self.settle_quota_state(owner_funds)
        return self.operations.movement(row)

    async def adjust_lines(
        self,
        *,
        owner_funds: PartnerFunds,
        customer_funds: CustomerFunds,
        customer: CustomerRecord,
        operation_id: str,
        transfer_id: str,
        trade_type: str,
        detail: str,
        to_customer: bool,
        amount: Decimal,
    ) -> None:
        """The two statement lines of a partner ↔ customer movement."""
        await self.books.record(
            owner_funds,
            EntryLine(
                statement=Statement.PARTNER_DEBIT,
                trade_id=operation_id,
                transfer_id=transfer_id,
                trade_type=trade_type,
                trade_detail_type=detail,
                direction=Direction.EXPENSE if to_customer else Direction.INCOME,
                amount=amount,
                counterparty_id=customer.account_id,
                counterparty_account_name=customer.account_name,
            ),
        )
        await self.books.record(
            customer_funds,
            EntryLine(
                statement=Statement.CUSTOMER_DEBIT,
                trade_id=operation_id,
                transfer_id=transfer_id,
                trade_type=trade_type,
                trade_detail_type=detail,
                direction=Direction.INCOME if to_customer else Direction.EXPENSE,
                amount=amount,
                counterparty_id=owner_funds.partner_id,
            ),
        )

    async def write_off_arrears(
        self, customer_funds: CustomerFunds, transfer_id: str, caused_by: str
    ) -> Decimal:
        """Pay what the customer owes from its balance (allocations and refunds do this, as
        money reaching an account in arrears clears the arrears first)."""
        customer_id = customer_funds.customer_id
        owed = await self.books.posted_debit_balance(
            customer_side(customer_id, Code.CUSTOMER_ARREARS)
        )
        free = await self.books.free_balance(customer_side(customer_id, Code.CUSTOMER_BALANCE))
        paid = min(owed, free)
        if paid <= ZERO:
            return ZERO
        transfer = await self.books.move(
            transfer_id=transfer_id,
            debit=customer_side(customer_id, Code.CUSTOMER_BALANCE),
            credit=customer_side(customer_id, Code.CUSTOMER_ARREARS),
            amount=paid,
            code="arrears_write_off",
            caused_by=caused_by,
        )
        await self.books.record(
            customer_funds,
            EntryLine(
                statement=Statement.CUSTOMER_DEBIT,
                trade_id=transfer_id,
                transfer_id=transfer.id,
                trade_type=trades.DEDEUCT,
                trade_detail_type=trades.DETAIL_WRITEOFF,
                direction=Direction.EXPENSE,
                amount=paid,
            ),
        )
        return paid

    async def charge_customer(
        self,
        customer_id: str,
        amount: Decimal,
        charge_id: str,
        *,
        hold: bool = False,
        kind: ChargeKind = ChargeKind.PURCHASE,
        description: str | None = None,
        memo: str | None = None,
    ) -> ChargeView:
        """Charge an associated customer ``amount`` (up to 8 decimals).

        Balance-funded: ``customer_balance`` → ``revenue:B``; a PURCHASE beyond the free balance
        is refused, USAGE is always recorded and its uncovered part becomes arrears
        (``customer_arrears`` → ``revenue:B``). Postpaid: B's ``partner_receivable`` →
        ``revenue:B``; a PURCHASE is refused while the partner is quota-restricted or when it
        would take the used consumption quota (plus open holds) over the quota; USAGE is always
        recorded and may restrict the partner. ``hold=True`` (PURCHASE only) holds the amount
        until ``capture_charge`` or ``release_charge``.

        Raises:
            DomainError: ``CBC.0100`` bad parameters; ``CBC.99000035`` customer not associated;
                ``CBC.99005003`` balance or consumption quota insufficient (or a referral
                customer without a balance); ``CBC.99003656`` the partner is quota-restricted;
                ``CBC.99007009`` ``charge_id`` already used for a different charge.
        """
        amount = check_amount(amount, "amount", places=CHARGE_PLACES)
        charge_id = _text(charge_id, "charge_id", 100) or ""
        description = _text(description, "description", 200, required=False)
        memo = _text(memo, "memo", 256, required=False)
        if hold and kind is ChargeKind.USAGE:
            raise invalid_parameter("hold", "Usage that already happened cannot be held.")
        existing = await self._charge(charge_id)
        if existing is not None:
            return self._same_charge(existing, customer_id, amount, kind, hold)
        customer = await self._customer(customer_id)
        if customer is None or customer.association_status != AssociationStatus.ASSOCIATED:
            raise errors.not_your_customer()
        billed_id = self._billed_partner(customer)
        customer_funds = await self.books.lock_customer(customer_id)
        billed_funds = await self.books.lock_partner(billed_id)
        existing = await self._charge(charge_id)
        if existing is not None:
            return self._same_charge(existing, customer_id, amount, kind, hold)
        row = CustomerCharge(
            id=charge_id,
            tenant_id=customer_id,
            kind=kind,
            status=ChargeStatus.HELD if hold else ChargeStatus.CAPTURED,
            held=hold,
            owner_partner_id=customer.tenant_id,
            associated_on=customer.associated_on,
            billed_partner_id=billed_id,
            amount=amount,
            captured_amount=ZERO if hold else amount,
            arrears_amount=ZERO,
            refunded_amount=ZERO,
            currency=self.currency,
            description=description,
            memo=memo,
            created_at=self.clock.now(),
        )
        if balance_funded(customer_funds, customer):
            row.funding = ChargeFunding.BALANCE
            await self._charge_balance(row, customer, customer_funds)
        elif customer.association_type == AssociationType.REFERRAL:
            raise errors.insufficient("the customer's balance", ZERO, self.currency)
        else:
            row.funding = ChargeFunding.POSTPAID
            await self._charge_postpaid(row, customer, billed_funds)
        self.session.add(row)
        await self.session.flush()
        return _charge_view(row)

    async def _charge_balance(
        self, row: CustomerCharge, customer: CustomerRecord, funds: CustomerFunds
    ) -> None:
        balance = customer_side(customer.account_id, Code.CUSTOMER_BALANCE)
        revenue = revenue_side(row.billed_partner_id)
        free = await self.books.free_balance(balance)
        if row.kind is ChargeKind.PURCHASE:
            if free < row.amount:
                raise errors.insufficient("the customer's balance", free, self.currency)
            covered = row.amount
        else:
            covered = min(max(free, ZERO), row.amount)
        if covered > 0:
            transfer = await self.books.move(
                transfer_id=f"chg:{row.id}",
                debit=balance,
                credit=revenue,
                amount=covered,
                code="charge",
                caused_by=customer.account_id,
                pending=row.held,
                memo=row.memo,
            )
            if not row.held:
                await self._charge_line(row, funds, covered, transfer.id, customer)
        shortfall = row.amount - covered
        if shortfall > 0:
            await self.books.move(
                transfer_id=f"chg:{row.id}:arrears",
                debit=customer_side(customer.account_id, Code.CUSTOMER_ARREARS),
                credit=revenue,
                amount=shortfall,
                code="charge_arrears",
                caused_by=customer.account_id,
                memo=row.memo,
            )
            row.arrears_amount = shortfall

    async def _charge_postpaid(
        self, row: CustomerCharge, customer: CustomerRecord, funds: PartnerFunds
    ) -> None:
        if row.kind is ChargeKind.PURCHASE:
            if funds.quota_restricted_at is not None:
                raise self._restricted_error()
            if (await self._debt(funds.partner_id)).overdue_restricted:
                raise self._overdue_error()
            view = await self.quota_view(funds.partner_id, funds)
            held = await self.books.pending_debits(
                partner_side(funds.partner_id, Code.PARTNER_RECEIVABLE)
            )
            headroom = view.consumption_quota - view.used_consumption_quota - held
            if row.amount > headroom:
                raise DomainError(
                    errors.BalanceErrorCode.INSUFFICIENT_BALANCE,
                    "Insufficient balance: the partner's consumption quota has "
                    f"{max(headroom, ZERO):f} {self.currency} left.",
                    {"available": f"{max(headroom, ZERO):f}"},
                )
        transfer = await self.books.move(
            transfer_id=f"chg:{row.id}",
            debit=partner_side(funds.partner_id, Code.PARTNER_RECEIVABLE),
            credit=revenue_side(funds.partner_id),
            amount=row.amount,
            code="charge",
            caused_by=customer.account_id,
            pending=row.held,
            memo=row.memo,
        )
        if not row.held:
            await self._charge_line(row, funds, row.amount, transfer.id, customer)
            await self.settle_quota_state(funds)

    async def _charge_line(
        self,
        row: CustomerCharge,
        owner: CustomerFunds | PartnerFunds,
        amount: Decimal,
        transfer_id: str,
        customer: CustomerRecord,
    ) -> None:
        usage = row.kind is ChargeKind.USAGE
        partner_statement = isinstance(owner, PartnerFunds)
        await self.books.record(
            owner,
            EntryLine(
                statement=Statement.PARTNER_CREDIT
                if partner_statement
                else Statement.CUSTOMER_DEBIT,
                trade_id=row.id,
                transfer_id=transfer_id,
                trade_type=trades.DEDEUCT,
                trade_detail_type=trades.DETAIL_USAGE if usage else trades.DETAIL_DEDUCT,
                direction=Direction.EXPENSE,
                amount=amount,
                counterparty_id=customer.account_id if partner_statement else None,
                counterparty_account_name=customer.account_name if partner_statement else None,
                description=row.description,
            ),
        )

    @staticmethod
    def _overdue_error() -> DomainError:
        return DomainError(
            errors.BalanceErrorCode.PURCHASE_RESTRICTED,
            "The customer cannot purchase: its partner has overdue bills. The partner must "
            "repay them first.",
            {"reason": "overdue_bills"},
        )

    @staticmethod
    def _restricted_error() -> DomainError:
        return DomainError(
            errors.BalanceErrorCode.PURCHASE_RESTRICTED,
            "The customer cannot purchase: its partner's consumption quota is exceeded. The "
            "partner must repay or top up first.",
            {"reason": "consumption_quota_exceeded"},
        )

    async def _charge(self, charge_id: str) -> CustomerCharge | None:
        return await self.session.get(CustomerCharge, charge_id, populate_existing=True)

    def _same_charge(
        self,
        row: CustomerCharge,
        customer_id: str,
        amount: Decimal,
        kind: ChargeKind,
        hold: bool,
    ) -> ChargeView:
        if (row.tenant_id, row.amount, row.kind, row.held) != (customer_id, amount, kind, hold):
            raise key_reused(row.id)
        return _charge_view(row)

    async def _locked_charge(self, charge_id: str) -> tuple[CustomerCharge, CustomerRecord | None]:
        row = await self._charge(_text(charge_id, "charge_id", 100) or "")
        if row is None:
            raise invalid_parameter("charge_id", f"Charge {charge_id} does not exist.")
        customer_funds = await self.books.lock_customer(row.tenant_id)
        await self.books.lock_partners([row.billed_partner_id])
        del customer_funds
        locked = await self._charge(charge_id)
        assert locked is not None
        return locked, await self._customer(locked.tenant_id)

    async def capture_charge(self, charge_id: str, *, amount: Decimal | None = None) -> ChargeView:
        """Pay all (``amount=None``) or part of a held charge; the rest of the hold is freed.
        Capturing again with the same amount returns the charge unchanged.

        Raises:
            DomainError: ``CBC.0100`` unknown charge, released, already captured with another
                amount, or more than held.
        """
        wanted = None if amount is None else check_amount(amount, "amount", places=CHARGE_PLACES)
        row, customer = await self._locked_charge(charge_id)
        if row.status is ChargeStatus.CAPTURED and wanted in (None, row.captured_amount):
            return _charge_view(row)
        if row.status is not ChargeStatus.HELD:
            raise invalid_parameter(
                "charge_id",
                f"Charge {row.id} is {row.status.value.lower()}; it cannot be captured.",
            )
        posted = row.amount if wanted is None else wanted
        if posted > row.amount:
            raise invalid_parameter("amount", f"At most the held {row.amount:f}.")
        transfer = await self.books.ledger.post_pending(
            transfer_id=f"chg:{row.id}:capture", pending_id=f"chg:{row.id}", amount=posted
        )
        row.status = ChargeStatus.CAPTURED
        row.captured_amount = posted
        row.resolved_at = self.clock.now()
        assert customer is not None
        if row.funding is ChargeFunding.BALANCE:
            funds: CustomerFunds | PartnerFunds = await self.books.lock_customer(row.tenant_id)
            await self._charge_line(row, funds, posted, transfer.id, customer)
        else:
            partner_funds = await self.books.lock_partner(row.billed_partner_id)
            await self._charge_line(row, partner_funds, posted, transfer.id, customer)
            await self.settle_quota_state(partner_funds)
        await self.session.flush()
        return _charge_view(row)

    async def release_charge(self, charge_id: str) -> ChargeView:
        """Release a held charge: nothing is paid. Releasing again returns it unchanged.

        Raises:
            DomainError: ``CBC.0100`` unknown or captured charge.
        """
        row, customer = await self._locked_charge(charge_id)
        if row.status is ChargeStatus.RELEASED:
            return _charge_view(row)
        if row.status is not ChargeStatus.HELD:
            raise invalid_parameter(
                "charge_id", f"Charge {row.id} was captured; refund it instead."
            )
        released = await self.books.ledger.void_pending(
            transfer_id=f"chg:{row.id}:release", pending_id=f"chg:{row.id}"
        )
        row.status = ChargeStatus.RELEASED
        row.resolved_at = self.clock.now()
        await self.session.flush()
        if (
            row.funding is ChargeFunding.BALANCE
            and customer is not None
            and left_association(customer, row.associated_on)
        ):
            # The customer has left since: what the hold kept goes back to the partner too
            # (rules.md §2.6.11), as the disassociation return would have sent it.
            owner_funds = await self.books.lock_partner(row.owner_partner_id)
            await self.return_to_owner(
                customer,
                await self.books.lock_customer(row.tenant_id),
                owner_funds,
                amount=released.amount,
                operation_id=self.operations.operation_id(
                    row.tenant_id, OperationKind.UNBIND_RETURN, f"release:{row.id}"
                ),
                request=fingerprint("unbind-release", row.id),
                actor_id=row.owner_partner_id,
                memo="Released hold returned after disassociation.",
            )
        return _charge_view(row)

    async def refund_customer(
        self,
        customer_id: str,
        amount: Decimal,
        refund_id: str,
        *,
        charge_id: str,
        memo: str | None = None,
    ) -> MoneyMovement:
        """Give back up to what a captured charge paid (all refunds of a charge together).

        The money returns where it came from: ``revenue:B`` → ``customer_balance`` (and any
        arrears are paid from it), or — once the customer has left the partner that owned it
        when charged — that partner's ``partner_cash`` (rules.md §2.6.10), or, for a postpaid
        charge, B's ``partner_receivable`` (which can lift a quota restriction).

        Raises:
            DomainError: ``CBC.0100`` bad parameters, unknown charge of this customer, charge
                not captured, or more than is left to refund; ``CBC.99007009`` ``refund_id``
                already used for a different refund.
        """
        amount = check_amount(amount, "amount", places=CHARGE_PLACES)
        refund_id = _text(refund_id, "refund_id", 60) or ""
        memo = _text(memo, "memo", 256, required=False)
        request = fingerprint("refund", customer_id, charge_id, amount)
        operation_id = f"rfd:{refund_id}"
        replay = await self.operations.replay(operation_id, request, refund_id)
        if replay is not None:
            return replay
        row, customer = await self._locked_charge(charge_id)
        if row.tenant_id != customer_id or customer is None:
            raise invalid_parameter("charge_id", f"Charge {charge_id} is not this customer's.")
        returned_to_owner = row.funding is ChargeFunding.BALANCE and left_association(
            customer, row.associated_on
        )
        owner_funds = None
        if returned_to_owner and row.owner_partner_id != row.billed_partner_id:
            owner_funds = await self.books.lock_partner(row.owner_partner_id)
        replay = await self.operations.replay(operation_id, request, refund_id)
        if replay is not None:
            return replay
        if row.status is not ChargeStatus.CAPTURED:
            raise invalid_parameter("charge_id", f"Charge {row.id} was not captured.")
        refundable = row.captured_amount - row.refunded_amount
        if amount > refundable:
            raise invalid_parameter("amount", f"At most {refundable:f} is left to refund.")
        operation = await self.operations.record(
            operation_id=operation_id,
            kind=OperationKind.REFUND,
            tenant_id=row.owner_partner_id if returned_to_owner else row.billed_partner_id,
            amount=amount,
            actor_id=row.billed_partner_id,
            request_hash=request,
            key=refund_id,
            counterparty_id=customer.account_id,
            counterparty_kind=CounterpartyKind.CUSTOMER,
            counterparty_account_name=customer.account_name,
            counterparty_name=display_name(customer),
            reference_id=row.id,
            memo=memo,
        )
        target: Side
        if row.funding is ChargeFunding.POSTPAID:
            target = partner_side(row.billed_partner_id, Code.PARTNER_RECEIVABLE)
        elif returned_to_owner:
            target = partner_side(row.owner_partner_id, Code.PARTNER_CASH)
        else:
            target = customer_side(customer_id, Code.CUSTOMER_BALANCE)
        transfer = await self.books.move(
            transfer_id=operation_id,
            debit=revenue_side(row.billed_partner_id),
            credit=target,
            amount=amount,
            code="refund",
            caused_by=row.billed_partner_id,
            memo=memo,
        )
        row.refunded_amount += amount
        line = EntryLine(
            statement=Statement.CUSTOMER_DEBIT,
            trade_id=refund_id,
            transfer_id=transfer.id,
            trade_type=trades.REFUND,
            trade_detail_type=trades.DETAIL_REFUND,
            direction=Direction.INCOME,
            amount=amount,
            counterparty_id=customer_id,
            counterparty_account_name=customer.account_name,
            description=row.description,
        )
        if row.funding is ChargeFunding.POSTPAID:
            billed = await self.books.lock_partner(row.billed_partner_id)
            await self.books.record(billed, _on(line, Statement.PARTNER_CREDIT))
            await self.settle_quota_state(billed)
        elif returned_to_owner:
            funds = owner_funds or await self.books.lock_partner(row.owner_partner_id)
            await self.books.record(funds, _on(line, Statement.PARTNER_DEBIT))
            await self.settle_quota_state(funds)
        else:
            customer_funds = await self.books.lock_customer(customer_id)
            await self.books.record(
                customer_funds,
                EntryLine(
                    statement=Statement.CUSTOMER_DEBIT,
                    trade_id=refund_id,
                    transfer_id=transfer.id,
                    trade_type=trades.REFUND,
                    trade_detail_type=trades.DETAIL_REFUND,
                    direction=Direction.INCOME,
                    amount=amount,
                    description=row.description,
                ),
            )
            await self.write_off_arrears(
                customer_funds, f"rfd:{refund_id}:writeoff", row.billed_partner_id
            )
        await self.session.flush()
        return self.operations.movement(operation)

    async def is_quota_restricted(self, partner_id: str) -> bool:
        """Whether the partner's used consumption quota is over its quota (rules.md §6.9)."""
        funds = await self.books.partner_funds(partner_id)
        return funds is not None and funds.quota_restricted_at is not None

    async def ensure_purchase_allowed(self, customer_id: str) -> None:
        """Refuse (``CBC.99003656``) a purchase by a postpaid reseller-model customer whose
        billed partner is quota-restricted. The orders domain calls it next to
        ``CustomerControl.ensure_allowed``; ``charge_customer`` applies it too."""
        customer = await self._customer(customer_id)
        if (
            customer is None
            or customer.association_status != AssociationStatus.ASSOCIATED
            or customer.association_type != AssociationType.RESELLER
        ):
            return
        if balance_funded(await self.books.customer_funds(customer_id), customer):
            return
        billed = self._billed_partner(customer)
        if await self.is_quota_restricted(billed):
            raise self._restricted_error()
        if (await self._debt(billed)).overdue_restricted:
            raise self._overdue_error()

    async def customers_in_arrears(self) -> dict[str, Decimal]:
        """Customer id → the pay-per-use arrears it owes (only those owing something)."""
        return await self.books.ledger.debit_balances(Code.CUSTOMER_ARREARS.value, self.currency)

    async def arrears_of(self, customer_id: str) -> Decimal:
        """What the customer owes for pay-per-use usage its balance could not cover."""
        return await self.books.posted_debit_balance(
            customer_side(customer_id, Code.CUSTOMER_ARREARS)
        )

    async def charges_of(self, customer_id: str) -> list[ChargeView]:
        """The customer's charges, newest first."""
        stmt = (
            select(CustomerCharge)
            .where(CustomerCharge.tenant_id == customer_id)
            .order_by(CustomerCharge.created_at.desc(), CustomerCharge.id.desc())
        )
        return [_charge_view(r) for r in (await self.session.execute(stmt)).scalars()]


def _on(line: EntryLine, statement: Statement) -> EntryLine:
    return EntryLine(
        statement=statement,
        trade_id=line.trade_id,
        transfer_id=line.transfer_id,
        trade_type=line.trade_type,
        trade_detail_type=line.trade_detail_type,
        direction=line.direction,
        amount=line.amount,
        counterparty_id=line.counterparty_id,
        counterparty_account_name=line.counterparty_account_name,
        description=line.description,
    )
