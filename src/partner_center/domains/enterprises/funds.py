"""Money and coupons an enterprise master moves to and from its member accounts
(api-semantics.md §3.13), on top of the balances domain's ``CustomerTransfers`` (balance →
balance through the ledger) and the coupons domain's ``MemberCoupons`` (sub-coupons).

Locks: the master's customer row first (the top of every lock order), so every move of one
master queues behind the one before, then what the balances and coupons domains lock.

Idempotency: the reference's ``trans_id`` names the transaction. The same ``trans_id`` with the
same request answers what the first call answered and moves nothing; with a different request
it is ``CBC.99007009``. Without it every call is a new transaction.

Giving (money or coupons) needs an enterprise master (enterprise real-name authentication);
taking back works for any master that has members, so a master whose verification changed can
still recover what it gave. Amounts are in the site currency with at most 2 decimals.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances.public import CustomerTransfers, MoneyMovement
from partner_center.domains.coupons.public import CouponView, MemberCoupons
from partner_center.domains.customers.public import CustomerRecords
from partner_center.domains.enterprises.errors import EnterpriseErrorCode
from partner_center.domains.enterprises.models import CouponShare
from partner_center.domains.enterprises.service import EnterpriseService
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.idempotency import fingerprint
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page

_TRANS_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_AMOUNT = re.compile(r"\d{1,13}(\.\d{1,2})?")


def parse_amount(text: str | None, field: str = "amount") -> Decimal:
    """A positive amount given as a decimal string with at most 2 decimals."""
    if text is None or not _AMOUNT.fullmatch(text.strip()):
        raise invalid_parameter(field, "Give a positive amount with at most 2 decimals.")
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise invalid_parameter(field, "Not a number.") from None
    if amount <= 0:
        raise invalid_parameter(field, "Must be greater than 0.")
    return amount


def check_trans_id(trans_id: str | None) -> str | None:
    if trans_id is None or trans_id == "":
        return None
    if not _TRANS_ID.fullmatch(trans_id):
        raise invalid_parameter("trans_id", "Use 1 to 64 letters, digits, '.', '_', ':' or '-'.")
    return trans_id


@dataclass(frozen=True, slots=True)
class AvailableAmount:
    """The free balance a master can give, or a member can return."""

    available: Decimal
    posted: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class SharedCouponView:
    """A member's sub-coupon as its master sees it."""

    coupon: CouponView
    master_coupon_id: str


@dataclass(frozen=True, slots=True)
class CouponShareOutcome:
    sub_coupon_id: str
    replayed: bool


class EnterpriseFunds:
    """Master ↔ member money and coupons; flushes only."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        currency: str,
        enterprises: EnterpriseService,
        transfers: CustomerTransfers,
        coupons: MemberCoupons,
        customer_records: CustomerRecords,
    ) -> None:
        self.session = session
        self.clock = clock
        self.currency = currency
        self.enterprises = enterprises
        self.transfers = transfers
        self.coupons = coupons
        self.customer_records = customer_records

    # -- money --------------------------------------------------------------------------

    async def transferable(self, master_id: str) -> AvailableAmount:
        """What the master can give its members now."""
        await self.enterprises.require_master(master_id)
        return AvailableAmount(
            available=await self.transfers.free_balance(master_id),
            posted=await self.transfers.posted_balance(master_id),
            currency=self.currency,
        )

    async def retrievable(self, master_id: str, member_id: str | None) -> AvailableAmount:
        """What the master can take back from one of its members now."""
        member = await self.enterprises.member_of(master_id, member_id, "sub_customer_id")
        return AvailableAmount(
            available=await self.transfers.free_balance(member.account_id),
            posted=await self.transfers.posted_balance(member.account_id),
            currency=self.currency,
        )

    async def give(
        self, master_id: str, member_id: str | None, amount: Decimal, trans_id: str | None
    ) -> MoneyMovement:
        """Master balance → member balance (``update_sub_enterprise_amount``)."""
        key = check_trans_id(trans_id)
        await self.customer_records.lock(master_id)
        member = await self.enterprises.member_of(master_id, member_id, "customer_id")
        await self.enterprises.require_master(master_id)
        return await self.transfers.move(
            master_id=master_id,
            member_id=member.account_id,
            to_member=True,
            amount=amount,
            transaction_id=key,
            actor_id=master_id,
        )

    async def take_back(
        self, master_id: str, member_id: str | None, amount: Decimal, trans_id: str | None
    ) -> MoneyMovement:
        """Member balance → master balance (``reclaim_sub_enterprise_amount``)."""
        key = check_trans_id(trans_id)
        await self.customer_records.lock(master_id)
        member = await self.enterprises.member_of(master_id, member_id, "customer_id")
        return await self.transfers.move(
            master_id=master_id,
            member_id=member.account_id,
            to_member=False,
            amount=amount,
            transaction_id=key,
            actor_id=master_id,
        )

    # -- coupons ------------------------------------------------------------------------

    async def shareable_coupons(self, master_id: str, page: Page) -> tuple[list[CouponView], int]:
        await self.enterprises.require_master(master_id)
        return await self.coupons.available(master_id, page)

    async def shared_coupons(
        self, master_id: str, member_id: str | None, page: Page
    ) -> tuple[list[SharedCouponView], int]:
        """The member's sub-coupons from this master that can still be taken back."""
        member = await self.enterprises.member_of(master_id, member_id, "sub_customer_id")
        shares = (
            await self.session.execute(
                select(CouponShare.sub_coupon_id, CouponShare.coupon_id).where(
                    CouponShare.tenant_id == master_id,
                    CouponShare.member_account_id == member.account_id,
                    CouponShare.reclaimed_at.is_(None),
                )
            )
        ).all()
        origin = {row.sub_coupon_id: row.coupon_id for row in shares}
        views, total = await self.coupons.held_among(member.account_id, list(origin), page)
        return [SharedCouponView(v, origin[v.coupon_id]) for v in views], total

    async def share_coupon(
        self,
        master_id: str,
        member_id: str | None,
        coupon_id: str | None,
        amount: Decimal,
        trans_id: str | None,
    ) -> CouponShareOutcome:
        """Give part of a master's coupon to a member as a new sub-coupon."""
        key = check_trans_id(trans_id)
        if not coupon_id or len(coupon_id) > 64:
            raise invalid_parameter("coupon_id", "Required, at most 64 characters.")
        await self.customer_records.lock(master_id)
        member = await self.enterprises.member_of(master_id, member_id, "customer_id")
        await self.enterprises.require_master(master_id)
        request = fingerprint("share", master_id, member.account_id, coupon_id, amount)
        sub_coupon_id = (
            hashlib.sha256(f"{master_id}|coupon-share|{key}".encode()).hexdigest()[:32]
            if key is not None
            else new_id()
        )
        existing = await self._share(sub_coupon_id)
        if existing is not None:
            return self._replay(existing, request, key or sub_coupon_id)
        await self.coupons.share(
            master_id=master_id,
            member_id=member.account_id,
            coupon_id=coupon_id,
            amount=amount,
            sub_coupon_id=sub_coupon_id,
            actor_id=master_id,
        )
        self.session.add(
            CouponShare(
                sub_coupon_id=sub_coupon_id,
                tenant_id=master_id,
                member_account_id=member.account_id,
                coupon_id=coupon_id,
                amount=amount,
                request_hash=request,
                created_at=self.clock.now(),
            )
        )
        await self.session.flush()
        return CouponShareOutcome(sub_coupon_id, replayed=False)

    async def _share(self, sub_coupon_id: str) -> CouponShare | None:
        return await self.session.get(CouponShare, sub_coupon_id, populate_existing=True)

    @staticmethod
    def _replay(existing: CouponShare, request: str, key: str) -> CouponShareOutcome:
        if existing.request_hash != request:
            raise DomainError(
                EnterpriseErrorCode.DUPLICATE_TRANSACTION,
                f"The transaction id {key} was already used for a different request.",
            )
        return CouponShareOutcome(existing.sub_coupon_id, replayed=True)

    async def take_back_coupon(
        self,
        master_id: str,
        member_id: str | None,
        coupon_id: str | None,
        sub_coupon_id: str | None,
    ) -> Decimal:
        """Return what is left of a member's sub-coupon to the master's coupon. Taking back a
        sub-coupon twice answers the first amount again (nothing moves the second time)."""
        for field, value in (("coupon_id", coupon_id), ("sub_coupon_id", sub_coupon_id)):
            if not value or len(value) > 64:
                raise invalid_parameter(field, "Required, at most 64 characters.")
        assert coupon_id is not None and sub_coupon_id is not None
        await self.customer_records.lock(master_id)
        member = await self.enterprises.member_of(master_id, member_id, "customer_id")
        share = await self.session.get(
            CouponShare, sub_coupon_id, with_for_update=True, populate_existing=True
        )
        if (
            share is None
            or share.tenant_id != master_id
            or share.member_account_id != member.account_id
            or share.coupon_id != coupon_id
        ):
            raise invalid_parameter(
                "sub_coupon_id",
                f"{sub_coupon_id} is not a coupon you gave this member from {coupon_id}.",
            )
        if share.reclaimed_at is not None:
            return share.reclaimed_amount or Decimal(0)
        amount = await self.coupons.take_back(
            master_id=master_id,
            member_id=member.account_id,
            coupon_id=coupon_id,
            sub_coupon_id=sub_coupon_id,
            actor_id=master_id,
        )
        share.reclaimed_at = self.clock.now()
        share.reclaimed_amount = amount
        await self.session.flush()
        return amount
