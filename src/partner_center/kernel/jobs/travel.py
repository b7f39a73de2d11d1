"""Sandbox time travel: moving the persisted sandbox clock forward through every due job."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.kernel.clock import SandboxClock, WallClock, format_utc, utc
from partner_center.kernel.db import Database, load_sandbox_state, save_sandbox_state
from partner_center.kernel.errors import DomainError
from partner_center.kernel.jobs.registry import JobRegistry
from partner_center.kernel.jobs.run import DEFAULT_MAX_RUNS, RunRecord, run_due


async def advance_sandbox_clock(
    db: Database,
    registry: JobRegistry[Any],
    *,
    to: datetime,
    zone: ZoneInfo,
    wall: WallClock,
    max_runs: int = DEFAULT_MAX_RUNS,
) -> list[RunRecord]:
    """Move the persisted sandbox clock forward to ``to``, running every job due on the way.

    The clock is frozen at each job's due time in the job's own transaction (so every process
    sees the time move together with the job's effects), then left at ``to``: frozen if it was
    frozen, else running from ``to``.

    Raises:
        DomainError: ``CBC.0100`` if ``to`` is before the current sandbox time.
        JobLoopLimitExceeded: see ``run_due``; the clock is then left at the last job's time.
    """
    to = utc(to)
    async with db.unit_of_work() as uow:
        sandbox = SandboxClock(wall, await load_sandbox_state(uow.session))
    start = sandbox.now()
    was_frozen = sandbox.state.frozen_at_us is not None
    if to < start:
        raise DomainError(
            "CBC.0100",
            f"The sandbox clock only moves forward: it is {format_utc(start)}, "
            f"{format_utc(to)} is in the past.",
            {"field": "to"},
        )
    reached = start

    async def freeze_at(session: AsyncSession, when: datetime) -> None:
        nonlocal reached
        await save_sandbox_state(session, sandbox.state_for(when, frozen=True))
        reached = when

    async def leave_at(when: datetime) -> None:
        async with db.unit_of_work() as uow:
            await save_sandbox_state(uow.session, sandbox.state_for(when, frozen=was_frozen))

    try:
        records = await run_due(
            db,
            registry,
            until=to,
            zone=zone,
            clock_setter=freeze_at,
            since=start,
            max_runs=max_runs,
        )
    except Exception:
        await leave_at(reached)
        raise
    await leave_at(to)
    return records
