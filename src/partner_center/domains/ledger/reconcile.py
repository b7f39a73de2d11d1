"""Prove that the cached account totals equal the ledger.

``reconcile`` recomputes every account's four totals from ``ledger_transfers`` with grouped SQL
aggregates and compares them with the cached columns in one statement, so on PostgreSQL (READ
COMMITTED) and SQLite alike the comparison sees a single consistent snapshot even while
transfers are being posted. Python only walks the per-account result rows, never the transfers.

It also checks, per currency, that total debits equal total credits (posted and pending), that
every transfer is in its accounts' currency, and that no guarded account is past its limit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from partner_center.domains.ledger.models import (
    POSTING_KINDS,
    Guard,
    LedgerAccount,
    LedgerTransfer,
    TransferKind,
)
from partner_center.domains.ledger.service import available_amount
from partner_center.kernel.pagination import count

ZERO = Decimal(0)
TOTAL_FIELDS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
#: At most this many transfer ids are listed for currency mismatches (the count is exact).
MAX_LISTED_TRANSFERS = 100


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """A cached total that differs from the ledger's sum. Amounts in the account's currency."""

    account_id: str
    field: str
    cached: Decimal
    computed: Decimal


@dataclass(frozen=True, slots=True)
class CurrencyImbalance:
    """Total debits differ from total credits in one currency (``source``: cached or ledger)."""

    currency: str
    state: str
    """``posted`` or ``pending``."""
    source: str
    """``cached`` (account columns) or ``ledger`` (recomputed from transfers)."""
    debits: Decimal
    credits: Decimal


@dataclass(frozen=True, slots=True)
class LimitBreach:
    """A guarded account whose ledger totals exceed its limit (``available`` < 0)."""

    account_id: str
    guard: Guard
    limit: Decimal
    available: Decimal


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    accounts_checked: int
    transfers_checked: int
    discrepancies: tuple[Discrepancy, ...]
    imbalances: tuple[CurrencyImbalance, ...]
    limit_breaches: tuple[LimitBreach, ...]
    currency_mismatch_count: int
    currency_mismatches: tuple[str, ...]
    """Ids (at most ``MAX_LISTED_TRANSFERS``) of transfers in another currency than an account."""

    @property
    def ok(self) -> bool:
        return not (
            self.discrepancies
            or self.imbalances
            or self.limit_breaches
            or self.currency_mismatch_count
        )


async def reconcile(session: AsyncSession) -> ReconcileReport:
    """Recompute every account's totals from the transfers and report any difference.

    Read-only; runs in the caller's session.
    """
    t = LedgerTransfer.__table__
    acc = LedgerAccount.__table__
    resolution = aliased(LedgerTransfer)

    is_posting = t.c.kind.in_(POSTING_KINDS)
    is_open_hold = and_(
        t.c.kind == TransferKind.PENDING.value,
        ~exists().where(resolution.pending_id == t.c.id),
    )

    def summed(side: str, condition: ColumnElement[bool]) -> Subquery:
        column = t.c.debit_account_id if side == "debit" else t.c.credit_account_id
        return (
            select(column.label("account_id"), func.sum(t.c.amount).label("total"))
            .where(condition)
            .group_by(column)
            .subquery()
        )

    sums = {
        "debits_posted": summed("debit", is_posting),
        "credits_posted": summed("credit", is_posting),
        "debits_pending": summed("debit", is_open_hold),
        "credits_pending": summed("credit", is_open_hold),
    }
    stmt = select(
        acc.c.id,
        acc.c.currency,
        acc.c.guard,
        acc.c["limit"],
        *(acc.c[name] for name in TOTAL_FIELDS),
        *(sums[name].c.total.label(f"computed_{name}") for name in TOTAL_FIELDS),
    ).select_from(acc)
    for name in TOTAL_FIELDS:
        sub = sums[name]
        stmt = stmt.outerjoin(sub, sub.c.account_id == acc.c.id)

    discrepancies: list[Discrepancy] = []
    breaches: list[LimitBreach] = []
    cached_sums: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    ledger_sums: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    currencies: set[str] = set()
    accounts = 0
    for row in (await session.execute(stmt)).mappings():
        accounts += 1
        currency = row["currency"]
        currencies.add(currency)
        computed: dict[str, Decimal] = {}
        for name in TOTAL_FIELDS:
            cached_value: Decimal = row[name]
            computed_value: Decimal = row[f"computed_{name}"] or ZERO
            computed[name] = computed_value
            cached_sums[(currency, name)] += cached_value
            ledger_sums[(currency, name)] += computed_value
            if cached_value != computed_value:
                discrepancies.append(Discrepancy(row["id"], name, cached_value, computed_value))
        guard = Guard(row["guard"])
        headroom = available_amount(guard, row["limit"], **computed)
        if headroom is not None and headroom < 0:
            breaches.append(LimitBreach(row["id"], guard, row["limit"], headroom))

    imbalances: list[CurrencyImbalance] = []
    for currency in sorted(currencies):
        for source, totals in (("cached", cached_sums), ("ledger", ledger_sums)):
            for state in ("posted", "pending"):
                debits = totals[(currency, f"debits_{state}")]
                credits = totals[(currency, f"credits_{state}")]
                if debits != credits:
                    imbalances.append(CurrencyImbalance(currency, state, source, debits, credits))

    debit_acc = acc.alias("debit_account")
    credit_acc = acc.alias("credit_account")
    mismatch = (
        select(t.c.id)
        .join(debit_acc, debit_acc.c.id == t.c.debit_account_id)
        .join(credit_acc, credit_acc.c.id == t.c.credit_account_id)
        .where(or_(t.c.currency != debit_acc.c.currency, t.c.currency != credit_acc.c.currency))
    )
    mismatch_count = await count(session, mismatch)
    listed = (
        (await session.execute(mismatch.order_by(t.c.id).limit(MAX_LISTED_TRANSFERS)))
        .scalars()
        .all()
        if mismatch_count
        else []
    )
    transfers = (await session.execute(select(func.count()).select_from(t))).scalar_one()

    return ReconcileReport(
        accounts_checked=accounts,
        transfers_checked=transfers,
        discrepancies=tuple(discrepancies),
        imbalances=tuple(imbalances),
        limit_breaches=tuple(breaches),
        currency_mismatch_count=mismatch_count,
        currency_mismatches=tuple(listed),
    )


def format_report(report: ReconcileReport) -> list[str]:
    """Human-readable lines for the ``partner-center reconcile`` command (first line: summary)."""
    verdict = "OK" if report.ok else "DIFFERENCES FOUND"
    lines = [
        f"ledger reconcile: {verdict} — {report.accounts_checked} accounts, "
        f"{report.transfers_checked} transfers",
    ]
    for d in report.discrepancies:
        lines.append(
            f"  account {d.account_id}: {d.field} cached {d.cached:f} != ledger {d.computed:f} "
            f"(difference {d.cached - d.computed:f})"
        )
    for i in report.imbalances:
        lines.append(
            f"  currency {i.currency}: {i.source} {i.state} debits {i.debits:f} != "
            f"credits {i.credits:f}"
        )
    for b in report.limit_breaches:
        lines.append(
            f"  account {b.account_id}: {b.guard.value} broken, limit {b.limit:f}, "
            f"available {b.available:f}"
        )
    if report.currency_mismatch_count:
        shown = ", ".join(report.currency_mismatches)
        lines.append(
            f"  {report.currency_mismatch_count} transfers in a currency other than their "
            f"accounts': {shown}"
        )
    return lines
