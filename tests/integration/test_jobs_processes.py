"""No job runs twice with several processes on one PostgreSQL database: two "servers" (the
in-process runner's loop) and two "workers" (the procrastinate task's ``run_once``) run the
same due jobs at once, each in its own OS process; every occurrence's effect is written once
(issue 10, item 4)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.jobs import (
    Daily,
    Hourly,
    JobContext,
    JobRegistry,
    schedule,
    track_periodic_jobs,
)
from partner_center.worker.runner import DueJobRunner
from tests.dbutil import create_fresh_database, drop_database, is_postgres, migrate

START = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
UNTIL = START + timedelta(hours=24)
ZONE = ZoneInfo("Asia/Shanghai")
ONE_OFFS = 20


async def effect(ctx: JobContext[Any], _payload: dict[str, Any]) -> None:
    await ctx.session.execute(
        text("INSERT INTO job_effects (name, as_of) VALUES (:name, :as_of)"),
        {"name": ctx.name, "as_of": ctx.as_of},
    )


def registry() -> JobRegistry[Any]:
    jobs: JobRegistry[Any] = JobRegistry()
    jobs.register_periodic("test.hourly", Hourly(30), effect)
    jobs.register_periodic("test.daily", Daily(0, 0), effect)
    jobs.register("test.one_off", effect)
    return jobs


async def run_process(url: str, role: str) -> None:
    """One process: a server's runner loop or a worker's task, both ``run_once``."""
    db = Database(url)
    try:
        runner = DueJobRunner(db, registry(), clock=FixedClock(UNTIL), zone=ZONE)
        for _ in range(3 if role == "server" else 2):
            await runner.run_once()
    finally:
        await db.dispose()


async def prepare(url: str) -> None:
    db = Database(url)
    try:
        async with db.unit_of_work() as uow:
            await uow.session.execute(
                text("CREATE TABLE job_effects (name text NOT NULL, as_of timestamptz NOT NULL)")
            )
            for i in range(ONE_OFFS):
                await schedule(
                    uow.session,
                    name="test.one_off",
                    due_at=START + timedelta(minutes=70 * i + 1),
                    payload={},
                )
        # Periodic jobs are first seen at START, so their occurrences from then on are due.
        await track_periodic_jobs(db, registry(), seen_at=START)
    finally:
        await db.dispose()


async def effects(url: str) -> list[tuple[str, datetime]]:
    db = Database(url)
    try:
        async with db.unit_of_work() as uow:
            rows = await uow.session.execute(text("SELECT name, as_of FROM job_effects"))
            return [(name, as_of) for name, as_of in rows]
    finally:
        await db.dispose()


@pytest.mark.skipif(not is_postgres(), reason="several processes share PostgreSQL")
def test_two_servers_and_two_workers_run_each_job_once() -> None:
    url, name = asyncio.run(create_fresh_database())
    try:
        migrate(url)
        asyncio.run(prepare(url))
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.integration.test_jobs_processes", url, role],
                cwd=Path(__file__).resolve().parents[2],
            )
            for role in ("server", "worker", "server", "worker")
        ]
        assert [p.wait(timeout=300) for p in processes] == [0, 0, 0, 0]
        seen = asyncio.run(effects(url))
        assert len(seen) == len(set(seen))
        names = [n for n, _ in seen]
        assert names.count("test.hourly") == 24
        assert names.count("test.daily") == 1
        assert names.count("test.one_off") == ONE_OFFS
    finally:
        asyncio.run(drop_database(name))


if __name__ == "__main__":
    asyncio.run(run_process(sys.argv[1], sys.argv[2]))
