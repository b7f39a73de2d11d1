"""The hourly rating run: pending usage → fee records at list price → free quotas first, then
the charge (balances) and the budget (at list price).

Run by the ``usage.rate_hourly`` job at the top of every hour with the business clock standing
at the run's due time. It rates every pending record of an hour that has ended (late records of
older hours included), one fee record per (resource, usage type, hour) per run. A record is
claimed by its ``status`` in the same transaction as its fee record, and the fee records are
unique per (resource, usage type, hour, run): re-running a run, or rating again, changes nothing.

Amounts:

* the hour's quantity is converted exactly (``Fraction``) to the price's usage unit;
* free quotas cover what they can; the rest is priced with the catalogue's tiers — a linear
  product (disk GB, Mbit/s) by its size, others by quantity within the calendar month of the
  billing time zone (``usage_before`` = what the same customer already used of the same product
  that month) — so rating the hours one after the other sums to rating the month;
* the fee is rounded once, to 8 decimals ROUND_HALF_UP (``kernel.money.to_rating``); each
  customer is charged once per run (balances charge ``usage:<customer>:<run>``), exactly the
  sum of its charged fee records, and the same sum is counted against its budget.

Customers whose resources are frozen (``ACCOUNT_AND_RESOURCE``) are not metered: their usage
from the freeze on is marked NOT_CHARGED. Restricted customers keep running and paying
(rules.md §4.2–4.4).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, func, select, update
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
from partner_center.domains.usage.models import (
    ChargeState,
    FeeRecord,
    OnDemandResource,
    UsageRecord,
    UsageStatus,
)
from partner_center.domains.usage.packages import PackageService, exact_decimal
from partner_center.kernel.clock import Clock, format_utc, utc
from partner_center.kernel.ids import new_id

_HOUR = timedelta(hours=1)
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class RatingSummary:
    records: int
    fee_records: int
    not_charged: int
    charged_amount: Decimal


def _cost(
    schedule: TierSchedule, *, usage: Fraction, size: Fraction | None, before: Fraction
) -> Fraction:
    """Exact list price with the catalogue's tier maths: a linear product's size is priced per
    usage unit; other products fill the month's tier window after ``before`` units."""
    if size is not None:
        return schedule.cumulative(size) * usage
    return schedule.cost(usage, already_used=before)


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
    ) -> None:
        self.session = session
        self.clock = clock
        self.zone = zone
        self.currency = currency
        self.catalog = catalog
        self.packages = packages
        self.control = control
        self.balances = balances
        self.budgets = budgets
        self.customer_records = customer_records
        self._prices: dict[tuple[ProductKey, str], list[tuple[SpecView, PriceView]]] = {}
        self._sizes: dict[str, Fraction | None] = {}
        # Charged quantity per (customer, product, usage type, month): the tier window.
        self._month_use: dict[tuple[str, ...], Fraction] = {}

    def bill_cycle(self, when: datetime) -> str:
        local = utc(when).astimezone(self.zone)
        return f"{local.year:04d}-{local.month:02d}"

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

    async def _used_this_month(
        self, customer_id: str, resource: OnDemandResource, usage_type: str, cycle: str
    ) -> Fraction:
        key = (
            customer_id,
            resource.service_type_code,
            resource.resource_type_code,
            resource.resource_spec_code,
            resource.region_code,
            usage_type,
            cycle,
        )
        if key not in self._month_use:
            self._month_use[key] = await self._used_this_month_stored(
                customer_id, resource, usage_type, cycle
            )
        return self._month_use[key]

    async def _used_this_month_stored(
        self, customer_id: str, resource: OnDemandResource, usage_type: str, cycle: str
    ) -> Fraction:
        # SUM keeps the column's MoneyAmount type: the result is already a Decimal.
        used: Decimal | None = await self.session.scalar(
            select(func.sum(FeeRecord.charged_quantity)).where(
                FeeRecord.tenant_id == customer_id,
                FeeRecord.bill_cycle == cycle,
                FeeRecord.service_type_code == resource.service_type_code,
                FeeRecord.resource_type_code == resource.resource_type_code,
                FeeRecord.resource_spec_code == resource.resource_spec_code,
                FeeRecord.region_code == resource.region_code,
                FeeRecord.usage_type == usage_type,
            )
        )
        return Fraction(used) if used is not None else Fraction(0)

    async def rate_due(self, as_of: datetime) -> RatingSummary:
        """Rate every pending record of the hours that ended at or before ``as_of``."""
        as_of = utc(as_of)
        pending = (
            await self.session.execute(
                select(
                    UsageRecord.record_id,
                    UsageRecord.tenant_id,
                    UsageRecord.resource_id,
                    UsageRecord.usage_type,
                    UsageRecord.usage_hour,
                    UsageRecord.quantity,
                    UsageRecord.measure_id,
                ).where(
                    UsageRecord.status == UsageStatus.PENDING.value,
                    UsageRecord.usage_hour <= as_of - _HOUR,
                )
            )
        ).all()
        if not pending:
            return RatingSummary(0, 0, 0, ZERO)
        conversions = await self.catalog.conversion_table()
        groups: dict[tuple[str, datetime, str, str], list[Any]] = defaultdict(list)
        for row in pending:
            groups[(row.tenant_id, row.usage_hour, row.resource_id, row.usage_type)].append(row)
        resources = {
            r.id: r
            for r in (
                await self.session.execute(
                    select(OnDemandResource).where(
                        OnDemandResource.id.in_({row.resource_id for row in pending})
                    )
                )
            ).scalars()
        }
        customers = await self.customer_records.many({row.tenant_id for row in pending})
        fee_count = not_charged = 0
        charged_total = ZERO
        totals: dict[str, Decimal] = defaultdict(Decimal)
        marks: list[dict[str, Any]] = []
        for key in sorted(groups):
            customer_id, hour, resource_id, usage_type = key
            rows = groups[key]
            record_ids = [row.record_id for row in rows]
            customer = customers.get(customer_id)
            resource = resources[resource_id]
            if (
                customer is not None
                and customer.freeze_type == FreezeType.ACCOUNT_AND_RESOURCE
                and customer.frozen_at is not None
                and hour >= customer.frozen_at
            ):
                marks += [
                    {"rid": rid, "st": UsageStatus.NOT_CHARGED.value, "fee": None}
                    for rid in record_ids
                ]
                not_charged += len(record_ids)
                continue
            fee = await self._rate_group(
                customer_id, resource, usage_type, hour, rows, as_of, conversions
            )
            marks += [
                {"rid": rid, "st": UsageStatus.RATED.value, "fee": fee.id} for rid in record_ids
            ]
            fee_count += 1
            associated = (
                customer is not None and customer.association_status == AssociationStatus.ASSOCIATED
            )
            if fee.official_amount <= 0:
                fee.charge_state = ChargeState.FREE
            elif not associated:
                fee.charge_state = ChargeState.UNCHARGED
            else:
                fee.charge_state = ChargeState.CHARGED
                fee.charge_id = self.charge_id(customer_id, as_of)
                totals[customer_id] += fee.official_amount
        await self.session.flush()
        await self._mark(marks)
        for customer_id in sorted(totals):
            await self.balances.charge_customer(
                customer_id,
                totals[customer_id],
                self.charge_id(customer_id, as_of),
                kind=ChargeKind.USAGE,
                description=f"Pay-per-use usage rated {format_utc(as_of)}",
            )
            charged_total += totals[customer_id]
        for customer_id in sorted(totals):
            await self._use_budget(customer_id, totals[customer_id], as_of)
        return RatingSummary(len(pending), fee_count, not_charged, charged_total)

    @staticmethod
    def charge_id(customer_id: str, as_of: datetime) -> str:
        """One charge per customer and run: the sum of its charged fee records."""
        return f"usage:{customer_id}:{format_utc(as_of)}"

    async def _mark(self, marks: list[dict[str, Any]]) -> None:
        """Record each rated record's outcome (one executemany); only PENDING records change,
        so a record is never rated twice."""
        if not marks:
            return
        table = cast(Table, UsageRecord.__table__)
        connection = await self.session.connection()
        await connection.execute(
            update(table)
            .where(
                table.c.record_id == bindparam("rid"),
                table.c.status == UsageStatus.PENDING.value,
            )
            .values(status=bindparam("st"), fee_record_id=bindparam("fee")),
            marks,
        )

    async def _size(self, resource: OnDemandResource, spec: SpecView) -> Fraction | None:
        if resource.id not in self._sizes:
            self._sizes[resource.id] = await self.catalog.size_in_spec_unit(
                spec, resource.resource_size, resource.size_measure_id
            )
        return self._sizes[resource.id]

    async def _rate_group(
        self,
        customer_id: str,
        resource: OnDemandResource,
        usage_type: str,
        hour: datetime,
        rows: list[Any],
        as_of: datetime,
        conversions: Any,
    ) -> FeeRecord:
        key = ProductKey(
            resource.service_type_code,
            resource.resource_type_code,
            resource.resource_spec_code,
            resource.region_code,
        )
        spec, price = await self._price(key, usage_type, hour)
        assert price.usage_measure_id is not None
        quantity = Fraction(0)
        for row in rows:
            factor = conversions.factor(row.measure_id, price.usage_measure_id)
            assert factor is not None, "ingest accepts only convertible measures"
            quantity += Fraction(row.quantity) * factor
        fee_id = new_id()
        free = await self.packages.deduct(
            customer_id=customer_id,
            region_code=resource.region_code,
            service_type_code=resource.service_type_code,
            resource_type_code=resource.resource_type_code,
            resource_spec_code=resource.resource_spec_code,
            usage_type=usage_type,
            resource_id=resource.id,
            hour=hour,
            quantity=quantity,
            measure_id=price.usage_measure_id,
            fee_record_id=fee_id,
            conversions=conversions,
        )
        charged = quantity - free
        cycle = self.bill_cycle(hour)
        size = await self._size(resource, spec)
        before = Fraction(0)
        if size is None:
            before = await self._used_this_month(customer_id, resource, usage_type, cycle)
        exact = _cost(price.schedule, usage=charged, size=size, before=before)
        fee = FeeRecord(
            id=fee_id,
            tenant_id=customer_id,
            resource_id=resource.id,
            partner_id=resource.partner_id,
            service_type_code=resource.service_type_code,
            resource_type_code=resource.resource_type_code,
            resource_spec_code=resource.resource_spec_code,
            region_code=resource.region_code,
            usage_type=usage_type,
            usage_hour=hour,
            rated_at=as_of,
            bill_cycle=cycle,
            usage_measure_id=price.usage_measure_id,
            quantity=exact_decimal(quantity),
            free_quantity=exact_decimal(free),
            charged_quantity=exact_decimal(quantity) - exact_decimal(free),
            official_amount=exact_decimal(exact),
            currency=price.currency or self.currency,
            charge_state=ChargeState.FREE,
            charge_id=None,
        )
        if size is None:
            self._month_use[
                (
                    customer_id,
                    resource.service_type_code,
                    resource.resource_type_code,
                    resource.resource_spec_code,
                    resource.region_code,
                    usage_type,
                    cycle,
                )
            ] = before + Fraction(fee.charged_quantity)
        self.session.add(fee)
        return fee

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
