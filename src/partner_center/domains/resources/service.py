"""``ResourceService``: provisioning yearly/monthly resources, their terms, their settings, and
their lifecycle after expiry (api-semantics.md §3.8; rules.md §5.11, §2.3.4).

Lifecycle of a primary resource and the resources attached to it (they follow it)::

    IN_USE ──expiry──▶ EXPIRED (grace, still usable) ──grace end──▶ FROZEN (retention)
                                                                   ──retention end──▶ CLOSED
    IN_USE ──expiry, expire_policy 1──▶ CLOSED + an ``OnDemandHandoff`` to pay-per-use

Each step is a one-off job (``resources.expire`` / ``resources.retain`` /
``resources.release``) scheduled with a dedupe key that names the expiry it belongs to; a
renewal moves ``expire_time`` so the older jobs find nothing to do. Auto-renewal charge attempts
(``AUTO_RENEW_JOB``) are scheduled here and run by the orders domain, which owns payments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.resources.errors import ResourceErrorCode, resource_error
from partner_center.domains.resources.models import (
    ExpirePolicy,
    HandoffStatus,
    OnDemandHandoff,
    PeriodResource,
    RenewConfig,
    ResourceStatus,
    ResourceTerm,
    TermKind,
)
from partner_center.kernel.clock import Clock, to_micros, utc
from partner_center.kernel.ids import new_id
from partner_center.kernel.jobs import schedule
from partner_center.kernel.pagination import Page, paginate

EXPIRE_JOB = "resources.expire"
RETAIN_JOB = "resources.retain"
RELEASE_JOB = "resources.release"
#: Run by the orders domain: one auto-renewal charge attempt ``{"resource_ref", "expire"}``.
AUTO_RENEW_JOB = "orders.auto_renew"
#: Auto-renewal charges run at this local time (billing time zone), rules.md §5.11.
AUTO_RENEW_AT = time(3, 0)
DEFAULT_DEDUCTION_DAYS = 7

PERIOD_MONTH = 2
PERIOD_YEAR = 3


@dataclass(frozen=True, slots=True)
class NewResource:
    """What a paid new-purchase order line provisions (one resource)."""

    customer_id: str
    partner_id: str
    distributor_id: str | None
    order_id: str
    enterprise_project_id: str
    line_id: str
    region_code: str
    service_type_code: str
    service_type_name: str
    resource_type_code: str
    resource_type_name: str
    resource_spec_code: str
    product_id: str
    product_spec_desc: str
    project_id: str
    spec_size: int | None
    spec_size_measure_id: int | None
    period_type: int
    period_num: int
    effective_time: datetime
    expire_time: datetime
    list_amount: Decimal
    paid_amount: Decimal
    coupon_amount: Decimal
    charge_id: str | None
    auto_renew: bool = False
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class ResourceView:
    id: str
    resource_id: str
    customer_id: str
    partner_id: str
    distributor_id: str | None
    resource_name: str
    region_code: str
    service_type_code: str
    service_type_name: str
    resource_type_code: str
    resource_type_name: str
    resource_spec_code: str
    product_id: str
    product_spec_desc: str
    project_id: str
    spec_size: int | None
    spec_size_measure_id: int | None
    parent_id: str | None
    parent_resource_id: str | None
    is_main: bool
    status: ResourceStatus
    expire_policy: ExpirePolicy
    auto_renew_times: int
    auto_renew_period_type: int
    period_type: int
    period_num: int
    effective_time: datetime
    expire_time: datetime
    grace_ends_at: datetime | None
    retention_ends_at: datetime | None
    closed_at: datetime | None
    order_id: str
    busy_order_id: str | None
    enterprise_project_id: str
    update_time: datetime


@dataclass(frozen=True, slots=True)
class TermView:
    id: str
    resource_ref: str
    order_id: str
    line_id: str
    kind: TermKind
    starts_at: datetime
    ends_at: datetime
    list_amount: Decimal
    paid_amount: Decimal
    coupon_amount: Decimal
    charge_id: str | None
    refunded: bool
    refund_order_id: str | None


@dataclass(frozen=True, slots=True)
class ResourceFilter:
    resource_ids: tuple[str, ...] = ()
    order_id: str | None = None
    only_main: bool = False
    statuses: tuple[int, ...] = ()
    expire_after: datetime | None = None
    expire_before: datetime | None = None
    service_type_code: str | None = None


@dataclass(frozen=True, slots=True)
class RenewSettings:
    deduction_days: int
    expire_day: int | None


@dataclass(frozen=True, slots=True)
class HandoffView:
    id: str
    customer_id: str
    resource_ref: str
    resource_id: str
    switch_at: datetime
    order_id: str | None


def term_view(row: ResourceTerm) -> TermView:
    return TermView(
        id=row.id,
        resource_ref=row.resource_ref,
        order_id=row.order_id,
        line_id=row.line_id,
        kind=TermKind(row.kind),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        list_amount=row.list_amount,
        paid_amount=row.paid_amount,
        coupon_amount=row.coupon_amount,
        charge_id=row.charge_id,
        refunded=row.refunded_at is not None,
        refund_order_id=row.refund_order_id,
    )


class ResourceService:
    """Resources of customers, bound to one session. Flushes, never commits."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        zone: ZoneInfo,
        grace_days: int = 15,
        retention_days: int = 15,
    ) -> None:
        self.session = session
        self.clock = clock
        self.zone = zone
        self.grace_days = grace_days
        self.retention_days = retention_days

    # -- views -----------------------------------------------------------------------------

    async def _parents(self, rows: Sequence[PeriodResource]) -> dict[str, str]:
        ids = {r.parent_id for r in rows if r.parent_id}
        if not ids:
            return {}
        stmt = select(PeriodResource.id, PeriodResource.resource_id).where(
            PeriodResource.id.in_(ids)
        )
        return {i: rid for i, rid in (await self.session.execute(stmt)).all()}

    async def _views(self, rows: Sequence[PeriodResource]) -> list[ResourceView]:
        parents = await self._parents(rows)
        return [self._view(r, parents.get(r.parent_id or "")) for r in rows]

    @staticmethod
    def _view(row: PeriodResource, parent_resource_id: str | None) -> ResourceView:
        return ResourceView(
            id=row.id,
            resource_id=row.resource_id,
            customer_id=row.tenant_id,
            partner_id=row.partner_id,
            distributor_id=row.distributor_id,
            resource_name=row.resource_name,
            region_code=row.region_code,
            service_type_code=row.service_type_code,
            service_type_name=row.service_type_name,
            resource_type_code=row.resource_type_code,
            resource_type_name=row.resource_type_name,
            resource_spec_code=row.resource_spec_code,
            product_id=row.product_id,
            product_spec_desc=row.product_spec_desc,
            project_id=row.project_id,
            spec_size=row.spec_size,
            spec_size_measure_id=row.spec_size_measure_id,
            parent_id=row.parent_id,
            parent_resource_id=parent_resource_id,
            is_main=row.is_main,
            status=ResourceStatus(row.status),
            expire_policy=ExpirePolicy(row.expire_policy),
            auto_renew_times=row.auto_renew_times,
            auto_renew_period_type=row.auto_renew_period_type,
            period_type=row.period_type,
            period_num=row.period_num,
            effective_time=row.effective_time,
            expire_time=row.expire_time,
            grace_ends_at=row.grace_ends_at,
            retention_ends_at=row.retention_ends_at,
            closed_at=row.closed_at,
            order_id=row.order_id,
            busy_order_id=row.busy_order_id,
            enterprise_project_id=row.enterprise_project_id,
            update_time=row.update_time,
        )

    # -- provisioning ----------------------------------------------------------------------

    async def provision(self, new: NewResource) -> ResourceView:
        """Create a paid resource with its first term and schedule its expiry (primaries)."""
        now = self.clock.now()
        ref = new_id()
        row = PeriodResource(
            id=ref,
            tenant_id=new.customer_id,
            resource_id=new_id(),
            partner_id=new.partner_id,
            distributor_id=new.distributor_id,
            resource_name=f"{new.resource_spec_code}-{ref[-6:]}",
            region_code=new.region_code,
            service_type_code=new.service_type_code,
            service_type_name=new.service_type_name,
            resource_type_code=new.resource_type_code,
            resource_type_name=new.resource_type_name,
            resource_spec_code=new.resource_spec_code,
            product_id=new.product_id,
            product_spec_desc=new.product_spec_desc,
            project_id=new.project_id,
            spec_size=new.spec_size,
            spec_size_measure_id=new.spec_size_measure_id,
            parent_id=new.parent_id,
            is_main=new.parent_id is None,
            status=int(ResourceStatus.IN_USE),
            expire_policy=int(ExpirePolicy.AUTO_RENEW if new.auto_renew else ExpirePolicy.GRACE),
            auto_renew_times=0,
            auto_renew_period_type=new.period_type,
            period_type=new.period_type,
            period_num=new.period_num,
            effective_time=new.effective_time,
            expire_time=new.expire_time,
            grace_days=self.grace_days,
            retention_days=self.retention_days,
            order_id=new.order_id,
            enterprise_project_id=new.enterprise_project_id,
            created_at=now,
            update_time=now,
        )
        self.session.add(row)
        await self.session.flush()
        view = self._view(row, None)
        await self.add_term(
            view,
            order_id=new.order_id,
            line_id=new.line_id,
            kind=TermKind.NEW,
            starts_at=new.effective_time,
            ends_at=new.expire_time,
            list_amount=new.list_amount,
            paid_amount=new.paid_amount,
            coupon_amount=new.coupon_amount,
            charge_id=new.charge_id,
        )
        if row.is_main:
            await self._schedule_expiry(row)
            if new.auto_renew:
                await self._schedule_auto_renew(row)
        return view

    async def add_term(
        self,
        resource: ResourceView,
        *,
        order_id: str,
        line_id: str,
        kind: TermKind,
        starts_at: datetime,
        ends_at: datetime,
        list_amount: Decimal,
        paid_amount: Decimal,
        coupon_amount: Decimal,
        charge_id: str | None,
    ) -> TermView:
        """Record a paid term of ``resource`` (a purchase or a renewal)."""
        term = ResourceTerm(
            id=new_id(),
            tenant_id=resource.customer_id,
            resource_ref=resource.id,
            order_id=order_id,
            line_id=line_id,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            list_amount=list_amount,
            paid_amount=paid_amount,
            coupon_amount=coupon_amount,
            charge_id=charge_id,
        )
        self.session.add(term)
        await self.session.flush()
        return term_view(term)

    async def mark_refunded(self, term: TermView, order_id: str) -> None:
        """The term's money went back with the unsubscription order ``order_id``."""
        row = await self.session.get(ResourceTerm, term.id)
        assert row is not None, f"resource term {term.id} is missing"
        row.refunded_at = self.clock.now()
        row.refund_order_id = order_id
        await self.session.flush()

    async def extend(
        self,
        resource: ResourceView,
        *,
        ends_at: datetime,
        period_type: int,
        period_num: int,
    ) -> None:
        """A renewal was paid: the resource runs until ``ends_at`` and is usable again."""
        row = await self._row(resource.id)
        row.expire_time = ends_at
        row.period_type = period_type
        row.period_num = period_num
        row.status = int(ResourceStatus.IN_USE)
        row.grace_ends_at = None
        row.retention_ends_at = None
        row.busy_order_id = None
        row.update_time = self.clock.now()
        await self.session.flush()
        if row.is_main:
            await self._schedule_expiry(row)
            if row.expire_policy == ExpirePolicy.AUTO_RENEW:
                await self._schedule_auto_renew(row)

    # -- reading ---------------------------------------------------------------------------

    async def _row(self, ref: str) -> PeriodResource:
        """A resource this unit of work has read (from the session's identity map)."""
        row = await self.session.get(PeriodResource, ref)
        assert row is not None, f"resource {ref} is missing"
        return row

    async def lock(self, refs: Sequence[str]) -> list[ResourceView]:
        """Lock resources by internal id, in id order (the lock order of this domain)."""
        return await self._views(await self._lock_rows(refs))

    async def _lock_rows(self, refs: Sequence[str]) -> list[PeriodResource]:
        if not refs:
            return []
        stmt = (
            select(PeriodResource)
            .where(PeriodResource.id.in_(sorted(set(refs))))
            .order_by(PeriodResource.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def by_resource_id(
        self, customer_id: str, resource_id: str, *, lock: bool = False
    ) -> ResourceView | None:
        """The customer's resource with the cloud id ``resource_id`` (None if not its own)."""
        stmt = select(PeriodResource).where(
            PeriodResource.resource_id == resource_id, PeriodResource.tenant_id == customer_id
        )
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        return (await self._views([row]))[0] if row is not None else None

    async def attached(self, primary: ResourceView, *, lock: bool = False) -> list[ResourceView]:
        """The resources attached to ``primary``, in id order (locked with ``lock``)."""
        return await self._views(await self._attached_rows(primary.id, lock=lock))

    async def _attached_rows(self, primary_id: str, *, lock: bool = False) -> list[PeriodResource]:
        stmt = (
            select(PeriodResource)
            .where(PeriodResource.parent_id == primary_id)
            .order_by(PeriodResource.id)
        )
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return list((await self.session.execute(stmt)).scalars().all())

    async def terms(self, ref: str, *, unrefunded: bool = False) -> list[TermView]:
        stmt = select(ResourceTerm).where(ResourceTerm.resource_ref == ref)
        if unrefunded:
            stmt = stmt.where(ResourceTerm.refunded_at.is_(None))
        stmt = stmt.order_by(ResourceTerm.starts_at, ResourceTerm.id)
        return [term_view(row) for row in (await self.session.execute(stmt)).scalars()]

    async def of_order(self, order_id: str) -> list[ResourceView]:
        stmt = (
            select(PeriodResource)
            .where(PeriodResource.order_id == order_id)
            .order_by(PeriodResource.created_at, PeriodResource.id)
        )
        return await self._views((await self.session.execute(stmt)).scalars().all())

    async def list_for_customer(
        self, customer_id: str, filters: ResourceFilter, page: Page
    ) -> tuple[list[ResourceView], int]:
        """The customer's provisioned resources, primaries first by creation, then attached."""
        stmt: Select[PeriodResource] = select(PeriodResource).where(
            PeriodResource.tenant_id == customer_id
        )
        if filters.resource_ids:
            wanted = list(filters.resource_ids)
            if filters.only_main:
                stmt = stmt.where(PeriodResource.resource_id.in_(wanted))
            else:
                parents = select(PeriodResource.id).where(
                    PeriodResource.tenant_id == customer_id,
                    PeriodResource.resource_id.in_(wanted),
                )
                stmt = stmt.where(
                    PeriodResource.resource_id.in_(wanted) | PeriodResource.parent_id.in_(parents)
                )
        if filters.only_main:
            stmt = stmt.where(PeriodResource.is_main.is_(True))
        if filters.order_id:
            stmt = stmt.where(PeriodResource.order_id == filters.order_id)
        if filters.statuses:
            stmt = stmt.where(PeriodResource.status.in_(filters.statuses))
        if filters.expire_after is not None:
            stmt = stmt.where(PeriodResource.expire_time >= filters.expire_after)
        if filters.expire_before is not None:
            stmt = stmt.where(PeriodResource.expire_time <= filters.expire_before)
        if filters.service_type_code:
            stmt = stmt.where(PeriodResource.service_type_code == filters.service_type_code)
        rows, total = await paginate(
            self.session, stmt, page, PeriodResource.created_at, PeriodResource.id
        )
        return await self._views(rows), int(total)

    # -- settings --------------------------------------------------------------------------

    async def renew_settings(self, customer_id: str) -> RenewSettings:
        row = await self._config(customer_id)
        if row is None:
            return RenewSettings(DEFAULT_DEDUCTION_DAYS, None)
        return RenewSettings(row.deduction_days, row.expire_day)

    async def _config(self, customer_id: str) -> RenewConfig | None:
        stmt = select(RenewConfig).where(RenewConfig.tenant_id == customer_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def set_renew_config(
        self, customer_id: str, *, deduction_days: int | None = None, expire_day: int | None = None
    ) -> RenewSettings:
        """Store one renewal setting (the other keeps its value)."""
        row = await self._config(customer_id)
        if row is None:
            row = RenewConfig(
                id=new_id(),
                tenant_id=customer_id,
                deduction_days=DEFAULT_DEDUCTION_DAYS,
                expire_day=None,
                updated_at=self.clock.now(),
            )
            self.session.add(row)
        if deduction_days is not None:
            row.deduction_days = deduction_days
        if expire_day is not None:
            row.expire_day = expire_day
        row.updated_at = self.clock.now()
        await self.session.flush()
        return RenewSettings(row.deduction_days, row.expire_day)

    async def enable_auto_renew(
        self, resource: ResourceView, *, times: int | None, period_type: int | None
    ) -> None:
        """Turn auto-renew on (``expire_policy`` 3) for a primary and its attached resources."""
        row = await self._row(resource.id)
        if row.status in (ResourceStatus.EXPIRED, ResourceStatus.FROZEN, ResourceStatus.CLOSED):
            raise resource_error(
                ResourceErrorCode.AUTO_RENEW_NOT_ALLOWED,
                f"Resource {row.resource_id} has expired or is frozen; auto-renew is not allowed.",
            )
        first = row.expire_policy != ExpirePolicy.AUTO_RENEW
        now = self.clock.now()
        for item in [row, *await self._attached_rows(row.id, lock=True)]:
            item.expire_policy = int(ExpirePolicy.AUTO_RENEW)
            if times is not None:
                item.auto_renew_times = times
            elif first:
                item.auto_renew_times = 0
            if period_type is not None:
                item.auto_renew_period_type = period_type
            elif first:
                item.auto_renew_period_type = row.period_type
            item.update_time = now
        await self.session.flush()
        await self._schedule_auto_renew(row)

    async def disable_auto_renew(self, resource: ResourceView) -> None:
        row = await self._row(resource.id)
        if row.expire_policy != ExpirePolicy.AUTO_RENEW:
            raise resource_error(
                ResourceErrorCode.AUTO_RENEW_ALREADY_CANCELLED,
                f"Auto-renew of resource {row.resource_id} is already cancelled.",
            )
        await self.set_policy(resource, ExpirePolicy.GRACE)

    async def set_policy(self, resource: ResourceView, policy: ExpirePolicy) -> None:
        """What happens at expiry, for a primary and its attached resources."""
        now = self.clock.now()
        row = await self._row(resource.id)
        for item in [row, *await self._attached_rows(row.id, lock=True)]:
            item.expire_policy = int(policy)
            item.update_time = now
        await self.session.flush()

    async def count_down_auto_renew(self, resource: ResourceView) -> None:
        """One of a limited number of auto-renewals was used (primary and attached)."""
        row = await self._row(resource.id)
        for item in [row, *await self._attached_rows(row.id, lock=True)]:
            item.auto_renew_times -= 1
        await self.session.flush()

    async def hold_for_order(self, resources: Sequence[ResourceView], order_id: str) -> None:
        """The resources are in the unpaid order ``order_id`` until it is paid or closed."""
        for resource in resources:
            (await self._row(resource.id)).busy_order_id = order_id
        await self.session.flush()

    async def release_from_order(self, refs: Sequence[str], order_id: str) -> None:
        """The unpaid order ``order_id`` was closed: its resources are free again."""
        for row in await self._lock_rows(refs):
            if row.busy_order_id == order_id:
                row.busy_order_id = None
        await self.session.flush()

    # -- scheduling ------------------------------------------------------------------------

    async def _schedule_expiry(self, row: PeriodResource) -> None:
        stamp = to_micros(row.expire_time)
        await schedule(
            self.session,
            name=EXPIRE_JOB,
            due_at=row.expire_time,
            payload={"resource_ref": row.id, "expire": stamp},
            dedupe_key=f"{EXPIRE_JOB}:{row.id}:{stamp}",
            tenant_id=row.tenant_id,
        )

    def first_attempt(self, expire: datetime, deduction_days: int, now: datetime) -> datetime:
        """03:00 (billing time zone) ``deduction_days`` before the expiry day, or the next 03:00
        after ``now`` if that has passed."""
        local_day = utc(expire).astimezone(self.zone).date() - timedelta(days=deduction_days)
        due = datetime.combine(local_day, AUTO_RENEW_AT, tzinfo=self.zone).astimezone(utc_zone())
        return due if due > now else self.next_attempt(now)

    def next_attempt(self, after: datetime) -> datetime:
        """The first 03:00 (billing time zone) strictly after ``after``."""
        local = utc(after).astimezone(self.zone)
        candidate = datetime.combine(local.date(), AUTO_RENEW_AT, tzinfo=self.zone)
        if candidate <= local:
            candidate = datetime.combine(
                local.date() + timedelta(days=1), AUTO_RENEW_AT, tzinfo=self.zone
            )
        return candidate.astimezone(utc_zone())

    async def schedule_auto_renew(
        self, resource: ResourceView, *, at: datetime | None = None
    ) -> None:
        """Schedule the next auto-renewal attempt of a primary resource (once per due time)."""
        await self._schedule_auto_renew(await self._row(resource.id), at=at)

    async def _schedule_auto_renew(
        self, row: PeriodResource, *, at: datetime | None = None
    ) -> None:
        now = self.clock.now()
        if at is None:
            settings = await self.renew_settings(row.tenant_id)
            at = self.first_attempt(row.expire_time, settings.deduction_days, now)
        if row.status == ResourceStatus.CLOSED or at >= self._release_time(row):
            return
        stamp = to_micros(row.expire_time)
        await schedule(
            self.session,
            name=AUTO_RENEW_JOB,
            due_at=at,
            payload={"resource_ref": row.id, "expire": stamp},
            dedupe_key=f"{AUTO_RENEW_JOB}:{row.id}:{stamp}:{to_micros(at)}",
            tenant_id=row.tenant_id,
        )

    @staticmethod
    def _release_time(row: PeriodResource) -> datetime:
        """When the resource is released if nobody renews it."""
        return row.expire_time + timedelta(days=row.grace_days + row.retention_days)

    # -- lifecycle -------------------------------------------------------------------------

    async def _current(self, ref: str, expire: int) -> list[PeriodResource] | None:
        """The primary (and attached) if it still has the expiry the job was scheduled for."""
        rows = await self._lock_rows([ref])
        if not rows or to_micros(rows[0].expire_time) != expire:
            return None
        if rows[0].status == ResourceStatus.CLOSED:
            return None
        return [rows[0], *await self._attached_rows(rows[0].id, lock=True)]

    async def on_expiry(self, ref: str, expire: int) -> ResourceStatus | None:
        """The paid time ended: hand over to pay-per-use (policy 1) or enter the grace period."""
        rows = await self._current(ref, expire)
        if rows is None:
            return None
        primary, now = rows[0], self.clock.now()
        if primary.expire_policy == ExpirePolicy.TO_ON_DEMAND:
            for row in rows:
                await self._handoff(row, now, None)
            return ResourceStatus.CLOSED
        grace_end = primary.expire_time + timedelta(days=primary.grace_days)
        for row in rows:
            row.status = int(ResourceStatus.EXPIRED)
            row.grace_ends_at = grace_end
            row.update_time = now
        await schedule(
            self.session,
            name=RETAIN_JOB,
            due_at=grace_end,
            payload={"resource_ref": primary.id, "expire": expire},
            dedupe_key=f"{RETAIN_JOB}:{primary.id}:{expire}",
            tenant_id=primary.tenant_id,
        )
        await self.session.flush()
        return ResourceStatus.EXPIRED

    async def on_grace_end(self, ref: str, expire: int) -> ResourceStatus | None:
        rows = await self._current(ref, expire)
        if rows is None:
            return None
        primary, now = rows[0], self.clock.now()
        retention_end = now + timedelta(days=primary.retention_days)
        for row in rows:
            row.status = int(ResourceStatus.FROZEN)
            row.retention_ends_at = retention_end
            row.update_time = now
        await schedule(
            self.session,
            name=RELEASE_JOB,
            due_at=retention_end,
            payload={"resource_ref": primary.id, "expire": expire},
            dedupe_key=f"{RELEASE_JOB}:{primary.id}:{expire}",
            tenant_id=primary.tenant_id,
        )
        await self.session.flush()
        return ResourceStatus.FROZEN

    async def on_retention_end(self, ref: str, expire: int) -> ResourceStatus | None:
        rows = await self._current(ref, expire)
        if rows is None:
            return None
        await self._close(rows)
        return ResourceStatus.CLOSED

    async def close(self, resources: Sequence[ResourceView]) -> None:
        """Release resources (unsubscribed): they stop for good."""
        await self._close([await self._row(r.id) for r in resources])

    async def _close(self, rows: Sequence[PeriodResource]) -> None:
        """Release resources (retention ended or unsubscribed): they stop for good."""
        now = self.clock.now()
        for row in rows:
            row.status = int(ResourceStatus.CLOSED)
            row.closed_at = now
            row.busy_order_id = None
            row.update_time = now
        await self.session.flush()

    async def _handoff(self, row: PeriodResource, at: datetime, order_id: str | None) -> None:
        row.status = int(ResourceStatus.CLOSED)
        row.closed_at = at
        row.update_time = at
        self.session.add(
            OnDemandHandoff(
                id=new_id(),
                tenant_id=row.tenant_id,
                resource_ref=row.id,
                resource_id=row.resource_id,
                switch_at=at,
                order_id=order_id,
                status=HandoffStatus.PENDING,
            )
        )
        await self.session.flush()

    async def switch_now(self, resources: Sequence[ResourceView], order_id: str) -> None:
        """Hand resources to pay-per-use now (``update_period_to_on_demand_instantly``)."""
        now = self.clock.now()
        for resource in resources:
            await self._handoff(await self._row(resource.id), now, order_id)

    async def pending_handoffs(self, limit: int = 100) -> list[HandoffView]:
        """Resources switched to pay-per-use that the pay-per-use domain has not taken yet,
        oldest first. Metering starts at ``switch_at``."""
        stmt = (
            select(OnDemandHandoff)
            .where(OnDemandHandoff.status == HandoffStatus.PENDING)
            .order_by(OnDemandHandoff.switch_at, OnDemandHandoff.id)
            .limit(limit)
        )
        return [
            HandoffView(h.id, h.tenant_id, h.resource_ref, h.resource_id, h.switch_at, h.order_id)
            for h in (await self.session.execute(stmt)).scalars().all()
        ]

    async def accept_handoff(self, handoff_id: str) -> None:
        """The pay-per-use domain took the resource over (idempotent)."""
        row = await self.session.get(OnDemandHandoff, handoff_id, with_for_update=True)
        if row is not None and row.status == HandoffStatus.PENDING:
            row.status = HandoffStatus.ACCEPTED
            row.accepted_at = self.clock.now()
            await self.session.flush()


def utc_zone() -> ZoneInfo:
    return ZoneInfo("UTC")
