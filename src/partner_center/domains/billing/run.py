"""The monthly bill run: set-based, streaming, exactly once per (account, cycle).

Cycle M (a calendar month in the billing time zone) is billed by a run that starts before
12:00 on the 5th of M+1 (``tasks.BILL_RUN``). The run:

1. **plans** (``plan``), in one transaction: the ``bill_runs`` row fixes the cycle's cutoff
   (the first attempt's business time); the **staging** pass sums the cycle's orders and fee
   records (``orders.billing_feed``, ``usage.billing_feed``) per (customer, owner partner, kind,
   product, region) into ``bill_run_staging`` in one set-based pass over the records (on
   PostgreSQL a parallel ``CREATE TEMPORARY TABLE … AS``); and the ``bill_run_batches`` rows
   split the directly billed partners (CSPs and distributors) into batches of ``batch_size``
   partners, in id order;
2. **bills each batch** (``bill_batch``) in one transaction, by one job, so several workers share
   a run and a run killed half-way leaves whole batches only. A batch is three set-based
   statements (the database computes every row) plus one aggregate read per bill: the bill
   lines of the batch's customers from the staging sums of its partners (no batch re-scans the
   records), the customer bills from their lines, then the partner bills (and a distributor's
   per-reseller breakdown and the rounding residue) from the customer bills. No record passes
   through Python, so memory does not grow with the number of records;
3. **completes** (``complete``) once every batch is done, and deletes the staging sums. A later
   run (the next scheduled one or ``partner-center bills run``) first completes any earlier
   incomplete run.

Exactly once: every statement skips accounts already billed for the cycle (``NOT EXISTS``) and the
unique constraints on (account, cycle) refuse a concurrent duplicate (the losing job rolls back
and, retried, finds nothing left to do). Re-running a cycle changes nothing.

Precision (rule 6.5): lines and customer bills keep the unrounded 10⁻⁸ sums; every total is
rounded once, half-up to the cent. Tie-out: a partner bill's total is the unrounded net of its
customer bills rounded once, so the sum of their rounded totals may differ by a few cents; that
difference is written to the rounding-residue account (``bill_rounding_residue``), per level
(``CUSTOMERS``, ``RESELLERS``), so ``sum(parts) + residue == total`` holds exactly at every
level.

Amount due (6.4, 6.6): ``max(0, total − partner cash coupons + tax)``, tax =
``round(max(0, total − coupons) × rate)`` with the partner's rate (``billing_profiles``, default
``BILL_TAX_RATE``). The partner's cash coupons (7.8) are applied as each partner bill is made
(``apply_coupons``, the coupons domain: customer-tied coupons first, then expiring first, at
most the bill's total), in the batch's transaction: a batch that rolls back uses no coupon, and
every use is a ledger transfer whose id derives from (bill, coupon), so nothing is used twice.
What the coupons paid and the tax then change what the partner owes (``post_coupons``,
``post_tax``: the balances domain, once per bill).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    column,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    table,
    text,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable, Subquery

from partner_center.domains.billing.cycles import cycle_bounds, previous_cycle
from partner_center.domains.billing.errors import BillingErrorCode, billing_error
from partner_center.domains.billing.models import (
    BillAdjustment,
    BillingProfile,
    BillRun,
    BillRunBatch,
    BillRunStaging,
    CustomerBill,
    CustomerBillLine,
    LineKind,
    PartnerBill,
    ResellerBill,
    ResidueLevel,
    RoundingResidue,
)
from partner_center.domains.customers.public import AssociationType, CustomerRecords
from partner_center.domains.orders.public import order_lines
from partner_center.domains.partners.public import PartnerService
from partner_center.domains.usage.public import fee_lines
from partner_center.kernel.clock import Clock
from partner_center.kernel.money import from_storage_units, to_cents

#: 10⁻⁸ units in a cent.
_CENT_UNITS = 1_000_000
ZERO = Decimal(0)

RecheckQuota = Callable[[str], Awaitable[object]]
#: Post a bill's tax to what the partner owes: (partner id, bill id, tax).
PostTax = Callable[[str, str, Decimal], Awaitable[object]]
#: The totals (2 decimals) of the given customers on the partner bill being issued.
CustomerTotals = Callable[[Sequence[str]], Awaitable[dict[str, Decimal]]]
#: Pay up to ``total`` of a partner bill with the partner's cash coupons, once per bill:
#: (partner id, bill id, cycle, total, the customers' totals) → the amount the coupons paid.
ApplyCoupons = Callable[[str, str, str, Decimal, CustomerTotals], Awaitable[Decimal]]


def round_units(expr: ColumnElement[int]) -> ColumnElement[int]:
    """SQL: raw 10⁻⁸ units rounded half-up (away from zero) to whole cents, still in units."""
    value = cast(expr, BigInteger)
    half = _CENT_UNITS // 2
    return case(
        (value >= 0, ((value + half) // _CENT_UNITS) * _CENT_UNITS),
        else_=-(((-value + half) // _CENT_UNITS) * _CENT_UNITS),
    )


@dataclass(frozen=True, slots=True)
class BillPolicy:
    """The configurable parts of a bill run (settings)."""

    batch_size: int = 100
    """Directly billed partners per batch (one transaction, one job)."""
    default_tax_rate: Decimal = ZERO
    due_days: int = 15
    """A bill is due this many days after it is issued; unpaid after that it is overdue."""


@dataclass(frozen=True, slots=True)
class RunReport:
    cycle: str
    batches: int
    batches_billed: int
    partner_bills: int
    customer_bills: int
    completed: bool


class BillRunner:
    """Plans, bills and completes bill runs, bound to one unit of work."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        zone: ZoneInfo,
        currency: str,
        policy: BillPolicy,
        partners: PartnerService,
        customer_records: CustomerRecords,
        recheck_quota: RecheckQuota | None = None,
        post_tax: PostTax | None = None,
        apply_coupons: ApplyCoupons | None = None,
        post_coupons: PostTax | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.zone = zone
        self.currency = currency
        self.policy = policy
        self.partners = partners
        self.customer_records = customer_records
        self.recheck_quota = recheck_quota
        self.post_tax = post_tax
        self.apply_coupons = apply_coupons
        self.post_coupons = post_coupons

    # -- planning ------------------------------------------------------------------------------

    async def plan(self, cycle: str) -> BillRun:
        """The cycle's run, created with its cutoff (now) and its batches on the first call.

        Raises:
            DomainError: ``CBC.0100`` when the cycle has not ended yet.
        """
        run = await self.session.get(BillRun, cycle)
        if run is not None:
            return run
        now = self.clock.now()
        _start, end = cycle_bounds(cycle, self.zone)
        if end > now:
            raise billing_error(
                BillingErrorCode.CYCLE_NOT_CLOSED,
                f"The billing cycle {cycle} has not ended yet.",
                cycle=cycle,
            )
        previous = await self.session.scalar(
            select(func.max(BillRun.cutoff_at)).where(BillRun.cycle < cycle)
        )
        run = BillRun(
            cycle=cycle,
            cutoff_at=now,
            previous_cutoff_at=previous,
            started_at=now,
            completed_at=None,
            partner_count=0,
        )
        self.session.add(run)
        # The run's row first: a concurrent planner blocks here and fails on the key before
        # doing the staging work.
        await self.session.flush()
        await self._stage(run)
        after: str | None = None
        batch_no = 0
        while True:
            ids = await self.partners.billing_accounts(after=after, limit=self.policy.batch_size)
            if not ids:
                break
            self.session.add(
                BillRunBatch(cycle=cycle, batch_no=batch_no, partner_ids=",".join(ids))
            )
            batch_no += 1
            after = ids[-1]
        await self.session.flush()
        return run

    async def batch_planned(self, cycle: str, batch_no: int) -> bool:
        """Whether the batch exists (a queued task may run before its plan commits)."""
        return await self.session.get(BillRunBatch, (cycle, batch_no)) is not None

    async def pending_batches(self, cycle: str) -> list[int]:
        stmt = (
            select(BillRunBatch.batch_no)
            .where(BillRunBatch.cycle == cycle, BillRunBatch.done_at.is_(None))
            .order_by(BillRunBatch.batch_no)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def batch_count(self, cycle: str) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(BillRunBatch).where(BillRunBatch.cycle == cycle)
        )
        return int(count or 0)

    async def incomplete_cycles(self) -> list[str]:
        stmt = select(BillRun.cycle).where(BillRun.completed_at.is_(None)).order_by(BillRun.cycle)
        return list((await self.session.execute(stmt)).scalars().all())

    # -- the open cycle ------------------------------------------------------------------------

    async def estimate(self, partner_id: str, as_of: datetime) -> tuple[str, Decimal]:
        """The current cycle's spend so far on the partner's bill (6.3): its reseller-model
        customers' orders and rated usage of the cycle (plus usage of billed cycles rated since
        their run), unrounded and before tax and the partner's cash coupons. Read from the same
        feeds as the bill run, in one aggregate statement."""
        local = as_of.astimezone(self.zone)
        cycle = f"{local.year:04d}-{local.month:02d}"
        start, _end = cycle_bounds(cycle, self.zone)
        previous = await self.session.scalar(
            select(func.max(BillRun.cutoff_at)).where(BillRun.cycle < cycle)
        )
        partner = await self.partners.get(partner_id)
        if partner is None or partner.distributor_id is not None:
            return cycle, ZERO  # a reseller's customers are on its distributor's bill
        resellers = await self.partners.resellers_of([partner_id])
        owners = [partner_id, *resellers]
        activity = _activity(cycle, start, as_of, previous, owners)
        reseller_model = self.customer_records.ids(association_type=AssociationType.RESELLER)
        units = await self.session.scalar(
            select(
                cast(func.sum(activity.c.amount) - func.sum(activity.c.coupon_amount), BigInteger)
            ).where(activity.c.customer_id.in_(reseller_model))
        )
        return cycle, from_storage_units(int(units or 0))

    # -- one batch -----------------------------------------------------------------------------

    async def bill_batch(self, cycle: str, batch_no: int) -> int:
        """Issue the bills of one batch of partners; a batch already done changes nothing.

        Returns:
            The number of partner bills issued.
        """
        batch = await self.session.get(BillRunBatch, (cycle, batch_no), with_for_update=True)
        if batch is None or batch.done_at is not None:
            return 0
        run = await self.session.get(BillRun, cycle)
        assert run is not None, "a batch belongs to a planned run"
        billed_ids = batch.partner_ids.split(",") if batch.partner_ids else []
        resellers = await self.partners.resellers_of(billed_ids)
        owners = [*billed_ids, *resellers]
        now = self.clock.now()
        await self._insert_lines(run, owners, resellers)
        await self._insert_customer_bills(run, owners, now)
        issued = await self._insert_partner_bills(run, billed_ids, now)
        batch.done_at = now
        run.partner_count += issued
        await self.session.flush()
        await self._post_owed(run.cycle, billed_ids)
        if self.recheck_quota is not None:
            for partner_id in billed_ids:
                await self.recheck_quota(partner_id)
        return issued

    async def _post_owed(self, cycle: str, billed_ids: Sequence[str]) -> None:
        """What the batch's bills change in what their partners owe, through the ledger (each
        posting idempotent per bill): the cash coupons deducted, then the tax."""
        if self.post_tax is None and self.post_coupons is None:
            return
        rows = await self.session.execute(
            select(
                PartnerBill.tenant_id,
                PartnerBill.id,
                PartnerBill.partner_coupon_amount,
                PartnerBill.tax_amount,
            )
            .where(
                PartnerBill.cycle == cycle,
                PartnerBill.tenant_id.in_(list(billed_ids)),
                (PartnerBill.tax_amount > 0) | (PartnerBill.partner_coupon_amount > 0),
            )
            .order_by(PartnerBill.tenant_id)
        )
        for partner_id, bill, coupons, tax in rows.all():
            if self.post_coupons is not None and coupons > 0:
                await self.post_coupons(partner_id, bill, coupons)
            if self.post_tax is not None and tax > 0:
                await self.post_tax(partner_id, bill, tax)

    async def _stage(self, run: BillRun) -> None:
        """Sum the cycle's orders and fee records into ``bill_run_staging`` in one pass (per
        customer, owner partner, kind, product and region), for every batch to read."""
        start, end = cycle_bounds(run.cycle, self.zone)
        # Orders paid in the cycle; usage rated by the cutoff.
        activity = _activity(run.cycle, start, end, run.previous_cutoff_at, None, run.cutoff_at)
        columns = ["cycle", "tenant_id", "owner_partner_id", *_LINE_SUMS]
        source = select(
            literal(run.cycle).label("cycle"),
            activity.c.customer_id.label("tenant_id"),
            activity.c.owner_partner_id,
            activity.c.kind,
            activity.c.service_type_code,
            activity.c.resource_type_code,
            activity.c.region_code,
            cast(activity.c.amount, BigInteger).label("amount"),
            cast(activity.c.coupon_amount, BigInteger).label("coupon_amount"),
        )
        if self.session.get_bind().dialect.name != "postgresql":
            await self.session.execute(insert(BillRunStaging).from_select(columns, source))
            return
        # PostgreSQL never runs the query of an INSERT … SELECT in parallel; CREATE TABLE AS
        # may: aggregate into a temporary table (one row per sum), then insert those rows.
        await self.session.execute(CreateTempTableAs(_STAGING_TMP, source))
        tmp = table(_STAGING_TMP, *(column(name) for name in columns))
        await self.session.execute(insert(BillRunStaging).from_select(columns, select(*tmp.c)))
        await self.session.execute(text(f"DROP TABLE {_STAGING_TMP}"))

    async def _insert_lines(
        self, run: BillRun, owners: Sequence[str], resellers: dict[str, str]
    ) -> None:
        """The batch's customers' bill lines, from the run's staging sums of its owners."""
        staged = BillRunStaging.__table__.c
        already = (
            select(CustomerBill.id)
            .where(CustomerBill.tenant_id == staged.tenant_id)
            .where(CustomerBill.cycle == run.cycle)
        )
        source = (
            select(
                staged.tenant_id,
                literal(run.cycle),
                func.max(staged.owner_partner_id),
                func.max(_billed(staged.owner_partner_id, resellers)),
                staged.kind,
                staged.service_type_code,
                staged.resource_type_code,
                staged.region_code,
                cast(func.sum(type_coerce(staged.amount, BigInteger)), BigInteger),
                cast(func.sum(type_coerce(staged.coupon_amount, BigInteger)), BigInteger),
            )
            .where(
                staged.cycle == run.cycle,
                staged.owner_partner_id.in_(list(owners)),
                ~exists(already),
            )
            .group_by(
                staged.tenant_id,
                staged.kind,
                staged.service_type_code,
                staged.resource_type_code,
                staged.region_code,
            )
        )
        columns = ["tenant_id", "cycle", "owner_partner_id", "billed_partner_id", *_LINE_SUMS]
        await self.session.execute(insert(CustomerBillLine).from_select(columns, source))

    async def _insert_customer_bills(
        self, run: BillRun, owners: Sequence[str], now: datetime
    ) -> None:
        line = CustomerBillLine.__table__.c
        raw = type_coerce(line.amount, BigInteger)
        coupon = type_coerce(line.coupon_amount, BigInteger)

        def kind_sum(*kinds: LineKind) -> ColumnElement[int]:
            return cast(
                func.sum(case((line.kind.in_([k.value for k in kinds]), raw), else_=0)),
                BigInteger,
            )

        reseller_ids = self.customer_records.ids(association_type=AssociationType.RESELLER)
        already = (
            select(CustomerBill.id)
            .where(CustomerBill.tenant_id == line.tenant_id)
            .where(CustomerBill.cycle == run.cycle)
        )
        source = (
            select(
                line.tenant_id,
                literal(run.cycle),
                func.max(line.owner_partner_id),
                func.max(line.billed_partner_id),
                case((line.tenant_id.in_(reseller_ids), True), else_=False),
                literal(self.currency),
                kind_sum(LineKind.ORDER, LineKind.USAGE),
                kind_sum(LineKind.REFUND),
                kind_sum(LineKind.ADJUSTMENT),
                cast(func.sum(coupon), BigInteger),
                round_units(func.sum(raw) - func.sum(coupon)),
                literal(now, CustomerBill.__table__.c.issued_at.type),
            )
            .where(
                line.cycle == run.cycle,
                line.owner_partner_id.in_(list(owners)),
                ~exists(already),
            )
            .group_by(line.tenant_id)
        )
        await self.session.execute(
            insert(CustomerBill).from_select(
                [
                    "tenant_id",
                    "cycle",
                    "owner_partner_id",
                    "billed_partner_id",
                    "reseller_model",
                    "currency",
                    "consumption_amount",
                    "refund_amount",
                    "adjustment_amount",
                    "coupon_amount",
                    "total_amount",
                    "issued_at",
                ],
                source,
            )
        )

    async def _insert_partner_bills(
        self, run: BillRun, billed_ids: Sequence[str], now: datetime
    ) -> int:
        bill = CustomerBill.__table__.c
        net = (
            type_coerce(bill.consumption_amount, BigInteger)
            + type_coerce(bill.refund_amount, BigInteger)
            + type_coerce(bill.adjustment_amount, BigInteger)
            - type_coerce(bill.coupon_amount, BigInteger)
        )

        def units(col: ColumnElement[Decimal]) -> ColumnElement[int]:
            return cast(func.sum(type_coerce(col, BigInteger)), BigInteger)

        billed_already = select(PartnerBill.tenant_id).where(PartnerBill.cycle == run.cycle)
        scope = and_(
            bill.cycle == run.cycle,
            bill.reseller_model.is_(True),
            bill.billed_partner_id.in_(list(billed_ids)),
            bill.billed_partner_id.not_in(billed_already),
        )
        totals_stmt = (
            select(
                bill.billed_partner_id,
                cast(func.count(), Integer),
                units(bill.consumption_amount),
                units(bill.refund_amount),
                units(bill.adjustment_amount),
                units(bill.coupon_amount),
                cast(func.sum(net), BigInteger),
                units(bill.total_amount),
            )
            .where(scope)
            .group_by(bill.billed_partner_id)
            .order_by(bill.billed_partner_id)
        )
        rows = (await self.session.execute(totals_stmt)).all()
        if not rows:
            return 0
        ids = [row[0] for row in rows]
        rates = await self._tax_rates(ids)
        per_reseller = await self._reseller_totals(run.cycle, scope)
        for partner_id, count, cons, refund, adjust, coupon, net_units, parts_units in rows:
            total = to_cents(from_storage_units(int(net_units)))
            the_bill = bill_id(run.cycle, partner_id)
            partner_coupons = ZERO
            if self.apply_coupons is not None and total > 0:
                partner_coupons = await self.apply_coupons(
                    partner_id,
                    the_bill,
                    run.cycle,
                    total,
                    self._customer_totals(run.cycle, partner_id),
                )
            taxable = max(ZERO, total - partner_coupons)
            rate = rates.get(partner_id, self.policy.default_tax_rate)
            tax = to_cents(taxable * rate)
            due = max(ZERO, to_cents(total - partner_coupons + tax))
            self.session.add(
                PartnerBill(
                    id=the_bill,
                    tenant_id=partner_id,
                    cycle=run.cycle,
                    currency=self.currency,
                    customer_count=int(count),
                    consumption_amount=to_cents(from_storage_units(int(cons))),
                    refund_amount=to_cents(from_storage_units(int(refund))),
                    adjustment_amount=to_cents(from_storage_units(int(adjust))),
                    coupon_amount=to_cents(from_storage_units(int(coupon))),
                    total_amount=total,
                    partner_coupon_amount=partner_coupons,
                    tax_rate=rate,
                    tax_amount=tax,
                    amount_due=due,
                    paid_amount=ZERO,
                    issued_at=now,
                    due_at=now + timedelta(days=self.policy.due_days),
                    paid_at=now if due == 0 else None,
                )
            )
            self.session.add(
                RoundingResidue(
                    tenant_id=partner_id,
                    cycle=run.cycle,
                    level=ResidueLevel.CUSTOMERS.value,
                    amount=total - from_storage_units(int(parts_units)),
                )
            )
            resellers = per_reseller.get(partner_id, [])
            if resellers:
                reseller_sum = ZERO
                for reseller_id, reseller_count, reseller_net, direct in resellers:
                    reseller_total = to_cents(from_storage_units(int(reseller_net)))
                    if direct:
                        # The distributor's own customers count at their rounded totals.
                        reseller_sum += from_storage_units(int(reseller_net))
                        continue
                    reseller_sum += reseller_total
                    self.session.add(
                        ResellerBill(
                            tenant_id=partner_id,
                            cycle=run.cycle,
                            reseller_id=reseller_id,
                            customer_count=int(reseller_count),
                            total_amount=reseller_total,
                        )
                    )
                self.session.add(
                    RoundingResidue(
                        tenant_id=partner_id,
                        cycle=run.cycle,
                        level=ResidueLevel.RESELLERS.value,
                        amount=total - reseller_sum,
                    )
                )
        await self.session.flush()
        return len(rows)

    def _customer_totals(self, cycle: str, partner_id: str) -> CustomerTotals:
        """The totals of the partner's reseller-model customers on its bill of ``cycle``."""

        async def totals(customer_ids: Sequence[str]) -> dict[str, Decimal]:
            rows = await self.session.execute(
                select(CustomerBill.tenant_id, CustomerBill.total_amount).where(
                    CustomerBill.cycle == cycle,
                    CustomerBill.billed_partner_id == partner_id,
                    CustomerBill.reseller_model.is_(True),
                    CustomerBill.tenant_id.in_(list(customer_ids)),
                )
            )
            return {customer: to_cents(total) for customer, total in rows.all()}

        return totals

    async def _reseller_totals(
        self, cycle: str, scope: ColumnElement[bool]
    ) -> dict[str, list[tuple[str, int, int, bool]]]:
        """Per billed partner: (owner, customers, unrounded net units, owner is the partner)
        for partners with resellers; for the direct customers the net is their rounded sum."""
        bill = CustomerBill.__table__.c
        direct = bill.owner_partner_id == bill.billed_partner_id
        net = (
            type_coerce(bill.consumption_amount, BigInteger)
            + type_coerce(bill.refund_amount, BigInteger)
            + type_coerce(bill.adjustment_amount, BigInteger)
            - type_coerce(bill.coupon_amount, BigInteger)
        )
        stmt = (
            select(
                bill.billed_partner_id,
                bill.owner_partner_id,
                cast(func.count(), Integer),
                cast(
                    func.sum(case((direct, type_coerce(bill.total_amount, BigInteger)), else_=net)),
                    BigInteger,
                ),
            )
            .where(scope)
            .group_by(bill.billed_partner_id, bill.owner_partner_id)
            .order_by(bill.billed_partner_id, bill.owner_partner_id)
        )
        out: dict[str, list[tuple[str, int, int, bool]]] = {}
        for billed, owner, count, units in (await self.session.execute(stmt)).all():
            out.setdefault(billed, []).append((owner, count, units, owner == billed))
        return {k: v for k, v in out.items() if any(not row[3] for row in v)}

    async def _tax_rates(self, partner_ids: Sequence[str]) -> dict[str, Decimal]:
        stmt = select(BillingProfile.partner_id, BillingProfile.tax_rate).where(
            BillingProfile.partner_id.in_(list(partner_ids))
        )
        return {row[0]: row[1] for row in (await self.session.execute(stmt)).all()}

    # -- completion ----------------------------------------------------------------------------

    async def complete(self, cycle: str) -> bool:
        """Mark the run complete when no batch is pending; True when it is complete."""
        run = await self.session.get(BillRun, cycle)
        if run is None:
            return False
        if run.completed_at is not None:
            return True
        if await self.pending_batches(cycle):
            return False
        await self.session.execute(
            update(BillRun)
            .where(BillRun.cycle == cycle, BillRun.completed_at.is_(None))
            .values(completed_at=self.clock.now())
        )
        await self.session.execute(delete(BillRunStaging).where(BillRunStaging.cycle == cycle))
        await self.session.flush()
        return True

    async def report(self, cycle: str) -> RunReport:
        batches = await self.batch_count(cycle)
        pending = await self.pending_batches(cycle)
        partner_bills = await self.session.scalar(
            select(func.count()).select_from(PartnerBill).where(PartnerBill.cycle == cycle)
        )
        customer_bills = await self.session.scalar(
            select(func.count()).select_from(CustomerBill).where(CustomerBill.cycle == cycle)
        )
        run = await self.session.get(BillRun, cycle)
        return RunReport(
            cycle=cycle,
            batches=batches,
            batches_billed=batches - len(pending),
            partner_bills=int(partner_bills or 0),
            customer_bills=int(customer_bills or 0),
            completed=bool(run and run.completed_at is not None),
        )

    def cycle_to_bill(self, as_of: datetime) -> str:
        """The cycle a run at ``as_of`` bills: the month before ``as_of``'s month."""
        local = as_of.astimezone(self.zone)
        return previous_cycle(f"{local.year:04d}-{local.month:02d}")


#: The temporary table a run's staging sums are aggregated into on PostgreSQL.
_STAGING_TMP = "bill_run_staging_tmp"


class CreateTempTableAs(Executable, ClauseElement):
    """``CREATE TEMPORARY TABLE name AS <select>`` (its parameters bound as usual)."""

    inherit_cache = False

    def __init__(self, name: str, query: Select[Any]) -> None:
        self.name = name
        self.query = query


@compiles(CreateTempTableAs)
def _create_temp_table_as(element: CreateTempTableAs, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CREATE TEMPORARY TABLE {element.name} AS {compiler.process(element.query, **kw)}"


#: The columns a bill line and a staging sum share, after their keys.
_LINE_SUMS = (
    "kind",
    "service_type_code",
    "resource_type_code",
    "region_code",
    "amount",
    "coupon_amount",
)


def _activity(
    cycle: str,
    start: datetime,
    end: datetime,
    previous_cutoff: datetime | None,
    owners: Sequence[str] | None,
    cutoff: datetime | None = None,
) -> Subquery:
    """SQL: the orders paid in ``[start, end)``, the fee records of ``cycle`` rated before
    ``cutoff`` (default ``end``) with late usage rated since ``previous_cutoff``, summed per
    customer, owner partner, kind, product and region, and the operator's adjustments entered
    in ``cycle`` one by one (``owners``: only theirs)."""
    orders = order_lines(start=start, end=end, owner_partner_ids=owners)
    fees = fee_lines(
        cycle=cycle,
        cutoff=end if cutoff is None else cutoff,
        previous_cutoff=previous_cutoff,
        owner_partner_ids=owners,
    )
    adjustments = select(
        BillAdjustment.tenant_id.label("customer_id"),
        BillAdjustment.owner_partner_id.label("owner_partner_id"),
        literal(LineKind.ADJUSTMENT.value).label("kind"),
        BillAdjustment.service_type_code.label("service_type_code"),
        literal("").label("resource_type_code"),
        literal("").label("region_code"),
        type_coerce(BillAdjustment.amount, BigInteger).label("amount"),
        literal(0, BigInteger).label("coupon_amount"),
    ).where(BillAdjustment.cycle == cycle)
    if owners is not None:
        adjustments = adjustments.where(BillAdjustment.owner_partner_id.in_(list(owners)))
    return union_all(
        orders, fees.add_columns(literal(0, BigInteger).label("coupon_amount")), adjustments
    ).subquery("activity")


def _billed(owner: ColumnElement[str], resellers: dict[str, str]) -> ColumnElement[str]:
    """SQL: the partner whose bill carries an owner partner's customers: a reseller's
    distributor, else the owner itself."""
    if not resellers:
        return owner
    return case(resellers, value=owner, else_=owner)


def bill_id(cycle: str, partner_id: str) -> str:
    """``PB<yyyymm>-<partner id>``: a partner bill's id."""
    return f"PB{cycle.replace('-', '')}-{partner_id}"
