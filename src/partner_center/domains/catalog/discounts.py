"""Discounts on a customer's list prices, and who may grant them (rules.md §7.16–7.19).

* 605 business (contract) discount: granted by the operator.
* 606 distributor-granted discount: a distributor, for a customer of one of its resellers.
* 607 partner-set discount: a partner, for its own customer.

None of them applies to a reseller-model customer: the partner bills that customer itself and
partner discounts are forbidden for it (rules.md §7.16), so granting one is refused and a
discount granted before a customer became reseller-model is ignored by ratings. A discount is a
percentage off the list price for every product or for one service type, in force in a window;
revoking closes the window (history stays).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.catalog.errors import CatalogErrorCode, catalog_error, invalid
from partner_center.domains.catalog.models import CatalogDiscount, CatalogServiceType
from partner_center.domains.customers.public import (
    AssociationStatus,
    AssociationType,
    CustomerRecord,
    CustomerRecords,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.money import decimal_places


class DiscountType(enum.IntEnum):
    BUSINESS = 605
    DISTRIBUTOR_GRANTED = 606
    PARTNER_SET = 607


#: When two discounts save the same amount, the first in this order is the best offer.
PRIORITY = (DiscountType.BUSINESS, DiscountType.DISTRIBUTOR_GRANTED, DiscountType.PARTNER_SET)


@dataclass(frozen=True, slots=True)
class DiscountView:
    discount_id: str
    discount_type: DiscountType
    customer_id: str
    granted_by: str
    name: str
    service_type: str | None
    percent_off: Decimal
    effective_from: datetime
    effective_to: datetime | None

    def covers(self, service_type: str) -> bool:
        return self.service_type is None or self.service_type == service_type


def applies(discount: DiscountView, service_type: str, barred: set[str]) -> bool:
    """Whether ``discount`` takes money off a product of ``service_type``: it covers the
    service type, and is the operator's business discount or the service type's policy lets
    partner-granted discounts apply (``barred``: ``CatalogService.discounts_barred``)."""
    return discount.covers(service_type) and (
        discount.discount_type == DiscountType.BUSINESS or service_type not in barred
    )


def discount_view(row: CatalogDiscount) -> DiscountView:
    return DiscountView(
        discount_id=row.id,
        discount_type=DiscountType(row.discount_type),
        customer_id=row.tenant_id,
        granted_by=row.granted_by,
        name=row.name,
        service_type=row.service_type,
        percent_off=row.percent_off,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
    )


def takes_discounts(customer: CustomerRecord | None) -> bool:
    """Whether list-price discounts may apply to the customer (never to reseller-model ones)."""
    return not (
        customer is not None
        and customer.association_status == AssociationStatus.ASSOCIATED
        and customer.association_type == AssociationType.RESELLER
    )


class DiscountService:
    """Grants, revokes and finds discounts."""

    def __init__(
        self, session: AsyncSession, *, clock: Clock, customer_records: CustomerRecords
    ) -> None:
        self.session = session
        self.clock = clock
        self.customer_records = customer_records

    async def grant_business_discount(
        self,
        *,
        operator_id: str,
        customer_id: str,
        percent_off: Decimal,
        name: str,
        service_type: str | None = None,
        effective_from: datetime | None = None,
        effective_to: datetime | None = None,
    ) -> DiscountView:
        """The operator grants a business (contract) discount, type 605."""
        customer = await self._customer(customer_id)
        if customer is None:
            raise catalog_error(
                CatalogErrorCode.NOT_YOUR_CUSTOMER, f"No associated customer {customer_id}."
            )
        return await self._grant(
            DiscountType.BUSINESS,
            customer,
            operator_id,
            percent_off,
            name,
            service_type,
            effective_from,
            effective_to,
        )

    async def grant_partner_discount(
        self,
        *,
        partner_id: str,
        customer_id: str,
        percent_off: Decimal,
        name: str,
        service_type: str | None = None,
        effective_from: datetime | None = None,
        effective_to: datetime | None = None,
    ) -> DiscountView:
        """A partner sets a discount for its own customer (607), or a distributor grants one to
        a customer of its reseller (606). ``CBC.99000035`` for anyone else's customer."""
        customer = await self._customer(customer_id)
        if customer is not None and customer.tenant_id == partner_id:
            kind = DiscountType.PARTNER_SET
        elif customer is not None and customer.distributor_id == partner_id:
            kind = DiscountType.DISTRIBUTOR_GRANTED
        else:
            raise catalog_error(
                CatalogErrorCode.NOT_YOUR_CUSTOMER,
                "The customer is not a sub-customer of this partner.",
            )
        return await self._grant(
            kind,
            customer,
            partner_id,
            percent_off,
            name,
            service_type,
            effective_from,
            effective_to,
        )

    async def _grant(
        self,
        kind: DiscountType,
        customer: CustomerRecord,
        granted_by: str,
        percent_off: Decimal,
        name: str,
        service_type: str | None,
        effective_from: datetime | None,
        effective_to: datetime | None,
    ) -> DiscountView:
        if not takes_discounts(customer):
            raise catalog_error(
                CatalogErrorCode.DISCOUNT_NOT_ALLOWED,
                "Discounts are not allowed for reseller-model customers: the partner bills them "
                "itself.",
            )
        if not Decimal(0) < percent_off < Decimal(100) or decimal_places(percent_off) > 2:
            raise invalid("percent_off", "Give a percentage above 0 and below 100, 2 decimals.")
        if not name.strip() or len(name) > 128:
            raise invalid("name", "Give a name of 1 to 128 characters.")
        if service_type is not None and (
            await self.session.get(CatalogServiceType, service_type) is None
        ):
            raise invalid("service_type", f"Unknown service type {service_type!r}.")
        now = self.clock.now()
        start = effective_from or now
        if effective_to is not None and effective_to <= start:
            raise invalid("effective_to", "Must be after effective_from.")
        row = CatalogDiscount(
            tenant_id=customer.account_id,
            discount_type=kind.value,
            granted_by=granted_by,
            name=name.strip(),
            service_type=service_type,
            percent_off=percent_off,
            effective_from=start,
            effective_to=effective_to,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return discount_view(row)

    async def revoke(self, discount_id: str, *, by: str) -> DiscountView:
        """End a discount now (only its grantor may). Ratings of earlier instants keep it."""
        row = await self.session.get(CatalogDiscount, discount_id, with_for_update=True)
        if row is None or row.granted_by != by:
            raise catalog_error(
                CatalogErrorCode.DISCOUNT_NOT_FOUND, f"No discount {discount_id} granted by you."
            )
        now = self.clock.now()
        if row.effective_to is None or row.effective_to > now:
            row.effective_to = max(now, row.effective_from)
            row.revoked_at = now
            await self.session.flush()
        return discount_view(row)

    async def in_force(self, customer_id: str, as_of: datetime) -> list[DiscountView]:
        """The customer's discounts in force at ``as_of`` (none for reseller-model customers)."""
        if not takes_discounts(await self._customer(customer_id)):
            return []
        rows = (
            await self.session.execute(
                select(CatalogDiscount)
                .where(
                    CatalogDiscount.tenant_id == customer_id,
                    CatalogDiscount.effective_from <= as_of,
                    or_(
                        CatalogDiscount.effective_to.is_(None),
                        CatalogDiscount.effective_to > as_of,
                    ),
                )
                .order_by(CatalogDiscount.discount_type, CatalogDiscount.id)
            )
        ).scalars()
        return [discount_view(r) for r in rows]

    async def _customer(self, customer_id: str) -> CustomerRecord | None:
        row = await self.customer_records.get(customer_id)
        if row is None or row.association_status != AssociationStatus.ASSOCIATED:
            return None
        return row
