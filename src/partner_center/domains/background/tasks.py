"""The job that advances background work one step."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from partner_center.domains.background.service import STEP, BackgroundWorkService
from partner_center.kernel.jobs import JobContext, JobRegistry


class BackgroundJobServices(Protocol):
    @property
    def background(self) -> BackgroundWorkService: ...


_S = TypeVar("_S", bound=BackgroundJobServices)


async def step(ctx: JobContext[BackgroundJobServices], payload: dict[str, Any]) -> None:
    await ctx.services.background.step(str(payload["work_id"]))


def register(registry: JobRegistry[_S]) -> None:
    registry.register(STEP, step)
