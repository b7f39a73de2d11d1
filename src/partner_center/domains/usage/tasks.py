"""Scheduled jobs of the pay-per-use domain."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from partner_center.domains.usage.arrears import ArrearsService
from partner_center.domains.usage.handoffs import HandoffTakeover
from partner_center.domains.usage.rating import UsageRating
from partner_center.kernel.jobs import Hourly, JobContext, JobRegistry

#: Takes over the resources switched to pay-per-use, at the top of every hour before the
#: rating (``register`` declares that order), so their usage is metered from the switch time.
TAKE_OVER_HANDOFFS = "usage.accept_handoffs"
#: Settles, freezes and releases arrears cases at the top of every hour, before the rating, so
#: usage from the end of a grace period on is not metered.
ENFORCE_ARREARS = "usage.enforce_arrears"
#: Rates the usage of the hours that ended, at the top of every hour.
RATE_HOURLY = "usage.rate_hourly"


class UsageJobServices(Protocol):
    """The services these jobs take from their unit of work's container (fees are charged in
    the site currency the container's rating is configured with)."""

    @property
    def usage_handoffs(self) -> HandoffTakeover: ...

    @property
    def usage_rating(self) -> UsageRating: ...

    @property
    def usage_arrears(self) -> ArrearsService: ...


_S = TypeVar("_S", bound=UsageJobServices)


async def accept_handoffs(ctx: JobContext[UsageJobServices], _payload: dict[str, Any]) -> None:
    """Start metering the resources handed over since the last run."""
    await ctx.services.usage_handoffs.take_over()


async def enforce_arrears(ctx: JobContext[UsageJobServices], _payload: dict[str, Any]) -> None:
    """Move every open arrears case on to where ``as_of`` puts it."""
    await ctx.services.usage_arrears.enforce(ctx.as_of)


async def rate_hourly(ctx: JobContext[UsageJobServices], _payload: dict[str, Any]) -> None:
    """Rate every pending record of the hours ended by the occurrence (``as_of``)."""
    await ctx.services.usage_rating.rate_due(ctx.as_of)


def register(registry: JobRegistry[_S]) -> None:
    """Register this domain's periodic jobs: the hand-overs first, then the arrears cases,
    then the rating, so at the top of an hour a resource switched to pay-per-use is metered
    before its hour is rated, and a resource frozen for arrears is not.

    All three handle everything pending up to their run time, so they coalesce: moving the sandbox
    clock a year runs them between the other due work, not 8,760 times each.
    """
    registry.register_periodic(TAKE_OVER_HANDOFFS, Hourly(minute=0), accept_handoffs, coalesce=True)
    registry.register_periodic(ENFORCE_ARREARS, Hourly(minute=0), enforce_arrears, coalesce=True)
    registry.register_periodic(RATE_HOURLY, Hourly(minute=0), rate_hourly, coalesce=True)
