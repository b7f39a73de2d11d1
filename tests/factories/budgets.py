"""Partners, customers and budget services on a test database, for service-level budget tests.

Every helper opens its own unit of work, as a request or a job would, and every partner gets a
unique name, so tests sharing the session's database never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.budgets.public import (
    BudgetSetting,
    BudgetType,
    BudgetView,
    ExhaustionAction,
    Reservation,
)
from partner_center.domains.customers.public import (
    ControlState,
    CustomerControl,
    NewCustomer,
    PartnerActor,
)
from partner_center.domains.identity.public import SecretCipher
from partner_center.domains.ledger.public import reconcile
from partner_center.domains.notifications.models import OutboxMessage
from partner_center.domains.notifications.public import (
    PARTNER_BUDGET,
)
from partner_center.domains.partners.public import PartnerType, PartnerView
from partner_center.kernel.clock import Clock, FixedClock
from partner_center.kernel.db import Base, Database
from partner_center.services import Services
from partner_center.settings import Settings
from tests.dbutil import create_fresh_database, drop_database
from tests.wiring import services_for

ZONE = ZoneInfo("Asia/Shanghai")
CURRENCY = "USD"
_CIPHER = SecretCipher(Settings(secret_key="test-secret-key-not-for-production").encryption_key)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def services(session: AsyncSession, clock: Clock) -> Services:
    """The container of a unit of work at ``clock`` (security time stands still with it)."""
    return services_for(session, clock, wall=clock)


async def admin_actor(svc: Services, partner_id: str) -> PartnerActor:
    partner = await svc.partners.get(partner_id)
    assert partner is not None
    admin = await svc.identity.admin_member(partner_id)
    caller = await svc.identity.caller_for(partner_id, admin.id, method="test")
    return PartnerActor(caller=caller, partner=partner)


async def member_actor(svc: Services, partner_id: str, roles: list[str]) -> PartnerActor:
    """A member of the partner holding ``roles`` (and so only their permission items)."""
    partner = await svc.partners.get(partner_id)
    assert partner is not None
    member = await svc.identity.create_member(
        account_id=partner_id, name=unique_name("m"), roles=roles
    )
    caller = await svc.identity.caller_for(partner_id, member.id, method="test")
    return PartnerActor(caller=caller, partner=partner)


@dataclass
class BudgetWorld:
    """A database and a movable business clock, with helpers that each run one unit of work."""

    db: Database
    clock: FixedClock

    async def partner(
        self, kind: PartnerType = PartnerType.CSP, distributor: PartnerView | None = None
    ) -> PartnerView:
        async with self.db.unit_of_work() as uow:
            return await services(uow.session, self.clock).partners.create_partner(
                name=unique_name("p"),
                partner_type=kind,
                distributor_id=distributor.partner_id if distributor else None,
            )

    async def customer(
        self,
        partner: PartnerView,
        *,
        reseller: PartnerView | None = None,
        referral: bool = False,
    ) -> str:
        """A new customer of ``partner`` (of its ``reseller`` for a distributor); reseller-model
        customers start purchase-restricted."""
        async with self.db.unit_of_work() as uow:
            svc = services(uow.session, self.clock)
            created = await svc.customers.create_sub_customer(
                await admin_actor(svc, partner.partner_id),
                NewCustomer(
                    xaccount_id=unique_name("x"),
                    xaccount_type=partner.xaccount_type,
                    domain_area="US",
                    cooperation_type="1" if referral else None,
                    indirect_partner_id=reseller.partner_id if reseller else None,
                ),
            )
            return created.domain_id

    async def grant(
        self,
        distributor: PartnerView,
        reseller: PartnerView,
        *,
        can_set_budget: bool = False,
        can_restrict: bool = False,
        can_freeze_resources: bool = False,
        monthly_quota: Decimal | None = None,
        package_quota: Decimal | None = None,
    ) -> None:
        async with self.db.unit_of_work() as uow:
            await services(uow.session, self.clock).partners.set_grants(
                distributor_id=distributor.partner_id,
                reseller_id=reseller.partner_id,
                can_set_budget=can_set_budget,
                can_restrict=can_restrict,
                can_freeze_resources=can_freeze_resources,
                monthly_quota=monthly_quota,
                package_quota=package_quota,
            )

    async def recipient(self, partner: PartnerView) -> str:
        """Subscribe a new e-mail address to the partner's budget alerts; returns it."""
        email = f"{unique_name('budget')}@example.com"
        async with self.db.unit_of_work() as uow:
            await services(uow.session, self.clock).notifications.add_recipient(
                tenant_id=partner.partner_id, topic=PARTNER_BUDGET, name="Finance", email=email
            )
        return email

    async def set_budget(
        self,
        partner: PartnerView,
        customer_id: str,
        amount: Decimal | str,
        budget_type: BudgetType = BudgetType.MONTHLY,
        *,
        action: ExhaustionAction | None = None,
        lift: bool = False,
        indirect: PartnerView | None = None,
        actor: PartnerActor | None = None,
    ) -> BudgetView:
        async with self.db.unit_of_work() as uow:
            svc = services(uow.session, self.clock)
            return await svc.budgets.set_budget(
                actor or await admin_actor(svc, partner.partner_id),
                BudgetSetting(
                    customer_id=customer_id,
                    amount=Decimal(amount),
                    budget_type=budget_type,
                    exhaustion_action=action,
                    lift_restrictions=lift,
                ),
                indirect_partner_id=indirect.partner_id if indirect else None,
            )

    async def set_action(
        self,
        partner: PartnerView,
        customer_id: str,
        action: ExhaustionAction,
        *,
        indirect: PartnerView | None = None,
    ) -> BudgetView:
        async with self.db.unit_of_work() as uow:
            svc = services(uow.session, self.clock)
            return await svc.budgets.set_exhaustion_action(
                await admin_actor(svc, partner.partner_id),
                customer_id,
                action,
                accept_agreement=True,
                indirect_partner_id=indirect.partner_id if indirect else None,
            )

    async def budget(self, customer_id: str) -> BudgetView:
        async with self.db.unit_of_work() as uow:
            return await services(uow.session, self.clock).budgets.budget_of(customer_id)

    async def reserve(
        self, customer_id: str, amount: Decimal | str, purchase_id: str
    ) -> Reservation:
        async with self.db.unit_of_work() as uow:
            return await services(uow.session, self.clock).budgets.reserve(
                customer_id, Decimal(amount), purchase_id
            )

    async def commit(self, reservation_id: str, amount: Decimal | None = None) -> Reservation:
        async with self.db.unit_of_work() as uow:
            return await services(uow.session, self.clock).budgets.commit(reservation_id, amount)

    async def release(self, reservation_id: str) -> Reservation:
        async with self.db.unit_of_work() as uow:
            return await services(uow.session, self.clock).budgets.release(reservation_id)

    async def purchase(self, customer_id: str, amount: Decimal | str) -> Reservation:
        """Reserve and charge one purchase (each step in its own unit of work)."""
        reservation = await self.reserve(customer_id, amount, unique_name("order"))
        return await self.commit(reservation.id)

    async def state(self, customer_id: str) -> ControlState:
        async with self.db.unit_of_work() as uow:
            return await CustomerControl(uow.session, clock=self.clock).state(customer_id)

    async def outbox(self, partner: PartnerView, recipient: str) -> list[OutboxMessage]:
        async with self.db.unit_of_work() as uow:
            return await services(uow.session, self.clock).notifications.messages_for(
                recipient, tenant_id=partner.partner_id
            )

    async def restore(self) -> int:
        """Run what the monthly job runs, at the clock's time."""
        async with self.db.unit_of_work() as uow:
            svc = services(uow.session, self.clock)
            return await svc.budgets.engine.restore_monthly_budgets()

    async def limit_breaches(self) -> list[str]:
        """Ledger accounts past their guard, per ``reconcile`` (must stay empty)."""
        async with self.db.unit_of_work() as uow:
            report = await reconcile(uow.session)
        return [b.account_id for b in report.limit_breaches] + [
            d.account_id for d in report.discrepancies
        ]


@asynccontextmanager
async def catalog_world(at: datetime) -> AsyncIterator[BudgetWorld]:
    """A world on a database of its own (dropped after), with the schema and the demo
    catalogue, on a ``FixedClock`` at ``at``."""
    url, pg_name = await create_fresh_database()
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        clock = FixedClock(at)
        async with db.unit_of_work() as uow:
            await services_for(uow.session, clock).catalog_importer.import_demo(site_currency="USD")
        yield BudgetWorld(db, clock)
    finally:
        await db.dispose()
        await drop_database(pg_name)
