"""Jobs of the catalog domain: the expiry notice of a partner discount (rules.md §7.18)."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from partner_center.domains.catalog.grants import DISCOUNT_EXPIRED_JOB, PartnerDiscounts
from partner_center.kernel.jobs import JobContext, JobRegistry


class CatalogJobServices(Protocol):
    """The services these jobs take from their unit of work's container."""

    @property
    def partner_discounts(self) -> PartnerDiscounts: ...


_S = TypeVar("_S", bound=CatalogJobServices)


async def discount_expired(ctx: JobContext[CatalogJobServices], payload: dict[str, Any]) -> None:
    """E-mail partner and customer that a discount has expired."""
    await ctx.services.partner_discounts.notify_expired(str(payload["discount_id"]))


def register(registry: JobRegistry[_S]) -> None:
    """Register this domain's one-off jobs."""
    registry.register(DISCOUNT_EXPIRED_JOB, discount_expired)
