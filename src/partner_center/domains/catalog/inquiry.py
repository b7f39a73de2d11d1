"""Inquiries (ratings): what pay-per-use usage or yearly/monthly resources cost a customer at
list price, and what each discount in force would take off (api-semantics.md §3.1).

Rounding (kernel.money's named functions, via :mod:`.rating`):

* pay-per-use: each product's official and discounted amounts are truncated (ROUND_DOWN) to 6
  decimals, or 10 with ``inquiry_precision`` 1; ``discount_amount`` = official − amount; totals
  are exact sums of the product lines;
* yearly/monthly: each product's amounts are rounded to cents (ROUND_HALF_UP); totals are exact
  sums of the lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.catalog.discounts import (
    PRIORITY,
    DiscountService,
    DiscountView,
    applies,
)
from partner_center.domains.catalog.errors import CatalogErrorCode, catalog_error, invalid
from partner_center.domains.catalog.projects import project_id_for
from partner_center.domains.catalog.rating import (
    INQUIRY_PLACES,
    PeriodType,
    discounted,
    inquiry_amount,
    on_demand_cost,
    period_amount_in_cents,
)
from partner_center.domains.catalog.service import CatalogService, ProductKey
from partner_center.kernel.clock import Clock
from partner_center.kernel.money import decimal_places

#: Larger results are refused (``CBC.99006055``): far beyond any real order, and within what
#: the 10⁻⁸ storage scale holds.
MAX_AMOUNT = Decimal("99999999999.99")
MAX_PRODUCTS = 100
#: Bounds on inquiry inputs, so a request cannot make the exact maths arbitrarily large.
MAX_SUBSCRIPTIONS = 1_000_000
MAX_USAGE = Decimal(10) ** 15
MAX_USAGE_PLACES = 10


@dataclass(frozen=True, slots=True)
class OnDemandItem:
    id: str
    key: ProductKey
    usage_factor: str
    usage_value: Decimal
    usage_measure_id: int
    subscription_num: int
    resource_size: int | None = None
    size_measure_id: int | None = None


@dataclass(frozen=True, slots=True)
class PeriodItem:
    id: str
    key: ProductKey
    period_type: int
    period_num: int
    subscription_num: int
    resource_size: int | None = None
    size_measure_id: int | None = None


@dataclass(frozen=True, slots=True)
class AppliedDiscount:
    discount_id: str
    discount_type: int
    name: str
    amount: Decimal
    """What the discount takes off the line."""


@dataclass(frozen=True, slots=True)
class RatedLine:
    id: str
    product_id: str
    official: Decimal
    amount: Decimal
    discounts: tuple[AppliedDiscount, ...] = ()

    @property
    def discount(self) -> Decimal:
        return self.official - self.amount


@dataclass(frozen=True, slots=True)
class OnDemandRating:
    lines: list[RatedLine]
    currency: str

    @property
    def official(self) -> Decimal:
        return sum((line.official for line in self.lines), Decimal(0))

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def discount(self) -> Decimal:
        return self.official - self.amount


@dataclass(frozen=True, slots=True)
class DiscountOption:
    """The subscription priced with one discount (lines outside its scope at list price)."""

    discount_id: str
    discount_type: int
    name: str
    best_offer: bool
    lines: list[RatedLine]

    @property
    def official(self) -> Decimal:
        return sum((line.official for line in self.lines), Decimal(0))

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def discount(self) -> Decimal:
        return self.official - self.amount


@dataclass(frozen=True, slots=True)
class ProjectView:
    project_id: str
    name: str
    """The region's code, as IAM names a region's default project."""


@dataclass(frozen=True, slots=True)
class PeriodRating:
    lines: list[RatedLine]
    """At list price (official = amount)."""
    options: list[DiscountOption]
    currency: str

    @property
    def official(self) -> Decimal:
        return sum((line.official for line in self.lines), Decimal(0))


def _check_items(ids: Sequence[str]) -> None:
    if not ids:
        raise invalid("product_infos", "Give at least one product.")
    if len(ids) > MAX_PRODUCTS:
        raise invalid("product_infos", f"At most {MAX_PRODUCTS} products per inquiry.")
    seen: set[str] = set()
    for value in ids:
        if not value or len(value) > 64:
            raise invalid("product_infos.id", "Give each product an id of 1 to 64 characters.")
        if value in seen:
            raise invalid("product_infos.id", f"Duplicate id {value!r}: ids must be unique.")
        seen.add(value)


def _check_subscriptions(item_id: str, count: int) -> None:
    if not 1 <= count <= MAX_SUBSCRIPTIONS:
        raise invalid("subscription_num", f"Product {item_id!r}: from 1 to {MAX_SUBSCRIPTIONS}.")


def _check_amount(value: Decimal, item_id: str) -> None:
    if value > MAX_AMOUNT:
        raise catalog_error(
            CatalogErrorCode.AMOUNT_TOO_LARGE,
            f"The price of product {item_id!r} exceeds the maximum amount {MAX_AMOUNT}.",
        )


def _best(
    candidates: Sequence[tuple[DiscountView, Decimal]],
) -> tuple[DiscountView, Decimal] | None:
    """The discount that saves most; ties go to business, then distributor, then partner."""
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda pair: (pair[1], -PRIORITY.index(pair[0].discount_type), pair[0].discount_id),
    )


class InquiryService:
    """Ratings for a customer (the token owner), at the business time or ``as_of``."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        catalog: CatalogService,
        discounts: DiscountService,
    ) -> None:
        self.session = session
        self.clock = clock
        self.catalog = catalog
        self.discounts = discounts

    async def projects(self, account_id: str) -> list[ProjectView]:
        """The account's projects: one per catalogue region, named after it (``projects.py``)."""
        return [
            ProjectView(project_id=project_id_for(account_id, region), name=region)
            for region in await self.catalog.regions()
        ]

    async def require_project(self, account_id: str, project_id: str) -> str:
        """The region of ``account_id``'s project ``project_id`` (``CBC.99006073`` if the
        account has no such project)."""
        for region in await self.catalog.regions():
            if project_id_for(account_id, region) == project_id:
                return region
        raise catalog_error(
            CatalogErrorCode.PROJECT_NOT_FOUND,
            f"The project {project_id!r} does not exist or does not belong to the caller.",
        )

    async def rate_on_demand(
        self,
        customer_id: str,
        items: Sequence[OnDemandItem],
        *,
        inquiry_precision: int = 0,
        as_of: datetime | None = None,
    ) -> OnDemandRating:
        """Price pay-per-use usage; each line carries the best discount in force, if any."""
        if inquiry_precision not in INQUIRY_PLACES:
            raise invalid("inquiry_precision", "Use 0 (6 decimals) or 1 (10 decimals).")
        places = INQUIRY_PLACES[inquiry_precision]
        _check_items([item.id for item in items])
        when = as_of or self.clock.now()
        conversions = await self.catalog.conversion_table()
        measures = await self.catalog.measure_ids()
        discounts = await self.discounts.in_force(customer_id, when)
        barred = await self.catalog.discounts_barred(when) if discounts else set()
        lines: list[RatedLine] = []
        currency = ""
        for item in items:
            _check_subscriptions(item.id, item.subscription_num)
            if (
                not item.usage_value.is_finite()
                or not 0 <= item.usage_value < MAX_USAGE
                or decimal_places(item.usage_value) > MAX_USAGE_PLACES
            ):
                raise invalid(
                    "usage_value",
                    f"Product {item.id!r}: from 0 to below {MAX_USAGE}, at most "
                    f"{MAX_USAGE_PLACES} decimals.",
                )
            spec, price = await self.catalog.on_demand_price(
                item.key, item.usage_factor, as_of=when
            )
            assert price.usage_measure_id is not None
            factor = (
                conversions.factor(item.usage_measure_id, price.usage_measure_id)
                if item.usage_measure_id in measures
                else None
            )
            if factor is None:
                raise catalog_error(
                    CatalogErrorCode.WRONG_USAGE_MEASURE,
                    f"Product {item.id!r}: usage_measure_id {item.usage_measure_id} does not "
                    f"measure {item.usage_factor}; use {price.usage_measure_id} or a unit that "
                    "converts to it.",
                )
            size = await self.catalog.size_in_spec_unit(
                spec, item.resource_size, item.size_measure_id
            )
            exact = on_demand_cost(
                price.schedule,
                usage=Fraction(item.usage_value) * factor,
                subscription_num=item.subscription_num,
                size=size,
            )
            official = inquiry_amount(exact, places)
            _check_amount(official, item.id)
            best = _best(
                [
                    (d, official - inquiry_amount(discounted(exact, d.percent_off), places))
                    for d in discounts
                    if applies(d, item.key.service_type, barred)
                ]
            )
            applied: tuple[AppliedDiscount, ...] = ()
            amount = official
            if best is not None and best[1] > 0:
                chosen, saving = best
                amount = official - saving
                applied = (
                    AppliedDiscount(
                        chosen.discount_id, chosen.discount_type.value, chosen.name, saving
                    ),
                )
            lines.append(RatedLine(item.id, price.offering_id, official, amount, applied))
            currency = price.currency
        return OnDemandRating(lines, currency)

    async def rate_period(
        self, customer_id: str, items: Sequence[PeriodItem], *, as_of: datetime | None = None
    ) -> PeriodRating:
        """Price a yearly/monthly subscription at list price, and once per discount in force
        (the best one flagged)."""
        _check_items([item.id for item in items])
        when = as_of or self.clock.now()
        exact_lines: list[tuple[PeriodItem, str, Fraction]] = []
        currency = ""
        for item in items:
            try:
                period_type = PeriodType(item.period_type)
            except ValueError:
                raise invalid(
                    "period_type",
                    f"Product {item.id!r}: use 0 (day), 2 (month), 3 (year) or 4 (hour).",
                ) from None
            if item.period_num < 1:
                raise invalid("period_num", f"Product {item.id!r}: must be at least 1.")
            _check_subscriptions(item.id, item.subscription_num)
            quote = await self.catalog.period_price(
                item.key,
                period_type,
                item.period_num,
                item.subscription_num,
                as_of=when,
                size=item.resource_size,
                size_measure_id=item.size_measure_id,
            )
            _check_amount(quote.amount, item.id)
            exact_lines.append((item, quote.offering_id, quote.exact))
            currency = quote.currency
        lines = [
            RatedLine(
                item.id, offering, period_amount_in_cents(exact), period_amount_in_cents(exact)
            )
            for item, offering, exact in exact_lines
        ]
        options: list[DiscountOption] = []
        in_force = await self.discounts.in_force(customer_id, when)
        barred = await self.catalog.discounts_barred(when) if in_force else set()
        for discount in in_force:
            priced = []
            for item, offering, exact in exact_lines:
                official = period_amount_in_cents(exact)
                amount = (
                    period_amount_in_cents(discounted(exact, discount.percent_off))
                    if applies(discount, item.key.service_type, barred)
                    else official
                )
                priced.append(RatedLine(item.id, offering, official, amount))
            if any(line.discount > 0 for line in priced):
                options.append(
                    DiscountOption(
                        discount.discount_id,
                        discount.discount_type.value,
                        discount.name,
                        False,
                        priced,
                    )
                )
        if options:
            winner = max(
                options,
                key=lambda o: (o.discount, -PRIORITY.index(o.discount_type), o.discount_id),
            )
            options = [
                DiscountOption(o.discount_id, o.discount_type, o.name, o is winner, o.lines)
                for o in options
            ]
        return PeriodRating(lines, options, currency)
