"""Coalescing periodic jobs: while catching up, a job registered with ``coalesce=True`` runs once
at the latest missed occurrence before the next other due item, never across it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from partner_center.kernel.clock import SandboxState, WallClock, to_micros
from partner_center.kernel.db import Database, save_sandbox_state
from partner_center.kernel.jobs import (
    Daily,
    Hourly,
    JobContext,
    JobRegistry,
    advance_sandbox_clock,
    schedule,
)

UTC_ZONE = ZoneInfo("UTC")
START = datetime.fromisoformat("2026-11-29T08:30:00+00:00")


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_coalesced_hourly_job_runs_once_between_other_events(database: Database) -> None:
    suffix = uuid.uuid4().hex[:10]
    hourly, daily, one_off = f"rate.{suffix}", f"reset.{suffix}", f"expire.{suffix}"
    every_hour = f"audit.{suffix}"
    seen: list[tuple[str, datetime]] = []

    async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
        seen.append((ctx.name, ctx.clock.now()))

    registry = JobRegistry()
    registry.register_periodic(hourly, Hourly(0), record, coalesce=True)
    registry.register_periodic(daily, Daily(0, 0), record)
    registry.register(one_off, record)
    async with database.unit_of_work() as uow:
        await save_sandbox_state(uow.session, SandboxState(frozen_at_us=to_micros(START)))
        await schedule(uow.session, name=one_off, due_at=z("2026-11-30T05:15:00Z"), payload={})

    records = await advance_sandbox_clock(
        database, registry, to=z("2026-12-01T12:00:00Z"), zone=UTC_ZONE, wall=WallClock()
    )

    # At one instant the usual order holds ("rate…" sorts before "reset…"), so the hours up
    # to and including midnight run once at 00:00, just before the daily job; the hours up to
    # 05:00 once before the one-off at 05:15; and so on.
    assert seen == [
        (hourly, z("2026-11-30T00:00:00Z")),
        (daily, z("2026-11-30T00:00:00Z")),
        (hourly, z("2026-11-30T05:00:00Z")),
        (one_off, z("2026-11-30T05:15:00Z")),
        (hourly, z("2026-12-01T00:00:00Z")),
        (daily, z("2026-12-01T00:00:00Z")),
        (hourly, z("2026-12-01T12:00:00Z")),
    ]
    assert len(records) == len(seen)

    # a job that is not coalescing runs every occurrence
    registry2 = JobRegistry()
    registry2.register_periodic(every_hour, Hourly(0), record)
    seen.clear()
    await advance_sandbox_clock(
        database, registry2, to=z("2026-12-01T17:00:00Z"), zone=UTC_ZONE, wall=WallClock()
    )
    assert [t for _, t in seen] == [z(f"2026-12-01T{h}:00:00Z") for h in range(13, 18)]
