"""Amortized cost: a yearly/monthly order line's amount spread over its subscription period by
day of the billing time zone (``AMORTIZED_COST`` of ``list_costs``, the shares of
``list_customer_bills_monthly_break_down``). Pay-per-use is borne when used, as is.

A period ``[effective, expire)`` covers the days from the effective instant's day up to the day
before the expire instant's day (a month bought on the 16th at 10:00 covers the 16th to the 15th
of the next month). Every day bears ``amount / days`` truncated toward zero to 8 decimals and the
last day also the residue, so the days of a period sum exactly to the amount; a month's share is
the sum of its days. A line without a period (or one shorter than a day) is borne in full on its
paid day. An unsubscription's negative amount is spread over the remaining period it refunds.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.billing.cycles import cycle_of
from partner_center.domains.orders.public import order_periods
from partner_center.kernel.money import from_storage_units

_UNIT = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class Spread:
    """``amount`` over the ``days`` days from ``first``."""

    amount: Decimal
    first: date
    days: int

    @property
    def last(self) -> date:
        return self.first + timedelta(days=self.days - 1)

    def share(self, lo: date, hi: date) -> Decimal:
        """What the days ``lo`` to ``hi`` (inclusive) bear."""
        start, end = max(lo, self.first), min(hi, self.last)
        if start > end:
            return Decimal(0)
        per_day = (self.amount / self.days).quantize(_UNIT, rounding=ROUND_DOWN)
        total = per_day * ((end - start).days + 1)
        if end == self.last:
            total += self.amount - per_day * self.days
        return total


@dataclass(frozen=True, slots=True)
class AmortizedLine:
    """One paid order line and its spreads (amounts exact, refunds negative)."""

    trade_id: str
    bill_type: int
    service_type_code: str
    resource_type_code: str
    region_code: str
    resource_id: str
    resource_name: str | None
    """The resource's name (None when the order provisioned none)."""
    enterprise_project_id: str
    bill_cycle: str
    """The cycle it was paid in."""
    amount: Spread
    official_amount: Spread
    coupon_amount: Spread

    @property
    def charge_mode(self) -> str:
        """ "1": yearly/monthly."""
        return "1"

    @property
    def first(self) -> date:
        return self.amount.first

    @property
    def last(self) -> date:
        return self.amount.last


def month_days(cycle: str) -> tuple[date, date]:
    """The first and last day of the cycle ``YYYY-MM``."""
    year, month = (int(p) for p in cycle.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _local(value: datetime, zone: ZoneInfo) -> date:
    return value.astimezone(zone).date()


async def amortized_lines(
    session: AsyncSession, zone: ZoneInfo, customer_id: str, start: datetime, end: datetime
) -> list[AmortizedLine]:
    """The customer's paid order lines whose period meets ``[start, end)`` (UTC), spread."""
    rows = (await session.execute(order_periods(customer_id, start=start, end=end))).all()
    out: list[AmortizedLine] = []
    for r in rows:
        paid: datetime = r.trade_time
        first, days = _local(paid, zone), 1
        if r.effective_time is not None and r.expire_time is not None:
            begins, ends = _local(r.effective_time, zone), _local(r.expire_time, zone)
            if ends > begins:
                first, days = begins, (ends - begins).days

        def spread(raw: int, first: date = first, days: int = days) -> Spread:
            return Spread(from_storage_units(int(raw)), first, days)

        out.append(
            AmortizedLine(
                trade_id=r.trade_id,
                bill_type=int(r.bill_type),
                service_type_code=r.service_type_code,
                resource_type_code=r.resource_type_code,
                region_code=r.region_code,
                resource_id=r.resource_id,
                resource_name=r.resource_name,
                enterprise_project_id=r.enterprise_project_id,
                bill_cycle=cycle_of(paid, zone),
                amount=spread(r.amount),
                official_amount=spread(r.official_amount),
                coupon_amount=spread(r.coupon_amount),
            )
        )
    return out
