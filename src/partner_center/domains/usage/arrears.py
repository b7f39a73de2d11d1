"""Pay-per-use arrears: the grace period, the retention period, release, settlement, and the
grace-period adjustments on association changes (rules.md §2.3.4, §2.6.9).

A balance-funded customer whose hourly usage charge is more than its balance falls into arrears
(the uncovered part is booked to ``customer_arrears`` by the balances engine). The rating run
that leaves it owing opens an **arrears case** at the run's time (``open_if_owing``):

* **grace** — ``grace_days`` (the customer's own grace period, else the deployment default):
  the resources keep running and are charged (status 2, "grace period"); the customer and its
  partner are e-mailed.
* **retention** — from ``grace_until`` for ``retention_days``: the resources are frozen
  (status 3), usage from ``grace_until`` on is not metered (NOT_CHARGED), the customer cannot
  close them; e-mailed again.
* **release** — at ``retention_until`` the resources are released (status 6, ``expire_time`` =
  ``retention_until``); the arrears stay owed. E-mailed.
* **settlement** — money that reaches the customer (an allocation, a top-up) pays its arrears
  first (balances engine); once nothing is owed the case is settled and the resources in grace
  or frozen run normally again (status 1). E-mailed.

``enforce`` makes these transitions at the top of every hour, before the rating, from the
stored times, so a coalesced run (the sandbox clock moved days) freezes and releases at the
exact times the periods end, and the rating that follows stops metering at ``grace_until``.

Grace-period adjustments: a reseller-model association raises a grace period shorter than one
day to one day (§2.3.4), leaving the reseller model raises one shorter than 15 days to 15 days
(§2.6.9); the operator sets a customer's grace period. Every change is recorded
(``GraceAdjustment``); a case still in grace is re-timed from its start with the new period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances.public import BalanceEngine
from partner_center.domains.customers.public import AssociationType, CustomerRecords
from partner_center.domains.identity.public import AccountKind, IdentityService
from partner_center.domains.notifications.public import Channel, NotificationService
from partner_center.domains.usage.errors import in_arrears, invalid
from partner_center.domains.usage.models import (
    ArrearsCase,
    ArrearsState,
    GraceAdjustment,
    GracePeriod,
    GraceReason,
    OnDemandResource,
    ResourceStatus,
)
from partner_center.kernel.clock import Clock, format_utc, utc
from partner_center.kernel.ids import new_id
from partner_center.kernel.money import to_cents

#: rules.md §2.3.4: on reseller-model association, at least one day.
ASSOCIATION_MINIMUM_DAYS = 1
#: rules.md §2.6.9: on leaving the reseller model, at least 15 days.
DISASSOCIATION_MINIMUM_DAYS = 15
MAX_GRACE_DAYS = 365
_OPEN = (ArrearsState.GRACE.value, ArrearsState.FROZEN.value)
_LIVE = (ResourceStatus.NORMAL.value, ResourceStatus.GRACE_PERIOD.value)


@dataclass(frozen=True, slots=True)
class ArrearsPolicy:
    """Deployment settings (README, "Configuration")."""

    grace_days: int = 15
    """A customer's grace period unless its own is set."""
    retention_days: int = 15


@dataclass(frozen=True, slots=True)
class GraceAdjustmentView:
    reason: GraceReason
    old_days: int
    new_days: int
    actor_id: str | None
    adjusted_at: datetime


@dataclass(frozen=True, slots=True)
class ArrearsCaseView:
    case_id: str
    state: ArrearsState
    grace_days: int
    started_at: datetime
    grace_until: datetime
    retention_until: datetime
    opening_arrears: Decimal
    frozen_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ArrearsView:
    """A customer's grace period, what it owes, its current (or last) case, and the history of
    its grace period."""

    customer_id: str
    grace_days: int
    own_grace_period: bool
    arrears: Decimal
    case: ArrearsCaseView | None
    adjustments: tuple[GraceAdjustmentView, ...]


@dataclass(frozen=True, slots=True)
class EnforcementSummary:
    settled: int = 0
    frozen: int = 0
    released: int = 0


class ArrearsService:
    """Arrears cases and grace periods, bound to one unit of work. Flushes, never commits."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        policy: ArrearsPolicy,
        balances: BalanceEngine,
        customer_records: CustomerRecords,
        identity: IdentityService,
        notifications: NotificationService,
    ) -> None:
        self.session = session
        self.clock = clock
        self.policy = policy
        self.balances = balances
        self.customer_records = customer_records
        self.identity = identity
        self.notifications = notifications

    # -- grace periods ------------------------------------------------------------------------

    async def grace_days(self, customer_id: str) -> int:
        row = await self.session.get(GracePeriod, customer_id)
        return self.policy.grace_days if row is None else row.grace_days

    async def set_grace_days(self, customer_id: str, days: int, *, actor_id: str) -> ArrearsView:
        """The operator sets a customer's pay-per-use grace period (0 to 365 days).

        Raises:
            DomainError: ``CBC.0100`` days out of range or an unknown customer.
        """
        if isinstance(days, bool) or not 0 <= days <= MAX_GRACE_DAYS:
            raise invalid("grace_days", f"Give 0 to {MAX_GRACE_DAYS} days.")
        account = await self.identity.get_account(customer_id)
        if account is None or account.kind != AccountKind.CUSTOMER:
            raise invalid("customer_id", f"Customer {customer_id} does not exist.")
        await self._adjust(customer_id, days, GraceReason.OPERATOR, actor_id)
        return await self.view(customer_id)

    async def raise_on_association(
        self, customer_id: str, association_type: AssociationType, *, actor_id: str
    ) -> None:
        """rules.md §2.3.4: a reseller-model association raises a grace period under a day."""
        if association_type == AssociationType.RESELLER:
            await self._raise_to(
                customer_id, ASSOCIATION_MINIMUM_DAYS, GraceReason.ASSOCIATION, actor_id
            )

    async def raise_on_disassociation(
        self, customer_id: str, association_type: AssociationType, *, actor_id: str
    ) -> None:
        """rules.md §2.6.9: leaving the reseller model raises a grace period under 15 days."""
        if association_type == AssociationType.RESELLER:
            await self._raise_to(
                customer_id, DISASSOCIATION_MINIMUM_DAYS, GraceReason.DISASSOCIATION, actor_id
            )

    async def _raise_to(
        self, customer_id: str, minimum: int, reason: GraceReason, actor_id: str
    ) -> None:
        if await self.grace_days(customer_id) < minimum:
            await self._adjust(customer_id, minimum, reason, actor_id)

    async def _adjust(
        self, customer_id: str, days: int, reason: GraceReason, actor_id: str | None
    ) -> None:
        now = self.clock.now()
        row = await self.session.get(GracePeriod, customer_id, with_for_update=True)
        old = self.policy.grace_days if row is None else row.grace_days
        if row is None:
            row = GracePeriod(customer_id=customer_id, tenant_id=customer_id)
            self.session.add(row)
        row.grace_days = days
        row.updated_at = now
        self.session.add(
            GraceAdjustment(
                id=new_id(),
                tenant_id=customer_id,
                reason=reason.value,
                old_days=old,
                new_days=days,
                actor_id=actor_id,
                adjusted_at=now,
            )
        )
        case = await self._open_case(customer_id)
        if case is not None and case.state == ArrearsState.GRACE.value:
            # Still in grace: the new period counts from the start of the arrears (a grace
            # period that ended by the new reckoning freezes at the next hourly run).
            case.grace_days = days
            case.grace_until = case.started_at + timedelta(days=days)
            case.retention_until = case.grace_until + timedelta(days=self.policy.retention_days)
        await self.session.flush()

    # -- cases --------------------------------------------------------------------------------

    async def ensure_not_in_arrears(self, customer_id: str) -> None:
        """A customer that owes arrears may not start new pay-per-use resources.

        Raises:
            DomainError: ``CBC.99005003`` with what is owed.
        """
        owed = await self.balances.arrears_of(customer_id)
        if owed > 0:
            raise in_arrears(to_cents(owed), self.balances.currency)

    async def _open_case(self, customer_id: str) -> ArrearsCase | None:
        stmt = (
            select(ArrearsCase)
            .where(ArrearsCase.tenant_id == customer_id, ArrearsCase.state.in_(_OPEN))
            .with_for_update()
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def open_if_owing(self, customer_id: str, *, as_of: datetime) -> None:
        """After a usage charge left ``customer_id`` owing: open its case unless one is open
        (the rating calls this under the customer's balance lock)."""
        owed = await self.balances.arrears_of(customer_id)
        if owed <= 0 or await self._open_case(customer_id) is not None:
            return
        customer = await self.customer_records.get(customer_id)
        days = await self.grace_days(customer_id)
        as_of = utc(as_of)
        grace_until = as_of + timedelta(days=days)
        case = ArrearsCase(
            id=new_id(),
            tenant_id=customer_id,
            partner_id=customer.tenant_id if customer is not None else "",
            state=ArrearsState.GRACE.value,
            grace_days=days,
            started_at=as_of,
            grace_until=grace_until,
            retention_until=grace_until + timedelta(days=self.policy.retention_days),
            frozen_at=None,
            opening_arrears=owed,
            closed_at=None,
        )
        self.session.add(case)
        await self._set_status(
            customer_id, (ResourceStatus.NORMAL.value,), ResourceStatus.GRACE_PERIOD
        )
        await self.session.flush()
        await self._tell(
            case,
            f"Your account is in arrears: {to_cents(owed):f} {self.balances.currency}",
            f"Pay-per-use usage is more than the account's balance: {to_cents(owed):f} "
            f"{self.balances.currency} is owed. The pay-per-use resources keep running until "
            f"{format_utc(case.grace_until)} (grace period of {days} days); unpaid by then "
            f"they are frozen, and released on {format_utc(case.retention_until)}. The next "
            "top-up pays the arrears first.",
        )

    async def enforce(self, as_of: datetime) -> EnforcementSummary:
        """Settle, freeze and release the open cases as of ``as_of`` (hourly, before rating)."""
        as_of = utc(as_of)
        owing = await self.balances.customers_in_arrears()
        stmt = (
            select(ArrearsCase)
            .where(ArrearsCase.state.in_(_OPEN))
            .order_by(ArrearsCase.tenant_id)
            .with_for_update()
        )
        settled = frozen = released = 0
        for case in (await self.session.execute(stmt)).scalars().all():
            if case.tenant_id not in owing:
                await self._settle(case, as_of)
                settled += 1
                continue
            if case.state == ArrearsState.GRACE.value and as_of >= case.grace_until:
                await self._freeze(case, owing[case.tenant_id])
                frozen += 1
            if as_of >= case.retention_until:
                await self._release(case, owing[case.tenant_id])
                released += 1
        await self.session.flush()
        return EnforcementSummary(settled, frozen, released)

    async def _settle(self, case: ArrearsCase, as_of: datetime) -> None:
        case.state = ArrearsState.SETTLED.value
        case.closed_at = as_of
        await self._set_status(
            case.tenant_id,
            (ResourceStatus.GRACE_PERIOD.value, ResourceStatus.FROZEN.value),
            ResourceStatus.NORMAL,
        )
        await self._tell(
            case,
            "Your arrears are paid",
            "The pay-per-use arrears are paid; the resources run normally again.",
        )

    async def _freeze(self, case: ArrearsCase, owed: Decimal) -> None:
        case.state = ArrearsState.FROZEN.value
        case.frozen_at = case.grace_until
        await self._set_status(case.tenant_id, _LIVE, ResourceStatus.FROZEN)
        await self._tell(
            case,
            "Your pay-per-use resources are frozen",
            f"The grace period ended at {format_utc(case.grace_until)} with "
            f"{to_cents(owed):f} {self.balances.currency} still owed: the pay-per-use "
            "resources are frozen (data kept, not usable) and are released on "
            f"{format_utc(case.retention_until)} unless the arrears are paid.",
        )

    async def _release(self, case: ArrearsCase, owed: Decimal) -> None:
        case.state = ArrearsState.RELEASED.value
        case.closed_at = case.retention_until
        await self.session.execute(
            update(OnDemandResource)
            .where(
                OnDemandResource.tenant_id == case.tenant_id,
                OnDemandResource.status.in_((*_LIVE, ResourceStatus.FROZEN.value)),
            )
            .values(status=ResourceStatus.CLOSED.value, expire_time=case.retention_until)
        )
        await self._tell(
            case,
            "Your pay-per-use resources were released",
            f"The retention period ended at {format_utc(case.retention_until)} with "
            f"{to_cents(owed):f} {self.balances.currency} still owed: the pay-per-use "
            "resources were released and their data deleted. The arrears remain payable.",
        )

    async def _set_status(
        self, customer_id: str, current: tuple[int, ...], new: ResourceStatus
    ) -> None:
        await self.session.execute(
            update(OnDemandResource)
            .where(OnDemandResource.tenant_id == customer_id, OnDemandResource.status.in_(current))
            .values(status=new.value)
        )

    async def frozen_windows(
        self, customer_ids: list[str]
    ) -> dict[str, list[tuple[datetime, datetime | None]]]:
        """Customer → the spells its resources were (or are) frozen for arrears, as
        ``[frozen_at, closed_at)`` (open-ended while frozen), oldest first."""
        if not customer_ids:
            return {}
        stmt = (
            select(ArrearsCase.tenant_id, ArrearsCase.frozen_at, ArrearsCase.closed_at)
            .where(ArrearsCase.tenant_id.in_(customer_ids), ArrearsCase.frozen_at.is_not(None))
            .order_by(ArrearsCase.tenant_id, ArrearsCase.frozen_at)
        )
        windows: dict[str, list[tuple[datetime, datetime | None]]] = {}
        for tenant, start, end in (await self.session.execute(stmt)).all():
            if start is not None:
                windows.setdefault(tenant, []).append((start, end))
        return windows

    # -- reading --------------------------------------------------------------------------------

    async def view(self, customer_id: str) -> ArrearsView:
        own = await self.session.get(GracePeriod, customer_id)
        case = (
            (
                await self.session.execute(
                    select(ArrearsCase)
                    .where(ArrearsCase.tenant_id == customer_id)
                    .order_by(ArrearsCase.started_at.desc(), ArrearsCase.id.desc())
                    .limit(1)
                )
            )
            .scalars()
            .first()
        )
        adjustments = (
            await self.session.execute(
                select(GraceAdjustment)
                .where(GraceAdjustment.tenant_id == customer_id)
                .order_by(GraceAdjustment.adjusted_at, GraceAdjustment.id)
            )
        ).scalars()
        return ArrearsView(
            customer_id=customer_id,
            grace_days=self.policy.grace_days if own is None else own.grace_days,
            own_grace_period=own is not None,
            arrears=await self.balances.arrears_of(customer_id),
            case=None if case is None else _case_view(case),
            adjustments=tuple(
                GraceAdjustmentView(
                    reason=GraceReason(a.reason),
                    old_days=a.old_days,
                    new_days=a.new_days,
                    actor_id=a.actor_id,
                    adjusted_at=a.adjusted_at,
                )
                for a in adjustments
            ),
        )

    # -- telling people -----------------------------------------------------------------------

    async def _tell(self, case: ArrearsCase, subject: str, body: str) -> None:
        """E-mail the customer and the partner of the case (each address once)."""
        told: set[str] = set()
        for account_id in (case.tenant_id, case.partner_id):
            account = await self.identity.get_account(account_id) if account_id else None
            if account is None or not account.email or account.email.lower() in told:
                continue
            told.add(account.email.lower())
            prefix = "" if account_id == case.tenant_id else f"Customer {case.tenant_id}: "
            await self.notifications.queue(
                tenant_id=account_id,
                channel=Channel.EMAIL,
                recipient=account.email.lower(),
                subject=prefix + subject,
                body=body,
            )


def _case_view(case: ArrearsCase) -> ArrearsCaseView:
    return ArrearsCaseView(
        case_id=case.id,
        state=ArrearsState(case.state),
        grace_days=case.grace_days,
        started_at=case.started_at,
        grace_until=case.grace_until,
        retention_until=case.retention_until,
        opening_arrears=case.opening_arrears,
        frozen_at=case.frozen_at,
        closed_at=case.closed_at,
    )
