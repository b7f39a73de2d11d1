"""``BillingService``: the partner's bills, what it owes, and repayments applied to bills.

Lock order: a repayment locks the partner's unpaid bills (``FOR UPDATE``, oldest cycle first,
then by id) before reading or changing them, so two concurrent repayments of one partner
serialize and can never pay more than is due. The repayment row (unique per ``payment_ref``)
makes a retry return the first answer.

Money movement: this service records which bills a repayment settled; the money itself (the
top-up and the ``partner_receivable`` repayment transfer) is posted by the caller (the
repayment flow) in the same unit of work, through the balances domain and the ledger.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Select, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances.public import PartnerDebt as PartnerDebtFigures
from partner_center.domains.billing.adjustments import (
    AdjustmentView,
    NewAdjustment,
    PostAdjustment,
    enter_adjustment,
)
from partner_center.domains.billing.cycles import parse_cycle
from partner_center.domains.billing.errors import BillingErrorCode, billing_error, invalid
from partner_center.domains.billing.fanout import BillFanOut
from partner_center.domains.billing.models import (
    BillingProfile,
    BillPayment,
    BillRepayment,
    BillRun,
    BillStatus,
    CustomerBill,
    CustomerBillLine,
    LineKind,
    PartnerBill,
    ResellerBill,
    RoundingResidue,
)
from partner_center.domains.billing.records import (
    BreakdownRow,
    CostGroup,
    FeeRecordView,
    RecordFilter,
    SubCustomerSum,
    SubCustomerSumFilter,
    customer_costs,
    customer_records,
    monthly_breakdown,
    project_sums,
    subcustomer_sums,
)
from partner_center.domains.billing.run import BillRunner, RunReport
from partner_center.domains.customers.public import AssociationType
from partner_center.domains.notifications.public import PARTNER_BILLING, NotificationService
from partner_center.kernel.clock import Clock, utc
from partner_center.kernel.db import MoneyAmount
from partner_center.kernel.money import (
    CENT,
    MAX_STORABLE,
    Money,
    decimal_places,
    from_storage_units,
    to_cents,
)
from partner_center.kernel.pagination import Page, paginate, paginate_rows

ZERO = Decimal(0)

#: What the partner's cash coupons valid at a time have left: (session, partner id, time).
CouponBalance = Callable[[AsyncSession, str, datetime], Awaitable[Decimal]]
#: The partner's used consumption quota (balances' ``used = due + unbilled − cash − coupons``).
QuotaReader = Callable[[str], Awaitable[Decimal]]


@dataclass(frozen=True, slots=True)
class PartnerBillView:
    """A partner bill as the partner sees it (amounts in ``currency``, 2 decimals)."""

    bill_id: str
    partner_id: str
    cycle: str
    currency: str
    customer_count: int
    consumption_amount: Decimal
    refund_amount: Decimal
    adjustment_amount: Decimal
    coupon_amount: Decimal
    total_amount: Decimal
    partner_coupon_amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    amount_due: Decimal
    paid_amount: Decimal
    remaining_amount: Decimal
    issued_at: datetime
    due_at: datetime
    status: BillStatus


@dataclass(frozen=True, slots=True)
class CustomerBillView:
    customer_id: str
    cycle: str
    owner_partner_id: str
    billed_partner_id: str
    reseller_model: bool
    """True: the spend is on the partner's bill; False (referral): visible, not payable."""
    consumption_amount: Decimal
    refund_amount: Decimal
    adjustment_amount: Decimal
    coupon_amount: Decimal
    total_amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class CustomerBillLineView:
    """One line of a customer's bill: a kind of spend of one product in one region."""

    kind: str
    service_type_code: str
    resource_type_code: str
    region_code: str
    amount: Decimal
    """Unrounded; negative for refunds."""
    coupon_amount: Decimal


@dataclass(frozen=True, slots=True)
class ResellerBillView:
    reseller_id: str
    customer_count: int
    total_amount: Decimal


@dataclass(frozen=True, slots=True)
class PartnerBillDetail:
    bill: PartnerBillView
    resellers: list[ResellerBillView]
    residue: dict[str, Decimal]
    """Rounding residue per level (``CUSTOMERS``, ``RESELLERS``)."""


@dataclass(frozen=True, slots=True)
class PostpaidSummary:
    """``list_postpaid_bill_sum``: ``initial_amount_due = consume + refunds + adjustments``;
    tax apart."""

    cycle: str
    consume_amount: Decimal
    """Consumption less the customers' coupons (2 decimals)."""
    refunds: Decimal
    """<= 0."""
    adjustments: Decimal
    tax_amount: Decimal
    currency: str

    @property
    def initial_amount_due(self) -> Decimal:
        return self.consume_amount + self.refunds + self.adjustments


@dataclass(frozen=True, slots=True)
class MonthlySumLine:
    """``show_customer_monthly_sum``: a customer's spend of one cycle per service and resource
    type, charging mode (1 yearly/monthly, 3 pay-per-use) and summary bill type (1 consumption,
    2 refund, 3 adjustment); unrounded (8 decimals), refunds negative."""

    service_type_code: str
    resource_type_code: str
    charging_mode: int
    bill_type: int
    amount: Decimal
    coupon_amount: Decimal


@dataclass(frozen=True, slots=True)
class MonthlySum:
    """A customer's bill of one cycle: ``consume_amount`` (refunds and adjustments included,
    before coupons) and ``coupon_amount`` rounded once to 2 decimals; ``debt_amount`` (what is
    owed, the bill's total) = consume − coupons."""

    lines: list[MonthlySumLine]
    total: int
    consume_amount: Decimal
    coupon_amount: Decimal
    debt_amount: Decimal
    currency: str


#: Charging mode and summary bill type of each line kind.
_SUM_KIND = {
    LineKind.ORDER: (1, 1),
    LineKind.USAGE: (3, 1),
    LineKind.REFUND: (1, 2),
    LineKind.ADJUSTMENT: (3, 3),
}


@dataclass(frozen=True, slots=True)
class ExpenditureDistribution:
    """The spend on a partner's bills of some cycles, per cloud service and per billing mode
    (``LineKind``: yearly/monthly orders, pay-per-use, refunds, adjustments), largest first."""

    cycles: tuple[str, str]
    by_service: list[tuple[str, Decimal]]
    by_kind: list[tuple[LineKind, Decimal]]


@dataclass(frozen=True, slots=True)
class OverdueSummary:
    """A partner's bills unpaid past their due date (rules.md §6.17)."""

    bills: int
    amount: Decimal
    """What is still unpaid on them, in the site currency."""
    oldest_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class AmountDue:
    total_amount_due: Money
    unpaid_bills: list[PartnerBillView]
    current_cycle: str
    current_estimate: Money
    """The open cycle's spend so far (6.3): before tax and the partner's cash coupons."""


def _status(row: PartnerBill, now: datetime) -> BillStatus:
    remaining = row.amount_due - row.paid_amount
    if remaining <= 0:
        return BillStatus.PAID
    if now > row.due_at:
        return BillStatus.OVERDUE
    if row.paid_amount > 0:
        return BillStatus.PARTIALLY_PAID
    return BillStatus.UNPAID


def _view(row: PartnerBill, now: datetime) -> PartnerBillView:
    return PartnerBillView(
        bill_id=row.id,
        partner_id=row.tenant_id,
        cycle=row.cycle,
        currency=row.currency,
        customer_count=row.customer_count,
        consumption_amount=row.consumption_amount,
        refund_amount=row.refund_amount,
        adjustment_amount=row.adjustment_amount,
        coupon_amount=row.coupon_amount,
        total_amount=row.total_amount,
        partner_coupon_amount=row.partner_coupon_amount,
        tax_rate=row.tax_rate,
        tax_amount=row.tax_amount,
        amount_due=row.amount_due,
        paid_amount=row.paid_amount,
        remaining_amount=row.amount_due - row.paid_amount,
        issued_at=row.issued_at,
        due_at=row.due_at,
        status=_status(row, now),
    )


def _customer_view(row: CustomerBill) -> CustomerBillView:
    return CustomerBillView(
        customer_id=row.tenant_id,
        cycle=row.cycle,
        owner_partner_id=row.owner_partner_id,
        billed_partner_id=row.billed_partner_id,
        reseller_model=row.reseller_model,
        consumption_amount=row.consumption_amount,
        refund_amount=row.refund_amount,
        adjustment_amount=row.adjustment_amount,
        coupon_amount=row.coupon_amount,
        total_amount=row.total_amount,
        currency=row.currency,
    )


#: Columns of ``partner-center bills export`` (one row per customer bill line).
EXPORT_FIELDS = (
    "bill_cycle",
    "customer_id",
    "owner_partner_id",
    "kind",
    "service_type_code",
    "resource_type_code",
    "region_code",
    "amount",
    "coupon_amount",
)


class BillingService:
    """Partner bills, amount due and repayments, bound to one unit of work.

    Args:
        runner: the bill run mechanics of the same unit of work.
    """

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        currency: str,
        runner: BillRunner,
        fanout: BillFanOut | None = None,
        notifications: NotificationService | None = None,
        quota: QuotaReader | None = None,
        post_adjustment: PostAdjustment | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.currency = currency
        self.runner = runner
        self.fanout = fanout or BillFanOut()
        self.notifications = notifications
        self.quota = quota
        self.post_adjustment = post_adjustment

    # -- bill run ------------------------------------------------------------------------------

    async def run_cycle(self, cycle: str, *, fan_out: bool = False) -> RunReport:
        """Bill ``cycle``, completing any earlier incomplete run first. Idempotent: a finished
        cycle changes nothing.

        Args:
            fan_out: with a dispatcher installed (the procrastinate worker), plan here and
                queue one task per pending batch; otherwise bill every batch in this unit of
                work.

        Raises:
            DomainError: ``CBC.0100`` for a malformed or still open cycle.
        """
        parse_cycle(cycle, "cycle")
        earlier = [c for c in await self.runner.incomplete_cycles() if c < cycle]
        for current in [*earlier, cycle]:
            await self.runner.plan(current)
            pending = await self.runner.pending_batches(current)
            dispatcher = self.fanout.dispatcher if fan_out else None
            if dispatcher is not None and pending:
                await dispatcher.dispatch(current, pending)
                continue
            for batch_no in pending:
                await self.runner.bill_batch(current, batch_no)
            await self.runner.complete(current)
        return await self.runner.report(cycle)

    async def adjust(self, new: NewAdjustment, *, actor_id: str) -> AdjustmentView:
        """Enter an operator's bill adjustment (``adjustments.py``); idempotent on its id."""
        return await enter_adjustment(
            self.session,
            new,
            clock=self.clock,
            zone=self.runner.zone,
            customers=self.runner.customer_records,
            post=self.post_adjustment,
            actor_id=actor_id,
        )

    # -- what a partner owes -------------------------------------------------------------------

    def _unpaid(self, partner_id: str) -> Select[PartnerBill]:
        return select(PartnerBill).where(
            PartnerBill.tenant_id == partner_id,
            PartnerBill.paid_amount < PartnerBill.amount_due,
        )

    async def amount_due(self, partner_id: str) -> Money:
        """Everything the partner owes on issued bills: the unpaid part of every bill (6.7)."""
        stmt = select(
            func.coalesce(
                func.sum(
                    type_coerce(PartnerBill.amount_due, BigInteger)
                    - type_coerce(PartnerBill.paid_amount, BigInteger)
                ),
                0,
            )
        ).where(
            PartnerBill.tenant_id == partner_id,
            PartnerBill.paid_amount < PartnerBill.amount_due,
        )
        units = await self.session.scalar(stmt)
        return Money(from_storage_units(int(units or 0)), self.currency)

    async def unpaid_bills(self, partner_id: str) -> list[PartnerBillView]:
        """The partner's bills with something left to pay, oldest cycle first."""
        rows = await self.session.scalars(
            self._unpaid(partner_id).order_by(PartnerBill.cycle, PartnerBill.id)
        )
        now = self.clock.now()
        return [_view(row, now) for row in rows]

    async def amount_due_view(self, partner_id: str) -> AmountDue:
        bills = await self.unpaid_bills(partner_id)
        total = sum((bill.remaining_amount for bill in bills), ZERO)
        cycle, estimate = await self.runner.estimate(partner_id, self.clock.now())
        return AmountDue(Money(total, self.currency), bills, cycle, Money(estimate, self.currency))

    async def overdue_summary(self, partner_id: str) -> OverdueSummary:
        """The partner's overdue bills at a glance, in one statement."""
        remaining = type_coerce(PartnerBill.amount_due, BigInteger) - type_coerce(
            PartnerBill.paid_amount, BigInteger
        )
        row = (
            await self.session.execute(
                self._unpaid(partner_id)
                .where(PartnerBill.due_at < self.clock.now())
                .with_only_columns(
                    func.count(),
                    type_coerce(func.coalesce(func.sum(remaining), 0), MoneyAmount()),
                    func.min(PartnerBill.due_at),
                )
            )
        ).one()
        oldest = row[2]
        return OverdueSummary(
            bills=int(row[0]),
            amount=row[1],
            oldest_due_at=utc(oldest) if isinstance(oldest, datetime) else None,
        )

    async def expenditure_distribution(
        self, partner_id: str, *, first: str, last: str
    ) -> ExpenditureDistribution:
        """The spend on the partner's bills of the cycles ``first`` to ``last`` (its reseller-
        model customers', its resellers' customers' for a distributor), summed by the database
        per cloud service and per billing mode."""
        lines = CustomerBillLine
        where = (
            lines.billed_partner_id == partner_id,
            lines.cycle >= parse_cycle(first, "cycle"),
            lines.cycle <= parse_cycle(last, "cycle"),
        )
        total = type_coerce(func.sum(type_coerce(lines.amount, BigInteger)), MoneyAmount())
        services = await self.session.execute(
            select(lines.service_type_code, total)
            .where(*where)
            .group_by(lines.service_type_code)
            .order_by(total.desc(), lines.service_type_code)
        )
        kinds = await self.session.execute(
            select(lines.kind, total).where(*where).group_by(lines.kind).order_by(lines.kind)
        )
        return ExpenditureDistribution(
            cycles=(first, last),
            by_service=[(code, amount) for code, amount in services.all()],
            by_kind=sorted(
                ((LineKind(kind), amount) for kind, amount in kinds.all()),
                key=lambda pair: -pair[1],
            ),
        )

    async def has_overdue(self, partner_id: str, *, older_than_days: int = 0) -> bool:
        """Whether a bill of the partner is unpaid ``older_than_days`` past its due date."""
        limit = self.clock.now() - timedelta(days=older_than_days)
        found = await self.session.scalar(
            self._unpaid(partner_id).where(PartnerBill.due_at < limit).limit(1)
        )
        return found is not None

    async def apply_repayment(self, partner_id: str, amount: Money, *, payment_ref: str) -> Money:
        """Settle the partner's unpaid bills with ``amount``, oldest first.

        Idempotent per ``payment_ref``: a retry with the same reference and amount returns the
        first answer and changes nothing. Concurrent repayments of one partner serialize on the
        locks of its unpaid bills.

        Returns:
            The amount still due after the repayment.

        Raises:
            DomainError: ``CBC.0100`` when ``amount`` is not > 0 with at most 2 decimals, is
                more than the amount due, or ``payment_ref`` was used with another amount.
        """
        if not payment_ref or len(payment_ref) > 100:
            raise invalid("payment_ref", "A non-empty reference of at most 100 characters.")
        if amount.currency != self.currency:
            raise invalid("amount", f"Repayments are in {self.currency}.")
        value = amount.amount
        if value <= 0 or decimal_places(value) > 2:
            raise invalid("amount", "An amount greater than 0 with at most 2 decimals.")
        rows = list(
            (
                await self.session.scalars(
                    self._unpaid(partner_id)
                    .order_by(PartnerBill.cycle, PartnerBill.id)
                    .with_for_update()
                )
            ).all()
        )
        previous = await self.session.get(BillRepayment, payment_ref)
        if previous is not None:
            if previous.tenant_id != partner_id or previous.amount != value:
                raise billing_error(
                    BillingErrorCode.PAYMENT_REF_REUSED,
                    "This payment reference was already used for another repayment.",
                )
            return Money(previous.remaining_due, self.currency)
        due = sum((row.amount_due - row.paid_amount for row in rows), ZERO)
        if due <= 0:
            raise billing_error(BillingErrorCode.NOTHING_DUE, "Nothing is due.", amount_due="0")
        if value > due:
            raise billing_error(
                BillingErrorCode.OVER_AMOUNT_DUE,
                f"The repayment {value} is more than the amount due {due}.",
                amount_due=str(due),
            )
        now = self.clock.now()
        left = value
        for row in rows:
            if left <= 0:
                break
            part = min(left, row.amount_due - row.paid_amount)
            row.paid_amount += part
            if row.paid_amount >= row.amount_due:
                row.paid_at = now
            left -= part
            self.session.add(
                BillPayment(
                    tenant_id=partner_id,
                    payment_ref=payment_ref,
                    bill_id=row.id,
                    amount=part,
                    applied_at=now,
                )
            )
        remaining = (due - value).quantize(CENT)
        self.session.add(
            BillRepayment(
                tenant_id=partner_id,
                payment_ref=payment_ref,
                amount=value,
                remaining_due=remaining,
                applied_at=now,
            )
        )
        await self.session.flush()
        return Money(remaining, self.currency)

    # -- credit ---------------------------------------------------------------------------------

    async def benefits_frozen(self, partner_id: str) -> bool:
        """Whether the partner's benefits and incentives are frozen: any bill overdue (6.17);
        it lifts by itself once nothing is overdue."""
        return await self.has_overdue(partner_id)

    async def set_quota_threshold(self, partner_id: str, threshold: Decimal | None) -> None:
        """Notify the partner when its used consumption quota reaches ``threshold`` (6.9);
        None turns the notification off."""
        if threshold is not None and (
            not threshold.is_finite()
            or not 0 <= threshold <= MAX_STORABLE
            or decimal_places(threshold) > 2
        ):
            raise invalid(
                "threshold",
                f"An amount from 0 to {MAX_STORABLE:f} with at most 2 decimals, or null.",
            )
        profile = await self._profile(partner_id)
        profile.quota_threshold = threshold
        profile.threshold_alerted_at = None
        await self.session.flush()

    async def _profile(self, partner_id: str) -> BillingProfile:
        profile = await self.session.get(BillingProfile, partner_id, with_for_update=True)
        if profile is None:
            profile = BillingProfile(
                tenant_id=partner_id, partner_id=partner_id, tax_rate=ZERO, tax_type=None
            )
            self.session.add(profile)
        return profile

    async def check_credit(self) -> int:
        """Notify partners (topic ``PARTNER_BILLING``) whose used consumption quota reached
        their threshold since the last check, and of each bill that became overdue; returns
        the number of notifications queued. Each crossing and each overdue bill is notified
        once; a threshold is armed again once the used quota is back below it."""
        sent = 0
        now = self.clock.now()
        profiles = await self.session.scalars(
            select(BillingProfile)
            .where(BillingProfile.quota_threshold.is_not(None))
            .order_by(BillingProfile.partner_id)
            .with_for_update()
        )
        for profile in profiles:
            if self.quota is None or profile.quota_threshold is None:
                continue
            used = await self.quota(profile.partner_id)
            if used >= profile.quota_threshold and profile.threshold_alerted_at is None:
                profile.threshold_alerted_at = now
                sent += await self._notify(
                    profile.partner_id,
                    "Consumption quota threshold reached",
                    f"Your used consumption quota is {used:.2f}, at or above your notification "
                    f"threshold of {profile.quota_threshold:.2f}. Repay your bills to restore it.",
                )
            elif used < profile.quota_threshold and profile.threshold_alerted_at is not None:
                profile.threshold_alerted_at = None
        overdue = await self.session.scalars(
            select(PartnerBill)
            .where(
                PartnerBill.paid_amount < PartnerBill.amount_due,
                PartnerBill.due_at < now,
                PartnerBill.overdue_notified_at.is_(None),
            )
            .order_by(PartnerBill.tenant_id, PartnerBill.cycle)
            .with_for_update()
        )
        for bill in overdue:
            bill.overdue_notified_at = now
            remaining = bill.amount_due - bill.paid_amount
            sent += await self._notify(
                bill.tenant_id,
                f"Bill {bill.cycle} is overdue",
                f"Your bill {bill.id} of {bill.cycle} has {remaining:.2f} {bill.currency} unpaid "
                "past its due date. Benefits and incentives are frozen until nothing is overdue; "
                "purchases of your reseller-model customers will be restricted.",
            )
        await self.session.flush()
        return sent

    async def _notify(self, partner_id: str, subject: str, body: str) -> int:
        if self.notifications is None:
            return 0
        queued = await self.notifications.notify_topic(
            tenant_id=partner_id, topic=PARTNER_BILLING, subject=subject, body=body
        )
        return len(queued)

    # -- bills ---------------------------------------------------------------------------------

    async def list_partner_bills(
        self, partner_id: str, window: Page
    ) -> tuple[list[PartnerBillView], int]:
        """The partner's bills, newest cycle first."""
        rows, total = await paginate(
            self.session,
            select(PartnerBill).where(PartnerBill.tenant_id == partner_id),
            window,
            PartnerBill.cycle.desc(),
            PartnerBill.id,
        )
        now = self.clock.now()
        return [_view(row, now) for row in rows], total

    async def partner_bill(self, partner_id: str, cycle: str) -> PartnerBillDetail:
        """The partner's bill of ``cycle`` with its reseller breakdown and rounding residue.

        Raises:
            DomainError: ``CBC.0100`` for a malformed cycle or when there is no such bill.
        """
        parse_cycle(cycle)
        row = await self.session.scalar(
            select(PartnerBill).where(
                PartnerBill.tenant_id == partner_id, PartnerBill.cycle == cycle
            )
        )
        if row is None:
            raise billing_error(
                BillingErrorCode.BILL_NOT_FOUND, f"No bill for the cycle {cycle}.", cycle=cycle
            )
        resellers = await self.session.scalars(
            select(ResellerBill)
            .where(ResellerBill.tenant_id == partner_id, ResellerBill.cycle == cycle)
            .order_by(ResellerBill.reseller_id)
        )
        residue = await self.session.scalars(
            select(RoundingResidue).where(
                RoundingResidue.tenant_id == partner_id, RoundingResidue.cycle == cycle
            )
        )
        return PartnerBillDetail(
            bill=_view(row, self.clock.now()),
            resellers=[
                ResellerBillView(r.reseller_id, r.customer_count, r.total_amount) for r in resellers
            ],
            residue={r.level: r.amount for r in residue},
        )

    async def customer_bills(
        self, partner_id: str, cycle: str, window: Page
    ) -> tuple[list[CustomerBillView], int]:
        """The bills of the customers on (or owned by) the partner for ``cycle``, by customer."""
        parse_cycle(cycle)
        query = select(CustomerBill).where(
            CustomerBill.cycle == cycle,
            (CustomerBill.billed_partner_id == partner_id)
            | (CustomerBill.owner_partner_id == partner_id),
        )
        rows, total = await paginate(self.session, query, window, CustomerBill.tenant_id)
        return [_customer_view(row) for row in rows], total

    async def customer_bill_lines(
        self, partner_id: str, customer_id: str, cycle: str
    ) -> tuple[CustomerBillView, list[CustomerBillLineView]]:
        """One customer's bill of ``cycle`` and its lines, when the customer is on (or owned
        by) the partner.

        Raises:
            DomainError: ``CBC.0100`` for a malformed cycle or when the partner has no such
                customer bill.
        """
        parse_cycle(cycle)
        mine = (CustomerBill.billed_partner_id == partner_id) | (
            CustomerBill.owner_partner_id == partner_id
        )
        row = await self.session.scalar(
            select(CustomerBill).where(
                CustomerBill.tenant_id == customer_id, CustomerBill.cycle == cycle, mine
            )
        )
        if row is None:
            raise billing_error(
                BillingErrorCode.BILL_NOT_FOUND, f"No bill for the cycle {cycle}.", cycle=cycle
            )
        line = CustomerBillLine
        lines = await self.session.scalars(
            select(line)
            .where(
                line.tenant_id == customer_id,
                line.cycle == cycle,
                (line.billed_partner_id == partner_id) | (line.owner_partner_id == partner_id),
            )
            .order_by(line.kind, line.service_type_code, line.resource_type_code, line.id)
        )
        return _customer_view(row), [
            CustomerBillLineView(
                kind=r.kind,
                service_type_code=r.service_type_code,
                resource_type_code=r.resource_type_code,
                region_code=r.region_code,
                amount=r.amount,
                coupon_amount=r.coupon_amount,
            )
            for r in lines
        ]

    async def postpaid_summary(self, partner_id: str, cycle: str) -> PostpaidSummary:
        """The partner's bill of a closed ``cycle`` as ``list_postpaid_bill_sum`` shows it
        (zeros when the partner had nothing billed).

        Raises:
            DomainError: ``CBC.0100`` for a malformed cycle or one not billed yet (only past
                months, from 12:00 on the 5th).
        """
        parse_cycle(cycle)
        run = await self.session.get(BillRun, cycle)
        if run is None or run.completed_at is None:
            raise invalid("bill_cycle", "Only billed months (after the 5th of the next month).")
        row = await self.session.scalar(
            select(PartnerBill).where(
                PartnerBill.tenant_id == partner_id, PartnerBill.cycle == cycle
            )
        )
        if row is None:
            return PostpaidSummary(cycle, ZERO, ZERO, ZERO, ZERO, self.currency)
        return PostpaidSummary(
            cycle=cycle,
            consume_amount=row.consumption_amount - row.coupon_amount,
            refunds=row.refund_amount,
            adjustments=row.adjustment_amount,
            tax_amount=row.tax_amount,
            currency=row.currency,
        )

    async def customer_monthly_sum(
        self,
        customer_id: str,
        cycle: str,
        window: Page,
        *,
        service_type_code: str | None = None,
        enterprise_project_id: str | None = None,
    ) -> MonthlySum:
        """The customer's own bill of ``cycle`` summed per product, charging mode and bill type
        (zeros before the bill is issued), by service type, resource type, then kind. With
        ``enterprise_project_id`` the sums (and the totals, each rounded once) are those of the
        cycle's records in that project (``records.project_sums``): the bill lines keep no
        project.

        Raises:
            DomainError: ``CBC.0100`` for a malformed cycle.
        """
        parse_cycle(cycle, "bill_cycle")
        bill = await self.session.scalar(
            select(CustomerBill).where(
                CustomerBill.tenant_id == customer_id, CustomerBill.cycle == cycle
            )
        )
        if enterprise_project_id is None:
            line = CustomerBillLine
            query = (
                select(
                    line.service_type_code,
                    line.resource_type_code,
                    line.kind,
                    func.sum(type_coerce(line.amount, BigInteger)),
                    func.sum(type_coerce(line.coupon_amount, BigInteger)),
                )
                .where(line.tenant_id == customer_id, line.cycle == cycle)
                .group_by(line.service_type_code, line.resource_type_code, line.kind)
            )
            if service_type_code:
                query = query.where(line.service_type_code == service_type_code)
        elif bill is None:
            return MonthlySum([], 0, ZERO, ZERO, ZERO, self.currency)
        else:
            query = project_sums(
                self.runner.zone,
                customer_id,
                cycle,
                enterprise_project_id,
                service_type_code=service_type_code,
            )
        rows, total = await paginate_rows(self.session, query, window, *query.selected_columns[:3])
        lines = [
            MonthlySumLine(
                service,
                resource,
                *_SUM_KIND[LineKind(kind)],
                from_storage_units(int(amount)),
                from_storage_units(int(coupons)),
            )
            for service, resource, kind, amount, coupons in rows
        ]
        if bill is None:
            return MonthlySum(lines, total, ZERO, ZERO, ZERO, self.currency)
        if enterprise_project_id is not None:
            sums = query.subquery()
            amount, coupons = (
                await self.session.execute(
                    select(func.sum(sums.c.amount), func.sum(sums.c.coupon_amount))
                )
            ).one()
            consume = to_cents(from_storage_units(int(amount or 0)))
            debt = to_cents(from_storage_units(int(amount or 0) - int(coupons or 0)))
            return MonthlySum(lines, total, consume, consume - debt, debt, bill.currency)
        debt = bill.total_amount.quantize(CENT)  # stored at scale 8, already whole cents
        consume = (bill.consumption_amount + bill.refund_amount + bill.adjustment_amount).quantize(
            CENT
        )
        return MonthlySum(lines, total, consume, consume - debt, debt, bill.currency)

    async def customer_records(
        self,
        customer_id: str,
        cycle: str,
        window: Page,
        where: RecordFilter,
        *,
        per_resource: bool = False,
        per_day: bool = False,
    ) -> tuple[list[FeeRecordView], int]:
        """The customer's own fee records of ``cycle`` (orders paid and usage), per record or
        summed per resource (and per day)."""
        return await customer_records(
            self.session,
            self.runner.zone,
            customer_id,
            cycle,
            window,
            where,
            per_resource=per_resource,
            per_day=per_day,
        )

    async def partner_customer_records(
        self,
        customer_id: str,
        cycle: str,
        window: Page,
        where: RecordFilter,
        *,
        association_type: AssociationType | None = None,
        account_manager_id: str | None = None,
    ) -> tuple[list[FeeRecordView], int]:
        """A partner's view of one customer's records (``where.partner_id``: spent while the
        customer was that partner's): none unless the customer's association is of
        ``association_type`` and it is assigned to ``account_manager_id`` (each when given;
        the customer's latest association)."""
        if association_type is not None or account_manager_id is not None:
            record = await self.runner.customer_records.get(customer_id)
            if record is None or (
                (association_type is not None and record.association_type != association_type)
                or (
                    account_manager_id is not None
                    and record.account_manager_id != account_manager_id
                )
            ):
                return [], 0
        return await self.customer_records(customer_id, cycle, window, where)

    async def customer_costs(
        self,
        customer_id: str,
        span: tuple[str, str],
        *,
        daily: bool,
        group_keys: list[str],
        filters: list[tuple[bool, str, set[str]]],
        net: bool,
        days: tuple[str, str] | None = None,
        amortized: bool = False,
    ) -> list[CostGroup]:
        """The customer's own records of the cycles ``span`` summed per group and month/day
        (``amortized``: yearly/monthly fees spread over their periods)."""
        return await customer_costs(
            self.session,
            self.runner.zone,
            customer_id,
            span,
            daily=daily,
            group_keys=group_keys,
            filters=filters,
            net=net,
            days=days,
            amortized=amortized,
        )

    async def monthly_breakdown(
        self, customer_id: str, month: str, where: RecordFilter
    ) -> list[BreakdownRow]:
        """The customer's own costs borne in ``month``, yearly/monthly fees amortized."""
        return await monthly_breakdown(self.session, self.runner.zone, customer_id, month, where)

    async def subcustomer_sums(
        self, partner_id: str, cycle: str, window: Page, where: SubCustomerSumFilter
    ) -> tuple[list[SubCustomerSum], int]:
        """The partner's customers' bills of ``cycle`` per customer, product and bill type."""
        return await subcustomer_sums(self.session, partner_id, cycle, window, where)

    async def consuming_customers(
        self, partner_id: str, cycle: str, window: Page
    ) -> tuple[list[str], int]:
        """Customers with spending in ``cycle`` while associated with the partner (directly or
        through one of its resellers), even if no longer associated, by id."""
        parse_cycle(cycle)
        query = select(CustomerBill.tenant_id).where(
            CustomerBill.cycle == cycle,
            (CustomerBill.billed_partner_id == partner_id)
            | (CustomerBill.owner_partner_id == partner_id),
        )
        return await paginate(self.session, query, window, CustomerBill.tenant_id)

    async def set_tax_rate(self, partner_id: str, rate: Decimal, tax_type: str | None) -> None:
        """Set the partner's tax rate (a fraction, 0 <= rate < 1) for bills issued from now."""
        if not ZERO <= rate < 1 or decimal_places(rate) > 6:
            raise invalid("tax_rate", "A fraction from 0 up to 1, at most 6 decimals.")
        profile = await self.session.get(BillingProfile, partner_id)
        if profile is None:
            self.session.add(
                BillingProfile(
                    tenant_id=partner_id, partner_id=partner_id, tax_rate=rate, tax_type=tax_type
                )
            )
        else:
            profile.tax_rate = rate
            profile.tax_type = tax_type
        await self.session.flush()

    def _export_query(self, partner_id: str, cycle: str) -> Select[*tuple[Any, ...]]:
        """The partner's customers' bill lines of ``cycle`` (in ``_export_order``)."""
        parse_cycle(cycle, "cycle")
        line = CustomerBillLine
        return select(
            line.cycle,
            line.tenant_id,
            line.owner_partner_id,
            line.kind,
            line.service_type_code,
            line.resource_type_code,
            line.region_code,
            line.amount,
            line.coupon_amount,
        ).where(
            line.cycle == cycle,
            (line.billed_partner_id == partner_id) | (line.owner_partner_id == partner_id),
        )

    # A line's id last: the order is total, so an export can be read a page at a time.
    _export_order = (
        CustomerBillLine.tenant_id,
        CustomerBillLine.kind,
        CustomerBillLine.service_type_code,
        CustomerBillLine.id,
    )

    @staticmethod
    def _export_csv(rows: Iterable[Sequence[object]], *, header: bool) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if header:
            writer.writerow(EXPORT_FIELDS)
        for row in rows:
            writer.writerow([str(value) for value in row])
        return buffer.getvalue()

    async def export_lines(self, partner_id: str, cycle: str) -> AsyncIterator[str]:
        """The partner's customers' bill lines of ``cycle`` as CSV text, streamed in chunks
        (``partner-center bills export``)."""
        stmt = self._export_query(partner_id, cycle).order_by(*self._export_order)
        yield self._export_csv((), header=True)
        result = await self.session.stream(stmt.execution_options(yield_per=1000))
        async for partition in result.partitions():
            yield self._export_csv(partition, header=False)

    async def export_page(
        self, partner_id: str, cycle: str, window: Page, *, header: bool
    ) -> tuple[str, int, int]:
        """One window of ``export_lines``'s lines as CSV text (with its header line when
        ``header``), how many lines it holds and how many there are in all: the windows'
        texts joined are ``export_lines``'s file."""
        rows, total = await paginate_rows(
            self.session, self._export_query(partner_id, cycle), window, *self._export_order
        )
        return self._export_csv(rows, header=header), len(rows), total


@dataclass(frozen=True, slots=True)
class BilledDebt:
    """Billing's figures for the consumption quota (balances' ``PartnerDebtSource``):
    ``due_amount`` = the unpaid part of every issued bill; ``unbilled_amount`` left to the
    ledger (postpaid consumption not repaid, less what is due); ``coupon_amount`` = what the
    partner's own cash coupons valid at ``as_of`` have left (``coupon_balance``, the coupons
    domain; 0 without it); ``overdue_restricted`` when a bill is unpaid
    ``overdue_restrict_days`` past its due date."""

    overdue_restrict_days: int = 15
    coupon_balance: CouponBalance | None = None

    async def partner_debt(
        self, session: AsyncSession, *, partner_id: str, currency: str, as_of: datetime
    ) -> PartnerDebtFigures:
        stmt = select(
            func.coalesce(
                func.sum(
                    type_coerce(PartnerBill.amount_due, BigInteger)
                    - type_coerce(PartnerBill.paid_amount, BigInteger)
                ),
                0,
            )
        ).where(
            PartnerBill.tenant_id == partner_id,
            PartnerBill.paid_amount < PartnerBill.amount_due,
        )
        units = await session.scalar(stmt)
        limit = as_of - timedelta(days=self.overdue_restrict_days)
        overdue = await session.scalar(
            select(PartnerBill.id)
            .where(
                PartnerBill.tenant_id == partner_id,
                PartnerBill.paid_amount < PartnerBill.amount_due,
                PartnerBill.due_at < limit,
            )
            .limit(1)
        )
        return PartnerDebtFigures(
            due_amount=from_storage_units(int(units or 0)),
            unbilled_amount=None,
            coupon_amount=(
                ZERO
                if self.coupon_balance is None
                else await self.coupon_balance(session, partner_id, as_of)
            ),
            overdue_restricted=overdue is not None,
        )
