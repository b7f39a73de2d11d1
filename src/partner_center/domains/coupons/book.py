"""Every balance change of a quota or a coupon: one ledger transfer with an idempotency id, and
the coupon change record its holder reads.

Ledger accounts (all in the quota's currency):

* ``coupon_quota:<quota id>`` of the quota's owner, guarded (debits ≤ credits): what is left to
  issue. Funded from the operator's unguarded ``coupon_quota_grants`` account, or from a
  distributor's quota for a reseller's quota.
* ``coupon:<coupon id>`` of the customer, guarded: the coupon balance. Funded from its quota;
  reclaims and expiry move what is left back; payments hold (pending) and then post to
* ``coupon_redeemed`` of the issuing partner, unguarded: coupon value its customers spent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.coupons.models import Coupon, CouponChange, CouponQuota
from partner_center.domains.ledger.public import Guard, LedgerService, TransferView
from partner_center.kernel.clock import Clock
from partner_center.kernel.ids import new_id

ZERO = Decimal(0)
QUOTA_GRANTS = "coupon_quota_grants"
REDEEMED = "coupon_redeemed"


class TradeType(enum.StrEnum):
    """``trade_type`` of a customer's coupon change records."""

    ADJUST = "ADJUST"
    DEDUCT = "DEDEUCT"  # the reference's spelling
    REFUND = "REFUND"
    EXPIRED = "EXPIRED"
    RECLAIM = "COUPONCANCEL"


#: ``trade_detail_type`` per trade type (the reference's spelling, typos included).
TRADE_DETAIL = {
    TradeType.ADJUST: "SOURCE_OPERAIION_PRIZE",
    TradeType.DEDUCT: "SOURCE_OPERAIION_DEDEUCT",
    TradeType.REFUND: "SOURCE_OPERAIION_UNSUBSCRIBE",
    TradeType.EXPIRED: "SOURCE_OPERAIION_EXPIRECLEAR",
    TradeType.RECLAIM: "SOURCE_OPERATION_COUPONCANCEL",
}
PAY_PER_USE_DEDUCT_DETAIL = "SOURCE_OPERAIION_USAGE"
REVENUE_TRADES = frozenset({TradeType.ADJUST, TradeType.REFUND})


@dataclass(frozen=True, slots=True)
class Balance:
    posted: Decimal
    """Credits minus debits posted: the balance shown."""
    held: Decimal
    """Held by unpaid orders (pending debits)."""

    @property
    def available(self) -> Decimal:
        return self.posted - self.held


class CouponBook:
    """Moves quota and coupon value through the ledger and records what the holder sees."""

    def __init__(self, session: AsyncSession, *, clock: Clock, ledger: LedgerService) -> None:
        self.session = session
        self.clock = clock
        self.ledger = ledger

    # -- accounts --------------------------------------------------------------------------

    async def open_guarded(self, *, tenant_id: str, code: str, currency: str) -> str:
        account = await self.ledger.open_account(
            tenant_id=tenant_id,
            code=code,
            currency=currency,
            guard=Guard.DEBITS_MUST_NOT_EXCEED_CREDITS,
        )
        return account.id

    async def open_sink(self, *, tenant_id: str, code: str, currency: str) -> str:
        account = await self.ledger.open_account(
            tenant_id=tenant_id, code=code, currency=currency, guard=Guard.NONE
        )
        return account.id

    async def balance(self, account_id: str) -> Balance:
        view = await self.ledger.balance(account_id)
        return Balance(posted=view.credit_balance, held=view.debits_pending)

    # -- movements -------------------------------------------------------------------------

    async def move(
        self,
        *,
        transfer_id: str,
        from_account: str,
        to_account: str,
        amount: Decimal,
        currency: str,
        code: str,
        tenant_id: str,
        memo: str | None = None,
        pending: bool = False,
    ) -> TransferView:
        return await self.ledger.transfer(
            transfer_id=transfer_id,
            debit_account_id=from_account,
            credit_account_id=to_account,
            amount=amount,
            currency=currency,
            code=code,
            memo=memo,
            pending=pending,
            tenant_id=tenant_id,
        )

    async def add_funded(
        self,
        row: object,
        *,
        transfer_id: str,
        from_account: str,
        to_account: str,
        amount: Decimal,
        currency: str,
        code: str,
        tenant_id: str,
    ) -> None:
        """Add a new quota or coupon row and fund its account (one ledger transfer)."""
        self.session.add(row)
        await self.session.flush()
        await self.move(
            transfer_id=transfer_id,
            from_account=from_account,
            to_account=to_account,
            amount=amount,
            currency=currency,
            code=code,
            tenant_id=tenant_id,
        )

    async def return_to_quota(
        self,
        coupon: Coupon,
        target: CouponQuota,
        *,
        transfer_id: str,
        trade: TradeType,
        tenant_id: str,
        trade_id: str,
    ) -> Decimal:
        """Move the coupon's whole available balance to ``target``; returns the amount (0 when
        nothing was left, and then nothing is written)."""
        left = (await self.balance(coupon.ledger_account_id)).available
        if left <= 0:
            return ZERO
        transfer = await self.move(
            transfer_id=transfer_id,
            from_account=coupon.ledger_account_id,
            to_account=target.ledger_account_id,
            amount=left,
            currency=coupon.currency,
            code=f"coupon_{trade.name.lower()}",
            tenant_id=tenant_id,
        )
        target.updated_at = self.clock.now()
        await self.record_change(coupon, trade, left, trade_id=trade_id, transfer_id=transfer.id)
        return left

    async def record_change(
        self,
        coupon: Coupon,
        trade: TradeType,
        amount: Decimal,
        *,
        trade_id: str,
        transfer_id: str,
        detail: str | None = None,
        cloud_service_type_name: str | None = None,
        resource_type_name: str | None = None,
    ) -> None:
        after = (await self.balance(coupon.ledger_account_id)).posted
        self.session.add(
            CouponChange(
                id=new_id(),
                tenant_id=coupon.customer_id,
                coupon_id=coupon.id,
                trade_type=trade.value,
                trade_detail_type=detail or TRADE_DETAIL[trade],
                revenue_expense_type="REVENUE" if trade in REVENUE_TRADES else "EXPENSE",
                change_amount=amount,
                balance_after=after,
                currency=coupon.currency,
                trade_id=trade_id,
                transfer_id=transfer_id,
                trade_time=self.clock.now(),
                cloud_service_type_name=cloud_service_type_name,
                resource_type_name=resource_type_name,
            )
        )
        await self.session.flush()
