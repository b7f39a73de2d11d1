"""Reading the catalogue: the listings behind the product APIs, and the list price of an
offering in force at an instant (``as_of``), which every rating uses."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.catalog.errors import CatalogErrorCode, catalog_error, invalid
from partner_center.domains.catalog.models import (
    CatalogConversion,
    CatalogMeasureUnit,
    CatalogPrice,
    CatalogPriceTier,
    CatalogRegion,
    CatalogResourceType,
    CatalogServicePolicy,
    CatalogServiceResource,
    CatalogServiceType,
    CatalogSpec,
    CatalogUsageType,
)
from partner_center.domains.catalog.rating import (
    ConversionTable,
    PeriodType,
    Tier,
    TierSchedule,
    period_amount_in_cents,
    period_cost,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.db import LIKE_ESCAPE, contains_pattern
from partner_center.kernel.pagination import Page, paginate, paginate_rows

_MARKER = re.compile(r"^[0-9a-f]{32}$")


class Language(enum.StrEnum):
    """Language of names (``X-Language``)."""

    EN = "en_US"
    ZH = "zh_CN"

    def pick(self, en: str, zh: str) -> str:
        return zh if self == Language.ZH else en


@dataclass(frozen=True, slots=True)
class ProductNames:
    """Names of service and resource types in one language, for people: a type without a
    name in that language is named in English, and one the catalogue does not know by
    ``fallback`` (a name stored with an order), else by its code."""

    services: Mapping[str, str]
    resources: Mapping[str, str]

    def service(self, code: str, fallback: str = "") -> str:
        return self.services.get(code) or fallback or code

    def resource(self, code: str, fallback: str = "") -> str:
        return self.resources.get(code) or fallback or code


class ChargingMode(enum.StrEnum):
    """How an offering is sold (the reference's ``charging_mode``)."""

    PERIOD = "PERIOD"
    ON_DEMAND = "ON_DEMAND"
    ONE_TIME = "ONE_TIME"
    ON_DEMAND_PKG = "ON_DEMAND_PKG"


#: ``list_resource_specs`` charge_mode codes.
CHARGE_MODE_CODES = {"1": ChargingMode.PERIOD, "3": ChargingMode.ON_DEMAND}


@dataclass(frozen=True, slots=True)
class ServiceTypeView:
    code: str
    name: str
    abbreviation: str


@dataclass(frozen=True, slots=True)
class ServicePolicyView:
    service_type: str
    service_type_name: str
    incentive_policy: int
    """An ``IncentivePolicy``: 0, 1, 2 or 13."""
    allow_discount: bool


@dataclass(frozen=True, slots=True)
class ResourceTypeView:
    code: str
    name: str
    description: str
    service_type: str
    """The owner service type."""


@dataclass(frozen=True, slots=True)
class UsageTypeView:
    code: str
    name: str
    resource_type: str
    resource_type_name: str
    service_type: str
    service_type_name: str
    measure_id: int


@dataclass(frozen=True, slots=True)
class MeasureUnitView:
    measure_id: int
    name: str
    abbreviation: str
    measure_type: int


@dataclass(frozen=True, slots=True)
class ConversionView:
    measure_id: int
    ref_measure_id: int
    conversion_ratio: int
    measure_type: int


@dataclass(frozen=True, slots=True)
class ProductKey:
    """The four keys that name a product in a rating (api-semantics.md §3.1)."""

    service_type: str
    resource_type: str
    resource_spec: str
    region: str


@dataclass(frozen=True, slots=True)
class SpecView:
    spec_id: str
    service_type: str
    service_type_name: str
    resource_type: str
    resource_type_name: str
    spec_code: str
    spec_name: str
    size_measure_id: int | None
    size_min: int | None
    size_max: int | None
    size_step: int | None
    attributes: tuple[dict[str, Any], ...]

    @property
    def linear(self) -> bool:
        return self.size_measure_id is not None


@dataclass(frozen=True, slots=True)
class PriceView:
    """A list price in force: one offering's bands and terms."""

    offering_id: str
    charging_mode: ChargingMode
    period_type: PeriodType | None
    period_nums: tuple[int, ...]
    usage_factor: str | None
    usage_measure_id: int | None
    currency: str
    schedule: TierSchedule
    effective_from: datetime
    effective_to: datetime | None


@dataclass(frozen=True, slots=True)
class SpecPage:
    specs: list[SpecView]
    next_marker: str | None


@dataclass(frozen=True, slots=True)
class SpecPriceQuery:
    region: str
    service_type: str | None = None
    resource_type: str | None = None
    resource_spec: str | None = None
    charging_mode: ChargingMode | None = None
    marker: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class PeriodQuote:
    """The list price of yearly/monthly resources, for subscriptions and renewals."""

    offering_id: str
    exact: Fraction
    amount: Decimal
    """``exact`` in cents (``to_cents``: 2 decimals, ROUND_HALF_UP)."""
    currency: str


def in_force(as_of: datetime, model: Any = CatalogPrice) -> ColumnElement[bool]:
    """Rows of an effective-dated table (prices by default) whose window contains ``as_of``
    (from inclusive, to exclusive)."""
    return and_(
        model.effective_from <= as_of,
        or_(model.effective_to.is_(None), model.effective_to > as_of),
    )


def check_marker(marker: str | None) -> str | None:
    if marker is None or marker == "":
        return None
    if not _MARKER.match(marker):
        raise invalid("marker", "Pass the next_marker of the previous page.")
    return marker


class CatalogService:
    """Catalogue queries; every account may read the catalogue."""

    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- types ------------------------------------------------------------------------------

    async def service_types(
        self, *, name_contains: str | None, window: Page, language: Language
    ) -> tuple[list[ServiceTypeView], int]:
        """Service types by code; ``name_contains`` matches the name in ``language`` anywhere
        (prefix, suffix or infix), case-insensitively."""
        query = select(CatalogServiceType)
        if name_contains:
            column = (
                CatalogServiceType.name_zh
                if language == Language.ZH
                else CatalogServiceType.name_en
            )
            query = query.where(
                func.lower(column).like(contains_pattern(name_contains.lower()), escape=LIKE_ESCAPE)
            )
        rows, total = await paginate(self.session, query, window, CatalogServiceType.code)
        return [
            ServiceTypeView(r.code, language.pick(r.name_en, r.name_zh), r.abbreviation)
            for r in rows
        ], total

    async def product_names(
        self, service_codes: Iterable[str], resource_codes: Iterable[str], language: Language
    ) -> ProductNames:
        """The names of these service and resource types in ``language`` (English where the
        catalogue has no name in it); two queries whatever their number."""

        async def names(
            model: type[CatalogServiceType] | type[CatalogResourceType], codes: set[str]
        ) -> dict[str, str]:
            if not codes:
                return {}
            rows = await self.session.execute(
                select(model.code, model.name_en, model.name_zh).where(model.code.in_(codes))
            )
            return {code: language.pick(en, zh) or en for code, en, zh in rows}

        return ProductNames(
            await names(CatalogServiceType, set(service_codes)),
            await names(CatalogResourceType, set(resource_codes)),
        )

    async def service_policies(
        self, *, at: datetime, service_type: str | None, window: Page, language: Language
    ) -> tuple[list[ServicePolicyView], int]:
        """The incentive and discount policy of each service type in force at ``at``, by
        service type code (one service type with ``service_type``)."""
        query = (
            select(CatalogServicePolicy, CatalogServiceType)
            .join(CatalogServiceType, CatalogServiceType.code == CatalogServicePolicy.service_type)
            .where(in_force(at, CatalogServicePolicy))
        )
        if service_type is not None:
            query = query.where(CatalogServicePolicy.service_type == service_type)
        rows, total = await paginate_rows(
            self.session, query, window, CatalogServicePolicy.service_type
        )
        return [
            ServicePolicyView(
                policy.service_type,
                language.pick(svc.name_en, svc.name_zh),
                policy.incentive_policy,
                policy.allow_discount,
            )
            for policy, svc in rows
        ], total

    async def discounts_barred(self, at: datetime) -> set[str]:
        """Service types whose products take no partner-granted discount at ``at``."""
        rows = await self.session.execute(
            select(CatalogServicePolicy.service_type).where(
                in_force(at, CatalogServicePolicy),
                CatalogServicePolicy.allow_discount.is_(False),
            )
        )
        return set(rows.scalars())

    async def resource_types(
        self, *, window: Page, language: Language
    ) -> tuple[list[ResourceTypeView], int]:
        query = select(CatalogResourceType)
        rows, total = await paginate(self.session, query, window, CatalogResourceType.code)
        return [self._resource_view(r, language) for r in rows], total

    async def service_resources(
        self, service_type: str, *, window: Page, language: Language
    ) -> tuple[list[ResourceTypeView], int]:
        """The resource types a service type is made of (empty for an unknown service type)."""
        query = (
            select(CatalogResourceType)
            .join(
                CatalogServiceResource,
                CatalogServiceResource.resource_type == CatalogResourceType.code,
            )
            .where(CatalogServiceResource.service_type == service_type)
        )
        rows, total = await paginate(
            self.session, query, window, CatalogServiceResource.position, CatalogResourceType.code
        )
        return [self._resource_view(r, language) for r in rows], total

    @staticmethod
    def _resource_view(row: CatalogResourceType, language: Language) -> ResourceTypeView:
        return ResourceTypeView(
            code=row.code,
            name=language.pick(row.name_en, row.name_zh),
            description=language.pick(row.description_en, row.description_zh),
            service_type=row.owner_service_type,
        )

    async def usage_types(
        self, *, resource_type: str | None, window: Page, language: Language
    ) -> tuple[list[UsageTypeView], int]:
        """Usage factors, all or of one resource type (``""`` matches none, as the reference
        treats an empty string as a literal filter here)."""
        query = (
            select(CatalogUsageType, CatalogResourceType, CatalogServiceType)
            .join(CatalogResourceType, CatalogResourceType.code == CatalogUsageType.resource_type)
            .join(
                CatalogServiceType,
                CatalogServiceType.code == CatalogResourceType.owner_service_type,
            )
        )
        if resource_type is not None:
            query = query.where(CatalogUsageType.resource_type == resource_type)
        rows, total = await paginate_rows(
            self.session, query, window, CatalogUsageType.resource_type, CatalogUsageType.code
        )
        return [
            UsageTypeView(
                code=usage.code,
                name=language.pick(usage.name_en, usage.name_zh),
                resource_type=res.code,
                resource_type_name=language.pick(res.name_en, res.name_zh),
                service_type=svc.code,
                service_type_name=language.pick(svc.name_en, svc.name_zh),
                measure_id=usage.measure_id,
            )
            for usage, res, svc in rows
        ], total

    async def measure_units(self, *, language: Language) -> list[MeasureUnitView]:
        rows = (
            await self.session.execute(
                select(CatalogMeasureUnit).order_by(CatalogMeasureUnit.measure_id)
            )
        ).scalars()
        return [
            MeasureUnitView(
                r.measure_id, language.pick(r.name_en, r.name_zh), r.abbreviation, r.measure_type
            )
            for r in rows
        ]

    async def conversions(self, *, measure_type: int | None) -> list[ConversionView]:
        query = select(CatalogConversion)
        if measure_type is not None:
            query = query.where(CatalogConversion.measure_type == measure_type)
        rows = (
            await self.session.execute(
                query.order_by(CatalogConversion.measure_id, CatalogConversion.ref_measure_id)
            )
        ).scalars()
        return [
            ConversionView(r.measure_id, r.ref_measure_id, r.conversion_ratio, r.measure_type)
            for r in rows
        ]

    async def conversion_table(self) -> ConversionTable:
        rows = (await self.session.execute(select(CatalogConversion))).scalars()
        return ConversionTable((r.measure_id, r.ref_measure_id, r.conversion_ratio) for r in rows)

    async def measure_ids(self) -> set[int]:
        return set((await self.session.execute(select(CatalogMeasureUnit.measure_id))).scalars())

    async def regions(self) -> list[str]:
        return list(
            (
                await self.session.execute(select(CatalogRegion.code).order_by(CatalogRegion.code))
            ).scalars()
        )

    # -- specifications ---------------------------------------------------------------------

    def _spec_query(self) -> Any:
        return (
            select(CatalogSpec, CatalogServiceType, CatalogResourceType)
            .join(CatalogServiceType, CatalogServiceType.code == CatalogSpec.service_type)
            .join(CatalogResourceType, CatalogResourceType.code == CatalogSpec.resource_type)
        )

    @staticmethod
    def _spec_view(
        spec: CatalogSpec, svc: CatalogServiceType, res: CatalogResourceType, language: Language
    ) -> SpecView:
        return SpecView(
            spec_id=spec.id,
            service_type=svc.code,
            service_type_name=language.pick(svc.name_en, svc.name_zh),
            resource_type=res.code,
            resource_type_name=language.pick(res.name_en, res.name_zh),
            spec_code=spec.spec_code,
            spec_name=language.pick(spec.name_en, spec.name_zh),
            size_measure_id=spec.size_measure_id,
            size_min=spec.size_min,
            size_max=spec.size_max,
            size_step=spec.size_step,
            attributes=tuple(
                {**a, "name": language.pick(a.get("name_en", ""), a.get("name_zh", ""))}
                for a in spec.attributes
            ),
        )

    @staticmethod
    def _sold(region: str, as_of: datetime, mode: ChargingMode | None) -> ColumnElement[bool]:
        conditions = [
            CatalogPrice.spec_id == CatalogSpec.id,
            CatalogPrice.region == region,
            in_force(as_of),
        ]
        if mode is not None:
            conditions.append(CatalogPrice.charging_mode == mode.value)
        return exists(select(CatalogPrice.id).where(*conditions))

    async def _page(
        self, query: Any, marker: str | None, limit: int, language: Language
    ) -> SpecPage:
        if marker is not None:
            query = query.where(CatalogSpec.id >= marker)
        rows = (await self.session.execute(query.order_by(CatalogSpec.id).limit(limit + 1))).all()
        specs = [self._spec_view(spec, svc, res, language) for spec, svc, res in rows[:limit]]
        next_marker = rows[limit][0].id if len(rows) > limit else None
        return SpecPage(specs, next_marker)

    async def specs(
        self,
        *,
        service_type: str,
        resource_type: str,
        region: str,
        mode: ChargingMode,
        resource_spec: str | None,
        marker: str | None,
        limit: int,
        language: Language,
        as_of: datetime,
    ) -> SpecPage:
        """Specifications of a resource type on sale in a region with a charging mode at
        ``as_of``; marker paging in catalogue order (the marker is the next page's first spec)."""
        query = self._spec_query().where(
            CatalogSpec.service_type == service_type,
            CatalogSpec.resource_type == resource_type,
            self._sold(region, as_of, mode),
        )
        if resource_spec is not None:
            query = query.where(CatalogSpec.spec_code == resource_spec)
        return await self._page(query, check_marker(marker), limit, language)

    async def spec_prices(
        self, q: SpecPriceQuery, *, language: Language, as_of: datetime
    ) -> tuple[SpecPage, dict[str, list[PriceView]]]:
        """Specifications on sale in a region, and the list prices in force of each."""
        query = self._spec_query().where(self._sold(q.region, as_of, q.charging_mode))
        if q.service_type is not None:
            query = query.where(CatalogSpec.service_type == q.service_type)
        if q.resource_type is not None:
            query = query.where(CatalogSpec.resource_type == q.resource_type)
        if q.resource_spec is not None:
            query = query.where(CatalogSpec.spec_code == q.resource_spec)
        page = await self._page(query, check_marker(q.marker), q.limit, language)
        prices: dict[str, list[PriceView]] = {s.spec_id: [] for s in page.specs}
        if page.specs:
            conditions = [
                CatalogPrice.spec_id.in_(list(prices)),
                CatalogPrice.region == q.region,
                in_force(as_of),
            ]
            if q.charging_mode is not None:
                conditions.append(CatalogPrice.charging_mode == q.charging_mode.value)
            for spec_id, view in await self._price_views(conditions):
                prices[spec_id].append(view)
        return page, prices

    async def _price_views(self, conditions: list[Any]) -> list[tuple[str, PriceView]]:
        rows = list(
            (
                await self.session.execute(
                    select(CatalogPrice)
                    .where(*conditions)
                    .order_by(
                        CatalogPrice.spec_id,
                        CatalogPrice.charging_mode.desc(),
                        CatalogPrice.period_type,
                        CatalogPrice.usage_factor,
                    )
                )
            ).scalars()
        )
        bands: dict[str, list[CatalogPriceTier]] = {}
        if rows:
            for tier in (
                await self.session.execute(
                    select(CatalogPriceTier)
                    .where(CatalogPriceTier.price_id.in_([r.id for r in rows]))
                    .order_by(CatalogPriceTier.price_id, CatalogPriceTier.position)
                )
            ).scalars():
                bands.setdefault(tier.price_id, []).append(tier)
        return [
            (
                row.spec_id,
                PriceView(
                    offering_id=row.offering_id,
                    charging_mode=ChargingMode(row.charging_mode),
                    period_type=None if row.period_type is None else PeriodType(row.period_type),
                    period_nums=tuple(row.period_nums or ()),
                    usage_factor=row.usage_factor,
                    usage_measure_id=row.usage_measure_id,
                    currency=row.currency,
                    schedule=TierSchedule(
                        tuple(Tier(t.up_to, t.unit_price) for t in bands.get(row.id, []))
                    ),
                    effective_from=row.effective_from,
                    effective_to=row.effective_to,
                ),
            )
            for row in rows
        ]

    # -- prices of one product --------------------------------------------------------------

    async def spec(self, key: ProductKey, *, language: Language = Language.EN) -> SpecView:
        """The specification named by ``key`` (``CBC.99006006`` if there is none)."""
        row = (
            await self.session.execute(
                self._spec_query().where(
                    CatalogSpec.service_type == key.service_type,
                    CatalogSpec.resource_type == key.resource_type,
                    CatalogSpec.spec_code == key.resource_spec,
                )
            )
        ).one_or_none()
        if row is None:
            raise _not_found(key, "no such service type, resource type and specification")
        spec, svc, res = row
        return self._spec_view(spec, svc, res, language)

    async def on_demand_price(
        self, key: ProductKey, usage_factor: str, *, as_of: datetime
    ) -> tuple[SpecView, PriceView]:
        """The pay-per-use price of ``key`` for ``usage_factor`` in force at ``as_of``."""
        spec = await self.spec(key)
        found = await self._price_views(
            [
                CatalogPrice.spec_id == spec.spec_id,
                CatalogPrice.region == key.region,
                CatalogPrice.charging_mode == ChargingMode.ON_DEMAND.value,
                CatalogPrice.usage_factor == usage_factor,
                in_force(as_of),
            ]
        )
        if not found:
            raise _not_found(
                key, f"no pay-per-use price for usage factor {usage_factor!r} in {key.region}"
            )
        return spec, found[0][1]

    async def period_offer(
        self, key: ProductKey, period_type: PeriodType, *, as_of: datetime
    ) -> tuple[SpecView, PriceView]:
        """The yearly/monthly price of ``key`` per ``period_type`` in force at ``as_of``."""
        spec = await self.spec(key)
        found = await self._price_views(
            [
                CatalogPrice.spec_id == spec.spec_id,
                CatalogPrice.region == key.region,
                CatalogPrice.charging_mode == ChargingMode.PERIOD.value,
                CatalogPrice.period_type == period_type.value,
                in_force(as_of),
            ]
        )
        if not found:
            raise _not_found(key, f"not sold by the {period_type.name.lower()} in {key.region}")
        return spec, found[0][1]

    async def period_price(
        self,
        key: ProductKey,
        period_type: PeriodType,
        period_num: int,
        quantity: int,
        *,
        as_of: datetime,
        size: int | None = None,
        size_measure_id: int | None = None,
    ) -> PeriodQuote:
        """List price of ``quantity`` resources of ``key`` for ``period_num`` periods, with the
        price in force at ``as_of`` — for subscriptions, renewals and their inquiries.

        Linear products need ``size`` (in ``size_measure_id``, or the spec's own measure)."""
        spec, offer = await self.period_offer(key, period_type, as_of=as_of)
        if period_num not in offer.period_nums:
            allowed = ", ".join(str(n) for n in offer.period_nums)
            raise invalid("period_num", f"{key.resource_spec} is sold for {allowed} period(s).")
        if quantity < 1:
            raise invalid("subscription_num", "Must be at least 1.")
        sized = await self.size_in_spec_unit(spec, size, size_measure_id)
        exact = period_cost(
            offer.schedule, period_num=period_num, subscription_num=quantity, size=sized
        )
        return PeriodQuote(offer.offering_id, exact, period_amount_in_cents(exact), offer.currency)

    async def size_in_spec_unit(
        self, spec: SpecView, size: int | None, size_measure_id: int | None
    ) -> Fraction | None:
        """A linear product's size in the spec's own measure, checked against its range;
        None for other products (their size, if given, does not change the price)."""
        if not spec.linear:
            return None
        assert spec.size_measure_id is not None
        if size is None or size_measure_id is None:
            raise invalid(
                "resource_size",
                f"{spec.spec_code} is a linear product: give resource_size and size_measure_id.",
            )
        factor = (await self.conversion_table()).factor(size_measure_id, spec.size_measure_id)
        if factor is None:
            raise invalid("size_measure_id", f"Use {spec.size_measure_id} for {spec.spec_code}.")
        value = Fraction(size) * factor
        low, high, step = spec.size_min or 1, spec.size_max or 1, spec.size_step or 1
        if value < low or value > high or (value - low) % step != 0:
            raise invalid(
                "resource_size",
                f"{spec.spec_code} is sold from {low} to {high} in steps of {step} "
                f"(measure {spec.size_measure_id}).",
            )
        return value


def _not_found(key: ProductKey, why: str) -> Exception:
    return catalog_error(
        CatalogErrorCode.PRODUCT_NOT_FOUND,
        f"The product to be priced was not found ({key.service_type}, {key.resource_type}, "
        f"{key.resource_spec}, {key.region}): {why}.",
    )
