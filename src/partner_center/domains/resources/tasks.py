"""Lifecycle jobs of yearly/monthly resources: expiry, end of grace, end of retention."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from partner_center.domains.resources.service import (
    EXPIRE_JOB,
    RELEASE_JOB,
    RETAIN_JOB,
    ResourceService,
)
from partner_center.kernel.jobs import JobContext, JobRegistry


class ResourceJobServices(Protocol):
    """The services these jobs take from their unit of work's container."""

    @property
    def resources(self) -> ResourceService: ...


_S = TypeVar("_S", bound=ResourceJobServices)


async def expire(ctx: JobContext[ResourceJobServices], payload: dict[str, Any]) -> None:
    await ctx.services.resources.on_expiry(str(payload["resource_ref"]), int(payload["expire"]))


async def end_grace(ctx: JobContext[ResourceJobServices], payload: dict[str, Any]) -> None:
    await ctx.services.resources.on_grace_end(str(payload["resource_ref"]), int(payload["expire"]))


async def release(ctx: JobContext[ResourceJobServices], payload: dict[str, Any]) -> None:
    await ctx.services.resources.on_retention_end(
        str(payload["resource_ref"]), int(payload["expire"])
    )


def register(registry: JobRegistry[_S]) -> None:
    """Register this domain's one-off jobs."""
    registry.register(EXPIRE_JOB, expire)
    registry.register(RETAIN_JOB, end_grace)
    registry.register(RELEASE_JOB, release)
