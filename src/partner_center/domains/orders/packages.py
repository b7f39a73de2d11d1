"""Resource packages sold as yearly/monthly products.

A catalogue specification is a resource package when its attributes say what it covers:
``package_resource_type`` (the resource type whose usage it covers), ``package_usage_type``,
``package_amount`` and ``package_measure_id`` (the free quota), optionally
``package_resource_spec`` (only that specification's usage) and ``package_reuse_cycle`` (a
``ReuseCycle``: the quota is restored at the start of each such calendar cycle; without it the
quota is for the whole term). It is ordered, priced, paid, renewed and unsubscribed like any
yearly/monthly product, as a period resource; alongside, the pay-per-use domain holds the free
resource package that the hourly rating deducts from before it prices usage:

* paid → the package is delivered, effective from the payment to the resource's expiry, with
  the package id = the period resource's id (so a replay delivers nothing twice);
* renewed → its expiry follows the resource's new expiry;
* unsubscribed (type 1) → it stops at once (status 4); unsubscribing only the renewals that
  had not started → its expiry goes back to the resource's;
* the resource expires → the package has expired with it (its status is computed from its
  expiry): grace and retention periods give no free quota.

Refunds are the orders domain's, as for any period resource.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from partner_center.domains.catalog.public import CatalogService, Language, ProductKey
from partner_center.domains.usage.public import (
    FreeQuota,
    PackageGrant,
    PackageService,
    QuotaReuseMode,
    ReuseCycle,
)

_UNSET = datetime.min.replace(tzinfo=UTC)


class OrderedPackages:
    """Keeps the free resource package of a period resource in step with it."""

    def __init__(self, *, catalog: CatalogService, packages: PackageService) -> None:
        self.catalog = catalog
        self.packages = packages

    async def grant_of(self, key: ProductKey, *, product_id: str, name: str) -> PackageGrant | None:
        """What a package specification gives (times and ids left to ``deliver``), or None for
        any other specification."""
        spec = await self.catalog.spec(key, language=Language.EN)
        values = {str(a.get("code")): str(a.get("value")) for a in spec.attributes}
        if "package_resource_type" not in values:
            return None
        try:
            amount = Decimal(values["package_amount"])
            measure = int(values["package_measure_id"])
            cycle = (
                ReuseCycle(int(values["package_reuse_cycle"]))
                if values.get("package_reuse_cycle")
                else None
            )
        except (KeyError, ValueError, InvalidOperation) as exc:
            raise ValueError(f"{key.resource_spec}: malformed package attributes") from exc
        return PackageGrant(
            product_name=name,
            service_type_code=key.service_type,
            region_code=key.region,
            quotas=(
                FreeQuota(
                    resource_type_code=values["package_resource_type"],
                    usage_type=values.get("package_usage_type", "Duration"),
                    amount=amount,
                    measure_id=measure,
                    resource_spec_code=values.get("package_resource_spec") or None,
                ),
            ),
            # Set by ``deliver``: the term of the resource bought.
            effective_time=_UNSET,
            expire_time=_UNSET,
            quota_reuse_mode=QuotaReuseMode.RESETTABLE if cycle else QuotaReuseMode.NOT_RESETTABLE,
            quota_reuse_cycle=cycle,
            product_id=product_id,
        )

    async def deliver(
        self,
        grant: PackageGrant,
        *,
        customer_id: str,
        resource_id: str,
        order_id: str,
        effective_time: datetime,
        expire_time: datetime,
    ) -> None:
        """The package bought with ``order_id`` as period resource ``resource_id``."""
        await self.packages.grant(
            customer_id,
            replace(
                grant,
                effective_time=effective_time,
                expire_time=expire_time,
                order_id=order_id,
                package_id=resource_id,
            ),
        )

    async def follow(self, customer_id: str, resource_id: str, expire_time: datetime) -> None:
        """The resource's term changed (renewed, or its unstarted renewals unsubscribed)."""
        await self.packages.set_expiry(customer_id, resource_id, expire_time)

    async def stop(self, customer_id: str, resource_id: str) -> None:
        """The resource was unsubscribed: nothing more is deducted from its package."""
        await self.packages.stop_if_any(customer_id, resource_id)
