"""Moving the sandbox business clock: the one implementation behind ``partner-center clock`` and
``POST /v1/sandbox/clock``. Every job that falls due on the way runs, in time order, before the
call returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.kernel.clock import SandboxClock, WallClock, format_utc
from partner_center.kernel.db import Database, load_sandbox_state, save_sandbox_state
from partner_center.kernel.errors import DomainError
from partner_center.kernel.jobs import JobRegistry, JobStatus, RunRecord, advance_sandbox_clock
from partner_center.kernel.jobs.models import ScheduledJob


@dataclass(frozen=True, slots=True)
class SandboxTime:
    now: datetime
    frozen: bool
    offset_seconds: int


async def sandbox_time(db: Database, wall: WallClock) -> SandboxTime:
    async with db.unit_of_work() as uow:
        state = await load_sandbox_state(uow.session)
    clock = SandboxClock(wall, state)
    frozen = state.frozen_at_us is not None
    return SandboxTime(clock.now(), frozen, 0 if frozen else state.offset_us // 1_000_000)


async def move_sandbox_clock(
    db: Database,
    registry: JobRegistry[Any],
    *,
    zone: ZoneInfo,
    wall: WallClock,
    to: datetime | None = None,
    delta: timedelta | None = None,
    freeze: bool | None = None,
) -> tuple[SandboxTime, list[RunRecord]]:
    """Move forward to ``to`` or by ``delta`` (exactly one), running due jobs; then optionally
    freeze (``True``) or release (``False``) the clock at the target."""
    if (to is None) == (delta is None):
        raise DomainError("CBC.0100", "Invalid parameter: give either a target time or a duration.")
    if delta is not None and delta < timedelta(0):
        raise DomainError("CBC.0100", "Invalid parameter: the clock only moves forward.")
    current = await sandbox_time(db, wall)
    target = to if to is not None else current.now + (delta or timedelta(0))
    if target < current.now:
        raise DomainError(
            "CBC.0100",
            f"The sandbox clock only moves forward: it is {format_utc(current.now)}.",
        )
    records = await advance_sandbox_clock(db, registry, to=target, zone=zone, wall=wall)
    if freeze is not None:
        async with db.unit_of_work() as uow:
            state = await load_sandbox_state(uow.session)
            clock = SandboxClock(wall, state)
            await save_sandbox_state(uow.session, clock.state_for(clock.now(), frozen=freeze))
    return await sandbox_time(db, wall), records


@dataclass(frozen=True, slots=True)
class UpcomingJob:
    name: str
    due_at: datetime
    periodic: bool


async def upcoming_jobs(
    session: AsyncSession,
    registry: JobRegistry[Any],
    *,
    zone: ZoneInfo,
    start: datetime,
    until: datetime,
    limit: int = 200,
) -> list[UpcomingJob]:
    """What moving the clock from ``start`` to ``until`` would run, in time order (at most
    ``limit``): every occurrence of the periodic jobs (a coalescing job once, at its last
    occurrence) and the pending one-off jobs due by then."""
    found: list[UpcomingJob] = []
    for job in registry.periodic_jobs.values():
        due = job.schedule.next_after(start, zone)
        occurrences: list[datetime] = []
        while due <= until and len(occurrences) < limit:
            occurrences.append(due)
            due = job.schedule.next_after(due, zone)
        if job.coalesce and occurrences:
            occurrences = occurrences[-1:]
        found.extend(UpcomingJob(job.name, at, True) for at in occurrences)
    rows = await session.execute(
        select(ScheduledJob.name, ScheduledJob.next_attempt_at)
        .where(ScheduledJob.status == JobStatus.PENDING)
        .where(ScheduledJob.next_attempt_at <= until)
        .order_by(ScheduledJob.next_attempt_at, ScheduledJob.id)
        .limit(limit)
    )
    found.extend(UpcomingJob(name, at, False) for name, at in rows.all())
    found.sort(key=lambda j: (j.due_at, j.name))
    return found[:limit]
