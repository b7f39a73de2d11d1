"""Free resource packages (resource packages): granting, their quotas per cycle, deductions by
rating, and the customer's views (api-semantics.md §3.10).

A package's status is computed at read time from the clock: 0 before ``effective_time``, 3 from
``expire_time``, 4 once unsubscribed, 2 when every quota is used up (in the current cycle for a
resettable package), else 1. A resettable quota (``quota_reuse_mode`` 1) is restored at the start
of each calendar cycle (``quota_reuse_cycle``) in the billing time zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.customers.public import (
    AssociationStatus,
    CustomerRecords,
)
from partner_center.domains.usage.errors import invalid, not_your_customer
from partner_center.domains.usage.models import (
    FreeResource,
    FreeResourceDeduction,
    FreeResourcePackage,
    PackageStatus,
    QuotaReuseMode,
    ReuseCycle,
)
from partner_center.kernel.clock import Clock, utc
from partner_center.kernel.ids import new_id
from partner_center.kernel.money import STORAGE_SCALE, decimal_places, to_rating
from partner_center.kernel.pagination import Page, paginate_rows

ZERO = Decimal(0)
#: The deduction-record query window (api-semantics.md §1.6).
MAX_DEDUCTION_WINDOW_DAYS = 90
MAX_FREE_RESOURCE_IDS = 100
_GUARD = 10**20


def exact_decimal(value: Fraction) -> Decimal:
    """An exact Fraction as a Decimal at 8 decimals, ROUND_HALF_UP (``to_rating``). It is floored
    to 20 decimals first, which cannot move a half-up rounding to 8 decimals across its
    midpoint."""
    floored = Decimal(value.numerator * _GUARD // value.denominator).scaleb(-20)
    return to_rating(floored)


@dataclass(frozen=True, slots=True)
class FreeQuota:
    """One free quota of a package to grant."""

    resource_type_code: str
    usage_type: str
    amount: Decimal
    """Per cycle (resettable) or for the lifetime, in ``measure_id``; > 0, ≤ 8 decimals."""
    measure_id: int
    usage_type_name: str | None = None
    resource_spec_code: str | None = None


@dataclass(frozen=True, slots=True)
class PackageGrant:
    product_name: str
    service_type_code: str
    region_code: str
    quotas: tuple[FreeQuota, ...]
    effective_time: datetime
    expire_time: datetime
    quota_reuse_mode: QuotaReuseMode = QuotaReuseMode.NOT_RESETTABLE
    quota_reuse_cycle: ReuseCycle | None = None
    product_id: str | None = None
    order_id: str | None = None
    """The yearly/monthly order that bought it (source_type 0); None for a gift."""
    package_id: str | None = None
    """Chosen by the caller to make the grant idempotent; generated otherwise."""


@dataclass(frozen=True, slots=True)
class FreeResourceView:
    free_resource_id: str
    package_id: str
    resource_type_code: str
    resource_spec_code: str | None
    usage_type: str
    usage_type_name: str
    original_amount: Decimal
    remaining_amount: Decimal
    """Left in the current cycle (or lifetime) at the time of the query."""
    measure_id: int
    quota_reuse_cycle: ReuseCycle | None
    cycle_start: datetime
    cycle_end: datetime


@dataclass(frozen=True, slots=True)
class PackageView:
    package_id: str
    customer_id: str
    order_id: str | None
    product_id: str
    product_name: str
    service_type_code: str
    region_code: str
    source_type: int
    bundle_type: str
    quota_reuse_mode: QuotaReuseMode
    quota_reuse_cycle: ReuseCycle | None
    effective_time: datetime
    expire_time: datetime
    status: PackageStatus
    free_resources: tuple[FreeResourceView, ...]


@dataclass(frozen=True, slots=True)
class PackageQuery:
    region_code: str | None = None
    order_id: str | None = None
    product_id: str | None = None
    product_name: str | None = None
    status: int | None = None
    service_type_codes: tuple[str, ...] | None = None
    enterprise_project_id: str | None = None
    """Packages belong to the default enterprise project ``"0"``; ``"all"`` or ``"0"`` match
    them, any other project none."""


@dataclass(frozen=True, slots=True)
class DeductionView:
    deduct_time: datetime
    free_resource_id: str
    package_id: str
    resource_id: str
    resource_type_code: str
    product_id: str
    product_name: str
    usage_type: str
    available_amount: Decimal
    used_amount: Decimal
    remaining_amount: Decimal
    measure_id: int
    effective_time: datetime
    expire_time: datetime


def cycle_window(
    package: FreeResourcePackage, instant: datetime, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """The quota cycle containing ``instant``: a calendar cycle in ``zone`` for a resettable
    package (clipped to the package's lifetime), else the package's whole lifetime."""
    if package.quota_reuse_mode != QuotaReuseMode.RESETTABLE or package.quota_reuse_cycle is None:
        return package.effective_time, package.expire_time
    local = utc(instant).astimezone(zone)
    cycle = ReuseCycle(package.quota_reuse_cycle)
    if cycle == ReuseCycle.HOUR:
        start = utc(instant).replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=1)
    else:
        day = local.date()
        if cycle == ReuseCycle.DAY:
            first, after = day, day + timedelta(days=1)
        elif cycle == ReuseCycle.WEEK:
            first = day - timedelta(days=day.weekday())
            after = first + timedelta(days=7)
        elif cycle == ReuseCycle.MONTH:
            first = day.replace(day=1)
            after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        else:
            first, after = date(day.year, 1, 1), date(day.year + 1, 1, 1)
        start = utc(datetime(first.year, first.month, first.day, tzinfo=zone))
        end = utc(datetime(after.year, after.month, after.day, tzinfo=zone))
    return max(start, package.effective_time), min(end, package.expire_time)


def _text(value: object, field: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise invalid(field, f"Required, 1 to {max_length} characters.")
    return value


class PackageService:
    """Free resource packages of customers. Flushes, never commits."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        zone: ZoneInfo,
        customer_records: CustomerRecords,
    ) -> None:
        self.session = session
        self.clock = clock
        self.zone = zone
        self.customer_records = customer_records
        # Caches of one rating run: deductions are added here and in the session together.
        self._quotas: dict[str, list[tuple[FreeResource, FreeResourcePackage]]] = {}
        self._cycle_use: dict[tuple[str, datetime], Decimal] = {}

    # -- granting -------------------------------------------------------------------------

    async def grant(self, customer_id: str, grant: PackageGrant) -> PackageView:
        """Give (or, with ``order_id``, deliver a bought) package to an associated customer.

        Idempotent by ``package_id``.

        Raises:
            DomainError: ``CBC.0100`` bad fields; ``CBC.99000035`` the customer is not
                associated; ``CBC.99007009`` the package id exists with other attributes.
        """
        _text(grant.product_name, "product_name", 128)
        _text(grant.service_type_code, "service_type_code", 64)
        _text(grant.region_code, "region_code", 64)
        if grant.effective_time.tzinfo is None or grant.expire_time.tzinfo is None:
            raise invalid("effective_time", "Aware UTC times are required.")
        if grant.expire_time <= grant.effective_time:
            raise invalid("expire_time", "Must be after effective_time.")
        if not grant.quotas:
            raise invalid("free_resources", "At least one free quota.")
        if len(grant.quotas) > 20:
            raise invalid("free_resources", "At most 20 free quotas.")
        resettable = grant.quota_reuse_mode == QuotaReuseMode.RESETTABLE
        if resettable != (grant.quota_reuse_cycle is not None):
            raise invalid(
                "quota_reuse_cycle",
                "A resettable package (quota_reuse_mode 1) needs a cycle; a non-resettable one "
                "has none.",
            )
        for quota in grant.quotas:
            _text(quota.resource_type_code, "resource_type_code", 64)
            _text(quota.usage_type, "usage_type", 64)
            if (
                not isinstance(quota.amount, Decimal)
                or not quota.amount.is_finite()
                or quota.amount <= 0
                or decimal_places(quota.amount) > STORAGE_SCALE
                or quota.amount >= Decimal(10) ** 12
            ):
                raise invalid("amount", "Greater than 0, at most 8 decimals.")
        customer = await self.customer_records.get(customer_id)
        if customer is None or customer.association_status != AssociationStatus.ASSOCIATED:
            raise not_your_customer()
        package_id = _text(grant.package_id, "package_id", 32) if grant.package_id else new_id()
        existing = await self.session.get(FreeResourcePackage, package_id)
        if existing is not None:
            if existing.tenant_id != customer_id or existing.product_name != grant.product_name:
                raise invalid("package_id", f"Package {package_id} exists already.")
            return await self._view(existing, self.clock.now())
        now = self.clock.now()
        package = FreeResourcePackage(
            id=package_id,
            tenant_id=customer_id,
            order_id=grant.order_id or None,
            product_id=grant.product_id or f"pkg-{package_id}",
            product_name=grant.product_name,
            service_type_code=grant.service_type_code,
            region_code=grant.region_code,
            source_type=0 if grant.order_id else 1,
            bundle_type="ATOMIC_PKG" if len(grant.quotas) == 1 else "BUNDLE_PKG",
            quota_reuse_mode=int(grant.quota_reuse_mode),
            quota_reuse_cycle=int(grant.quota_reuse_cycle) if grant.quota_reuse_cycle else None,
            effective_time=utc(grant.effective_time),
            expire_time=utc(grant.expire_time),
            unsubscribed_at=None,
            created_at=now,
        )
        self.session.add(package)
        for quota in grant.quotas:
            self.session.add(
                FreeResource(
                    id=new_id(),
                    tenant_id=customer_id,
                    package_id=package_id,
                    resource_type_code=quota.resource_type_code,
                    resource_spec_code=quota.resource_spec_code or None,
                    usage_type=quota.usage_type,
                    usage_type_name=quota.usage_type_name or quota.usage_type,
                    original_amount=quota.amount,
                    measure_id=quota.measure_id,
                )
            )
        await self.session.flush()
        return await self._view(package, now)

    async def unsubscribe(self, customer_id: str, package_id: str) -> PackageView:
        """Unsubscribe a package: from now on nothing more is deducted from it (status 4)."""
        package = await self.session.get(FreeResourcePackage, package_id, with_for_update=True)
        if package is None or package.tenant_id != customer_id:
            raise invalid("order_instance_id", f"Package {package_id} does not exist.")
        now = self.clock.now()
        if package.unsubscribed_at is None:
            package.unsubscribed_at = now
            await self.session.flush()
        return await self._view(package, now)

    async def set_expiry(self, customer_id: str, package_id: str, expire_time: datetime) -> None:
        """A bought package's expiry follows its order's resource (renewal, or unstarted
        renewals unsubscribed); nothing for an unknown package."""
        package = await self.session.get(FreeResourcePackage, package_id, with_for_update=True)
        if package is None or package.tenant_id != customer_id:
            return
        package.expire_time = utc(expire_time)
        await self.session.flush()

    async def stop_if_any(self, customer_id: str, package_id: str) -> None:
        """Unsubscribe the package ``package_id`` if the customer has one by that id."""
        package = await self.session.get(FreeResourcePackage, package_id)
        if package is not None and package.tenant_id == customer_id:
            await self.unsubscribe(customer_id, package_id)

    # -- quotas ---------------------------------------------------------------------------

    async def used_in_cycle(self, free_resource_id: str, cycle_start: datetime) -> Decimal:
        # SUM keeps the column's MoneyAmount type: the result is already a Decimal.
        used: Decimal | None = await self.session.scalar(
            select(func.sum(FreeResourceDeduction.used_amount)).where(
                FreeResourceDeduction.free_resource_id == free_resource_id,
                FreeResourceDeduction.cycle_start == cycle_start,
            )
        )
        return used if used is not None else ZERO

    def _status(self, package: FreeResourcePackage, now: datetime, used_up: bool) -> PackageStatus:
        if package.unsubscribed_at is not None:
            return PackageStatus.UNSUBSCRIBED
        if now < package.effective_time:
            return PackageStatus.NOT_EFFECTIVE
        if now >= package.expire_time:
            return PackageStatus.EXPIRED
        return PackageStatus.USED_UP if used_up else PackageStatus.EFFECTIVE

    async def _free_views(
        self, package: FreeResourcePackage, now: datetime
    ) -> tuple[FreeResourceView, ...]:
        rows = (
            await self.session.execute(
                select(FreeResource)
                .where(FreeResource.package_id == package.id)
                .order_by(FreeResource.id)
            )
        ).scalars()
        at = min(max(now, package.effective_time), package.expire_time - timedelta(microseconds=1))
        start, end = cycle_window(package, at, self.zone)
        views = []
        for row in rows:
            used = await self.used_in_cycle(row.id, start)
            views.append(
                FreeResourceView(
                    free_resource_id=row.id,
                    package_id=package.id,
                    resource_type_code=row.resource_type_code,
                    resource_spec_code=row.resource_spec_code,
                    usage_type=row.usage_type,
                    usage_type_name=row.usage_type_name,
                    original_amount=row.original_amount,
                    remaining_amount=max(row.original_amount - used, ZERO),
                    measure_id=row.measure_id,
                    quota_reuse_cycle=(
                        ReuseCycle(package.quota_reuse_cycle) if package.quota_reuse_cycle else None
                    ),
                    cycle_start=start,
                    cycle_end=end,
                )
            )
        return tuple(views)

    async def _view(self, package: FreeResourcePackage, now: datetime) -> PackageView:
        free = await self._free_views(package, now)
        used_up = bool(free) and all(f.remaining_amount <= 0 for f in free)
        return PackageView(
            package_id=package.id,
            customer_id=package.tenant_id,
            order_id=package.order_id,
            product_id=package.product_id,
            product_name=package.product_name,
            service_type_code=package.service_type_code,
            region_code=package.region_code,
            source_type=package.source_type,
            bundle_type=package.bundle_type,
            quota_reuse_mode=QuotaReuseMode(package.quota_reuse_mode),
            quota_reuse_cycle=(
                ReuseCycle(package.quota_reuse_cycle) if package.quota_reuse_cycle else None
            ),
            effective_time=package.effective_time,
            expire_time=package.expire_time,
            status=self._status(package, now, used_up),
            free_resources=free,
        )

    async def preload_quotas(self, customer_ids: Iterable[str]) -> None:
        """Load the free quotas of many customers in one statement (a rating batch)."""
        wanted = sorted(set(customer_ids) - self._quotas.keys())
        if not wanted:
            return
        rows = await self.session.execute(
            select(FreeResource, FreeResourcePackage)
            .join(FreeResourcePackage, FreeResourcePackage.id == FreeResource.package_id)
            .where(FreeResource.tenant_id.in_(wanted))
            .order_by(
                FreeResourcePackage.expire_time,
                FreeResourcePackage.created_at,
                FreeResource.id,
            )
        )
        for customer_id in wanted:
            self._quotas[customer_id] = []
        for free, package in rows.all():
            self._quotas[free.tenant_id].append((free, package))

    async def has_quotas(self, customer_id: str) -> bool:
        """Whether the customer holds any free quota at all (else nothing can be deducted)."""
        return bool(await self._quotas_of(customer_id))

    async def _quotas_of(self, customer_id: str) -> list[tuple[FreeResource, FreeResourcePackage]]:
        """The customer's free quotas, the soonest-expiring first (loaded once per service:
        a rating run deducts from them many times)."""
        if customer_id not in self._quotas:
            rows = await self.session.execute(
                select(FreeResource, FreeResourcePackage)
                .join(FreeResourcePackage, FreeResourcePackage.id == FreeResource.package_id)
                .where(FreeResource.tenant_id == customer_id)
                .order_by(
                    FreeResourcePackage.expire_time,
                    FreeResourcePackage.created_at,
                    FreeResource.id,
                )
            )
            self._quotas[customer_id] = [(free, package) for free, package in rows.all()]
        return self._quotas[customer_id]

    async def _used(self, free_resource_id: str, cycle_start: datetime) -> Decimal:
        key = (free_resource_id, cycle_start)
        if key not in self._cycle_use:
            self._cycle_use[key] = await self.used_in_cycle(free_resource_id, cycle_start)
        return self._cycle_use[key]

    async def deduct(
        self,
        *,
        customer_id: str,
        region_code: str,
        service_type_code: str,
        resource_type_code: str,
        resource_spec_code: str,
        usage_type: str,
        resource_id: str,
        hour: datetime,
        quantity: Fraction,
        measure_id: int,
        fee_record_id: str,
        conversions: Any,
    ) -> Fraction:
        """Take ``quantity`` (in ``measure_id``) of one hour's usage from the customer's free
        quotas that cover it and were in force in that hour, the soonest-expiring first.
        Returns the part covered (in ``measure_id``)."""
        if quantity <= 0:
            return Fraction(0)
        candidates = [
            (free, package)
            for free, package in await self._quotas_of(customer_id)
            if free.resource_type_code == resource_type_code
            and free.usage_type == usage_type
            and free.resource_spec_code in (None, resource_spec_code)
            and package.region_code == region_code
            and package.service_type_code == service_type_code
            and package.effective_time <= hour < package.expire_time
            and (package.unsubscribed_at is None or package.unsubscribed_at > hour)
        ]
        left = quantity
        now = self.clock.now()
        for free, package in candidates:
            if left <= 0:
                break
            factor = conversions.factor(measure_id, free.measure_id)
            if factor is None:
                continue
            start, _end = cycle_window(package, hour, self.zone)
            used_before = await self._used(free.id, start)
            available = free.original_amount - used_before
            if available <= 0:
                continue
            wanted = left * factor
            if wanted <= Fraction(available):
                used = exact_decimal(wanted)
                covered = left
            else:
                used = available
                covered = Fraction(available) / factor
            if used <= 0:
                continue
            self.session.add(
                FreeResourceDeduction(
                    id=new_id(),
                    tenant_id=customer_id,
                    free_resource_id=free.id,
                    package_id=package.id,
                    fee_record_id=fee_record_id,
                    resource_id=resource_id,
                    resource_type_code=resource_type_code,
                    usage_type=usage_type,
                    cycle_start=start,
                    deduct_time=now,
                    available_amount=available,
                    used_amount=used,
                    remaining_amount=available - used,
                    measure_id=free.measure_id,
                )
            )
            self._cycle_use[(free.id, start)] = used_before + used
            left -= covered
        return quantity - max(left, Fraction(0))

    # -- the customer's views -------------------------------------------------------------

    async def list_packages(
        self, customer_id: str, query: PackageQuery, window: Page
    ) -> tuple[list[PackageView], int]:
        """``list_free_resource_infos``: the customer's packages, newest first."""
        if query.status is not None and query.status not in {s.value for s in PackageStatus}:
            raise invalid("status", "One of 0 to 4.")
        if query.enterprise_project_id not in (None, "0", "all"):
            return [], 0
        stmt = select(FreeResourcePackage).where(FreeResourcePackage.tenant_id == customer_id)
        if query.region_code:
            stmt = stmt.where(FreeResourcePackage.region_code == query.region_code)
        if query.order_id:
            stmt = stmt.where(FreeResourcePackage.order_id == query.order_id)
        if query.product_id:
            stmt = stmt.where(FreeResourcePackage.product_id == query.product_id)
        if query.product_name:
            stmt = stmt.where(
                func.lower(FreeResourcePackage.product_name).contains(query.product_name.lower())
            )
        if query.service_type_codes:
            stmt = stmt.where(
                func.lower(FreeResourcePackage.service_type_code).in_(
                    [code.lower() for code in query.service_type_codes]
                )
            )
        rows = (
            await self.session.execute(
                stmt.order_by(FreeResourcePackage.created_at.desc(), FreeResourcePackage.id)
            )
        ).scalars()
        now = self.clock.now()
        # The status depends on the clock and the quotas' use, so it is filtered here; a
        # customer holds few packages.
        views = [await self._view(row, now) for row in rows]
        if query.status is not None:
            views = [v for v in views if v.status == query.status]
        return views[window.offset : window.offset + window.limit], len(views)

    async def usages(
        self, customer_id: str, free_resource_ids: list[str]
    ) -> list[FreeResourceView]:
        """``list_free_resource_usages``: the current cycle of each of the customer's free
        quotas named; ids of other customers are left out."""
        if not free_resource_ids:
            raise invalid("free_resource_ids", "At least one id.")
        if len(free_resource_ids) > MAX_FREE_RESOURCE_IDS:
            raise invalid("free_resource_ids", f"At most {MAX_FREE_RESOURCE_IDS} ids.")
        for free_id in free_resource_ids:
            _text(free_id, "free_resource_ids", 64)
        rows = (
            await self.session.execute(
                select(FreeResource, FreeResourcePackage)
                .join(FreeResourcePackage, FreeResourcePackage.id == FreeResource.package_id)
                .where(
                    FreeResource.tenant_id == customer_id,
                    FreeResource.id.in_(free_resource_ids),
                )
            )
        ).all()
        now = self.clock.now()
        found: dict[str, FreeResourceView] = {}
        for free, package in rows:
            for view in await self._free_views(package, now):
                if view.free_resource_id == free.id:
                    found[free.id] = view
        return [found[i] for i in dict.fromkeys(free_resource_ids) if i in found]

    async def deductions(
        self,
        customer_id: str,
        *,
        begin: date,
        end: date,
        free_resource_id: str | None,
        product_id: str | None,
        resource_type_code: str | None,
        window: Page,
    ) -> tuple[list[DeductionView], int]:
        """``list_free_resources_usage_records``: deductions from ``begin`` to ``end``
        inclusive (dates in the billing time zone, at most 90 days apart), newest first."""
        if end < begin:
            raise invalid("deduct_time_end", "Must not be before deduct_time_begin.")
        if (end - begin).days + 1 > MAX_DEDUCTION_WINDOW_DAYS:
            raise invalid(
                "deduct_time_end", f"The window is at most {MAX_DEDUCTION_WINDOW_DAYS} days."
            )
        start = utc(datetime(begin.year, begin.month, begin.day, tzinfo=self.zone))
        after = end + timedelta(days=1)
        stop = utc(datetime(after.year, after.month, after.day, tzinfo=self.zone))
        stmt = (
            select(FreeResourceDeduction, FreeResourcePackage)
            .join(FreeResourcePackage, FreeResourcePackage.id == FreeResourceDeduction.package_id)
            .where(
                FreeResourceDeduction.tenant_id == customer_id,
                FreeResourceDeduction.deduct_time >= start,
                FreeResourceDeduction.deduct_time < stop,
            )
        )
        if free_resource_id:
            stmt = stmt.where(FreeResourceDeduction.free_resource_id == free_resource_id)
        if product_id:
            stmt = stmt.where(FreeResourcePackage.product_id == product_id)
        if resource_type_code:
            stmt = stmt.where(FreeResourceDeduction.resource_type_code == resource_type_code)
        rows, total = await paginate_rows(
            self.session,
            stmt,
            window,
            FreeResourceDeduction.deduct_time.desc(),
            FreeResourceDeduction.id.desc(),
        )
        return [
            DeductionView(
                deduct_time=row.deduct_time,
                free_resource_id=row.free_resource_id,
                package_id=package.id,
                resource_id=row.resource_id,
                resource_type_code=row.resource_type_code,
                product_id=package.product_id,
                product_name=package.product_name,
                usage_type=row.usage_type,
                available_amount=row.available_amount,
                used_amount=row.used_amount,
                remaining_amount=row.remaining_amount,
                measure_id=row.measure_id,
                effective_time=package.effective_time,
                expire_time=package.expire_time,
            )
            for row, package in rows
        ], total
