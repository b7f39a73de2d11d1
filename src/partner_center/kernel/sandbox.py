"""Moving the sandbox business clock: the one implementation behind ``partner-center clock`` and
``POST /v1/sandbox/clock``. Every job that falls due on the way runs, in time order, before the
call returns."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.kernel.clock import SandboxClock, WallClock, format_utc
from partner_center.kernel.db import Database, load_sandbox_state, save_sandbox_state
from partner_center.kernel.errors import DomainError
from partner_center.kernel.jobs import (
    JobRegistry,
    JobStatus,
    PeriodicJob,
    RunRecord,
    advance_sandbox_clock,
)
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
    covers: int = 1
    """How many occurrences this run stands for (a coalescing job: those since the last run)."""
    since: datetime | None = None
    """A coalescing run's first occurrence (None when it stands for one)."""


#: Bound on the occurrences of one coalescing job a list walks (the runner's own bound).
_COALESCE_WALK = 600_000


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
    ``limit``): every occurrence of the periodic jobs and the registered one-off jobs pending by
    then.
    A coalescing job runs as the runner runs it (``jobs/run.py``): once for all its occurrences
    before the next other job due, at the last of them, and once more for those after it; so
    it is listed at each of those occurrences, with how many occurrences each run stands for.
    (Jobs that the runs themselves schedule are not known yet.)"""
    # In the runner's order: by time; at one instant the periodic jobs first, in their
    # registration order, then the one-off jobs by name.
    listed: list[tuple[tuple[datetime, int, int, str], UpcomingJob]] = []
    coalescing: list[tuple[PeriodicJob[Any], list[datetime]]] = []
    for job in registry.periodic_jobs.values():
        bound = _COALESCE_WALK if job.coalesce else limit
        due = job.schedule.next_after(start, zone)
        occurrences: list[datetime] = []
        while due <= until and len(occurrences) < bound:
            occurrences.append(due)
            due = job.schedule.next_after(due, zone)
        if job.coalesce:
            coalescing.append((job, occurrences))
        else:
            listed.extend(
                ((at, 0, job.rank, job.name), UpcomingJob(job.name, at, True)) for at in occurrences
            )
    rows = await session.execute(
        select(ScheduledJob.name, ScheduledJob.next_attempt_at)
        .where(ScheduledJob.status == JobStatus.PENDING)
        .where(ScheduledJob.name.in_(sorted(registry.one_off_names)))
        .where(ScheduledJob.next_attempt_at <= until)
        .order_by(ScheduledJob.next_attempt_at, ScheduledJob.id)
        .limit(limit)
    )
    listed.extend(((at, 1, 0, name), UpcomingJob(name, at, False)) for name, at in rows.all())
    others = sorted(key for key, _job in listed)
    for job, occurrences in coalescing:
        runs: dict[int, list[datetime]] = {}
        for at in occurrences:  # grouped by the next other job after them
            runs.setdefault(bisect_right(others, (at, 0, job.rank, job.name)), []).append(at)
        listed.extend(
            (
                (run[-1], 0, job.rank, job.name),
                UpcomingJob(job.name, run[-1], True, len(run), run[0] if len(run) > 1 else None),
            )
            for run in runs.values()
        )
    listed.sort(key=lambda item: item[0])
    return [job for _key, job in listed[:limit]]
