"""Scheduled jobs of the pay-per-use domain."""

from __future__ import annotations

from typing import Any

from partner_center.domains.usage.handoffs import take_over_handoffs
from partner_center.domains.usage.rating import UsageRating
from partner_center.kernel.jobs import Hourly, JobContext, JobFunc, JobRegistry

#: Takes over the resources switched to pay-per-use. Registered under a name that sorts before
#: the rating's, so at the top of an hour it runs first (same instant: by name).
TAKE_OVER_HANDOFFS = "usage.accept_handoffs"
#: Rates the usage of the hours that ended, at the top of every hour.
RATE_HOURLY = "usage.rate_hourly"


async def accept_handoffs(ctx: JobContext, _payload: dict[str, Any]) -> None:
    """Start metering the resources handed over since the last run."""
    await take_over_handoffs(ctx.session, clock=ctx.clock, zone=ctx.zone)


def rating_job(currency: str) -> JobFunc:
    async def rate_hourly(ctx: JobContext, _payload: dict[str, Any]) -> None:
        """Rate every pending record of the hours ended by the occurrence (``as_of``)."""
        rating = UsageRating(ctx.session, clock=ctx.clock, zone=ctx.zone, currency=currency)
        await rating.rate_due(ctx.as_of)

    return rate_hourly


def register(registry: JobRegistry, *, currency: str) -> None:
    """Register this domain's periodic jobs (fees are charged in the site ``currency``).

    Both handle everything pending up to their run time, so they coalesce: moving the sandbox
    clock a year runs them between the other due work, not 8,760 times each.
    """
    registry.register_periodic(TAKE_OVER_HANDOFFS, Hourly(minute=0), accept_handoffs, coalesce=True)
    registry.register_periodic(RATE_HOURLY, Hourly(minute=0), rating_job(currency), coalesce=True)
