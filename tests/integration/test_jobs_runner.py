"""The in-process runner: one pass per interval (or on wake), business time from the clock
(the persisted sandbox time in sandbox mode), and a loop that survives a failed pass."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from partner_center.kernel.clock import FixedClock, SandboxClock, SandboxState, to_micros
from partner_center.kernel.db import Database, save_sandbox_state
from partner_center.kernel.jobs import JobContext, JobRegistry, schedule
from partner_center.worker.runner import DueJobRunner

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Seen:
    def __init__(self) -> None:
        self.items: list[tuple[str, datetime]] = []
        self.changed = asyncio.Event()

    async def job(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        self.items.append((payload["label"], ctx.clock.now()))
        self.changed.set()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.items) < count:
                self.changed.clear()
                await self.changed.wait()


async def enqueue(db: Database, name: str, due_at: datetime, label: str) -> None:
    async with db.unit_of_work() as uow:
        await schedule(uow.session, name=name, due_at=due_at, payload={"label": label})


async def test_run_once_runs_what_is_due_at_the_clock_time(
    database: Database, clock: FixedClock
) -> None:
    seen = Seen()
    registry = JobRegistry()
    name = f"runner.{uuid.uuid4().hex}"
    registry.register(name, seen.job)
    await enqueue(database, name, clock.now() - timedelta(hours=1), "overdue")
    await enqueue(database, name, clock.now(), "now")
    await enqueue(database, name, clock.now() + timedelta(seconds=1), "later")
    runner = DueJobRunner(database, registry, clock=clock, zone=SHANGHAI)

    records = await runner.run_once()

    assert [label for label, _ in seen.items] == ["overdue", "now"]
    assert [r.due_at for r in records] == [clock.now() - timedelta(hours=1), clock.now()]
    clock.advance(timedelta(seconds=1))
    await runner.run_once()
    assert [label for label, _ in seen.items] == ["overdue", "now", "later"]


async def test_the_loop_runs_at_start_and_on_wake_and_survives_a_failed_pass(
    database: Database, clock: FixedClock
) -> None:
    seen = Seen()
    registry = JobRegistry()
    name = f"runner.{uuid.uuid4().hex}"
    registry.register(name, seen.job)
    await enqueue(database, name, clock.now(), "a")
    await enqueue(database, name, clock.now(), "b")
    # max_runs=1 makes the first pass fail (two jobs due): the loop must carry on.
    runner = DueJobRunner(
        database, registry, clock=clock, zone=SHANGHAI, interval_seconds=3600, max_runs=1
    )
    async with runner:
        assert runner.running
        await seen.wait_for(1)
        runner.wake()
        await seen.wait_for(2)
        await enqueue(database, name, clock.now(), "c")
        runner.wake()
        await seen.wait_for(3)
    assert not runner.running
    assert [label for label, _ in seen.items] == ["a", "b", "c"]
    await runner.stop()  # stopping twice is harmless


async def test_in_sandbox_mode_the_runner_reads_the_persisted_time(database: Database) -> None:
    frozen = datetime.fromisoformat("2031-05-01T00:00:00+00:00")
    async with database.unit_of_work() as uow:
        await save_sandbox_state(uow.session, SandboxState(frozen_at_us=to_micros(frozen)))
    seen = Seen()
    registry = JobRegistry()
    name = f"runner.{uuid.uuid4().hex}"
    registry.register(name, seen.job)
    await enqueue(database, name, frozen, "due")
    await enqueue(database, name, frozen + timedelta(microseconds=1), "not yet")
    stale = SandboxClock(state=SandboxState(frozen_at_us=to_micros(frozen - timedelta(days=1))))
    runner = DueJobRunner(database, registry, clock=stale, zone=SHANGHAI)

    await runner.run_once()

    assert seen.items == [("due", frozen)]
    assert stale.now() == frozen


def test_the_interval_must_be_positive(database: Database, clock: FixedClock) -> None:
    with pytest.raises(ValueError):
        DueJobRunner(database, JobRegistry(), clock=clock, zone=SHANGHAI, interval_seconds=0)
