"""Coupons an enterprise master shares with its member accounts (api-semantics.md §3.13).

Part of an available coupon of the master becomes a *sub-coupon* of a member: a coupon of its
own (same issuer, quota, type, window and restrictions; face value the amount given), funded
from the master's coupon by one ledger transfer (``coupon:<master coupon>`` →
``coupon:<sub-coupon>``, both guarded, so neither goes negative). Reclaiming a sub-coupon moves
its whole available balance back to the master's coupon and closes it (operation type 2,
manual reclaim). A sub-coupon that expires returns its balance to the quota like any coupon.

The caller chooses the sub-coupon's id (derived from its transaction id), so a retry finds the
coupon it created. Locks: coupon rows in ascending id order, then the ledger's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.coupons.book import CouponBook, TradeType
from partner_center.domains.coupons.errors import CouponErrorCode, coupon_error
from partner_center.domains.coupons.models import Coupon
from partner_center.domains.coupons.redemptions import CouponRedemptions
from partner_center.domains.coupons.service import EXPIRE_JOB
from partner_center.domains.coupons.states import CouponStatus, coupon_status, coupon_status_sql
from partner_center.domains.coupons.views import CouponView
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.jobs import schedule
from partner_center.kernel.pagination import Page, paginate

DETAIL_MEMBER_TRANSFER = "SOURCE_OPERATION_MULTIACCOUNT_TRANSFER"
DETAIL_MEMBER_RECLAIM = "SOURCE_OPERATION_MULTIACCOUNT_RETRIEVE"


@dataclass(frozen=True, slots=True)
class SharedCoupon:
    """A sub-coupon as created: its id and the amount it holds."""

    sub_coupon_id: str
    amount: Decimal


class MemberCoupons:
    """Splitting master coupons to members and taking them back; flushes only."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        book: CouponBook,
        redemptions: CouponRedemptions,
    ) -> None:
        self.session = session
        self.clock = clock
        self.book = book
        self.redemptions = redemptions

    async def _locked(self, *coupon_ids: str) -> dict[str, Coupon]:
        found: dict[str, Coupon] = {}
        for coupon_id in sorted(set(coupon_ids)):
            row = await self.session.get(
                Coupon, coupon_id, with_for_update=True, populate_existing=True
            )
            if row is not None:
                found[coupon_id] = row
        return found

    async def available(self, holder_id: str, page: Page) -> tuple[list[CouponView], int]:
        """The holder's available coupons (usable now), newest first."""
        stmt = select(Coupon).where(
            Coupon.customer_id == holder_id,
            coupon_status_sql(self.clock.now()) == int(CouponStatus.AVAILABLE),
        )
        return await self._views(stmt, page)

    async def held_among(
        self, holder_id: str, coupon_ids: list[str], page: Page
    ) -> tuple[list[CouponView], int]:
        """The holder's available coupons among ``coupon_ids``, newest first."""
        stmt = select(Coupon).where(
            Coupon.customer_id == holder_id,
            Coupon.id.in_(coupon_ids),
            coupon_status_sql(self.clock.now()) == int(CouponStatus.AVAILABLE),
        )
        return await self._views(stmt, page)

    async def _views(self, stmt: Select[Coupon], page: Page) -> tuple[list[CouponView], int]:
        rows, total = await paginate(
            self.session, stmt, page, Coupon.created_at.desc(), Coupon.id.desc()
        )
        return [await self.redemptions.coupon_view(r) for r in rows], int(total)

    def _usable(self, coupon: Coupon, field: str) -> None:
        status = coupon_status(coupon, self.clock.now())
        if status is CouponStatus.USED:
            raise coupon_error(CouponErrorCode.COUPON_USED, f"The coupon {coupon.id} is used up.")
        if status is not CouponStatus.AVAILABLE:
            raise invalid_parameter(
                field,
                f"Only available coupons (status 2) can be moved; {coupon.id} is "
                f"{status.name.lower().replace('_', ' ')} ({int(status)}).",
            )
        if coupon.lock_order_id is not None:
            raise coupon_error(
                CouponErrorCode.COUPON_USED,
                f"The coupon {coupon.id} is held by the unpaid order {coupon.lock_order_id}.",
            )

    async def share(
        self,
        *,
        master_id: str,
        member_id: str,
        coupon_id: str,
        amount: Decimal,
        sub_coupon_id: str,
        actor_id: str,
    ) -> SharedCoupon:
        """Give ``amount`` of the master's coupon to the member as the sub-coupon
        ``sub_coupon_id``.

        Raises:
            DomainError: ``CBC.0100`` not the master's coupon or not available;
                ``CBC.99003112`` used up or held by an order; ``CBC.99005003`` more than the
                coupon's available balance.
        """
        coupon = (await self._locked(coupon_id)).get(coupon_id)
        if coupon is None or coupon.customer_id != master_id:
            raise invalid_parameter("coupon_id", f"You hold no coupon {coupon_id}.")
        self._usable(coupon, "coupon_id")
        left = (await self.book.balance(coupon.ledger_account_id)).available
        if amount > left:
            raise DomainError(
                CouponErrorCode.COUPON_INSUFFICIENT,
                f"Insufficient balance: the coupon {coupon_id} has {left:f} {coupon.currency} "
                "available.",
                {"available": f"{left:f}"},
            )
        account = await self.book.open_guarded(
            tenant_id=member_id, code=f"coupon:{sub_coupon_id}", currency=coupon.currency
        )
        sub = Coupon(
            id=sub_coupon_id,
            tenant_id=coupon.tenant_id,
            customer_id=member_id,
            quota_id=coupon.quota_id,
            coupon_type=coupon.coupon_type,
            face_value=amount,
            currency=coupon.currency,
            valid_time=coupon.valid_time,
            expire_time=coupon.expire_time,
            limits=dict(coupon.limits),
            memo=f"Shared from coupon {coupon.id}",
            ledger_account_id=account,
            issued_by=coupon.issued_by,
            times_used=0,
            created_at=self.clock.now(),
        )
        self.session.add(sub)
        await self.session.flush()
        transfer = await self.book.move(
            transfer_id=f"coupon-share:{sub_coupon_id}",
            from_account=coupon.ledger_account_id,
            to_account=account,
            amount=amount,
            currency=coupon.currency,
            code="coupon_member_share",
            tenant_id=actor_id,
        )
        for row, trade, detail in (
            (coupon, TradeType.RECLAIM, DETAIL_MEMBER_TRANSFER),
            (sub, TradeType.ADJUST, DETAIL_MEMBER_TRANSFER),
        ):
            await self.book.record_change(
                row, trade, amount, trade_id=sub_coupon_id, transfer_id=transfer.id, detail=detail
            )
        await schedule(
            self.session,
            name=EXPIRE_JOB,
            due_at=sub.expire_time,
            payload={"coupon_id": sub_coupon_id},
            dedupe_key=f"coupon-expire:{sub_coupon_id}",
            tenant_id=sub.tenant_id,
        )
        return SharedCoupon(sub_coupon_id, amount)

    async def take_back(
        self, *, master_id: str, member_id: str, coupon_id: str, sub_coupon_id: str, actor_id: str
    ) -> Decimal:
        """Move what is left of the member's sub-coupon back to the master's coupon and close
        the sub-coupon; returns the amount moved.

        Raises:
            DomainError: ``CBC.0100`` no such sub-coupon of the member; ``CBC.99003112`` it is
                held by an order; ``CBC.99007004`` the master's coupon is closed (reclaimed or
                expired), so there is nothing to return to.
        """
        rows = await self._locked(coupon_id, sub_coupon_id)
        coupon, sub = rows.get(coupon_id), rows.get(sub_coupon_id)
        if coupon is None or coupon.customer_id != master_id:
            raise invalid_parameter("coupon_id", f"You hold no coupon {coupon_id}.")
        if sub is None or sub.customer_id != member_id:
            raise invalid_parameter(
                "sub_coupon_id", f"The member holds no coupon {sub_coupon_id} of yours."
            )
        if coupon.reclaimed_at is not None or coupon.expired_at is not None:
            raise DomainError(
                CouponErrorCode.BUSINESS_CHECK_FAILED,
                f"The coupon {coupon_id} is closed (reclaimed or expired); its member coupon "
                "cannot return to it.",
            )
        if sub.lock_order_id is not None:
            raise coupon_error(
                CouponErrorCode.COUPON_USED,
                f"The coupon {sub_coupon_id} is held by the unpaid order {sub.lock_order_id}.",
            )
        left = (await self.book.balance(sub.ledger_account_id)).available
        sub.reclaimed_at = self.clock.now()
        if left <= 0:
            await self.session.flush()
            return Decimal(0)
        transfer = await self.book.move(
            transfer_id=f"coupon-take-back:{sub_coupon_id}",
            from_account=sub.ledger_account_id,
            to_account=coupon.ledger_account_id,
            amount=left,
            currency=sub.currency,
            code="coupon_member_take_back",
            tenant_id=actor_id,
        )
        for row, trade in ((sub, TradeType.RECLAIM), (coupon, TradeType.ADJUST)):
            await self.book.record_change(
                row,
                trade,
                left,
                trade_id=sub_coupon_id,
                transfer_id=transfer.id,
                detail=DETAIL_MEMBER_RECLAIM,
            )
        return left
