"""Running due work: ``run_due`` plans, claims and runs the next due item, one transaction per
job, until nothing is due (the guarantees are in the package docstring)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.kernel.clock import format_utc, utc
from partner_center.kernel.db import Database, UnitOfWork
from partner_center.kernel.jobs.models import (
    ERROR_MAX,
    JobStatus,
    PeriodicJobCursor,
    PeriodicJobRun,
    ScheduledJob,
)
from partner_center.kernel.jobs.registry import JobRegistry, PeriodicJob
from partner_center.kernel.metrics import JOB_LAG, JOB_RUNS

logger = logging.getLogger(__name__)

#: A job is tried at most this many times; then it stays ``FAILED``.
MAX_ATTEMPTS = 3
#: Business time between a failed attempt and the next one (attempt 1 → 2, attempt 2 → 3).
RETRY_DELAYS: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=5))
#: Default cap on the runs of one ``run_due`` call (a job that keeps scheduling work due before
#: ``until`` would otherwise loop forever).
DEFAULT_MAX_RUNS = 100_000


async def track_periodic_jobs(
    db: Database, registry: JobRegistry[Any], *, seen_at: datetime
) -> None:
    """Create the cursor of every registered periodic job not seen before, starting at
    ``seen_at``: its first occurrence is the first one after that instant."""
    names = sorted(registry.periodic_jobs)
    if not names:
        return
    async with db.unit_of_work() as uow:
        session = uow.session
        known = set(
            (
                await session.scalars(
                    select(PeriodicJobCursor.name).where(PeriodicJobCursor.name.in_(names))
                )
            ).all()
        )
        missing = [name for name in names if name not in known]
        if not missing:
            return
        insert = pg_insert if db.is_postgres else sqlite_insert
        await session.execute(
            insert(PeriodicJobCursor)
            .values(
                [{"name": name, "first_seen_at": utc(seen_at), "attempts": 0} for name in missing]
            )
            .on_conflict_do_nothing(index_elements=["name"])
        )


# ---------------------------------------------------------------------------------------------
# Running due work
# ---------------------------------------------------------------------------------------------


class RunOutcome(StrEnum):
    DONE = "DONE"
    RETRY = "RETRY"
    """The attempt failed; another attempt is scheduled."""
    FAILED = "FAILED"
    """The last attempt failed; the job stays FAILED."""


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One attempt made by ``run_due``."""

    name: str
    due_at: datetime
    """The job's due time (``as_of``)."""
    ran_at: datetime
    """Business time while it ran: ``due_at``, unless it was a retry or overdue."""
    periodic: bool
    job_id: str | None
    attempt: int
    outcome: RunOutcome
    error: str | None = None


class JobLoopLimitExceeded(RuntimeError):
    """``run_due`` made ``max_runs`` runs without catching up (a job keeps scheduling work)."""


ClockSetter = Callable[[AsyncSession, datetime], Awaitable[None]]


@dataclass(frozen=True, order=True, slots=True)
class _Due:
    """The next thing to run; ordering is the run order."""

    at: datetime
    kind: int  # 0 periodic, 1 one-off: periodic first at the same instant
    rank: int  # periodic: registration order (declared run order); one-off: 0, then by name
    name: str
    job_id: str  # "" for a periodic job
    due_at: datetime = field(compare=False)
    first_at: datetime | None = field(default=None, compare=False)
    """For a coalesced periodic item: the cursor's next occurrence it stands for."""

    @property
    def periodic(self) -> bool:
        return self.kind == 0


class _ClaimLost(Exception):
    """Another runner took or finished the item between planning and locking."""


def _retry_delay(attempt: int) -> timedelta:
    return RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


def _periodic_due(cursor: PeriodicJobCursor, job: PeriodicJob[Any], zone: ZoneInfo) -> _Due:
    after = cursor.last_due_at or cursor.first_seen_at
    due_at = job.schedule.next_after(after, zone)
    at = cursor.retry_at or due_at
    return _Due(at=at, kind=0, rank=job.rank, name=cursor.name, job_id="", due_at=due_at)


async def _next_due(
    session: AsyncSession, registry: JobRegistry[Any], *, until: datetime, zone: ZoneInfo
) -> _Due | None:
    candidates: list[_Due] = []
    periodic = registry.periodic_jobs
    one_off = registry.one_off_names
    if one_off:
        row = (
            await session.execute(
                select(ScheduledJob.id, ScheduledJob.name, ScheduledJob.due_at)
                .add_columns(ScheduledJob.next_attempt_at)
                .where(
                    ScheduledJob.status == JobStatus.PENDING.value,
                    ScheduledJob.name.in_(sorted(one_off)),
                    ScheduledJob.next_attempt_at <= until,
                )
                .order_by(ScheduledJob.next_attempt_at, ScheduledJob.name, ScheduledJob.id)
                .limit(1)
            )
        ).first()
        if row is not None:
            job_id, name, due_at, at = row
            candidates.append(_Due(at=at, kind=1, rank=0, name=name, job_id=job_id, due_at=due_at))
    if periodic:
        cursors = await session.scalars(
            select(PeriodicJobCursor).where(PeriodicJobCursor.name.in_(sorted(periodic)))
        )
        for cursor in cursors:
            due = _periodic_due(cursor, periodic[cursor.name], zone)
            if due.at <= until:
                candidates.append(due)
    if not candidates:
        return None
    first = min(candidates)
    job = periodic.get(first.name) if first.periodic else None
    if job is None or not job.coalesce or first.at != first.due_at:
        return first  # not coalescing, or a retry (retries keep their own time)
    others = [c for c in candidates if not (c.periodic and periodic[c.name].coalesce)]
    horizon = min(others) if others else None
    return _coalesced(first, job, zone, until=until, before=horizon)


#: Bound on how many missed occurrences one coalesced run may stand for (a year of minutes).
_COALESCE_MAX = 600_000


def _coalesced(
    first: _Due, job: PeriodicJob[Any], zone: ZoneInfo, *, until: datetime, before: _Due | None
) -> _Due:
    """The latest occurrence from ``first`` on that is due by ``until`` and still sorts before
    the next other due item ``before``."""
    latest = first.due_at
    for _ in range(_COALESCE_MAX):
        following = job.schedule.next_after(latest, zone)
        if following > until:
            break
        if before is not None and not (
            _Due(at=following, kind=0, rank=job.rank, name=job.name, job_id="", due_at=following)
            < before
        ):
            break
        latest = following
    return _Due(
        at=latest,
        kind=0,
        rank=job.rank,
        name=job.name,
        job_id="",
        due_at=latest,
        first_at=first.due_at,
    )


async def run_due(
    db: Database,
    registry: JobRegistry[Any],
    *,
    until: datetime,
    zone: ZoneInfo,
    clock_setter: ClockSetter | None = None,
    since: datetime | None = None,
    max_runs: int = DEFAULT_MAX_RUNS,
) -> list[RunRecord]:
    """Run every job due at or before ``until``, earliest first, each in its own transaction.

    Order: by due time (the retry time for a retry), then periodic before one-off; periodic
    jobs in their registration order, one-off jobs by name, then id. Jobs that the running jobs schedule at or before ``until`` run in the same call;
    later ones stay pending. Only jobs registered in ``registry`` are considered.

    Args:
        db: the database.
        registry: the job functions.
        until: aware business time up to which (inclusive) due work runs.
        zone: the billing time zone (schedules, ``JobContext.zone``).
        clock_setter: ``await clock_setter(session, when)`` is called in each job's transaction
            before the job runs (and in the transaction recording a failure), with the business
            time it runs at; the sandbox catch-up persists it there, so other processes see
            the time move together with the job's effects. None changes nothing.
        since: business time this run starts from. Periodic jobs never seen before start after
            it (default: ``until``), and no job runs at a business time before it (overdue jobs
            run at ``since``; by default at their due time).
        max_runs: cap on attempts in this call.

    Returns:
        The attempts made, in order (another runner's work is not included).

    Raises:
        JobLoopLimitExceeded: after ``max_runs`` attempts with work still due.
    """
    until = utc(until)
    floor = utc(since) if since is not None else None
    await track_periodic_jobs(db, registry, seen_at=floor or until)
    records: list[RunRecord] = []
    for _ in range(max_runs):
        step = await _run_next(
            db, registry, until=until, zone=zone, floor=floor, clock_setter=clock_setter
        )
        if step is None:
            return records
        floor, record = step
        if record is not None:
            records.append(record)
            JOB_RUNS.labels(record.name, str(record.outcome.value)).inc()
            JOB_LAG.labels(record.name).observe(max(0.0, (until - record.due_at).total_seconds()))
    async with db.sessions() as session:
        if await _next_due(session, registry, until=until, zone=zone) is None:
            return records
    raise JobLoopLimitExceeded(
        f"stopped after {max_runs} job runs with work still due at or before "
        f"{format_utc(until)} (last: {records[-1].name if records else '-'}); "
        "a job probably keeps scheduling work that is already due"
    )


async def _run_next(
    db: Database,
    registry: JobRegistry[Any],
    *,
    until: datetime,
    zone: ZoneInfo,
    floor: datetime | None,
    clock_setter: ClockSetter | None,
) -> tuple[datetime | None, RunRecord | None] | None:
    """Plan, claim and run the next due item, all in one transaction.

    Returns None when nothing is due, else the business time reached and the record of the
    attempt (None when another runner took the item first).
    """
    due: _Due | None = None
    run_at: datetime | None = None
    attempt = 0
    try:
        async with db.unit_of_work() as uow:
            due = await _next_due(uow.session, registry, until=until, zone=zone)
            if due is None:
                return None
            at = max(due.at, floor) if floor is not None else due.at
            if clock_setter is not None:
                await clock_setter(uow.session, at)
            run_at = at  # from here on, an error is the job's
            if due.periodic:
                attempt = await _run_periodic(uow, registry, due, run_at=at, zone=zone)
            else:
                attempt = await _run_one_off(uow, registry, due, run_at=at, zone=zone)
    except _ClaimLost:
        return floor, None
    except Exception as exc:
        if due is None or run_at is None:
            raise
        logger.warning("job %s due %s failed", due.name, format_utc(due.due_at), exc_info=True)
        record = await _record_failure(
            db, registry, due, exc, run_at=run_at, zone=zone, clock_setter=clock_setter
        )
        return run_at, record
    assert due is not None and run_at is not None
    return run_at, RunRecord(
        name=due.name,
        due_at=due.due_at,
        ran_at=run_at,
        periodic=due.periodic,
        job_id=due.job_id or None,
        attempt=attempt,
        outcome=RunOutcome.DONE,
    )


async def _lock_one_off(session: AsyncSession, due: _Due) -> ScheduledJob:
    job = await session.scalar(
        select(ScheduledJob)
        .where(ScheduledJob.id == due.job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if job is None or job.status != JobStatus.PENDING or job.next_attempt_at != due.at:
        raise _ClaimLost
    return job


async def _lock_cursor(
    session: AsyncSession, registry: JobRegistry[Any], due: _Due, zone: ZoneInfo
) -> PeriodicJobCursor:
    cursor = await session.scalar(
        select(PeriodicJobCursor)
        .where(PeriodicJobCursor.name == due.name)
        .with_for_update()
        # The planning query loaded it into this session already: read the locked row.
        .execution_options(populate_existing=True)
    )
    if cursor is None:
        raise _ClaimLost
    current = _periodic_due(cursor, registry.periodic_jobs[due.name], zone)
    expected = due.first_at or due.due_at
    if current.due_at != expected or (due.first_at is None and current.at != due.at):
        raise _ClaimLost
    return cursor


async def _run_one_off(
    uow: UnitOfWork, registry: JobRegistry[Any], due: _Due, *, run_at: datetime, zone: ZoneInfo
) -> int:
    job = await _lock_one_off(uow.session, due)
    attempt = job.attempts + 1
    ctx = registry.context(
        uow,
        run_at=run_at,
        as_of=job.due_at,
        zone=zone,
        name=job.name,
        attempt=attempt,
        job_id=job.id,
        tenant_id=job.tenant_id,
    )
    await registry.one_off(job.name)(ctx, copy.deepcopy(job.payload))
    job.status = JobStatus.DONE.value
    job.attempts = attempt
    job.finished_at = run_at
    await uow.session.flush()
    return attempt


async def _run_periodic(
    uow: UnitOfWork, registry: JobRegistry[Any], due: _Due, *, run_at: datetime, zone: ZoneInfo
) -> int:
    session = uow.session
    cursor = await _lock_cursor(session, registry, due, zone)
    attempt = cursor.attempts + 1
    session.add(
        PeriodicJobRun(
            name=due.name,
            due_at=due.due_at,
            status=JobStatus.DONE.value,
            attempts=attempt,
            last_error=cursor.last_error,
            finished_at=run_at,
        )
    )
    try:
        await session.flush()
    except IntegrityError as exc:
        # The occurrence ran already (the cursor was behind its runs): never twice.
        raise _ClaimLost from exc
    ctx = registry.context(
        uow, run_at=run_at, as_of=due.due_at, zone=zone, name=due.name, attempt=attempt
    )
    await registry.periodic_jobs[due.name].func(ctx, {})
    cursor.last_due_at = due.due_at
    cursor.attempts = 0
    cursor.retry_at = None
    cursor.last_error = None
    await session.flush()
    return attempt


async def _record_failure(
    db: Database,
    registry: JobRegistry[Any],
    due: _Due,
    exc: Exception,
    *,
    run_at: datetime,
    zone: ZoneInfo,
    clock_setter: ClockSetter | None,
) -> RunRecord | None:
    error = _error_text(exc)
    try:
        async with db.unit_of_work() as uow:
            session = uow.session
            if clock_setter is not None:
                await clock_setter(session, run_at)
            if due.periodic:
                cursor = await _lock_cursor(session, registry, due, zone)
                attempt = cursor.attempts + 1
                if attempt >= MAX_ATTEMPTS:
                    session.add(
                        PeriodicJobRun(
                            name=due.name,
                            due_at=due.due_at,
                            status=JobStatus.FAILED.value,
                            attempts=attempt,
                            last_error=error,
                            finished_at=run_at,
                        )
                    )
                    cursor.last_due_at = due.due_at
                    cursor.attempts = 0
                    cursor.retry_at = None
                    cursor.last_error = None
                else:
                    cursor.attempts = attempt
                    cursor.retry_at = run_at + _retry_delay(attempt)
                    cursor.last_error = error
            else:
                job = await _lock_one_off(session, due)
                attempt = job.attempts + 1
                job.attempts = attempt
                job.last_error = error
                if attempt >= MAX_ATTEMPTS:
                    job.status = JobStatus.FAILED.value
                    job.finished_at = run_at
                else:
                    job.next_attempt_at = run_at + _retry_delay(attempt)
            await session.flush()
    except _ClaimLost:
        # Another runner recorded the attempt (or finished the item): nothing left to record.
        logger.error("job %s due %s: failure not recorded", due.name, format_utc(due.due_at))
        return None
    return RunRecord(
        name=due.name,
        due_at=due.due_at,
        ran_at=run_at,
        periodic=due.periodic,
        job_id=due.job_id or None,
        attempt=attempt,
        outcome=RunOutcome.FAILED if attempt >= MAX_ATTEMPTS else RunOutcome.RETRY,
        error=error,
    )
