"""The hourly rating run: pending usage → fee records at list price → free quotas first, then
the charge (balances) and the budget (at list price).

Run by the ``usage.rate_hourly`` job at the top of every hour with the business clock standing
at the run's due time. It rates every pending record of an hour that has ended (late records of
older hours included), one fee record per (resource, usage type, hour) per run. The fee records
are unique per (resource, usage type, hour, run) and a record is marked rated in the same
transaction as its fee record: re-running a run, or rating again, changes nothing.

The run is set-based (issue 10): the database does what scales with the number of records.

1. One aggregation: the pending records' sums per (customer, resource, usage type, hour,
   measure) go into a temporary table (``rating_groups``), never through Python row by row,
   numbered in rating order (``position``): a batch is a range of positions, read along an
   index without sorting.
2. Customer batch by customer batch (at most ``BATCH_GROUPS`` groups, so memory stays flat in
   the number of records): the batch's groups, resources, free quotas and month-to-date tier
   use are read in a few statements; each group is priced (integer maths in 10⁻⁸ units when the
   usage stays in one tier band and no free quota applies, the exact ``Fraction`` path
   otherwise — both give the same rounding); the fee records are written in one statement
   (``COPY`` on PostgreSQL, one executemany on SQLite); then each customer of the batch is
   charged once and its budget used (unchanged: one posting per customer and run).
3. One set statement marks every rated record with its fee record (joined on the key). Its row count must equal
   the records aggregated: a record ingested into a rated hour between the aggregation and the
   marking would otherwise be marked without being counted, so the run fails (rolls back) and
   the next one rates it.

Amounts:

* the hour's quantity is converted exactly to the price's usage unit;
* free quotas cover what they can; the rest is priced with the catalogue's tiers — a linear
  product (disk GB, Mbit/s) by its size, others by quantity within the calendar month of the
  billing time zone (``usage_before`` = what the same customer already used of the same product
  that month) — so rating the hours one after the other sums to rating the month;
* the fee is rounded once, to 8 decimals ROUND_HALF_UP (``kernel.money.to_rating``); each
  customer is charged once per run (balances charge ``usage:<customer>:<run>``), exactly the
  sum of its charged fee records, and the same sum is counted against its budget.

Customers whose resources are frozen (``ACCOUNT_AND_RESOURCE``, or by an arrears case in its
retention period, ``arrears.py``) are not metered: their usage from the freeze on is marked
NOT_CHARGED. A charge that leaves a balance-funded customer owing opens its arrears case. Restricted customers keep running and paying
(rules.md §4.2–4.4).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Column,
    MetaData,
    Table,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances.public import BalanceEngine, ChargeKind
from partner_center.domains.budgets.public import BudgetEngine
from partner_center.domains.catalog.public import (
    CatalogService,
    PriceView,
    ProductKey,
    SpecView,
    TierSchedule,
)
from partner_center.domains.customers.public import (
    AssociationStatus,
    CustomerControl,
    CustomerRecords,
    FreezeType,
)
from partner_center.domains.usage.arrears import ArrearsService
from partner_center.domains.usage.models import (
    ChargeState,
    FeeRecord,
    OnDemandResource,
    UsageRecord,
    UsageStatus,
)
from partner_center.domains.usage.packages import PackageService, exact_decimal
from partner_center.kernel.clock import Clock, format_utc, utc
from partner_center.kernel.db import MoneyAmount, UtcDateTime
from partner_center.kernel.ids import new_ids
from partner_center.kernel.money import STORAGE_SCALE, from_storage_units, to_storage_units

_HOUR = timedelta(hours=1)
ZERO = Decimal(0)
_UNIT = 10**STORAGE_SCALE
#: Groups (resource, usage type, hour) priced together: the run's memory is bounded by this,
#: not by the number of records (a single customer with more is one batch).
BATCH_GROUPS = 20_000
_GROUPS = "rating_groups"
#: Rating order (customer, hour, resource, usage type, measure). Strings compare by code point
#: as Python's do (PostgreSQL's "C" collation; SQLite's BINARY is the same for UTF-8).
_RATING_ORDER = "tenant_id{c}, usage_hour, resource_id{c}, usage_type{c}, measure_id"
#: A batch's groups, one row per measure: a range of positions (customers are contiguous),
#: read along the position index, so no batch sorts anything.
_SELECT_GROUPS = (
    "SELECT tenant_id, resource_id, usage_type, usage_hour, measure_id, quantity, records "
    "FROM rating_groups WHERE position > :after ORDER BY position LIMIT :rows"
)

_FEES = cast(Table, FeeRecord.__table__)
#: ``usage_fee_records`` with its amounts as the stored integers (10⁻⁸ units): the month's use
#: is read as the units the pricing computes with, without a Decimal round trip.
_FEE_UNITS = Table(
    _FEES.name,
    MetaData(),
    *(
        Column(c.name, BigInteger() if isinstance(c.type, MoneyAmount) else c.type)
        for c in _FEES.columns
    ),
)
_FEE_COLUMNS = [c.name for c in _FEES.columns]


@dataclass(frozen=True, slots=True)
class RatingSummary:
    records: int
    fee_records: int
    not_charged: int
    charged_amount: Decimal


class RatingRaced(RuntimeError):
    """Records arrived in an hour being rated between the aggregation and the marking: the
    run rolls back and the next one rates them."""


def _cost(
    schedule: TierSchedule, *, usage: Fraction, size: Fraction | None, before: Fraction
) -> Fraction:
    """Exact list price with the catalogue's tier maths: a linear product's size is priced per
    usage unit; other products fill the month's tier window after ``before`` units."""
    if size is not None:
        return schedule.cumulative(size) * usage
    return schedule.cost(usage, already_used=before)


def _half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (both >= 0) rounded half up to an integer."""
    return (2 * numerator + denominator) // (2 * denominator)


def _units(value: Fraction) -> int:
    """An exact non-negative Fraction as 10⁻⁸ units, ROUND_HALF_UP (= ``exact_decimal``)."""
    return _half_up(value.numerator * _UNIT, value.denominator)


@dataclass(frozen=True, slots=True)
class _Band:
    """One tier band in 10⁻⁸ units of quantity: [lower, upper] (upper None = open)."""

    lower: int
    upper: int | None
    numerator: int
    denominator: int
    """The band's unit price, numerator / denominator."""


def _bands(schedule: TierSchedule) -> tuple[_Band, ...] | None:
    """The schedule's bands in integer units, or None if a bound is finer than 10⁻⁸."""
    bands = []
    lower = 0
    for tier in schedule.tiers:
        upper = None
        if tier.up_to is not None:
            scaled = Fraction(tier.up_to) * _UNIT
            if scaled.denominator != 1:
                return None
            upper = int(scaled)
        price = Fraction(tier.unit_price)
        bands.append(_Band(lower, upper, price.numerator, price.denominator))
        if upper is not None:
            lower = upper
    return tuple(bands)


@dataclass(frozen=True, slots=True)
class _Resource:
    """What a fee record needs of an on-demand resource (read as plain columns)."""

    id: str
    partner_id: str
    key: ProductKey
    size: int | None
    size_measure_id: int | None
    product: tuple[str, str, str, str]
    """``key`` as a plain tuple: what the price cache is keyed by (hashed natively)."""


Window = tuple[datetime, datetime | None]
"""A freeze ``[start, end)``; ``end`` None while it lasts."""


def merged_windows(windows: list[Window]) -> list[Window]:
    """Overlapping or touching freezes as one, in order (so each record is in one window)."""
    merged: list[Window] = []
    for start, end in sorted(windows, key=lambda w: w[0]):
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            last_start, last_end = merged[-1]
            longer = None if end is None or last_end is None else max(end, last_end)
            merged[-1] = (last_start, longer)
        else:
            merged.append((start, end))
    return merged


def _window_of(windows: Iterable[Window], hour: datetime) -> Window | None:
    for start, end in windows:
        if start <= hour and (end is None or hour < end):
            return start, end
    return None


def _frozen_key(item: tuple[tuple[str, datetime, datetime | None], int]) -> tuple[str, datetime]:
    return item[0][0], item[0][1]


@dataclass(slots=True)
class _Group:
    """One (customer, hour, resource, usage type) to rate: its sums per measure."""

    customer_id: str
    hour: datetime
    resource_id: str
    usage_type: str
    stored_hour: Any
    """The hour as the database stores it (written back as is into the fee record)."""
    sums: list[tuple[int, int]] = field(default_factory=list)
    """(measure id, quantity in 10⁻⁸ units)."""
    records: int = 0


class UsageRating:
    """Rates pending usage. Flushes, never commits."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        zone: ZoneInfo,
        currency: str,
        catalog: CatalogService,
        packages: PackageService,
        control: CustomerControl,
        balances: BalanceEngine,
        budgets: BudgetEngine,
        customer_records: CustomerRecords,
        arrears: ArrearsService,
    ) -> None:
        self.session = session
        self.clock = clock
        self.arrears = arrears
        self.zone = zone
        self.currency = currency
        self.catalog = catalog
        self.packages = packages
        self.control = control
        self.balances = balances
        self.budgets = budgets
        self.customer_records = customer_records
        self._prices: dict[tuple[ProductKey, str], list[tuple[SpecView, PriceView]]] = {}
        self._bands: dict[int, tuple[_Band, ...] | None] = {}
        self._sizes: dict[str, Fraction | None] = {}
        self._price_at: dict[tuple[tuple[str, ...], str, datetime], tuple[SpecView, PriceView]] = {}
        self._cycles: dict[datetime, str] = {}
        # Charged units (10⁻⁸) per (customer, product, usage type, month) of the batch: the
        # tier window, loaded per batch and advanced as the batch's fees are priced.
        self._month_use: dict[tuple[str, ...], int] = {}
        self._stored_hours: dict[Any, datetime] = {}

    def bill_cycle(self, when: datetime) -> str:
        cycle = self._cycles.get(when)
        if cycle is None:
            local = utc(when).astimezone(self.zone)
            cycle = self._cycles[when] = f"{local.year:04d}-{local.month:02d}"
        return cycle

    async def _price(
        self, key: ProductKey, usage_type: str, hour: datetime
    ) -> tuple[SpecView, PriceView]:
        cached = self._prices.setdefault((key, usage_type), [])
        for spec, price in cached:
            if price.effective_from <= hour and (
                price.effective_to is None or hour < price.effective_to
            ):
                return spec, price
        found = await self.catalog.on_demand_price(key, usage_type, as_of=hour)
        cached.append(found)
        return found

    @staticmethod
    def charge_id(customer_id: str, as_of: datetime) -> str:
        """One charge per customer and run: the sum of its charged fee records."""
        return f"usage:{customer_id}:{format_utc(as_of)}"

    # -- the run ----------------------------------------------------------------------------

    async def rate_due(self, as_of: datetime) -> RatingSummary:
        """Rate every pending record of the hours that ended at or before ``as_of``."""
        as_of = utc(as_of)
        cut = as_of - _HOUR
        await self._aggregate(cut)
        try:
            return await self._rate_groups(as_of, cut)
        finally:
            connection = await self.session.connection()
            await connection.execute(text(f"DROP TABLE IF EXISTS {_GROUPS}"))

    async def _aggregate(self, cut: datetime) -> None:
        """The pending records' sums per group and measure, into the temporary table."""
        connection = await self.session.connection()
        postgres = connection.dialect.name == "postgresql"
        collate = ' COLLATE "C"' if postgres else ""
        await connection.execute(text(f"DROP TABLE IF EXISTS {_GROUPS}"))
        await connection.execute(
            text(
                # Table and column names are this module's constants, never input.
                f"CREATE TEMPORARY TABLE {_GROUPS} "  # noqa: S608
                f"{'ON COMMIT DROP ' if postgres else ''}AS "
                "SELECT tenant_id, resource_id, usage_type, usage_hour, measure_id, "
                "SUM(quantity) AS quantity, COUNT(*) AS records, "
                f"ROW_NUMBER() OVER (ORDER BY {_RATING_ORDER.format(c=collate)}) AS position "
                "FROM usage_records WHERE status = :pending AND usage_hour <= :cut "
                "GROUP BY tenant_id, resource_id, usage_type, usage_hour, measure_id"
            ).bindparams(
                bindparam("cut", cut, type_=UtcDateTime()),
                bindparam("pending", UsageStatus.PENDING.value),
            )
        )
        await connection.execute(
            text(f"CREATE UNIQUE INDEX ix_{_GROUPS}_position ON {_GROUPS} (position)")
        )

    async def _rate_groups(self, as_of: datetime, cut: datetime) -> RatingSummary:
        connection = await self.session.connection()
        tenants = (
            await connection.execute(
                text(
                    f"SELECT tenant_id, COUNT(*) FROM {_GROUPS} "  # noqa: S608
                    "GROUP BY tenant_id"
                )
            )
        ).all()
        if not tenants:
            return RatingSummary(0, 0, 0, ZERO)
        conversions = await self.catalog.conversion_table()
        dialect = connection.dialect
        store = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
        stored_as_of = store(as_of) if store else as_of
        run = _Run(as_of=as_of, stored_as_of=stored_as_of, cut=cut, conversions=conversions)
        after = 0
        for batch in _batches(sorted((t, int(n)) for t, n in tenants)):
            positions = sum(n for _, n in batch)
            await self._rate_batch([c for c, _ in batch], run, after=after, positions=positions)
            after += positions
        marked = await self._mark_rated(as_of, cut)
        if marked != run.rated_records:
            raise RatingRaced(
                f"{marked} records marked rated, {run.rated_records} aggregated: usage arrived "
                "in a rated hour during the run"
            )
        return RatingSummary(
            run.rated_records + run.not_charged, run.fee_records, run.not_charged, run.charged
        )

    async def _rate_batch(
        self, customer_ids: list[str], run: _Run, *, after: int, positions: int
    ) -> None:
        groups = await self._groups_of(customer_ids, after=after, positions=positions)
        resources = await self._resources_of(groups)
        customers = await self.customer_records.many(customer_ids)
        freezes = await self.arrears.frozen_windows(customer_ids)
        for customer_id, record in customers.items():
            if record.freeze_type == FreezeType.ACCOUNT_AND_RESOURCE and record.frozen_at:
                freezes.setdefault(customer_id, []).append((record.frozen_at, None))
        windows = {c: merged_windows(w) for c, w in freezes.items()}
        await self.packages.preload_quotas(customer_ids)
        with_quotas = {c for c in customer_ids if await self.packages.has_quotas(c)}
        await self._load_month_use(customer_ids, {self.bill_cycle(g.hour) for g in groups})
        await self._load_prices(groups, resources)
        fee_ids = new_ids(len(groups))
        rows: list[tuple[Any, ...]] = []
        totals: dict[str, int] = defaultdict(int)
        frozen: dict[tuple[str, datetime, datetime | None], int] = defaultdict(int)
        charge_ids: dict[str, str] = {}
        for index, group in enumerate(groups):
            customer_id = group.customer_id
            customer = customers.get(customer_id)
            window = _window_of(windows.get(customer_id, ()), group.hour)
            if window is not None:
                frozen[(customer_id, *window)] += group.records
                continue
            resource = resources[group.resource_id]
            fee_id = fee_ids[index]
            free = None
            if customer_id in with_quotas:
                free = await self._free_quantity(group, resource, run, fee_id=fee_id)
            row = self._rate_group(group, resource, run, fee_id=fee_id, free=free)
            amount = row[_AMOUNT]
            if amount <= 0:
                state, charge_id = _FREE, None
            elif customer is None or customer.association_status != AssociationStatus.ASSOCIATED:
                state, charge_id = _UNCHARGED, None
            else:
                state = _CHARGED
                charge_id = charge_ids.get(customer_id)
                if charge_id is None:
                    charge_id = charge_ids[customer_id] = self.charge_id(customer_id, run.as_of)
                totals[customer_id] += amount
            rows.append((*row, state, charge_id))
            run.rated_records += group.records
        await self._insert_fees(rows)
        run.fee_records += len(rows)
        for (customer_id, since, until), count in sorted(frozen.items(), key=_frozen_key):
            await self._mark_not_charged(customer_id, since, until, run.cut, count)
            run.not_charged += count
        for customer_id in sorted(totals):
            amount = from_storage_units(totals[customer_id])
            charge = await self.balances.charge_customer(
                customer_id,
                amount,
                self.charge_id(customer_id, run.as_of),
                kind=ChargeKind.USAGE,
                description=f"Pay-per-use usage rated {format_utc(run.as_of)}",
            )
            if charge.arrears_amount > 0:
                await self.arrears.open_if_owing(customer_id, as_of=run.as_of)
            run.charged += amount
        for customer_id in sorted(totals):
            await self._use_budget(customer_id, from_storage_units(totals[customer_id]), run.as_of)
        self._month_use.clear()

    async def _groups_of(
        self, customer_ids: list[str], *, after: int, positions: int
    ) -> list[_Group]:
        """The batch's groups (its ``positions`` after ``after``), in rating order
        (customer, hour, resource, usage type): the month's tier window fills in that order.
        The rows come as the driver gives them (no per-row type processing): hours are
        converted once per distinct hour."""
        connection = await self.session.connection()
        result = await connection.execute(text(_SELECT_GROUPS), {"after": after, "rows": positions})
        hours = self._stored_hours
        groups: list[_Group] = []
        group: _Group | None = None
        for tenant_id, resource_id, usage_type, stored, measure_id, quantity, records in result:
            if (
                group is None
                or group.resource_id != resource_id
                or group.stored_hour != stored
                or group.usage_type != usage_type
                or group.customer_id != tenant_id
            ):
                hour = hours.get(stored)
                if hour is None:
                    hour = hours[stored] = self._hour_of(stored)
                group = _Group(tenant_id, hour, resource_id, usage_type, stored)
                groups.append(group)
            group.sums.append((int(measure_id), int(quantity)))
            group.records += int(records)
        if groups and (groups[0].customer_id, groups[-1].customer_id) != (
            customer_ids[0],
            customer_ids[-1],
        ):
            raise RuntimeError("rating positions out of step with the batch's customers")
        return groups

    def _hour_of(self, stored: Any) -> datetime:
        """An hour as the driver returned it (an aware datetime; a text on SQLite) → aware UTC."""
        if isinstance(stored, str):
            return datetime.fromisoformat(stored).replace(tzinfo=UTC)
        return utc(stored)

    async def _resources_of(self, groups: list[_Group]) -> dict[str, _Resource]:
        ids = sorted({g.resource_id for g in groups})
        r = cast(Table, OnDemandResource.__table__).c
        rows = await self.session.execute(
            select(
                r.id,
                r.partner_id,
                r.service_type_code,
                r.resource_type_code,
                r.resource_spec_code,
                r.region_code,
                r.resource_size,
                r.size_measure_id,
            ).where(r.id.in_(ids))
        )
        return {
            row[0]: _Resource(
                row[0],
                row[1],
                ProductKey(row[2], row[3], row[4], row[5]),
                row[6],
                row[7],
                (row[2], row[3], row[4], row[5]),
            )
            for row in rows
        }

    async def _load_prices(self, groups: list[_Group], resources: dict[str, _Resource]) -> None:
        """Every (product, usage type, hour) price of the batch, and each resource's size in
        its spec's unit, resolved before the (synchronous) pricing loop."""
        for group in groups:
            resource = resources[group.resource_id]
            at = (resource.product, group.usage_type, group.hour)
            if at not in self._price_at:
                self._price_at[at] = await self._price(resource.key, group.usage_type, group.hour)
            if resource.id not in self._sizes:
                spec = self._price_at[at][0]
                self._sizes[resource.id] = await self.catalog.size_in_spec_unit(
                    spec, resource.size, resource.size_measure_id
                )

    async def _load_month_use(self, customer_ids: list[str], cycles: set[str]) -> None:
        """What each customer of the batch was already charged this month per product and
        usage type (earlier runs): where the month's tier window stands."""
        self._month_use.clear()
        fees = _FEE_UNITS
        window = [
            fees.c[name]
            for name in (
                "tenant_id",
                "service_type_code",
                "resource_type_code",
                "resource_spec_code",
                "region_code",
                "usage_type",
                "bill_cycle",
            )
        ]
        rows = await self.session.execute(
            select(*window, func.sum(fees.c.charged_quantity))
            .where(fees.c.tenant_id.in_(customer_ids), fees.c.bill_cycle.in_(cycles))
            .group_by(*window)
        )
        for *key, used in rows:
            self._month_use[tuple(key)] = int(used or 0)

    def _bands_of(self, price: PriceView) -> tuple[_Band, ...] | None:
        key = id(price.schedule)
        if key not in self._bands:
            self._bands[key] = _bands(price.schedule)
        return self._bands[key]

    def _quantity(self, group: _Group, measure: int, run: _Run) -> tuple[int, int]:
        """The group's quantity in 10⁻⁸ units of ``measure``, exactly: (numerator,
        denominator)."""
        if len(group.sums) == 1:
            source, units = group.sums[0]
            factor = run.factor(source, measure)
            return units * factor.numerator, factor.denominator
        numerator, denominator = 0, 1
        for source, units in group.sums:
            factor = run.factor(source, measure)
            numerator = numerator * factor.denominator + units * factor.numerator * denominator
            denominator *= factor.denominator
        return numerator, denominator

    async def _free_quantity(
        self, group: _Group, resource: _Resource, run: _Run, *, fee_id: str
    ) -> Fraction | None:
        """What the customer's free quotas cover of the group (deducted now, in the price's
        usage unit), or None if the group used nothing."""
        key = resource.key
        _spec, price = self._price_at[(resource.product, group.usage_type, group.hour)]
        measure = price.usage_measure_id
        assert measure is not None
        numerator, denominator = self._quantity(group, measure, run)
        if not numerator:
            return None
        return await self.packages.deduct(
            customer_id=group.customer_id,
            region_code=key.region,
            service_type_code=key.service_type,
            resource_type_code=key.resource_type,
            resource_spec_code=key.resource_spec,
            usage_type=group.usage_type,
            resource_id=resource.id,
            hour=group.hour,
            quantity=Fraction(numerator, denominator * _UNIT),
            measure_id=measure,
            fee_record_id=fee_id,
            conversions=run.conversions,
        )

    def _rate_group(
        self, group: _Group, resource: _Resource, run: _Run, *, fee_id: str, free: Fraction | None
    ) -> tuple[Any, ...]:
        """The fee record of one group, as a row in ``_FEE_COLUMNS`` order without the last
        two (charge state and charge id); amounts in 10⁻⁸ units. ``free``: what free quotas
        covered (``_free_quantity``), None for a customer without any."""
        key = resource.key
        _spec, price = self._price_at[(resource.product, group.usage_type, group.hour)]
        measure = price.usage_measure_id
        assert measure is not None
        numerator, denominator = self._quantity(group, measure, run)
        quantity_units = _half_up(numerator, denominator)
        cycle = self.bill_cycle(group.hour)
        size = self._sizes[resource.id]
        month_key = (
            group.customer_id,
            key.service_type,
            key.resource_type,
            key.resource_spec,
            key.region,
            group.usage_type,
            cycle,
        )
        before = self._month_use.get(month_key, 0) if size is None else 0
        if free is not None:
            free_units = to_storage_units(exact_decimal(free))
            charged = Fraction(numerator, denominator * _UNIT) - free
            amount = _units(
                _cost(price.schedule, usage=charged, size=size, before=Fraction(before, _UNIT))
            )
        else:
            free_units = 0
            amount = self._fast_amount(price, size, before, numerator, denominator)
        charged_units = quantity_units - free_units
        if size is None:
            self._month_use[month_key] = before + charged_units
        return (
            fee_id,
            resource.id,
            resource.partner_id,
            key.service_type,
            key.resource_type,
            key.resource_spec,
            key.region,
            group.usage_type,
            group.stored_hour,
            run.stored_as_of,
            cycle,
            measure,
            quantity_units,
            free_units,
            charged_units,
            amount,
            price.currency or self.currency,
            group.customer_id,
        )

    def _fast_amount(
        self,
        price: PriceView,
        size: Fraction | None,
        before: int,
        numerator: int,
        denominator: int,
    ) -> int:
        """The list price in 10⁻⁸ units of ``numerator / denominator`` units with no free
        quota: one multiplication when the usage stays in one tier band (or the product is
        linear), the exact tier maths otherwise."""
        if numerator == 0:
            return 0
        if size is not None:
            unit = price.schedule.cumulative(size)
            return _half_up(unit.numerator * numerator, unit.denominator * denominator)
        bands = self._bands_of(price)
        if bands is not None:
            for band in bands:
                if band.upper is not None and before >= band.upper:
                    continue
                if (
                    band.upper is None
                    or before * denominator + numerator <= band.upper * denominator
                ):
                    return _half_up(band.numerator * numerator, band.denominator * denominator)
                break
        usage = Fraction(numerator, denominator * _UNIT)
        return _units(_cost(price.schedule, usage=usage, size=None, before=Fraction(before, _UNIT)))

    async def _insert_fees(self, rows: list[tuple[Any, ...]]) -> None:
        """The batch's fee records in one statement on the driver's connection, the values
        already in their stored form: ``COPY`` on PostgreSQL, one executemany on SQLite."""
        if not rows:
            return
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        if connection.dialect.name == "postgresql":
            await driver.copy_records_to_table(_FEES.name, records=rows, columns=_ROW_COLUMNS)
        else:
            await driver.executemany(_SQLITE_INSERT_FEES, rows)

    async def _mark_rated(self, as_of: datetime, cut: datetime) -> int:
        """Every pending record of a rated group → RATED with its fee record (one statement)."""
        records = cast(Table, UsageRecord.__table__)
        connection = await self.session.connection()
        result = await connection.execute(
            update(records)
            .values(status=UsageStatus.RATED.value, fee_record_id=_FEES.c.id)
            .where(
                records.c.status == UsageStatus.PENDING.value,
                records.c.usage_hour <= cut,
                _FEES.c.rated_at == as_of,
                _FEES.c.resource_id == records.c.resource_id,
                _FEES.c.usage_type == records.c.usage_type,
                _FEES.c.usage_hour == records.c.usage_hour,
            )
        )
        return int(result.rowcount)

    async def _mark_not_charged(
        self,
        customer_id: str,
        since: datetime,
        until: datetime | None,
        cut: datetime,
        expected: int,
    ) -> None:
        """A frozen customer's pending records of a freeze (``[since, until)``) → NOT_CHARGED."""
        records = cast(Table, UsageRecord.__table__)
        connection = await self.session.connection()
        conditions = [
            records.c.status == UsageStatus.PENDING.value,
            records.c.usage_hour <= cut,
            records.c.usage_hour >= since,
            records.c.tenant_id == customer_id,
        ]
        if until is not None:
            conditions.append(records.c.usage_hour < until)
        result = await connection.execute(
            update(records).values(status=UsageStatus.NOT_CHARGED.value).where(*conditions)
        )
        if int(result.rowcount) != expected:
            raise RatingRaced(f"{customer_id}: {result.rowcount} not charged, {expected} counted")

    async def _use_budget(self, customer_id: str, amount: Decimal, as_of: datetime) -> None:
        """Count the run's list-price spend against the customer's budget, applying the
        exhaustion action when it runs out (through the budgets engine).

        Usage already happened, so it is never refused: only what the budget has left is
        reserved and committed (the budget's guard never lets use exceed it), which is enough
        to reach exhaustion. A customer that is restricted or frozen already keeps running
        (or is frozen) and its budget is not touched: the engine refuses reservations for it.
        """
        engine = self.budgets
        if not await engine.applies_to(customer_id):
            return
        state = await self.control.state(customer_id)
        if not state.normal:
            return
        view = await engine.view(customer_id, currency=self.currency)
        if not view.is_set:
            return
        take = min(amount, view.remaining)
        if take <= 0:
            return
        reservation = await engine.reserve(customer_id, take, f"usage:{format_utc(as_of)}")
        await engine.commit(reservation.id)


#: The fee row's columns in the order ``_rate_group`` builds it, then charge state and id.
_ROW_COLUMNS = [
    "id",
    "resource_id",
    "partner_id",
    "service_type_code",
    "resource_type_code",
    "resource_spec_code",
    "region_code",
    "usage_type",
    "usage_hour",
    "rated_at",
    "bill_cycle",
    "usage_measure_id",
    "quantity",
    "free_quantity",
    "charged_quantity",
    "official_amount",
    "currency",
    "tenant_id",
    "charge_state",
    "charge_id",
]
_AMOUNT = _ROW_COLUMNS.index("official_amount")
_FREE, _UNCHARGED, _CHARGED = (
    ChargeState.FREE.value,
    ChargeState.UNCHARGED.value,
    ChargeState.CHARGED.value,
)
_SQLITE_INSERT_FEES = (
    f"INSERT INTO {_FEES.name} ({', '.join(_ROW_COLUMNS)}) "  # noqa: S608 - constants
    f"VALUES ({', '.join('?' for _ in _ROW_COLUMNS)})"
)
assert sorted(_ROW_COLUMNS) == sorted(_FEE_COLUMNS), "every fee column is written"


@dataclass(slots=True)
class _Run:
    """What one run carries across its batches."""

    as_of: datetime
    stored_as_of: Any
    """``as_of`` as the database stores it (fee records are written without type processing)."""
    cut: datetime
    conversions: Any
    rated_records: int = 0
    not_charged: int = 0
    fee_records: int = 0
    charged: Decimal = ZERO
    _factors: dict[tuple[int, int], Fraction] = field(default_factory=dict)

    def factor(self, source: int, target: int) -> Fraction:
        key = (source, target)
        found = self._factors.get(key)
        if found is None:
            found = self.conversions.factor(source, target)
            assert found is not None, "ingest accepts only convertible measures"
            self._factors[key] = found
        return found


def _batches(tenants: list[tuple[str, int]]) -> Iterator[list[tuple[str, int]]]:
    """Customers in id order with their rows, in batches of at most ``BATCH_GROUPS`` rows (a
    customer with more is a batch of its own)."""
    batch: list[tuple[str, int]] = []
    size = 0
    for customer_id, groups in tenants:
        if batch and size + groups > BATCH_GROUPS:
            yield batch
            batch, size = [], 0
        batch.append((customer_id, groups))
        size += groups
    if batch:
        yield batch
