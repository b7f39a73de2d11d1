"""Enqueueing a one-off job inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.kernel.clock import utc
from partner_center.kernel.ids import new_id
from partner_center.kernel.jobs.models import NAME_MAX, JobStatus, ScheduledJob


async def schedule(
    session: AsyncSession,
    *,
    name: str,
    due_at: datetime,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    tenant_id: str | None = None,
) -> str:
    """Enqueue a one-off job in the caller's transaction; it runs once ``due_at`` has come.

    Args:
        session: the caller's session; the job exists only if the caller's transaction commits.
        name: a registered job name.
        due_at: aware business time at which it runs; its ``as_of``.
        payload: JSON-serialisable arguments.
        dedupe_key: if a job with this key exists (in any state), nothing is scheduled.
        tenant_id: the tenant the job works for, if any.

    Returns:
        The id of the scheduled job (of the existing one when ``dedupe_key`` matched).
    """
    if not name or len(name) > NAME_MAX:
        raise ValueError(f"job name must be 1..{NAME_MAX} characters: {name!r}")
    if due_at.tzinfo is None:
        raise ValueError("due_at must be an aware datetime")
    when = utc(due_at)
    values: dict[str, Any] = {
        "id": new_id(),
        "name": name,
        "payload": payload,
        "due_at": when,
        "next_attempt_at": when,
        "status": JobStatus.PENDING.value,
        "attempts": 0,
        "dedupe_key": dedupe_key,
        "tenant_id": tenant_id,
    }
    if dedupe_key is None:
        session.add(ScheduledJob(**values))
        await session.flush()
        return str(values["id"])
    # INSERT .. ON CONFLICT DO NOTHING: a concurrent transaction with the same key waits for the
    # other and then inserts nothing, instead of failing.
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(ScheduledJob).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    existing = await session.scalar(
        select(ScheduledJob.id).where(ScheduledJob.dedupe_key == dedupe_key)
    )
    assert existing is not None
    return existing
