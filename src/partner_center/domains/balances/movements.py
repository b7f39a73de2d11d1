"""Operations that move partner money: top-ups and the credit line (operator), allocations and
reclaims between partners, resellers and customers, and the balance a disassociating customer
returns (api-semantics.md §3.4–3.5, rules.md §1.17, §2.6.11, §6.9)."""

from __future__ import annotations

import enum
from decimal import Decimal

from partner_center.domains.balances import errors, trades
from partner_center.domains.balances.chart import (
    Code,
    EntryLine,
    customer_side,
    funding_side,
    partner_side,
)
from partner_center.domains.balances.core import (
    ZERO,
    BalanceCore,
    check_amount,
    check_key,
    display_name,
    fingerprint,
)
from partner_center.domains.balances.models import (
    CounterpartyKind,
    CustomerFunds,
    Direction,
    OperationKind,
    PartnerFunds,
    Statement,
)
from partner_center.domains.balances.views import ConsumptionQuotaView, MoneyMovement
from partner_center.domains.customers.public import (
    AssociationType,
    CustomerRecord,
    PartnerActor,
)
from partner_center.domains.identity.public import Permission
from partner_center.domains.partners.public import PartnerType, PartnerView
from partner_center.kernel.clock import to_micros
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter

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


class MovementOps(BalanceCore):
    # -- operator ---------------------------------------------------------------------------

    async def _fundable_partner(self, partner_id: str) -> PartnerView:
        partner = await self.partners.get(partner_id)
        if partner is None:
            raise DomainError(
                errors.ACCOUNT_DOES_NOT_EXIST, f"Partner {partner_id} does not exist."
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
        if (
            channel is TopUpChannel.ONLINE_PAYMENT
            and self.currency == "USD"
            and amount > ONLINE_PAYMENT_LIMIT_USD
        ):
            raise invalid_parameter("amount", "An online payment is at most 40,000 USD.")
        if payment_reference is not None and not 0 < len(payment_reference) <= 64:
            raise invalid_parameter("payment_reference", "1 to 64 characters.")
        if memo is not None and len(memo) > 256:
            raise invalid_parameter("memo", "At most 256 characters.")
        await self._fundable_partner(partner_id)
        request = fingerprint("top_up", partner_id, amount, channel, designated, payment_reference)
        funds = await self.books.lock_partner(partner_id)
        operation_id = self._operation_id(partner_id, OperationKind.TOP_UP, key)
        replay = await self._replay(operation_id, request, key)
        if replay is not None:
            return replay
        row = await self._record_operation(
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
        await self._settle_quota_state(funds)
        return self._movement(row)

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
            operation_id = self._operation_id(partner_id, OperationKind.QUOTA_CHANGE, None)
            await self._record_operation(
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
        return await self._settle_quota_state(funds)

    async def recheck_consumption_quota(self, partner_id: str) -> ConsumptionQuotaView:
        """Re-evaluate the quota restriction (billing calls it after a repayment or a bill)."""
        funds = await self.books.lock_partner(partner_id)
        return await self._settle_quota_state(funds)

    # -- partner ↔ customer ---------------------------------------------------------------

    async def _customer_for_money(
        self, actor: PartnerActor, customer_id: str, indirect_partner_id: str | None
    ) -> tuple[PartnerView, CustomerRecord]:
        if not customer_id or len(customer_id) > 64:
            raise invalid_parameter("customer_id", "Required, at most 64 characters.")
        owner = await self._owner_for(actor, indirect_partner_id)
        customer = await self._owned_customer(owner.partner_id, customer_id)
        if customer.association_type != AssociationType.RESELLER:
            raise DomainError(
                errors.NO_PERMISSION_ON_CUSTOMER,
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
        operation_id = self._operation_id(actor.partner_id, OperationKind.ALLOCATE, key)
        replay = await self._replay(operation_id, request, key)
        if replay is not None:
            return replay
        free = await self._free_cash(owner.partner_id)
        if free < amount:
            whose = "the reseller" if owner.partner_id != actor.partner_id else "your account"
            raise errors.insufficient(f"{whose} (free of designated funds)", free, self.currency)
        row = await self._record_operation(
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
        await self._adjust_lines(
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
        await self._write_off_arrears(customer_funds, f"{operation_id}:writeoff", actor.partner_id)
        await self._settle_quota_state(owner_funds)
        return self._movement(row)

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
        operation_id = self._operation_id(actor.partner_id, OperationKind.RECLAIM, key)
        replay = await self._replay(operation_id, request, key)
        if replay is not None:
            return replay
        free = await self.books.free_balance(
            customer_side(customer.account_id, Code.CUSTOMER_BALANCE)
        )
        if free < amount:
            raise errors.insufficient("the customer's balance", free, self.currency)
        row = await self._record_operation(
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
        await self._adjust_lines(
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
        await self._settle_quota_state(owner_funds)
        return self._movement(row)

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
        operation_id = self._operation_id(
            customer_id,
            OperationKind.UNBIND_RETURN,
            f"association-{to_micros(customer.associated_on)}",
        )
        request = fingerprint("unbind", customer.tenant_id, customer_id, customer.associated_on)
        replay = await self._replay(operation_id, request, None)
        if replay is not None:
            return replay
        free = await self.books.free_balance(customer_side(customer_id, Code.CUSTOMER_BALANCE))
        if free <= 0:
            return None
        return await self._return_to_owner(
            customer,
            customer_funds,
            owner_funds,
            amount=free,
            operation_id=operation_id,
            request=request,
            actor_id=actor_id or customer.tenant_id,
            memo="Remaining balance returned on disassociation.",
        )

    async def _return_to_owner(
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
        row = await self._record_operation(
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
        await self._adjust_lines(
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
        await self._settle_quota_state(owner_funds)
        return self._movement(row)

    async def _adjust_lines(
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

    async def _write_off_arrears(
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

    # -- distributor ↔ reseller -------------------------------------------------------------

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
        operation_id = self._operation_id(distributor_id, kind, key)
        replay = await self._replay(operation_id, request, key)
        if replay is not None:
            return replay
        giver = distributor_id if to_reseller else reseller_id
        taker = reseller_id if to_reseller else distributor_id
        free = await self._free_cash(giver)
        if free < amount:
            whose = "your account (free of designated funds)" if to_reseller else "the reseller"
            raise errors.insufficient(whose, free, self.currency)
        row = await self._record_operation(
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
        await self._settle_quota_state(distributor_funds)
        return self._movement(row)
