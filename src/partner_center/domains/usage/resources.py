"""On-demand (pay-per-use) resources of customers: creation, closing and the partner's view
(``list_customer_on_demand_resources``, api-semantics.md §3.9)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.catalog.public import CatalogService, Language, ProductKey, SpecView
from partner_center.domains.customers.public import (
    Action,
    AssociationStatus,
    AssociationType,
    CustomerControl,
    CustomerRecord,
    CustomerRecords,
    CustomerService,
    FreezeType,
    PartnerActor,
)
from partner_center.domains.identity.public import Permission
from partner_center.domains.realname.public import RealnameService
from partner_center.domains.usage.arrears import ArrearsService
from partner_center.domains.usage.errors import (
    frozen_for_arrears,
    invalid,
    not_reseller_model,
    not_your_customer,
    resource_exists,
)
from partner_center.domains.usage.models import OnDemandResource, ResourceStatus
from partner_center.kernel.clock import Clock, utc
from partner_center.kernel.errors import DomainError, access_denied
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page, paginate

#: At most this many ``resource_ids`` per query (api-semantics.md §1.5).
MAX_RESOURCE_IDS = 50
_ID_MAX = 64


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    """What to run: a catalogue product (with its size for linear products) in a region."""

    region_code: str
    service_type_code: str
    resource_type_code: str
    resource_spec_code: str
    resource_name: str
    resource_id: str | None = None
    """Chosen by the caller (idempotent creation) or generated."""
    availability_zone_code: str | None = None
    resource_size: int | None = None
    size_measure_id: int | None = None


@dataclass(frozen=True, slots=True)
class ResourceView:
    resource_id: str
    customer_id: str
    partner_id: str
    region_code: str
    availability_zone_code: str | None
    service_type_code: str
    service_type_name: str
    resource_type_code: str
    resource_type_name: str
    resource_spec_code: str
    product_spec_desc: str
    resource_name: str
    resource_size: int | None
    size_measure_id: int | None
    status: ResourceStatus
    effective_time: datetime
    expire_time: datetime | None

    @property
    def resource_info(self) -> str:
        """The reference's JSON string (``{"specSize":40.0}`` for a 40 GB disk)."""
        if self.resource_size is None:
            return "{}"
        return json.dumps({"specSize": float(self.resource_size)}, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class ResourceQuery:
    """Filters of ``list_customer_on_demand_resources``."""

    customer_id: str
    region_code: str | None = None
    service_type_code: str | None = None
    resource_ids: tuple[str, ...] | None = None
    effective_time_begin: datetime | None = None
    effective_time_end: datetime | None = None
    status: int | None = None
    indirect_partner_id: str | None = None


def _text(value: object, field: str, max_length: int = _ID_MAX) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise invalid(field, f"Required, 1 to {max_length} characters.")
    return value


def effective_status(row: OnDemandResource, customer: CustomerRecord | None) -> ResourceStatus:
    """The stored status, or FROZEN while the customer's resources are frozen (rules.md §4.4)."""
    status = ResourceStatus(row.status)
    if (
        status not in (ResourceStatus.CLOSED, ResourceStatus.CLOSING)
        and customer is not None
        and customer.freeze_type == FreezeType.ACCOUNT_AND_RESOURCE
    ):
        return ResourceStatus.FROZEN
    return status


class UsageService:
    """On-demand resources. Flushes, never commits."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        catalog: CatalogService,
        control: CustomerControl,
        customer_records: CustomerRecords,
        realname: RealnameService,
        arrears: ArrearsService,
    ) -> None:
        self.session = session
        self.clock = clock
        self.catalog = catalog
        self.control = control
        self.customer_records = customer_records
        self.realname = realname
        self.arrears = arrears

    async def _view(
        self,
        row: OnDemandResource,
        customer: CustomerRecord | None,
        spec: SpecView | None = None,
        language: Language = Language.EN,
    ) -> ResourceView:
        if spec is None:
            spec = await self.catalog.spec(
                ProductKey(
                    row.service_type_code,
                    row.resource_type_code,
                    row.resource_spec_code,
                    row.region_code,
                ),
                language=language,
            )
        return ResourceView(
            resource_id=row.id,
            customer_id=row.tenant_id,
            partner_id=row.partner_id,
            region_code=row.region_code,
            availability_zone_code=row.availability_zone_code,
            service_type_code=row.service_type_code,
            service_type_name=spec.service_type_name,
            resource_type_code=row.resource_type_code,
            resource_type_name=spec.resource_type_name,
            resource_spec_code=row.resource_spec_code,
            product_spec_desc=spec.spec_name,
            resource_name=row.resource_name,
            resource_size=row.resource_size,
            size_measure_id=row.size_measure_id,
            status=effective_status(row, customer),
            effective_time=row.effective_time,
            expire_time=row.expire_time,
        )

    async def start_on_demand(
        self,
        customer_id: str,
        spec: ResourceSpec,
        *,
        since: datetime | None = None,
        source_id: str | None = None,
    ) -> ResourceView:
        """Start metering a pay-per-use resource for an associated customer.

        Orders and yearly/monthly resources call this when a resource switches to pay-per-use
        at expiry (``source_id`` = the yearly/monthly resource, ``since`` = its expiry); that
        hand-over is not a purchase, so only ``CustomerControl``'s ``USE_ON_DEMAND`` check
        applies. A new resource (no ``source_id``) is a purchase: ``PURCHASE`` must be allowed.

        Idempotent by ``resource_id`` (or ``source_id``): the same resource again returns it.

        Raises:
            DomainError: ``CBC.0100`` bad fields or no pay-per-use price for the product in the
                region; ``CBC.99006006`` unknown product; ``CBC.99000035`` customer not
                associated; ``CBC.99003656`` the customer may not buy (restricted or frozen);
                ``CBC.99007009`` the resource id exists with other attributes;
                ``CBC.99007004`` a Chinese-mainland region for a customer without real-name
                authentication; ``CBC.99005003`` the customer owes pay-per-use arrears.
        """
        region = _text(spec.region_code, "region_code")
        _text(spec.service_type_code, "service_type_code")
        _text(spec.resource_type_code, "resource_type_code")
        _text(spec.resource_spec_code, "resource_spec_code", 128)
        name = _text(spec.resource_name, "resource_name", 128)
        resource_id = _text(spec.resource_id, "resource_id") if spec.resource_id else new_id()
        if source_id is not None:
            _text(source_id, "source_id")
        customer = await self.customer_records.get(customer_id)
        if customer is None or customer.association_status != AssociationStatus.ASSOCIATED:
            raise not_your_customer()
        await self.control.ensure_allowed(
            customer_id, Action.USE_ON_DEMAND if source_id else Action.PURCHASE
        )
        if source_id is None:
            await self.realname.ensure_may_buy_in(customer_id, {region})
            await self.arrears.ensure_not_in_arrears(customer_id)
        existing = await self.session.get(OnDemandResource, resource_id)
        if existing is None and source_id is not None:
            existing = await self.session.scalar(
                select(OnDemandResource).where(OnDemandResource.source_id == source_id)
            )
        key = ProductKey(
            spec.service_type_code, spec.resource_type_code, spec.resource_spec_code, region
        )
        catalog_spec = await self.catalog.spec(key, language=Language.EN)
        if existing is not None:
            same = (
                existing.tenant_id == customer_id
                and (
                    existing.service_type_code,
                    existing.resource_type_code,
                    existing.resource_spec_code,
                    existing.region_code,
                )
                == (key.service_type, key.resource_type, key.resource_spec, key.region)
                and existing.resource_size == spec.resource_size
            )
            if not same:
                raise resource_exists(existing.id)
            return await self._view(existing, customer, catalog_spec)
        now = self.clock.now()
        start = utc(since) if since is not None else now
        usage_types = await self.usage_types_of(spec.resource_type_code)
        priced = False
        for usage_type in usage_types:
            try:
                await self.catalog.on_demand_price(key, usage_type, as_of=start)
            except DomainError:
                continue
            priced = True
        if not priced:
            raise invalid(
                "resource_spec_code",
                f"{spec.resource_spec_code} is not sold pay-per-use in {region}.",
            )
        await self.catalog.size_in_spec_unit(catalog_spec, spec.resource_size, spec.size_measure_id)
        row = OnDemandResource(
            id=resource_id,
            tenant_id=customer_id,
            partner_id=customer.tenant_id,
            distributor_id=customer.distributor_id,
            region_code=region,
            availability_zone_code=spec.availability_zone_code or None,
            service_type_code=spec.service_type_code,
            resource_type_code=spec.resource_type_code,
            resource_spec_code=spec.resource_spec_code,
            resource_name=name,
            resource_size=spec.resource_size if catalog_spec.linear else None,
            size_measure_id=spec.size_measure_id if catalog_spec.linear else None,
            status=ResourceStatus.NORMAL,
            effective_time=start,
            expire_time=None,
            source_id=source_id,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return await self._view(row, customer, catalog_spec)

    async def usage_types_of(self, resource_type: str) -> dict[str, int]:
        """Usage type code → its catalogue measure, for one resource type."""
        views, _ = await self.catalog.usage_types(
            resource_type=resource_type, window=Page(0, 1000), language=Language.EN
        )
        return {view.code: view.measure_id for view in views}

    async def close(self, customer_id: str, resource_id: str) -> ResourceView:
        """Close (release) a resource: metering ends now. Refused while the customer may not
        delete resources (restricted or frozen, rules.md §4.3) and while the resource is frozen
        for arrears (retention period)."""
        row = await self.session.get(OnDemandResource, resource_id, with_for_update=True)
        if row is None or row.tenant_id != customer_id:
            raise invalid("resource_id", f"Resource {resource_id} does not exist.")
        customer = await self.customer_records.get(customer_id)
        if row.status == ResourceStatus.FROZEN:
            raise frozen_for_arrears(resource_id)
        if row.status != ResourceStatus.CLOSED:
            await self.control.ensure_allowed(customer_id, Action.DELETE)
            row.status = ResourceStatus.CLOSED
            row.expire_time = self.clock.now()
            await self.session.flush()
        return await self._view(row, customer)

    async def list_for_partner(
        self,
        actor: PartnerActor,
        query: ResourceQuery,
        window: Page,
        *,
        customers: CustomerService,
        language: Language = Language.EN,
    ) -> tuple[list[ResourceView], int]:
        """``list_customer_on_demand_resources``: one customer's pay-per-use resources, for
        the partner that owns it (a distributor names its reseller in ``indirect_partner_id``).

        Raises:
            DomainError: ``CBC.0151`` the member lacks the resource-view permission;
                ``CBC.0100`` bad filters; ``CBC.99000037`` the named reseller is not the
                distributor's; ``CBC.99000035`` not the partner's customer; ``CBC.5024`` a
                referral-model customer.
        """
        if not actor.caller.has(Permission.VIEW_CUSTOMER_RESOURCES):
            raise access_denied("Access denied: the member may not view customer resources.")
        customer_id = _text(query.customer_id, "customer_id")
        if query.resource_ids is not None:
            if len(query.resource_ids) > MAX_RESOURCE_IDS:
                raise invalid("resource_ids", f"At most {MAX_RESOURCE_IDS} resource ids.")
            for resource_id in query.resource_ids:
                _text(resource_id, "resource_ids")
        if query.status is not None and query.status not in {s.value for s in ResourceStatus}:
            raise invalid("status", "One of 1 to 6.")
        if (
            query.effective_time_begin is not None
            and query.effective_time_end is not None
            and query.effective_time_begin > query.effective_time_end
        ):
            raise invalid("effective_time_end", "Must not be before effective_time_begin.")
        owner = await customers.owner_for(actor, query.indirect_partner_id or None)
        customer = await self.customer_records.get(customer_id)
        if (
            customer is None
            or customer.tenant_id != owner
            or customer.association_status != AssociationStatus.ASSOCIATED
        ):
            raise not_your_customer()
        if customer.association_type != AssociationType.RESELLER:
            raise not_reseller_model()
        stmt = select(OnDemandResource).where(OnDemandResource.tenant_id == customer_id)
        if query.region_code:
            stmt = stmt.where(OnDemandResource.region_code == query.region_code)
        if query.service_type_code:
            stmt = stmt.where(OnDemandResource.service_type_code == query.service_type_code)
        if query.resource_ids:
            stmt = stmt.where(OnDemandResource.id.in_(query.resource_ids))
        if query.effective_time_begin is not None:
            stmt = stmt.where(OnDemandResource.effective_time >= query.effective_time_begin)
        if query.effective_time_end is not None:
            stmt = stmt.where(OnDemandResource.effective_time <= query.effective_time_end)
        frozen = customer.freeze_type == FreezeType.ACCOUNT_AND_RESOURCE
        if query.status is not None:
            wanted = ResourceStatus(query.status)
            live = OnDemandResource.status.notin_(
                [ResourceStatus.CLOSED.value, ResourceStatus.CLOSING.value]
            )
            if wanted == ResourceStatus.FROZEN:
                if not frozen:
                    stmt = stmt.where(OnDemandResource.status == ResourceStatus.FROZEN.value)
                else:
                    stmt = stmt.where(live)
            elif frozen and wanted not in (ResourceStatus.CLOSED, ResourceStatus.CLOSING):
                stmt = stmt.where(OnDemandResource.id.is_(None))
            else:
                stmt = stmt.where(OnDemandResource.status == wanted.value)
        rows, total = await paginate(
            self.session, stmt, window, OnDemandResource.effective_time, OnDemandResource.id
        )
        return await self._views(rows, customer, language), total

    async def _views(
        self, rows: list[OnDemandResource], customer: CustomerRecord | None, language: Language
    ) -> list[ResourceView]:
        """Views of a page of resources, each specification read once (not once a row)."""
        specs: dict[ProductKey, SpecView] = {}
        views = []
        for row in rows:
            key = ProductKey(
                row.service_type_code,
                row.resource_type_code,
                row.resource_spec_code,
                row.region_code,
            )
            if key not in specs:
                specs[key] = await self.catalog.spec(key, language=language)
            views.append(await self._view(row, customer, specs[key], language))
        return views
