"""Reading rated usage: fee records of a customer (for bills, the console and the partner's
extension endpoint)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

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


class UsageQueries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
