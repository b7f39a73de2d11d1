"""Due jobs under procrastinate (PostgreSQL only, except the URL conversion)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Base, Database
from partner_center.kernel.jobs import JobContext, JobRegistry, JobStatus, ScheduledJob, schedule
from partner_center.worker.procrastinate_app import (
    RUN_DUE_CRON,
    RUN_DUE_TASK,
    build_procrastinate_app,
    conninfo_from_url,
)
from partner_center.worker.runner import DueJobRunner
from tests.dbutil import create_fresh_database, drop_database, is_postgres

SHANGHAI = ZoneInfo("Asia/Shanghai")
postgres_only = pytest.mark.skipif(not is_postgres(), reason="needs DATABASE_URL=postgresql://…")


def test_conninfo_from_a_sqlalchemy_url() -> None:
    assert (
        conninfo_from_url("postgresql+asyncpg://pc:s3cret@db.internal:5433/pc?ssl=require")
        == "postgresql://pc:s3cret@db.internal:5433/pc?sslmode=require"
    )
    assert conninfo_from_url("postgresql://postgres@127.0.0.1/test") == (
        "postgresql://postgres@127.0.0.1/test"
    )
    with pytest.raises(ValueError, match="PostgreSQL"):
        conninfo_from_url("sqlite+aiosqlite:///var/pc.db")


async def _schedule_recorder(
    db: Database, clock: FixedClock
) -> tuple[JobRegistry, list[datetime], str]:
    seen: list[datetime] = []
    name = f"procrastinate.{uuid.uuid4().hex}"

    async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
        seen.append(ctx.as_of)

    registry = JobRegistry()
    registry.register(name, record)
    async with db.unit_of_work() as uow:
        job_id = await schedule(
            uow.session, name=name, due_at=clock.now() - timedelta(minutes=1), payload={}
        )
    return registry, seen, job_id


@pytest.mark.postgres
@postgres_only
async def test_the_app_has_a_periodic_task_that_runs_due_jobs(
    database: Database, clock: FixedClock
) -> None:
    registry, seen, job_id = await _schedule_recorder(database, clock)
    runner = DueJobRunner(database, registry, clock=clock, zone=SHANGHAI)
    app = build_procrastinate_app(database.url, runner=runner)

    periodic = app.periodic_registry.periodic_tasks
    assert list(periodic) == [(RUN_DUE_TASK, "")]
    assert periodic[(RUN_DUE_TASK, "")].cron == RUN_DUE_CRON == "* * * * *"
    assert RUN_DUE_TASK in app.tasks

    await app.tasks[RUN_DUE_TASK](timestamp=0)

    assert seen == [clock.now() - timedelta(minutes=1)]
    async with database.sessions() as session:
        row = await session.get(ScheduledJob, job_id)
    assert row is not None and row.status == JobStatus.DONE


@pytest.mark.postgres
@postgres_only
async def test_a_procrastinate_worker_runs_due_jobs(clock: FixedClock) -> None:
    # A database of its own: procrastinate's schema is not part of ours.
    url, pg_name = await create_fresh_database()
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        registry, seen, job_id = await _schedule_recorder(db, clock)
        runner = DueJobRunner(db, registry, clock=clock, zone=SHANGHAI)
        app = build_procrastinate_app(url, runner=runner)
        async with app.open_async():
            await app.schema_manager.apply_schema_async()
            await app.tasks[RUN_DUE_TASK].defer_async(timestamp=0)
            await app.run_worker_async(wait=False, install_signal_handlers=False)
        assert seen == [clock.now() - timedelta(minutes=1)]
        async with db.sessions() as session:
            row = await session.get(ScheduledJob, job_id)
        assert row is not None and row.status == JobStatus.DONE
    finally:
        await db.dispose()
        await drop_database(pg_name)
