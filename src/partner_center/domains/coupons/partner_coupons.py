"""Partner cash coupons (rules.md §7.8–7.9): coupons the partner itself holds, deducted from its
bills when the bill run issues them.

Where they come from: the operator issues them (``issue``: the CLI ``partner-center coupons
issue-partner`` and the operator's ``POST /v1/partner-center/partner-cash-coupons``), from an
incentive payout or as PoC test coupons (``source``), with a validity window, optionally tied to
one reseller-model customer of the partner.

How a bill uses them (``apply_to_bill``), in one deterministic order: coupons tied to a customer
first (7.8), each limited to that customer's total on the bill; then the general ones; within
each group the one expiring first, then the oldest, then by id. A coupon pays at most its
balance and the bill's total left; a partly used coupon keeps the rest for the next bill.

Ledger accounts (the site currency):

* ``partner_cash_coupon:<id>`` of the partner, guarded: the coupon balance, funded from the
  operator's unguarded ``partner_coupon_grants`` at issue (transfer ``pcc-issue:<id>``);
* ``partner_coupons:<partner>`` of the platform, unguarded: the clearing account a bill's coupon
  use goes to (transfer ``pcc-use:<bill id>:<coupon id>``, posted once per bill and coupon); the
  balances domain then moves the bill's coupon total from it to the partner's
  ``partner_receivable`` (``partner_center.domains.balances``' ``post_bill_coupons``), so what the
  partner owes drops by what its coupons paid.

Locks: a bill locks its partner's usable coupons (``FOR UPDATE``, by id) before reading their
balances, so two runs billing the same partner serialize; the bill's own uniqueness on
(partner, cycle) makes the loser roll back, coupon transfers included.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.coupons.book import CouponBook
from partner_center.domains.coupons.models import PartnerCashCoupon, PartnerCouponUse
from partner_center.domains.coupons.quotas import (
    check_amount,
    check_remark,
    check_window,
    top_level_partner,
)
from partner_center.domains.customers.public import AssociationType, CustomerRecords
from partner_center.domains.partners.public import PartnerService
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page, paginate

ZERO = Decimal(0)
GRANTS = "partner_coupon_grants"
PLATFORM_TENANT = "platform"

#: The customers' totals on the bill being issued, for the given customer ids (2 decimals).
CustomerTotals = Callable[[Sequence[str]], Awaitable[dict[str, Decimal]]]


def clearing_code(partner_id: str) -> str:
    """The platform account a partner's bills' coupon uses clear through."""
    return f"partner_coupons:{partner_id}"


class PartnerCouponSource(enum.StrEnum):
    OPERATOR = "operator"
    INCENTIVE = "incentive"
    TEST = "test"


@dataclass(frozen=True, slots=True)
class PartnerCouponView:
    coupon_id: str
    partner_id: str
    customer_id: str | None
    source: PartnerCouponSource
    face_value: Decimal
    balance: Decimal
    currency: str
    valid_time: datetime
    expire_time: datetime
    created_at: datetime
    remark: str | None

    def usable_at(self, at: datetime) -> bool:
        return self.valid_time <= at < self.expire_time and self.balance > 0


@dataclass(frozen=True, slots=True)
class PartnerCouponUseView:
    coupon_id: str
    bill_id: str
    cycle: str
    amount: Decimal
    balance_after: Decimal
    customer_id: str | None
    used_at: datetime


def _usable(partner_id: str, at: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        PartnerCashCoupon.tenant_id == partner_id,
        PartnerCashCoupon.valid_time <= at,
        PartnerCashCoupon.expire_time > at,
    )


class PartnerCoupons:
    """Issues partner cash coupons and applies them to partner bills; flushes only."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        book: CouponBook,
        partners: PartnerService,
        customer_records: CustomerRecords,
    ) -> None:
        self.session = session
        self.clock = clock
        self.book = book
        self.partners = partners
        self.customer_records = customer_records

    async def issue(
        self,
        *,
        operator_id: str,
        partner_id: str,
        amount: Decimal,
        currency: str,
        expire_time: datetime,
        valid_time: datetime | None = None,
        customer_id: str | None = None,
        source: PartnerCouponSource = PartnerCouponSource.OPERATOR,
        remark: str | None = None,
        issue_key: str | None = None,
    ) -> PartnerCouponView:
        """Give a CSP or distributor a cash coupon its next bills use (7.8).

        Args:
            customer_id: tie it to one reseller-model customer billed to the partner (its
                spend only, used before the general coupons).
            issue_key: the issuer's idempotency key: issuing again with it returns the first
                coupon (whatever the other arguments) and moves nothing.

        Raises:
            DomainError: ``CBC.0100`` unknown partner, a reseller (its distributor receives the
                bills), an exited partner, a bad amount or window, a customer not billed to
                the partner as a reseller-model customer.
        """
        if issue_key is not None and not 1 <= len(issue_key) <= 64:
            raise invalid_parameter("issue_key", "1 to 64 characters.")
        if issue_key is not None:
            existing = await self.session.scalar(
                select(PartnerCashCoupon).where(
                    PartnerCashCoupon.tenant_id == partner_id,
                    PartnerCashCoupon.issue_key == issue_key,
                )
            )
            if existing is not None:
                return await self._view(existing)
        await top_level_partner(
            self.partners, partner_id, "A reseller has no bills of its own: its distributor's."
        )
        check_amount(amount, "amount")
        now = self.clock.now()
        start = check_window(now, valid_time, expire_time, "valid_time")
        if customer_id is not None:
            await self._check_customer(partner_id, customer_id)
        coupon_id = new_id()
        account = await self.book.open_guarded(
            tenant_id=partner_id, code=f"partner_cash_coupon:{coupon_id}", currency=currency
        )
        grants = await self.book.open_sink(tenant_id=operator_id, code=GRANTS, currency=currency)
        row = PartnerCashCoupon(
            id=coupon_id,
            tenant_id=partner_id,
            customer_id=customer_id,
            source=PartnerCouponSource(source).value,
            face_value=amount,
            currency=currency,
            valid_time=start,
            expire_time=expire_time,
            ledger_account_id=account,
            issued_by=operator_id,
            issue_key=issue_key,
            remark=check_remark(remark),
            created_at=now,
        )
        await self.book.add_funded(
            row,
            transfer_id=f"pcc-issue:{coupon_id}",
            from_account=grants,
            to_account=account,
            amount=amount,
            currency=currency,
            code="partner_coupon_issue",
            tenant_id=operator_id,
        )
        return await self._view(row)

    async def _check_customer(self, partner_id: str, customer_id: str) -> None:
        record = await self.customer_records.get(customer_id)
        billed = record and (record.distributor_id or record.tenant_id)
        if (
            record is None
            or billed != partner_id
            or record.association_type != AssociationType.RESELLER
        ):
            raise invalid_parameter(
                "customer_id",
                f"{customer_id} is not a reseller-model customer billed to {partner_id}.",
            )

    async def list_coupons(
        self, partner_id: str, window: Page
    ) -> tuple[list[PartnerCouponView], int]:
        """The partner's cash coupons with their balances, expiring first."""
        stmt = select(PartnerCashCoupon).where(PartnerCashCoupon.tenant_id == partner_id)
        rows, total = await paginate(
            self.session, stmt, window, PartnerCashCoupon.expire_time, PartnerCashCoupon.id
        )
        balances = await self.book.ledger.balances([r.ledger_account_id for r in rows])
        return [self._view_of(r, balances[r.ledger_account_id].credit_balance) for r in rows], total

    async def usable_balance(self, partner_id: str, at: datetime) -> Decimal:
        """What the partner's coupons valid at ``at`` have left (``coupon_amount`` of
        ``show_partner_consumption_quota``)."""
        accounts = list(
            (
                await self.session.scalars(
                    select(PartnerCashCoupon.ledger_account_id).where(*_usable(partner_id, at))
                )
            ).all()
        )
        if not accounts:
            return ZERO
        balances = await self.book.ledger.balances(accounts)
        return sum((b.credit_balance for b in balances.values()), ZERO)

    async def apply_to_bill(
        self,
        *,
        partner_id: str,
        bill_id: str,
        cycle: str,
        total: Decimal,
        customer_totals: CustomerTotals,
    ) -> Decimal:
        """Pay up to ``total`` of the partner bill ``bill_id`` with the partner's coupons valid
        now, in the module's order; each use is a ledger transfer and a use row, once per
        (bill, coupon). A bill whose uses exist already changes nothing and answers their sum.

        Returns:
            The amount the coupons paid (2 decimals, 0 ≤ amount ≤ max(0, total)).
        """
        done = await self.session.scalar(
            select(func.count())
            .select_from(PartnerCouponUse)
            .where(PartnerCouponUse.bill_id == bill_id)
        )
        if done:
            return await self.used_on_bill(bill_id)
        if total <= 0:
            return ZERO
        now = self.clock.now()
        rows = list(
            (
                await self.session.scalars(
                    select(PartnerCashCoupon)
                    .where(*_usable(partner_id, now))
                    .order_by(PartnerCashCoupon.id)
                    .with_for_update()
                )
            ).all()
        )
        balances = await self.book.ledger.balances([r.ledger_account_id for r in rows])
        rows = [r for r in rows if balances[r.ledger_account_id].credit_balance > 0]
        if not rows:
            return ZERO
        tied = sorted({r.customer_id for r in rows if r.customer_id is not None})
        per_customer = dict(await customer_totals(tied)) if tied else {}
        rows.sort(key=lambda r: (r.customer_id is None, r.expire_time, r.created_at, r.id))
        clearing = await self.book.open_sink(
            tenant_id=PLATFORM_TENANT, code=clearing_code(partner_id), currency=rows[0].currency
        )
        left = total
        for row in rows:
            if left <= 0:
                break
            cap = left
            if row.customer_id is not None:
                cap = min(cap, per_customer.get(row.customer_id, ZERO))
            balance = balances[row.ledger_account_id].credit_balance
            part = min(cap, balance)
            if part <= 0:
                continue
            transfer = await self.book.move(
                transfer_id=f"pcc-use:{bill_id}:{row.id}",
                from_account=row.ledger_account_id,
                to_account=clearing,
                amount=part,
                currency=row.currency,
                code="partner_coupon_use",
                tenant_id=partner_id,
                memo=f"Bill {bill_id}",
            )
            if row.customer_id is not None:
                per_customer[row.customer_id] -= part
            left -= part
            self.session.add(
                PartnerCouponUse(
                    id=new_id(),
                    tenant_id=partner_id,
                    bill_id=bill_id,
                    cycle=cycle,
                    coupon_id=row.id,
                    amount=part,
                    balance_after=balance - part,
                    currency=row.currency,
                    transfer_id=transfer.id,
                    used_at=now,
                )
            )
        await self.session.flush()
        return total - left

    async def used_on_bill(self, bill_id: str) -> Decimal:
        return sum((u.amount for u in await self.uses_of_bill(bill_id)), ZERO)

    async def uses_of_bill(self, bill_id: str) -> list[PartnerCouponUseView]:
        """Which coupons paid how much of the bill, in the order they were used."""
        rows = await self.session.execute(
            select(PartnerCouponUse, PartnerCashCoupon.customer_id)
            .join(PartnerCashCoupon, PartnerCashCoupon.id == PartnerCouponUse.coupon_id)
            .where(PartnerCouponUse.bill_id == bill_id)
            .order_by(
                PartnerCashCoupon.customer_id.is_(None),
                PartnerCashCoupon.expire_time,
                PartnerCashCoupon.created_at,
                PartnerCashCoupon.id,
            )
        )
        return [
            PartnerCouponUseView(
                coupon_id=use.coupon_id,
                bill_id=use.bill_id,
                cycle=use.cycle,
                amount=use.amount,
                balance_after=use.balance_after,
                customer_id=customer,
                used_at=use.used_at,
            )
            for use, customer in rows.all()
        ]

    async def _view(self, row: PartnerCashCoupon) -> PartnerCouponView:
        balance = await self.book.balance(row.ledger_account_id)
        return self._view_of(row, balance.posted)

    @staticmethod
    def _view_of(row: PartnerCashCoupon, balance: Decimal) -> PartnerCouponView:
        return PartnerCouponView(
            coupon_id=row.id,
            partner_id=row.tenant_id,
            customer_id=row.customer_id,
            source=PartnerCouponSource(row.source),
            face_value=row.face_value,
            balance=balance,
            currency=row.currency,
            valid_time=row.valid_time,
            expire_time=row.expire_time,
            created_at=row.created_at,
            remark=row.remark,
        )
