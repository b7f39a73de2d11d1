"""Sandbox time travel: ``advance_sandbox_clock`` runs every job due on the way, in time order,
with the persisted business clock standing at each job's due time, and leaves the clock at the
target.

The sandbox clock row is shared by the session's database, so every test sets it first.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from partner_center.kernel.clock import SandboxClock, SandboxState, WallClock, to_micros
from partner_center.kernel.db import Database, load_sandbox_state, save_sandbox_state
from partner_center.kernel.errors import DomainError
from partner_center.kernel.jobs import (
    Daily,
    Hourly,
    JobContext,
    JobLoopLimitExceeded,
    JobRegistry,
    JobStatus,
    Monthly,
    RunOutcome,
    ScheduledJob,
    advance_sandbox_clock,
    schedule,
)
from partner_center.kernel.sandbox import upcoming_jobs

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime.fromisoformat("2026-11-29T08:00:00+00:00")


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class StoppedWall(WallClock):
    """Real time that does not move (so running-clock tests do not depend on the wall clock)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


async def set_sandbox(db: Database, state: SandboxState) -> None:
    async with db.unit_of_work() as uow:
        await save_sandbox_state(uow.session, state)


async def sandbox_state(db: Database) -> SandboxState:
    async with db.sessions() as session:
        return await load_sandbox_state(session)


async def test_advancing_40_days_runs_the_jobs_in_time_order_at_their_due_times(
    database: Database,
) -> None:
    suffix = uuid.uuid4().hex[:10]
    restore, bills, expire = f"budgets.restore.{suffix}", f"bills.{suffix}", f"expire.{suffix}"
    seen: list[tuple[str, datetime, datetime, datetime]] = []

    async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
        # What every other process would read from the database while the job runs.
        shared = SandboxClock(state=await load_sandbox_state(ctx.session)).now()
        seen.append((ctx.name, ctx.clock.now(), ctx.as_of, shared))

    registry = JobRegistry()
    registry.register_periodic(restore, Monthly(1, 0, 0), record)  # 00:00 on the 1st
    registry.register_periodic(bills, Monthly(5, 12, 0), record)  # 12:00 on the 5th
    registry.register(expire, record)
    await set_sandbox(database, SandboxState(frozen_at_us=to_micros(START)))
    async with database.unit_of_work() as uow:
        job_id = await schedule(
            uow.session,
            name=expire,
            due_at=z("2026-12-10T03:00Z"),
            payload={"resource_id": "r-1"},
            dedupe_key=f"expire:r-1:{suffix}",
        )
        # Beyond the target: stays pending.
        later_id = await schedule(
            uow.session, name=expire, due_at=z("2027-01-08T08:00:01Z"), payload={}
        )
    target = START + timedelta(days=40)

    records = await advance_sandbox_clock(
        database, registry, to=target, zone=SHANGHAI, wall=WallClock()
    )

    expected = [
        (restore, z("2026-11-30T16:00Z")),  # 00:00 on 1 December in Shanghai
        (bills, z("2026-12-05T04:00Z")),
        (expire, z("2026-12-10T03:00Z")),
        (restore, z("2026-12-31T16:00Z")),
        (bills, z("2027-01-05T04:00Z")),
    ]
    assert [(name, now) for name, now, _, _ in seen] == expected
    assert all(now == as_of == shared for _, now, as_of, shared in seen)
    assert [(r.name, r.due_at, r.outcome) for r in records] == [
        (name, at, RunOutcome.DONE) for name, at in expected
    ]
    assert target == z("2027-01-08T08:00Z")
    assert await sandbox_state(database) == SandboxState(
        offset_us=0, frozen_at_us=to_micros(target)
    )
    async with database.sessions() as session:
        done = await session.get(ScheduledJob, job_id)
        pending = await session.get(ScheduledJob, later_id)
    assert done is not None and done.status == JobStatus.DONE
    assert pending is not None and pending.status == JobStatus.PENDING

    # Advancing again over nothing new runs nothing, and time moves on.
    again = await advance_sandbox_clock(
        database, registry, to=target + timedelta(seconds=1), zone=SHANGHAI, wall=WallClock()
    )
    assert [(r.name, r.job_id) for r in again] == [(expire, later_id)]
    assert len(seen) == 6


async def test_a_running_clock_keeps_running_from_the_target(database: Database) -> None:
    wall = StoppedWall(z("2025-03-01T00:00Z"))
    offset = to_micros(START) - to_micros(wall.at)
    await set_sandbox(database, SandboxState(offset_us=offset))
    seen: list[datetime] = []

    async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
        seen.append(ctx.clock.now())

    registry = JobRegistry()
    registry.register_periodic(f"restore.{uuid.uuid4().hex}", Monthly(1), record)
    target = z("2027-01-01T00:00Z")

    await advance_sandbox_clock(database, registry, to=target, zone=SHANGHAI, wall=wall)

    assert seen == [z("2026-11-30T16:00Z"), z("2026-12-31T16:00Z")]
    state = await sandbox_state(database)
    assert state.frozen_at_us is None
    assert SandboxClock(wall, state).now() == target
    wall.at += timedelta(hours=1)
    assert SandboxClock(wall, state).now() == target + timedelta(hours=1)


async def test_time_travel_only_goes_forward(database: Database) -> None:
    await set_sandbox(database, SandboxState(frozen_at_us=to_micros(START)))
    with pytest.raises(DomainError) as caught:
        await advance_sandbox_clock(
            database,
            JobRegistry(),
            to=START - timedelta(seconds=1),
            zone=SHANGHAI,
            wall=WallClock(),
        )
    assert caught.value.code == "CBC.0100"
    assert "only moves forward" in caught.value.message
    assert await sandbox_state(database) == SandboxState(frozen_at_us=to_micros(START))
    # Setting it to where it is already is fine.
    await advance_sandbox_clock(database, JobRegistry(), to=START, zone=SHANGHAI, wall=WallClock())
    assert await sandbox_state(database) == SandboxState(frozen_at_us=to_micros(START))


async def test_a_runaway_job_leaves_the_clock_where_the_catch_up_stopped(
    database: Database,
) -> None:
    wall = StoppedWall(z("2025-03-01T00:00Z"))
    await set_sandbox(database, SandboxState(offset_us=to_micros(START) - to_micros(wall.at)))
    name = f"again.{uuid.uuid4().hex}"

    async def again(ctx: JobContext, payload: dict[str, Any]) -> None:
        await schedule(ctx.session, name=name, due_at=ctx.clock.now(), payload={})

    registry = JobRegistry()
    registry.register(name, again)
    async with database.unit_of_work() as uow:
        await schedule(uow.session, name=name, due_at=z("2026-12-01T00:00Z"), payload={})

    with pytest.raises(JobLoopLimitExceeded):
        await advance_sandbox_clock(
            database, registry, to=z("2027-01-01T00:00Z"), zone=SHANGHAI, wall=wall, max_runs=3
        )

    state = await sandbox_state(database)
    assert state.frozen_at_us is None  # still running, as before
    assert SandboxClock(wall, state).now() == z("2026-12-01T00:00Z")
    async with database.unit_of_work() as uow:
        for row in await uow.session.scalars(select(ScheduledJob).where(ScheduledJob.name == name)):
            row.status = JobStatus.FAILED.value


async def test_a_failing_job_is_retried_later_in_the_catch_up(database: Database) -> None:
    await set_sandbox(database, SandboxState(frozen_at_us=to_micros(START)))
    name = f"flaky.{uuid.uuid4().hex}"
    seen: list[tuple[int, datetime, datetime]] = []

    async def fails_twice(ctx: JobContext, payload: dict[str, Any]) -> None:
        shared = SandboxClock(state=await load_sandbox_state(ctx.session)).now()
        seen.append((ctx.attempt, ctx.clock.now(), shared))
        if ctx.attempt < 3:
            raise RuntimeError("not yet")

    registry = JobRegistry()
    registry.register(name, fails_twice)
    due = z("2026-12-01T00:00Z")
    async with database.unit_of_work() as uow:
        await schedule(uow.session, name=name, due_at=due, payload={})
    target = z("2026-12-02T00:00Z")

    records = await advance_sandbox_clock(
        database, registry, to=target, zone=SHANGHAI, wall=WallClock()
    )

    retried = [due, due + timedelta(minutes=1), due + timedelta(minutes=6)]
    assert [(r.ran_at, r.outcome) for r in records] == [
        (retried[0], RunOutcome.RETRY),
        (retried[1], RunOutcome.RETRY),
        (retried[2], RunOutcome.DONE),
    ]
    assert seen == [(i + 1, at, at) for i, at in enumerate(retried)]
    assert await sandbox_state(database) == SandboxState(frozen_at_us=to_micros(target))


async def test_the_upcoming_list_shows_a_coalescing_job_where_it_will_run(
    database: Database,
) -> None:
    """The clock page's list (``upcoming_jobs``) is what moving the clock then runs: a
    coalescing hourly job once per stretch between the other jobs, at the stretch's last hour,
    not once at the last hour of all."""
    suffix = uuid.uuid4().hex[:10]
    hourly, daily, expire = f"rate.{suffix}", f"daily.{suffix}", f"expire.{suffix}"

    async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
        return None

    registry = JobRegistry()
    registry.register_periodic(hourly, Hourly(0), record, coalesce=True)
    registry.register_periodic(daily, Daily(12, 0), record)  # 04:00 UTC
    registry.register(expire, record)
    await set_sandbox(database, SandboxState(frozen_at_us=to_micros(START)))
    async with database.unit_of_work() as uow:
        await schedule(uow.session, name=expire, due_at=z("2026-11-30T09:30Z"), payload={})
    target = START + timedelta(days=2)  # 2026-12-01T08:00Z
    async with database.sessions() as session:
        upcoming = await upcoming_jobs(session, registry, zone=SHANGHAI, start=START, until=target)

    records = await advance_sandbox_clock(
        database, registry, to=target, zone=SHANGHAI, wall=WallClock()
    )

    listed = [(j.name, j.due_at) for j in upcoming]
    assert listed == [(r.name, r.due_at) for r in records]
    assert listed == [
        (hourly, z("2026-11-30T04:00Z")),  # 09:00Z on the 29th to 04:00Z: the daily job's hour
        (daily, z("2026-11-30T04:00Z")),
        (hourly, z("2026-11-30T09:00Z")),
        (expire, z("2026-11-30T09:30Z")),
        (hourly, z("2026-12-01T04:00Z")),
        (daily, z("2026-12-01T04:00Z")),
        (hourly, z("2026-12-01T08:00Z")),
    ]
    assert [(j.covers, j.since) for j in upcoming if j.name == hourly] == [
        (20, z("2026-11-29T09:00Z")),
        (5, z("2026-11-30T05:00Z")),
        (19, z("2026-11-30T10:00Z")),
        (4, z("2026-12-01T05:00Z")),
    ]
