"""Bill records. A customer's own resource fee records of one cycle (``list_customerself_resource_records``,
per record): its yearly/monthly order lines paid in the cycle and its charged pay-per-use fee
records of the cycle, read through the orders' and usage's public selects, filtered and paged in
one query. A partner's customers' bill lines summed per customer and product
(``list_subcustomer_monthly_bills``). Amounts are unrounded (8 decimals); refunds negative."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Subquery,
    case,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.billing.amortization import (
    AmortizedLine,
    amortized_lines,
    month_days,
)
from partner_center.domains.billing.cycles import cycle_bounds, cycle_of, parse_cycle
from partner_center.domains.billing.errors import invalid
from partner_center.domains.billing.models import CustomerBillLine, LineKind
from partner_center.domains.orders.public import order_records
from partner_center.domains.usage.public import fee_records
from partner_center.kernel.money import from_storage_units
from partner_center.kernel.pagination import Page, paginate_rows


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Filters of the records; ``None`` = no filter. Dates are days of the billing time zone,
    both or neither, inside the cycle."""

    service_type_code: str | None = None
    resource_type_code: str | None = None
    region_code: str | None = None
    charge_mode: str | None = None
    bill_type: int | None = None
    resource_id: str | None = None
    trade_id: str | None = None
    date_begin: str | None = None
    date_end: str | None = None
    include_zero: bool = True
    partner_id: str | None = None
    """Only what was spent while the customer was this partner's (a partner's view)."""
    enterprise_project_id: str | None = None
    """Only the records of this enterprise project (``"0"`` the default project: every
    pay-per-use record; an order's is its own)."""
    resource_name: str | None = None
    """Only the records of the resource of this name (pay-per-use: order lines keep none)."""


@dataclass(frozen=True, slots=True)
class FeeRecordView:
    id: str
    trade_id: str
    """The order id (bill types 1–4), else the fee record's id."""
    partner_id: str
    """The customer's partner when the money was spent."""
    bill_type: int
    """1 purchase, 2 renewal, 3 change, 4 refund, 5 usage."""
    charge_mode: str
    """"1" yearly/monthly, "3" pay-per-use."""
    service_type_code: str
    resource_type_code: str
    region_code: str
    resource_id: str
    resource_name: str | None
    """The resource's name (yearly/monthly: the resource the order line bought, renewed or
    unsubscribed); None when there is none (an order that provisioned nothing)."""
    trade_time: datetime
    bill_date: str
    """YYYY-MM-DD in the billing time zone."""
    usage: Decimal
    official_amount: Decimal
    amount: Decimal
    coupon_amount: Decimal


_EVERYTHING = Page(offset=0, limit=2_147_483_647)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(text: str, field: str) -> date:
    try:
        if _DAY.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise invalid(field, "A date is YYYY-MM-DD.")


def _instant(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


async def customer_records(
    session: AsyncSession,
    zone: ZoneInfo,
    customer_id: str,
    cycle: str,
    window: Page,
    where: RecordFilter,
    *,
    per_resource: bool = False,
    per_day: bool = False,
) -> tuple[list[FeeRecordView], int]:
    """The customer's records of ``cycle`` by trade time, then id (``per_resource``: summed per
    resource, by product; with ``per_day`` per resource and day of the billing time zone, by
    product then day: ``statistic_type`` 1 and 2 of the reference).

    Raises:
        DomainError: ``CBC.0100`` for a malformed cycle or dates, one date without the other, or
            dates outside the cycle or in the wrong order.
    """
    parse_cycle(cycle, "cycle")
    start, end = cycle_bounds(cycle, zone)
    records = _cycle_records(customer_id, cycle, zone)
    c = records.c
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (c.service_type_code, where.service_type_code),
        (c.resource_type_code, where.resource_type_code),
        (c.region_code, where.region_code),
        (c.charge_mode, where.charge_mode),
        (c.bill_type, where.bill_type),
        (c.resource_id, where.resource_id),
        (c.trade_id, where.trade_id),
        (c.partner_id, where.partner_id),
        (c.enterprise_project_id, where.enterprise_project_id),
        (c.resource_name, where.resource_name),
    ):
        if value is not None:
            conditions.append(column == value)
    if (where.date_begin is None) != (where.date_end is None):
        raise invalid("bill_date_begin", "Give bill_date_begin and bill_date_end together.")
    if where.date_begin is not None and where.date_end is not None:
        first, last = (
            _day(where.date_begin, "bill_date_begin"),
            _day(where.date_end, "bill_date_end"),
        )
        if last < first or {cycle_of(_instant(d, zone), zone) for d in (first, last)} != {cycle}:
            raise invalid("bill_date_end", "Both dates in the cycle, the end not before the begin.")
        conditions += [
            c.trade_time >= _instant(first, zone),
            c.trade_time < _instant(last + timedelta(days=1), zone),
        ]
    if not where.include_zero:
        conditions.append(c.amount != 0)
    if per_resource or per_day:
        days = _day_starts(start, end, zone) if per_day else None
        return await _per_resource(session, zone, records, conditions, window, days)
    rows, total = await paginate_rows(
        session, select(records).where(*conditions), window, c.trade_time, c.id
    )
    return [_view(r, zone) for r in rows], total


def _cycle_records(customer_id: str, cycle: str, zone: ZoneInfo) -> Subquery:
    """SQL: the customer's records of ``cycle``: orders paid in it and its fee records."""
    start, end = cycle_bounds(cycle, zone)
    return union_all(
        order_records(customer_id, start=start, end=end), fee_records(customer_id, cycle=cycle)
    ).subquery("records")


#: A record's bill line kind: refunds (bill type 4), usage (5), else an order.
def _record_kind(bill_type: ColumnElement[Any]) -> ColumnElement[str]:
    return case(
        (bill_type == 4, literal(LineKind.REFUND.value)),
        (bill_type == 5, literal(LineKind.USAGE.value)),
        else_=literal(LineKind.ORDER.value),
    )


def project_sums(
    zone: ZoneInfo,
    customer_id: str,
    cycle: str,
    enterprise_project_id: str,
    *,
    service_type_code: str | None = None,
) -> Select[Any]:
    """SQL: the customer's records of ``cycle`` in one enterprise project summed per product
    and bill line kind, in the columns of the bill lines' sums (service, resource type, kind,
    amount, coupons; raw 10⁻⁸ units). Pay-per-use resources are all in the default project
    ``"0"``; operator adjustments belong to none."""
    records = _cycle_records(customer_id, cycle, zone)
    c = records.c
    kind = _record_kind(c.bill_type).label("kind")
    query = (
        select(
            c.service_type_code,
            c.resource_type_code,
            kind,
            func.sum(c.amount).label("amount"),
            func.sum(c.coupon_amount).label("coupon_amount"),
        )
        .where(c.enterprise_project_id == enterprise_project_id)
        .group_by(c.service_type_code, c.resource_type_code, kind)
    )
    if service_type_code:
        query = query.where(c.service_type_code == service_type_code)
    return query


def _view(r: Any, zone: ZoneInfo) -> FeeRecordView:
    return FeeRecordView(
        id=r.id,
        trade_id=r.trade_id,
        partner_id=r.partner_id,
        bill_type=int(r.bill_type),
        charge_mode=r.charge_mode,
        service_type_code=r.service_type_code,
        resource_type_code=r.resource_type_code,
        region_code=r.region_code,
        resource_id=r.resource_id,
        resource_name=r.resource_name,
        trade_time=_utc(r.trade_time),
        bill_date=_utc(r.trade_time).astimezone(zone).date().isoformat(),
        usage=from_storage_units(int(r.usage)),
        official_amount=from_storage_units(int(r.official_amount)),
        amount=from_storage_units(int(r.amount)),
        coupon_amount=from_storage_units(int(r.coupon_amount)),
    )


async def _per_resource(
    session: AsyncSession,
    zone: ZoneInfo,
    records: Subquery,
    conditions: list[ColumnElement[bool]],
    window: Page,
    day_starts: list[datetime] | None = None,
) -> tuple[list[FeeRecordView], int]:
    """The records summed per resource, product, region, charging mode and bill type, and per
    day when ``day_starts`` (the cycle's days' first instants, UTC, then the cycle's end) are
    given (``id`` and ``trade_id`` empty; ``trade_time`` the first, so ``bill_date`` is the
    day)."""
    c = records.c
    keys: tuple[ColumnElement[Any], ...] = (
        c.service_type_code,
        c.resource_type_code,
        c.resource_id,
        c.region_code,
        c.charge_mode,
        c.bill_type,
    )
    if day_starts is not None:
        # The day's index in the cycle, by the instants its days begin (time-zone and DST
        # exact, the same SQL on both databases).
        day = case(
            *((c.trade_time < boundary, literal(i)) for i, boundary in enumerate(day_starts[1:])),
            else_=literal(len(day_starts) - 1),
        ).label("day_no")
        keys = (*keys, day)
    query = (
        select(
            *keys,
            literal("").label("id"),
            literal("").label("trade_id"),
            func.max(c.partner_id).label("partner_id"),
            func.max(c.resource_name).label("resource_name"),
            func.min(c.trade_time).label("trade_time"),
            *(func.sum(col).label(col.name) for col in (c.usage, c.official_amount, c.amount)),
            func.sum(c.coupon_amount).label("coupon_amount"),
        )
        .where(*conditions)
        .group_by(*keys)
    )
    rows, total = await paginate_rows(session, query, window, *keys)
    return [_view(r, zone) for r in rows], total


def _day_starts(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """The first instant (UTC) of every day of the cycle ``[start, end)``, then ``end``."""
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [*(_instant(d, zone) for d in days), end]


def _utc(value: datetime | str) -> datetime:
    """A union's timestamp column comes back as stored (naive text on SQLite)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SubCustomerSumFilter:
    """``list_subcustomer_monthly_bills`` filters: ``charge_mode`` "1" yearly/monthly (orders and
    refunds), "3" pay-per-use (usage and late usage), "11" savings plans (none here);
    ``bill_type`` "0" normal, "1" unsubscription, "2" write-off (none here);
    ``indirect_partner_id``: a distributor's reseller whose customers to show (else the
    caller's own customers)."""

    charge_mode: str
    customer_id: str | None = None
    service_type_code: str | None = None
    bill_type: str | None = None
    indirect_partner_id: str | None = None


@dataclass(frozen=True, slots=True)
class SubCustomerSum:
    customer_id: str
    service_type_code: str
    resource_type_code: str
    bill_type: str
    amount: Decimal
    """Unrounded; negative for unsubscriptions."""
    coupon_amount: Decimal


_MODE_KINDS = {"1": ("ORDER", "REFUND"), "3": ("USAGE", "ADJUSTMENT"), "11": ()}


async def subcustomer_sums(
    session: AsyncSession, partner_id: str, cycle: str, window: Page, where: SubCustomerSumFilter
) -> tuple[list[SubCustomerSum], int]:
    """The partner's customers' bill lines of ``cycle`` summed per customer, product and bill
    type, by customer, service type, resource type, then bill type.

    Raises:
        DomainError: ``CBC.0100`` for a malformed cycle, charging mode or bill type.
    """
    parse_cycle(cycle, "cycle")
    if where.charge_mode not in _MODE_KINDS:
        raise invalid("charge_mode", "Use 1, 3 or 11.")
    if where.bill_type not in (None, "0", "1", "2"):
        raise invalid("bill_type", "Use 0, 1 or 2.")
    line = CustomerBillLine
    bill_type = case((line.kind == "REFUND", literal("1")), else_=literal("0"))
    owner = where.indirect_partner_id or partner_id
    conditions = [
        line.cycle == cycle,
        line.kind.in_(_MODE_KINDS[where.charge_mode]),
        line.owner_partner_id == owner,
    ]
    if where.indirect_partner_id:
        conditions.append(line.billed_partner_id == partner_id)
    if where.customer_id:
        conditions.append(line.tenant_id == where.customer_id)
    if where.service_type_code:
        conditions.append(line.service_type_code == where.service_type_code)
    if where.bill_type is not None:
        conditions.append(bill_type == where.bill_type)
    query = (
        select(
            line.tenant_id,
            line.service_type_code,
            line.resource_type_code,
            bill_type,
            func.sum(type_coerce(line.amount, BigInteger)),
            func.sum(type_coerce(line.coupon_amount, BigInteger)),
        )
        .where(*conditions)
        .group_by(line.tenant_id, line.service_type_code, line.resource_type_code, bill_type)
    )
    rows, total = await paginate_rows(
        session,
        query,
        window,
        line.tenant_id,
        line.service_type_code,
        line.resource_type_code,
        bill_type,
    )
    return [
        SubCustomerSum(
            customer,
            service,
            resource,
            kind,
            from_storage_units(int(a)),
            from_storage_units(int(c)),
        )
        for customer, service, resource, kind, a, c in rows
    ], total


COST_DIMENSIONS = {
    "CLOUD_SERVICE_TYPE": "service_type_code",
    "RESOURCE_TYPE": "resource_type_code",
    "REGION_CODE": "region_code",
    "CHARGING_MODE": "charge_mode",
    "BILL_TYPE": "bill_type",
    "RESOURCE_ID": "resource_id",
}
"""The cost dimensions the records carry, and the record field of each."""


@dataclass(frozen=True, slots=True)
class CostGroup:
    dimensions: tuple[tuple[str, str], ...]
    """(dimension key, value) per requested group-by key."""
    costs: tuple[tuple[str, Decimal, Decimal], ...]
    """(month YYYY-MM or day YYYY-MM-DD, amount, official amount) by time."""


def _cycles(first: str, last: str) -> list[str]:
    year, month = (int(p) for p in first.split("-"))
    out: list[str] = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


async def customer_costs(
    session: AsyncSession,
    zone: ZoneInfo,
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
    """The customer's records of the cycles ``span`` (both ``YYYY-MM``, at most 12) summed per
    group (values of ``group_keys``) and per month or day; ``filters`` keep (``True``) or drop the
    records whose dimension value is in the set; ``net`` subtracts coupons; ``days`` (YYYY-MM-DD,
    inclusive) keeps the records billed on those days; ``amortized``: a yearly/monthly order
    line is borne over its period (``amortization``), not when paid. Groups by their values.

    Raises:
        DomainError: ``CBC.0100`` for a span of more than 12 cycles or ending before it begins.
    """
    cycles = _cycles(*span)
    if not cycles or len(cycles) > 12:
        raise invalid("end_time", "From begin_time, at most 12 months on.")
    sums: dict[tuple[str, ...], dict[str, list[Decimal]]] = {}

    def add(
        record: FeeRecordView | AmortizedLine, at: str, amount: Decimal, official: Decimal
    ) -> None:
        value = {k: str(getattr(record, f)) for k, f in COST_DIMENSIONS.items()}
        if any((value[key] in values) != keep for keep, key, values in filters):
            return
        amounts = sums.setdefault(tuple(value[k] for k in group_keys), {}).setdefault(
            at, [Decimal(0), Decimal(0)]
        )
        amounts[0] += amount
        amounts[1] += official

    for cycle in cycles:
        records, _ = await customer_records(
            session, zone, customer_id, cycle, _EVERYTHING, RecordFilter()
        )
        for r in records:
            if days is not None and not days[0] <= r.bill_date <= days[1]:
                continue
            if amortized and r.charge_mode == "1":
                continue
            amount = r.amount - r.coupon_amount if net else r.amount
            add(r, r.bill_date if daily else cycle, amount, r.official_amount)
    if amortized:
        lo, hi = month_days(cycles[0])[0], month_days(cycles[-1])[1]
        if days is not None:
            lo, hi = max(lo, date.fromisoformat(days[0])), min(hi, date.fromisoformat(days[1]))
        start, end = _instant(lo, zone), _instant(hi + timedelta(days=1), zone)
        buckets = (
            [(d.isoformat(), d, d) for d in (lo + timedelta(n) for n in range((hi - lo).days + 1))]
            if daily
            else [(c, *month_days(c)) for c in cycles]
        )
        for line in await amortized_lines(session, zone, customer_id, start, end):
            for at, first, last in buckets:
                if last < line.first or first > line.last:
                    continue
                amount = line.amount.share(first, last)
                if net:
                    amount -= line.coupon_amount.share(first, last)
                add(line, at, amount, line.official_amount.share(first, last))
    return [
        CostGroup(
            dimensions=tuple(zip(group_keys, key, strict=True)),
            costs=tuple((at, a, o) for at, (a, o) in sorted(by_time.items())),
        )
        for key, by_time in sorted(sums.items())
    ]


@dataclass(frozen=True, slots=True)
class BreakdownRow:
    """A customer's cost borne in a month, per resource, product, region, charging mode, bill
    type and the cycle it was billed in (``list_customer_bills_monthly_break_down``)."""

    service_type_code: str
    resource_type_code: str
    resource_id: str
    region_code: str
    charge_mode: str
    bill_type: int
    bill_cycle: str
    usage: Decimal
    amount: Decimal
    """The whole fee (refunds negative)."""
    past: Decimal
    """Its share borne before the month."""
    current: Decimal
    """Its share borne in the month."""
    future: Decimal
    """Its share borne after the month."""
    coupon: Decimal
    """The part of ``current`` paid by coupons."""


_BREAKDOWN_FIELDS = (
    "service_type_code",
    "resource_type_code",
    "resource_id",
    "region_code",
    "charge_mode",
    "bill_type",
    "bill_cycle",
)
"""A break-down row's group, in its sort order."""
_breakdown_key = attrgetter(*_BREAKDOWN_FIELDS)


async def monthly_breakdown(
    session: AsyncSession, zone: ZoneInfo, customer_id: str, month: str, where: RecordFilter
) -> list[BreakdownRow]:
    """The customer's costs borne in ``month``: its pay-per-use records of the month summed per
    resource (borne in full), and its yearly/monthly order lines whose period has days in the
    month, whenever paid, amortized (``amortization``) and summed per resource and paid cycle.
    Sorted by product, resource, region, charging mode, bill type and cycle.

    Raises:
        DomainError: ``CBC.0100`` for a malformed month.
    """
    parse_cycle(month, "shared_month")
    rows: list[BreakdownRow] = []
    if where.charge_mode in (None, "3"):
        usage, _ = await customer_records(
            session,
            zone,
            customer_id,
            month,
            _EVERYTHING,
            replace(where, charge_mode="3"),
            per_resource=True,
        )
        zero = Decimal(0)
        rows += [
            BreakdownRow(
                r.service_type_code,
                r.resource_type_code,
                r.resource_id,
                r.region_code,
                r.charge_mode,
                r.bill_type,
                month,
                r.usage,
                r.amount,
                zero,
                r.amount,
                zero,
                r.coupon_amount,
            )
            for r in usage
        ]
    if where.charge_mode in (None, "1"):
        first, last = month_days(month)
        start, end = cycle_bounds(month, zone)
        wanted = {
            "service_type_code": where.service_type_code,
            "resource_type_code": where.resource_type_code,
            "region_code": where.region_code,
            "bill_type": where.bill_type,
            "resource_id": where.resource_id,
            "resource_name": where.resource_name,
            "enterprise_project_id": where.enterprise_project_id,
        }
        groups: dict[tuple[Any, ...], list[Decimal]] = {}
        for line in await amortized_lines(session, zone, customer_id, start, end):
            if line.last < first or line.first > last:
                continue
            if any(v is not None and getattr(line, k) != v for k, v in wanted.items()):
                continue
            key = _breakdown_key(line)
            sums = groups.setdefault(key, [Decimal(0)] * 5)
            before = first - timedelta(days=1)
            for i, part in enumerate(
                (
                    line.amount.amount,
                    line.amount.share(line.first, before),
                    line.amount.share(first, last),
                    line.amount.share(last + timedelta(days=1), line.last),
                    line.coupon_amount.share(first, last),
                )
            ):
                sums[i] += part
        rows += [
            BreakdownRow(
                **dict(zip(_BREAKDOWN_FIELDS, key, strict=True)),
                usage=Decimal(0),
                amount=amount,
                past=past,
                current=current,
                future=future,
                coupon=coupon,
            )
            for key, (amount, past, current, future, coupon) in groups.items()
        ]
    rows.sort(key=_breakdown_key)
    return rows
