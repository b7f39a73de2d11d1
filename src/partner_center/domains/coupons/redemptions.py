"""Paying orders with coupons — the API the orders domain calls (rules.md §7.5–7.7).

The life of a redemption::

    quote(order, coupon)     pure pricing: discount first, then the coupon
    redeem(order, coupon)    hold the amount on the coupon (a pending ledger transfer) and lock
                             the coupon for the order; one coupon per order
    capture(order)           the order is paid: post the hold (all or part of it)
    release(order)           the order is cancelled or expired unpaid: void the hold
    refund(order, case)      money of the paid order goes back: the coupon part returns only in
                             the cases rules.md §7.7 lists

Every step is idempotent: ``redeem`` by its ``redemption_id``, ``capture``/``release`` by the
order's state, ``refund`` by its ``refund_id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.coupons.book import (
    PAY_PER_USE_DEDUCT_DETAIL,
    REDEEMED,
    CouponBook,
    TradeType,
)
from partner_center.domains.coupons.errors import CouponErrorCode, coupon_error
from partner_center.domains.coupons.limits import Restrictions
from partner_center.domains.coupons.models import (
    Coupon,
    CouponRecord,
    CouponRedemption,
)
from partner_center.domains.coupons.pricing import (
    CouponQuote,
    CouponTerms,
    OrderContext,
    RefundCase,
    coupon_refundable,
    quote,
)
from partner_center.domains.coupons.quotas import QuotaService
from partner_center.domains.coupons.states import (
    CouponOperation,
    CouponStatus,
    CouponType,
    coupon_status,
)
from partner_center.domains.coupons.views import (
    ApplicableCoupon,
    CouponView,
    OrderLineNames,
    RedemptionView,
    RefundOutcome,
)
from partner_center.domains.customers.public import (
    AssociationStatus,
    CustomerRecords,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.money import decimal_places

ZERO = Decimal(0)
HELD = "HELD"
CAPTURED = "CAPTURED"
RELEASED = "RELEASED"


def redemption_view(row: CouponRedemption) -> RedemptionView:
    return RedemptionView(
        redemption_id=row.id,
        coupon_id=row.coupon_id,
        order_id=row.order_id,
        amount=row.amount,
        captured_amount=row.captured_amount,
        refunded_amount=row.refunded_amount,
        currency=row.currency,
        status=row.status,
    )


@dataclass(frozen=True, slots=True)
class _Holder:
    associated_on: datetime | None
    frozen: bool


class CouponRedemptions:
    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        book: CouponBook,
        quotas: QuotaService,
        customer_records: CustomerRecords,
    ) -> None:
        self.session = session
        self.clock = clock
        self.book = book
        self.quotas = quotas
        self.customer_records = customer_records

    # -- reading ---------------------------------------------------------------------------

    async def coupon_view(
        self, row: Coupon, *, frozen: bool = False, order_id: str | None = None
    ) -> CouponView:
        balance = await self.book.balance(row.ledger_account_id)
        return CouponView(
            coupon_id=row.id,
            customer_id=row.customer_id,
            issuer_id=row.tenant_id,
            quota_id=row.quota_id,
            coupon_type=CouponType(row.coupon_type),
            status=coupon_status(row, self.clock.now()),
            face_value=row.face_value,
            balance=balance.posted,
            held=balance.held,
            currency=row.currency,
            valid_time=row.valid_time,
            expire_time=row.expire_time,
            restrictions=Restrictions.from_json(row.limits),
            memo=row.memo,
            lock_order_id=row.lock_order_id,
            times_used=row.times_used,
            last_used_at=row.last_used_at,
            created_at=row.created_at,
            frozen=frozen,
            order_id=order_id,
        )

    async def _holder(self, customer_id: str) -> _Holder:
        row = await self.customer_records.get(customer_id)
        if row is None or row.association_status != AssociationStatus.ASSOCIATED:
            return _Holder(associated_on=None, frozen=False)
        return _Holder(associated_on=row.associated_on, frozen=row.freeze_type is not None)

    async def _terms(self, row: Coupon) -> CouponTerms:
        balance = await self.book.balance(row.ledger_account_id)
        return CouponTerms(
            coupon_id=row.id,
            coupon_type=CouponType(row.coupon_type),
            status=coupon_status(row, self.clock.now()),
            available=balance.available,
            restrictions=Restrictions.from_json(row.limits),
            times_used=row.times_used,
            locked_by_order_id=row.lock_order_id,
            issued_at=row.created_at,
        )

    async def _coupon_of(self, coupon_id: str, customer_id: str, *, lock: bool) -> Coupon:
        row = await self.session.get(
            Coupon, coupon_id, with_for_update=lock, populate_existing=lock
        )
        if row is None or row.customer_id != customer_id:
            raise coupon_error(
                CouponErrorCode.COUPON_LOOKUP_FAILED,
                f"The coupon {coupon_id} does not exist or does not belong to the customer.",
            )
        return row

    async def applicable(self, customer_id: str, order: OrderContext) -> list[ApplicableCoupon]:
        """The customer's coupons that can pay ``order`` now, soonest to expire first, each
        with what it would pay. A frozen customer can use none."""
        if order.customer_id != customer_id:
            raise invalid_parameter("customer_id", "The order belongs to another customer.")
        holder = await self._holder(customer_id)
        if holder.frozen:
            return []
        now = self.clock.now()
        stmt = (
            select(Coupon)
            .where(
                Coupon.customer_id == customer_id,
                Coupon.reclaimed_at.is_(None),
                Coupon.expired_at.is_(None),
                Coupon.used_up_at.is_(None),
                Coupon.valid_time <= now,
                Coupon.expire_time > now,
            )
            .order_by(Coupon.expire_time, Coupon.id)
        )
        found = []
        for row in (await self.session.execute(stmt)).scalars().all():
            try:
                result = quote(
                    order,
                    [await self._terms(row)],
                    associated_on=holder.associated_on,
                )
            except DomainError:
                continue
            if result.coupon_amount > 0:
                found.append(
                    ApplicableCoupon(
                        coupon=await self.coupon_view(row),
                        coupon_amount=result.coupon_amount,
                        payable=result.payable,
                    )
                )
        return found

    async def quote(self, order: OrderContext, coupon_id: str | None) -> CouponQuote:
        """What ``order`` costs with the customer's coupon ``coupon_id`` (or none).

        Raises:
            DomainError: ``CBC.99006016`` not the customer's coupon, and the pricing rules'
                codes (see ``pricing.quote``).
        """
        if coupon_id is None:
            return quote(order)
        row = await self._coupon_of(coupon_id, order.customer_id, lock=False)
        holder = await self._holder(order.customer_id)
        self._check_not_frozen(holder, coupon_id)
        return quote(order, [await self._terms(row)], associated_on=holder.associated_on)

    @staticmethod
    def _check_not_frozen(holder: _Holder, coupon_id: str) -> None:
        if holder.frozen:
            raise coupon_error(
                CouponErrorCode.COUPON_NOT_APPLICABLE,
                f"The coupon {coupon_id} cannot be used while the customer's account is frozen.",
            )

    # -- holding and paying ----------------------------------------------------------------

    async def redeem(
        self,
        *,
        order: OrderContext,
        coupon_id: str,
        redemption_id: str,
        amount: Decimal | None = None,
    ) -> RedemptionView:
        """Hold part of the coupon for ``order`` (its coupon amount by default).

        Raises:
            DomainError: ``CBC.0100`` bad amount, or the order already has a coupon;
                ``CBC.99007009`` ``redemption_id`` used for something else; ``CBC.99006016`` not
                the customer's coupon; the pricing rules' codes.
        """
        if not redemption_id or len(redemption_id) > 64:
            raise invalid_parameter("redemption_id", "1 to 64 characters.")
        existing = await self.session.get(CouponRedemption, redemption_id)
        if existing is not None:
            return self._replay(existing, order, coupon_id, amount)
        row = await self._coupon_of(coupon_id, order.customer_id, lock=True)
        existing = await self.session.get(CouponRedemption, redemption_id, populate_existing=True)
        if existing is not None:
            return self._replay(existing, order, coupon_id, amount)
        holder = await self._holder(order.customer_id)
        self._check_not_frozen(holder, coupon_id)
        priced = quote(order, [await self._terms(row)], associated_on=holder.associated_on)
        wanted = priced.coupon_amount if amount is None else amount
        if wanted <= 0 or decimal_places(wanted) > 2 or wanted > priced.coupon_amount:
            raise invalid_parameter(
                "amount",
                f"The coupon can pay between 0.01 and {priced.coupon_amount:f} of this order.",
            )
        sink = await self.book.open_sink(
            tenant_id=row.tenant_id, code=REDEEMED, currency=row.currency
        )
        redemption = CouponRedemption(
            id=redemption_id,
            tenant_id=row.customer_id,
            coupon_id=row.id,
            order_id=order.order_id,
            active_order_id=order.order_id,
            amount=wanted,
            captured_amount=ZERO,
            refunded_amount=ZERO,
            currency=row.currency,
            status=HELD,
            hold_transfer_id=f"coupon-hold:{redemption_id}",
            created_at=self.clock.now(),
        )
        try:
            async with self.session.begin_nested():
                self.session.add(redemption)
                await self.session.flush()
        except IntegrityError:
            raise coupon_error(
                CouponErrorCode.INVALID_PARAMETER,
                f"Invalid parameter: coupon_infos. The order {order.order_id} already has a "
                "coupon; one coupon per order.",
            ) from None
        await self.book.move(
            transfer_id=redemption.hold_transfer_id,
            from_account=row.ledger_account_id,
            to_account=sink,
            amount=wanted,
            currency=row.currency,
            code="coupon_hold",
            tenant_id=row.customer_id,
            memo=f"order {order.order_id}",
            pending=True,
        )
        row.lock_order_id = order.order_id
        await self.session.flush()
        return redemption_view(redemption)

    @staticmethod
    def _replay(
        existing: CouponRedemption, order: OrderContext, coupon_id: str, amount: Decimal | None
    ) -> RedemptionView:
        if (
            existing.coupon_id != coupon_id
            or existing.order_id != order.order_id
            or existing.tenant_id != order.customer_id
            or (amount is not None and existing.amount != amount)
        ):
            raise coupon_error(
                CouponErrorCode.DUPLICATE_REQUEST,
                f"The redemption id {existing.id} was already used for another redemption.",
            )
        return redemption_view(existing)

    async def _active(self, order_id: str) -> CouponRedemption | None:
        stmt = (
            select(CouponRedemption)
            .where(CouponRedemption.active_order_id == order_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def capture(
        self,
        *,
        order_id: str,
        amount: Decimal | None = None,
        pay_per_use: bool = False,
        names: OrderLineNames | None = None,
    ) -> RedemptionView | None:
        """The order is paid: deduct its held coupon amount (or ``amount`` of it; the rest is
        released). None if the order holds no coupon. Capturing again changes nothing."""
        redemption = await self._active(order_id)
        if redemption is None:
            return None
        coupon = await self.session.get(
            Coupon, redemption.coupon_id, with_for_update=True, populate_existing=True
        )
        assert coupon is not None
        redemption = await self._active(order_id)
        assert redemption is not None
        if redemption.status == CAPTURED:
            return redemption_view(redemption)
        posted = redemption.amount if amount is None else amount
        if posted <= 0 or posted > redemption.amount or decimal_places(posted) > 2:
            raise invalid_parameter("amount", f"Between 0.01 and {redemption.amount:f}.")
        transfer = await self.book.ledger.post_pending(
            transfer_id=f"coupon-capture:{redemption.id}",
            pending_id=redemption.hold_transfer_id,
            amount=posted,
            code="coupon_payment",
        )
        now = self.clock.now()
        redemption.status = CAPTURED
        redemption.captured_amount = posted
        redemption.resolved_at = now
        coupon.lock_order_id = None
        coupon.times_used += 1
        coupon.last_used_at = now
        if (await self.book.balance(coupon.ledger_account_id)).posted <= 0:
            coupon.used_up_at = now
        shown = names or OrderLineNames()
        await self.book.record_change(
            coupon,
            TradeType.DEDUCT,
            posted,
            trade_id=order_id,
            transfer_id=transfer.id,
            detail=PAY_PER_USE_DEDUCT_DETAIL if pay_per_use else None,
            cloud_service_type_name=shown.cloud_service_type_name,
            resource_type_name=shown.resource_type_name,
        )
        return redemption_view(redemption)

    async def release(self, *, order_id: str) -> RedemptionView | None:
        """The order was cancelled or expired unpaid: free its coupon. None if it held none."""
        redemption = await self._active(order_id)
        if redemption is None:
            return None
        coupon = await self.session.get(
            Coupon, redemption.coupon_id, with_for_update=True, populate_existing=True
        )
        assert coupon is not None
        redemption = await self._active(order_id)
        if redemption is None or redemption.status != HELD:
            return None if redemption is None else redemption_view(redemption)
        await self._void(redemption, coupon)
        return redemption_view(redemption)

    async def release_holds(self, coupon: Coupon) -> None:
        """Free every hold on ``coupon`` (it is being expired or reclaimed; the caller holds its
        row lock). The orders holding it can no longer be paid with it."""
        stmt = select(CouponRedemption).where(
            CouponRedemption.coupon_id == coupon.id, CouponRedemption.status == HELD
        )
        for redemption in (await self.session.execute(stmt)).scalars().all():
            await self._void(redemption, coupon)

    async def _void(self, redemption: CouponRedemption, coupon: Coupon) -> None:
        await self.book.ledger.void_pending(
            transfer_id=f"coupon-release:{redemption.id}",
            pending_id=redemption.hold_transfer_id,
            code="coupon_release",
        )
        redemption.status = RELEASED
        redemption.active_order_id = None
        redemption.resolved_at = self.clock.now()
        if coupon.lock_order_id == redemption.order_id:
            coupon.lock_order_id = None
        await self.session.flush()

    async def refund(
        self,
        *,
        order_id: str,
        case: RefundCase,
        refund_id: str,
        amount: Decimal | None = None,
    ) -> RefundOutcome:
        """Give the coupon part of a paid order back, if ``case`` is one that refunds coupons
        (rules.md §7.7); else nothing moves. ``amount`` defaults to all not yet refunded. If the
        coupon has expired or was reclaimed meanwhile, the amount goes on to its quota.

        Raises:
            DomainError: ``CBC.0100`` bad amount or refund id.
        """
        if not refund_id or len(refund_id) > 64:
            raise invalid_parameter("refund_id", "1 to 64 characters.")
        transfer_id = f"coupon-refund:{refund_id}"
        redemption = await self._active(order_id)
        if redemption is None or redemption.status != CAPTURED:
            return RefundOutcome(ZERO, "The order was not paid with a coupon.")
        if not coupon_refundable(case):
            return RefundOutcome(
                ZERO,
                "Coupons are not refunded on unsubscription or downgrade (only when the order "
                "never took effect, ended in an exception, or an unstarted renewal is "
                "unsubscribed).",
            )
        coupon = await self.session.get(
            Coupon, redemption.coupon_id, with_for_update=True, populate_existing=True
        )
        assert coupon is not None
        done = await self.book.ledger.get_transfer(transfer_id)
        if done is not None:
            return RefundOutcome(done.amount, "Already refunded.")
        redemption = await self._active(order_id)
        assert redemption is not None
        remaining = redemption.captured_amount - redemption.refunded_amount
        wanted = remaining if amount is None else amount
        if wanted <= 0 or wanted > remaining or decimal_places(wanted) > 2:
            raise invalid_parameter("amount", f"Between 0.01 and {remaining:f}.")
        sink = await self.book.open_sink(
            tenant_id=coupon.tenant_id, code=REDEEMED, currency=coupon.currency
        )
        transfer = await self.book.move(
            transfer_id=transfer_id,
            from_account=sink,
            to_account=coupon.ledger_account_id,
            amount=wanted,
            currency=coupon.currency,
            code="coupon_refund",
            tenant_id=coupon.customer_id,
            memo=f"order {order_id}: {case.value}",
        )
        redemption.refunded_amount += wanted
        coupon.used_up_at = None
        await self.book.record_change(
            coupon, TradeType.REFUND, wanted, trade_id=order_id, transfer_id=transfer.id
        )
        returned = ZERO
        if coupon_status(coupon, self.clock.now()) in (
            CouponStatus.EXPIRED,
            CouponStatus.RECLAIMED,
        ):
            returned = await self._pass_on(coupon, refund_id, order_id)
        return RefundOutcome(wanted, f"Refunded ({case.value}).", returned_to_quota=returned)

    async def _pass_on(self, coupon: Coupon, refund_id: str, order_id: str) -> Decimal:
        quota = await self.quotas.lock(coupon.quota_id)
        assert quota is not None
        target = await self.quotas.return_target(quota)
        trade = TradeType.RECLAIM if coupon.reclaimed_at is not None else TradeType.EXPIRED
        moved = await self.book.return_to_quota(
            coupon,
            target,
            transfer_id=f"coupon-refund-return:{refund_id}",
            trade=trade,
            tenant_id=coupon.tenant_id,
            trade_id=order_id,
        )
        self.session.add(
            CouponRecord(
                id=new_id(),
                tenant_id=coupon.tenant_id,
                operation_type=int(CouponOperation.UNSUBSCRIPTION_RECLAIM),
                quota_id=coupon.quota_id,
                quota_type=quota.quota_type,
                coupon_id=coupon.id,
                customer_id=coupon.customer_id,
                operation_amount=moved,
                currency=coupon.currency,
                operation_time=self.clock.now(),
                result="0",
                remark=f"refund of order {order_id} after the coupon closed",
            )
        )
        await self.session.flush()
        return moved
