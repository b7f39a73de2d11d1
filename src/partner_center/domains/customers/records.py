"""How other domains read a customer: the customers domain owns the ``customers`` table and
hands out ``CustomerRecord`` views, a subquery of customer ids to filter by, and the one way to
lock a customer row (``SELECT … FOR UPDATE``) before changing something that depends on it.

Lock order: a unit of work that locks a customer locks it before the rows of other domains
that hang off it (budgets, funds, coupons), and several customers in ascending id order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.customers.models import (
    AssociationStatus,
    AssociationType,
    Customer,
    FreezeType,
)
from partner_center.kernel.pagination import count


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A customer's row as other domains see it (the association with its partner, also after
    it ended)."""

    account_id: str
    tenant_id: str
    """The owning partner: the reseller for a reseller's customer."""
    distributor_id: str | None
    """The distributor above the owning reseller; None for direct customers."""
    association_type: AssociationType
    association_status: AssociationStatus
    associated_on: datetime
    """Business time of the (latest) association, UTC."""
    disassociated_on: datetime | None
    account_name: str
    customer_name: str | None
    """Real-name (verified) name; None until verified."""
    restricted: bool
    freeze_type: FreezeType | None
    frozen_at: datetime | None
    frozen_by: str | None
    account_manager_id: str | None

    @property
    def associated(self) -> bool:
        return self.association_status == AssociationStatus.ASSOCIATED

    @property
    def display_name(self) -> str:
        """The verified name, else the account name."""
        return self.customer_name or self.account_name

    @property
    def billed_partner_id(self) -> str:
        """Whose bill carries the customer's spend: the distributor above a reseller."""
        return self.distributor_id or self.tenant_id


def record_of(row: Customer) -> CustomerRecord:
    return CustomerRecord(
        account_id=row.account_id,
        tenant_id=row.tenant_id,
        distributor_id=row.distributor_id,
        association_type=row.association_type,
        association_status=row.association_status,
        associated_on=row.associated_on,
        disassociated_on=row.disassociated_on,
        account_name=row.account_name,
        customer_name=row.customer_name,
        restricted=row.restricted,
        freeze_type=row.freeze_type,
        frozen_at=row.frozen_at,
        frozen_by=row.frozen_by,
        account_manager_id=row.account_manager_id,
    )


async def lock_customer_row(session: AsyncSession, customer_id: str) -> Customer | None:
    """``SELECT … FOR UPDATE`` the customer row, read as the database has it now: the one
    place a customer is locked (SQLite's ``BEGIN IMMEDIATE`` already serialises writers)."""
    stmt = (
        select(Customer)
        .where(Customer.account_id == customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


class CustomerRecords:
    """Reads and locks of customer rows for other domains, bound to one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_id: str, *, fresh: bool = False) -> CustomerRecord | None:
        """The customer, or None; ``fresh`` reads past this unit of work's cached copy."""
        row = await self.session.get(Customer, customer_id, populate_existing=fresh)
        return record_of(row) if row is not None else None

    async def lock(self, customer_id: str) -> CustomerRecord | None:
        """Lock the customer row until the unit of work ends, and read it."""
        row = await lock_customer_row(self.session, customer_id)
        return record_of(row) if row is not None else None

    async def many(self, customer_ids: Iterable[str]) -> dict[str, CustomerRecord]:
        """The customers among ``customer_ids`` that exist, by id."""
        ids = set(customer_ids)
        if not ids:
            return {}
        rows = await self.session.scalars(select(Customer).where(Customer.account_id.in_(ids)))
        return {row.account_id: record_of(row) for row in rows}

    def ids(
        self,
        *,
        among: Iterable[str] | None = None,
        owner_id: str | None = None,
        associated: bool | None = None,
        association_type: AssociationType | None = None,
        frozen: bool | None = None,
        account_manager_id: str | None = None,
    ) -> Select[str]:
        """A query of the ids of the customers matching every given condition, to filter
        another domain's rows by (``column.in_(records.ids(...))``) or to run."""
        stmt = select(Customer.account_id)
        if among is not None:
            stmt = stmt.where(Customer.account_id.in_(set(among)))
        if owner_id is not None:
            stmt = stmt.where(Customer.tenant_id == owner_id)
        if associated is not None:
            stmt = stmt.where(
                (Customer.association_status == AssociationStatus.ASSOCIATED)
                if associated
                else (Customer.association_status != AssociationStatus.ASSOCIATED)
            )
        if association_type is not None:
            stmt = stmt.where(Customer.association_type == association_type)
        if frozen is not None:
            stmt = stmt.where(
                Customer.freeze_type.is_not(None) if frozen else Customer.freeze_type.is_(None)
            )
        if account_manager_id is not None:
            stmt = stmt.where(Customer.account_manager_id == account_manager_id)
        return stmt

    async def id_set(self, query: Select[str]) -> set[str]:
        """Run an ``ids(...)`` query."""
        return set((await self.session.execute(query)).scalars().all())

    async def count(self, query: Select[str]) -> int:
        """How many customers an ``ids(...)`` query matches."""
        return await count(self.session, query)

    async def record_real_name(
        self, customer_id: str, *, verified_status: str, customer_type: int, name: str | None
    ) -> None:
        """Copy a customer's real-name state onto its row (``verified_status`` −1/0/1/2,
        ``customer_type`` −1/0/1, the verified name once approved), as the customer lists show
        it; the real-name domain owns the submissions."""
        row = await lock_customer_row(self.session, customer_id)
        if row is None:
            return
        row.verified_status = verified_status
        row.customer_type = customer_type
        if name is not None:
            row.customer_name = name
        await self.session.flush()
