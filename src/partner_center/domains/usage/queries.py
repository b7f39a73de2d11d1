"""Reading rated usage: fee records of a customer (for bills, the console and the partner's
extension endpoint)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.usage.models import ChargeState, FeeRecord


@dataclass(frozen=True, slots=True)
class FeeRecordView:
    fee_record_id: str
    customer_id: str
    resource_id: str
    service_type_code: str
    resource_type_code: str
    resource_spec_code: str
    region_code: str
    usage_type: str
    usage_hour: datetime
    rated_at: datetime
    bill_cycle: str
    usage_measure_id: int
    quantity: Decimal
    free_quantity: Decimal
    charged_quantity: Decimal
    official_amount: Decimal
    """List price, 8 decimals."""
    currency: str
    charge_state: ChargeState
    charge_id: str | None


@dataclass(frozen=True, slots=True)
class ResourceBandwidth:
    """One resource's bandwidth of a cycle, from its rated hourly usage (hours rated more than
    once summed): the 95th percentile of the hours (nearest rank: the top 5 % of the hours
    dropped), the peak hour, and per day (billing time zone) the day's peak."""

    resource_id: str
    measure_id: int
    percentile_95: Decimal
    peak: Decimal
    days: tuple[tuple[str, Decimal], ...]
    """(YYYY-MM-DD, the day's peak hour) by day, the days with usage."""


def _bandwidth(
    resource_id: str, measure_id: int, hours: dict[datetime, Decimal], zone: ZoneInfo
) -> ResourceBandwidth:
    ranked = sorted(hours.values())
    days: dict[str, Decimal] = {}
    for hour, quantity in hours.items():
        day = hour.astimezone(zone).date().isoformat()
        days[day] = max(days.get(day, quantity), quantity)
    return ResourceBandwidth(
        resource_id=resource_id,
        measure_id=measure_id,
        percentile_95=ranked[math.ceil(len(ranked) * 95 / 100) - 1],
        peak=ranked[-1],
        days=tuple(sorted(days.items())),
    )


class UsageQueries:
    def __init__(self, session: AsyncSession, *, zone: ZoneInfo) -> None:
        self.session = session
        self.zone = zone

    async def bandwidth(
        self,
        customer_id: str,
        cycle: str,
        *,
        service_type_code: str,
        resource_type_code: str,
        usage_type: str,
        resource_id: str | None = None,
    ) -> list[ResourceBandwidth]:
        """The customer's resources' bandwidth of ``cycle`` for one usage type, by resource id
        (only ``resource_id`` when given); resources without such usage are absent."""
        stmt = select(
            FeeRecord.resource_id,
            FeeRecord.usage_hour,
            FeeRecord.usage_measure_id,
            FeeRecord.quantity,
        ).where(
            FeeRecord.tenant_id == customer_id,
            FeeRecord.bill_cycle == cycle,
            FeeRecord.service_type_code == service_type_code,
            FeeRecord.resource_type_code == resource_type_code,
            FeeRecord.usage_type == usage_type,
        )
        if resource_id is not None:
            stmt = stmt.where(FeeRecord.resource_id == resource_id)
        rows = await self.session.execute(stmt)
        hours: dict[tuple[str, int], dict[datetime, Decimal]] = {}
        for rid, hour, measure, quantity in rows:
            at = hour if hour.tzinfo else hour.replace(tzinfo=UTC)
            per = hours.setdefault((rid, measure), {})
            per[at] = per.get(at, Decimal(0)) + quantity
        return [
            _bandwidth(rid, measure, per, self.zone)
            for (rid, measure), per in sorted(hours.items())
        ]

    async def fee_records(
        self, customer_id: str, *, bill_cycle: str | None = None, resource_id: str | None = None
    ) -> list[FeeRecordView]:
        """A customer's fee records, oldest hour first."""
        stmt = select(FeeRecord).where(FeeRecord.tenant_id == customer_id)
        if bill_cycle:
            stmt = stmt.where(FeeRecord.bill_cycle == bill_cycle)
        if resource_id:
            stmt = stmt.where(FeeRecord.resource_id == resource_id)
        rows = (
            await self.session.execute(
                stmt.order_by(FeeRecord.usage_hour, FeeRecord.rated_at, FeeRecord.id)
            )
        ).scalars()
        return [
            FeeRecordView(
                fee_record_id=r.id,
                customer_id=r.tenant_id,
                resource_id=r.resource_id,
                service_type_code=r.service_type_code,
                resource_type_code=r.resource_type_code,
                resource_spec_code=r.resource_spec_code,
                region_code=r.region_code,
                usage_type=r.usage_type,
                usage_hour=r.usage_hour,
                rated_at=r.rated_at,
                bill_cycle=r.bill_cycle,
                usage_measure_id=r.usage_measure_id,
                quantity=r.quantity,
                free_quantity=r.free_quantity,
                charged_quantity=r.charged_quantity,
                official_amount=r.official_amount,
                currency=r.currency,
                charge_state=ChargeState(r.charge_state),
                charge_id=r.charge_id,
            )
            for r in rows
        ]
