"""run_due on a real database: time order, never twice (also concurrently), failures and retries,
dedupe keys, chained jobs, the loop cap and the first-seen rule for periodic jobs.

The database is shared by the session: every test uses its own job names (uuid-suffixed) and
filters rows by them.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from partner_center.kernel.db import GLOBAL_TABLES, Base, Database
from partner_center.kernel.jobs import (
    MAX_ATTEMPTS,
    Daily,
    Hourly,
    JobContext,
    JobLoopLimitExceeded,
    JobRegistry,
    JobStatus,
    Monthly,
    PeriodicJobCursor,
    PeriodicJobRun,
    RunOutcome,
    ScheduledJob,
    run_due,
    schedule,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime.fromisoformat("2026-11-29T08:00:00+00:00")


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def unique(label: str) -> str:
    return f"test.{label}.{uuid.uuid4().hex[:10]}"


@dataclass
class Calls:
    """What the jobs saw: (job name, business now, as_of, payload) in call order."""

    seen: list[tuple[str, datetime, datetime, dict[str, Any]]] = field(default_factory=list)

    def job(self, *, delay: float = 0.0) -> Any:
        async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
            if delay:
                await asyncio.sleep(delay)
            self.seen.append((ctx.name, ctx.clock.now(), ctx.as_of, payload))

        return record

    def names_and_times(self) -> list[tuple[str, datetime]]:
        return [(name, now) for name, now, _, _ in self.seen]


async def enqueue(db: Database, name: str, due_at: datetime, **kwargs: Any) -> str:
    async with db.unit_of_work() as uow:
        return await schedule(
            uow.session, name=name, due_at=due_at, payload=kwargs.pop("payload", {}), **kwargs
        )


async def job_row(db: Database, job_id: str) -> ScheduledJob:
    async with db.sessions() as session:
        row = await session.get(ScheduledJob, job_id)
        assert row is not None
        return row


async def periodic_runs(db: Database, name: str) -> list[PeriodicJobRun]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(PeriodicJobRun).where(PeriodicJobRun.name == name).order_by("due_at")
        )
        return list(rows)


def test_job_tables_are_declared_global_system_tables() -> None:
    for table in ("scheduled_jobs", "periodic_job_runs", "periodic_job_cursors"):
        assert table in Base.metadata.tables
        assert table in GLOBAL_TABLES
    assert GLOBAL_TABLES["scheduled_jobs"] == "system job queue; payload carries tenant"


async def test_periodic_jobs_due_together_run_in_registration_order(database: Database) -> None:
    calls = Calls()
    registry = JobRegistry()
    first, second = unique("z-registered-first"), unique("a-registered-second")
    registry.register_periodic(first, Hourly(0), calls.job())
    registry.register_periodic(second, Hourly(0), calls.job())

    await run_due(database, registry, until=START + timedelta(hours=2), zone=SHANGHAI, since=START)

    # Names sort the other way: the order is the declared one, not alphabetical.
    assert calls.names_and_times() == [
        (first, START + timedelta(hours=1)),
        (second, START + timedelta(hours=1)),
        (first, START + timedelta(hours=2)),
        (second, START + timedelta(hours=2)),
    ]


async def test_runs_everything_due_in_time_order_at_its_due_time(database: Database) -> None:
    calls = Calls()
    registry = JobRegistry()
    monthly, daily = unique("monthly"), unique("daily")
    expire, notify = unique("a-expire"), unique("b-notify")
    registry.register_periodic(monthly, Monthly(1), calls.job())
    registry.register_periodic(daily, Daily(8, 0), calls.job())  # 00:00 UTC
    registry.register(expire, calls.job())
    registry.register(notify, calls.job())
    # Scheduled out of order; two at the same instant as the periodic ones.
    await enqueue(database, notify, z("2026-11-30T16:00Z"), payload={"n": 1})
    await enqueue(database, expire, z("2026-12-01T00:00Z"), payload={"resource_id": "r1"})
    first_expire = await enqueue(database, expire, z("2026-11-30T16:00Z"), payload={"i": 1})
    second_expire = await enqueue(database, expire, z("2026-11-30T16:00Z"), payload={"i": 2})
    await enqueue(database, expire, z("2026-12-01T00:00:01Z"))  # after `until`

    records = await run_due(
        database, registry, until=z("2026-12-01T00:00Z"), zone=SHANGHAI, since=START
    )

    assert calls.names_and_times() == [
        (daily, z("2026-11-30T00:00Z")),
        (monthly, z("2026-11-30T16:00Z")),  # periodic first at the same instant
        (expire, z("2026-11-30T16:00Z")),  # then by name ("a-" < "b-"), then id
        (expire, z("2026-11-30T16:00Z")),
        (notify, z("2026-11-30T16:00Z")),
        (daily, z("2026-12-01T00:00Z")),  # periodic before the one-off due at the same time
        (expire, z("2026-12-01T00:00Z")),
    ]
    assert [payload for name, *_, payload in calls.seen if name == expire] == [
        {"i": 1},
        {"i": 2},
        {"resource_id": "r1"},
    ]
    assert all(now == as_of for _, now, as_of, _ in calls.seen)
    assert [(r.name, r.ran_at, r.outcome) for r in records] == [
        (name, at, RunOutcome.DONE) for name, at in calls.names_and_times()
    ]
    assert records[2].job_id == first_expire and records[3].job_id == second_expire
    assert records[0].periodic and records[0].job_id is None
    done = await job_row(database, first_expire)
    assert (done.status, done.attempts, done.finished_at) == (
        JobStatus.DONE,
        1,
        z("2026-11-30T16:00Z"),
    )


async def test_running_the_same_window_twice_runs_nothing_the_second_time(
    database: Database,
) -> None:
    calls = Calls()
    registry = JobRegistry()
    hourly, one_off = unique("hourly"), unique("one-off")
    registry.register_periodic(hourly, Hourly(0), calls.job())
    registry.register(one_off, calls.job())
    await enqueue(database, one_off, z("2026-11-29T09:30Z"))
    until = z("2026-11-29T12:00Z")

    first = await run_due(database, registry, until=until, zone=SHANGHAI, since=START)
    second = await run_due(database, registry, until=until, zone=SHANGHAI, since=START)

    assert len(first) == 5  # 09:00, 09:30 (one-off), 10:00, 11:00, 12:00
    assert second == []
    assert len(calls.seen) == 5
    assert [run.due_at for run in await periodic_runs(database, hourly)] == [
        z(f"2026-11-29T{h:02d}:00Z") for h in (9, 10, 11, 12)
    ]


async def test_concurrent_runs_run_each_occurrence_exactly_once(database: Database) -> None:
    calls = Calls()
    registry = JobRegistry()
    hourly, daily, one_off = unique("hourly"), unique("daily"), unique("one-off")
    registry.register_periodic(hourly, Hourly(30), calls.job(delay=0.002))
    registry.register_periodic(daily, Daily(0, 0), calls.job(delay=0.002))
    registry.register(one_off, calls.job(delay=0.002))
    for minute in range(0, 60 * 12, 45):
        await enqueue(database, one_off, START + timedelta(minutes=minute + 1))
    until = START + timedelta(hours=12)
    # A second Database is a second process as far as connections and locks go.
    other = Database(database.url)
    try:
        results = await asyncio.gather(
            run_due(database, registry, until=until, zone=SHANGHAI, since=START),
            run_due(other, registry, until=until, zone=SHANGHAI, since=START),
            run_due(database, registry, until=until, zone=SHANGHAI, since=START),
        )
    finally:
        await other.dispose()

    seen = [(name, as_of) for name, _, as_of, _ in calls.seen]
    assert len(seen) == len(set(seen)) == 12 + 1 + 16  # hourly, daily at 16:00Z, one-offs
    ran = [(r.name, r.due_at) for records in results for r in records]
    assert sorted(ran) == sorted(seen)
    assert len(await periodic_runs(database, hourly)) == 12


async def test_a_failing_job_is_rolled_back_retried_and_then_stays_failed(
    database: Database,
) -> None:
    calls = Calls()
    registry = JobRegistry()
    broken, after, side_effect = unique("broken"), unique("after"), unique("side-effect")
    attempts_seen: list[tuple[int, datetime, datetime]] = []

    async def always_fails(ctx: JobContext, payload: dict[str, Any]) -> None:
        attempts_seen.append((ctx.attempt, ctx.clock.now(), ctx.as_of))
        # Work done before the error must be rolled back.
        await schedule(ctx.session, name=side_effect, due_at=ctx.as_of, payload={})
        raise RuntimeError("upstream is down " + "x" * 2000)

    registry.register(broken, always_fails)
    registry.register(after, calls.job())
    due = z("2026-11-29T10:00Z")
    broken_id = await enqueue(database, broken, due)
    await enqueue(database, after, due + timedelta(minutes=3))

    records = await run_due(
        database, registry, until=due + timedelta(hours=1), zone=SHANGHAI, since=START
    )

    assert [(r.name, r.ran_at, r.attempt, r.outcome) for r in records] == [
        (broken, due, 1, RunOutcome.RETRY),
        (broken, due + timedelta(minutes=1), 2, RunOutcome.RETRY),
        (after, due + timedelta(minutes=3), 1, RunOutcome.DONE),  # the queue moves on
        (broken, due + timedelta(minutes=6), 3, RunOutcome.FAILED),
    ]
    assert MAX_ATTEMPTS == 3
    assert [as_of for _, _, as_of in attempts_seen] == [due] * 3
    row = await job_row(database, broken_id)
    assert row.status == JobStatus.FAILED
    assert row.attempts == 3
    assert row.finished_at == due + timedelta(minutes=6)
    assert row.last_error is not None
    assert row.last_error.startswith("RuntimeError: upstream is down")
    assert len(row.last_error) == 1000
    async with database.sessions() as session:
        leaked = await session.scalars(select(ScheduledJob).where(ScheduledJob.name == side_effect))
        assert list(leaked) == []
    # FAILED stays FAILED.
    again = await run_due(database, registry, until=due + timedelta(days=1), zone=SHANGHAI)
    assert again == []


async def test_a_retry_due_after_until_waits_for_a_later_run(database: Database) -> None:
    registry = JobRegistry()
    flaky = unique("flaky")
    tries: list[datetime] = []

    async def fails_once(ctx: JobContext, payload: dict[str, Any]) -> None:
        tries.append(ctx.clock.now())
        if ctx.attempt == 1:
            raise ValueError("first time unlucky")

    registry.register(flaky, fails_once)
    due = z("2026-11-29T10:00Z")
    job_id = await enqueue(database, flaky, due)

    first = await run_due(database, registry, until=due, zone=SHANGHAI)
    assert [r.outcome for r in first] == [RunOutcome.RETRY]
    pending = await job_row(database, job_id)
    assert (pending.status, pending.attempts, pending.next_attempt_at) == (
        JobStatus.PENDING,
        1,
        due + timedelta(minutes=1),
    )

    second = await run_due(database, registry, until=due + timedelta(minutes=5), zone=SHANGHAI)
    assert [(r.outcome, r.attempt, r.due_at, r.ran_at) for r in second] == [
        (RunOutcome.DONE, 2, due, due + timedelta(minutes=1))
    ]
    done = await job_row(database, job_id)
    assert (done.status, done.attempts) == (JobStatus.DONE, 2)
    assert done.last_error == "ValueError: first time unlucky"
    assert tries == [due, due + timedelta(minutes=1)]


async def test_a_failing_periodic_occurrence_holds_back_later_ones_until_it_gives_up(
    database: Database,
) -> None:
    registry = JobRegistry()
    daily = unique("daily")
    seen: list[tuple[datetime, int]] = []

    async def fails_on_the_first_day(ctx: JobContext, payload: dict[str, Any]) -> None:
        seen.append((ctx.as_of, ctx.attempt))
        if ctx.as_of == z("2026-11-30T04:00Z"):
            raise RuntimeError("no exchange rate yet")

    registry.register_periodic(daily, Daily(12, 0), fails_on_the_first_day)
    records = await run_due(
        database, registry, until=z("2026-12-01T04:00Z"), zone=SHANGHAI, since=START
    )

    first = z("2026-11-30T04:00Z")
    assert [(r.due_at, r.ran_at, r.attempt, r.outcome) for r in records] == [
        (first, first, 1, RunOutcome.RETRY),
        (first, first + timedelta(minutes=1), 2, RunOutcome.RETRY),
        (first, first + timedelta(minutes=6), 3, RunOutcome.FAILED),
        (z("2026-12-01T04:00Z"), z("2026-12-01T04:00Z"), 1, RunOutcome.DONE),
    ]
    runs = await periodic_runs(database, daily)
    assert [(r.due_at, r.status, r.attempts) for r in runs] == [
        (first, JobStatus.FAILED, 3),
        (z("2026-12-01T04:00Z"), JobStatus.DONE, 1),
    ]
    assert runs[0].last_error == "RuntimeError: no exchange rate yet"


class Crash(BaseException):
    """Stands for the process dying in the middle of a job."""


async def test_a_crash_before_commit_leaves_the_occurrence_to_run_again(
    database: Database,
) -> None:
    registry = JobRegistry()
    daily = unique("daily")
    attempts: list[datetime] = []
    crash = True

    async def crashes_once(ctx: JobContext, payload: dict[str, Any]) -> None:
        attempts.append(ctx.as_of)
        if crash:
            raise Crash

    registry.register_periodic(daily, Daily(12, 0), crashes_once)
    until = z("2026-11-30T04:00Z")
    with pytest.raises(Crash):
        await run_due(database, registry, until=until, zone=SHANGHAI, since=START)
    assert await periodic_runs(database, daily) == []

    crash = False
    records = await run_due(database, registry, until=until, zone=SHANGHAI, since=START)
    assert [(r.due_at, r.attempt, r.outcome) for r in records] == [(until, 1, RunOutcome.DONE)]
    assert attempts == [until, until]
    assert [r.due_at for r in await periodic_runs(database, daily)] == [until]


async def test_a_dedupe_key_makes_scheduling_twice_a_no_op(database: Database) -> None:
    name = unique("expire")
    key = f"expire:{uuid.uuid4().hex}:2026-12-10T03:00:00Z"
    first = await enqueue(database, name, z("2026-12-10T03:00Z"), dedupe_key=key, tenant_id="t1")
    again = await enqueue(database, name, z("2027-01-01T00:00Z"), dedupe_key=key)
    async with database.unit_of_work() as uow:
        # Twice in one transaction, too.
        await schedule(uow.session, name=name, due_at=START, payload={}, dedupe_key=key)
    assert again == first
    async with database.sessions() as session:
        rows = list(await session.scalars(select(ScheduledJob).where(ScheduledJob.name == name)))
    assert [(r.id, r.due_at, r.tenant_id) for r in rows] == [(first, z("2026-12-10T03:00Z"), "t1")]

    # Still a no-op once the job has run.
    calls = Calls()
    registry = JobRegistry()
    registry.register(name, calls.job())
    await run_due(database, registry, until=z("2026-12-31T00:00Z"), zone=SHANGHAI)
    assert await enqueue(database, name, z("2027-01-01T00:00Z"), dedupe_key=key) == first
    assert len(calls.seen) == 1


async def test_concurrent_scheduling_with_one_dedupe_key_creates_one_job(
    database: Database,
) -> None:
    name = unique("expire")
    key = f"expire:{uuid.uuid4().hex}"
    ids = await asyncio.gather(*(enqueue(database, name, START, dedupe_key=key) for _ in range(5)))
    assert len(set(ids)) == 1


async def test_jobs_scheduled_by_jobs_run_in_the_same_call_when_due(database: Database) -> None:
    calls = Calls()
    registry = JobRegistry()
    parent, child = unique("parent"), unique("child")
    until = z("2026-11-29T12:00Z")

    async def schedules_children(ctx: JobContext, payload: dict[str, Any]) -> None:
        now = ctx.clock.now()
        for offset_minutes in (-30, 0, 60, 10 * 60):  # past, now, later today, after `until`
            due = now + timedelta(minutes=offset_minutes)
            await schedule(ctx.session, name=child, due_at=due, payload={"m": offset_minutes})

    registry.register(parent, schedules_children)
    registry.register(child, calls.job())
    await enqueue(database, parent, z("2026-11-29T10:00Z"))

    records = await run_due(database, registry, until=until, zone=SHANGHAI, since=START)

    assert [(r.name, r.due_at, r.ran_at) for r in records] == [
        (parent, z("2026-11-29T10:00Z"), z("2026-11-29T10:00Z")),
        # Overdue work runs at the current business time: time never goes backwards.
        (child, z("2026-11-29T09:30Z"), z("2026-11-29T10:00Z")),
        (child, z("2026-11-29T10:00Z"), z("2026-11-29T10:00Z")),
        (child, z("2026-11-29T11:00Z"), z("2026-11-29T11:00Z")),
    ]
    assert [payload["m"] for *_, payload in calls.seen] == [-30, 0, 60]
    async with database.sessions() as session:
        later = await session.scalar(
            select(ScheduledJob).where(
                ScheduledJob.name == child, ScheduledJob.status == JobStatus.PENDING
            )
        )
    assert later is not None and later.due_at == z("2026-11-29T20:00Z")


async def test_a_job_that_keeps_scheduling_due_work_hits_the_cap(database: Database) -> None:
    registry = JobRegistry()
    name = unique("again")

    async def again(ctx: JobContext, payload: dict[str, Any]) -> None:
        await schedule(ctx.session, name=name, due_at=ctx.clock.now(), payload={})

    registry.register(name, again)
    await enqueue(database, name, START)
    with pytest.raises(JobLoopLimitExceeded, match="keeps scheduling"):
        await run_due(database, registry, until=START, zone=SHANGHAI, max_runs=5)
    # Retire the runaway chain so it cannot bother anyone else.
    async with database.unit_of_work() as uow:
        for row in await uow.session.scalars(select(ScheduledJob).where(ScheduledJob.name == name)):
            row.status = JobStatus.FAILED.value


async def test_exactly_max_runs_of_work_is_not_an_error(database: Database) -> None:
    registry = JobRegistry()
    calls = Calls()
    name = unique("five")
    registry.register(name, calls.job())
    for _ in range(5):
        await enqueue(database, name, START)
    assert len(await run_due(database, registry, until=START, zone=SHANGHAI, max_runs=5)) == 5


async def test_a_periodic_job_starts_after_it_is_first_seen(database: Database) -> None:
    calls = Calls()
    registry = JobRegistry()
    monthly = unique("monthly")
    registry.register_periodic(monthly, Monthly(1), calls.job())

    # First seen at `until`: nothing of the past runs (a fresh database does not replay history).
    assert await run_due(database, registry, until=z("2026-12-15T00:00Z"), zone=SHANGHAI) == []
    async with database.sessions() as session:
        cursor = await session.get(PeriodicJobCursor, monthly)
    assert cursor is not None and cursor.first_seen_at == z("2026-12-15T00:00Z")
    # Seeing it again later does not move its start.
    records = await run_due(
        database, registry, until=z("2027-02-01T00:00Z"), zone=SHANGHAI, since=START
    )
    assert [r.due_at for r in records] == [z("2026-12-31T16:00Z"), z("2027-01-31T16:00Z")]


async def test_jobs_of_other_registries_are_left_alone(database: Database) -> None:
    name = unique("someone-elses")
    job_id = await enqueue(database, name, START)
    registry = JobRegistry()
    registry.register(unique("mine"), Calls().job())
    await run_due(database, registry, until=z("2030-01-01T00:00Z"), zone=SHANGHAI)
    assert (await job_row(database, job_id)).status == JobStatus.PENDING


async def test_schedule_needs_an_aware_due_time(database: Database) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(ValueError, match="aware"):
            await schedule(uow.session, name="x", due_at=datetime(2026, 12, 1), payload={})
