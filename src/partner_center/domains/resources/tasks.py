"""Lifecycle jobs of yearly/monthly resources: expiry, end of grace, end of retention."""

from __future__ import annotations

from typing import Any

from partner_center.domains.resources.service import (
    EXPIRE_JOB,
    RELEASE_JOB,
    RETAIN_JOB,
    ResourceService,
)
from partner_center.kernel.jobs import JobContext, JobRegistry


def _service(ctx: JobContext) -> ResourceService:
    return ResourceService(ctx.session, clock=ctx.clock, zone=ctx.zone)


async def expire(ctx: JobContext, payload: dict[str, Any]) -> None:
    await _service(ctx).on_expiry(str(payload["resource_ref"]), int(payload["expire"]))


async def end_grace(ctx: JobContext, payload: dict[str, Any]) -> None:
    await _service(ctx).on_grace_end(str(payload["resource_ref"]), int(payload["expire"]))


async def release(ctx: JobContext, payload: dict[str, Any]) -> None:
    await _service(ctx).on_retention_end(str(payload["resource_ref"]), int(payload["expire"]))


def register(registry: JobRegistry) -> None:
    """Register this domain's one-off jobs."""
    registry.register(EXPIRE_JOB, expire)
    registry.register(RETAIN_JOB, end_grace)
    registry.register(RELEASE_JOB, release)
