"""Scheduled work driven by the business clock.

Domains register their jobs on a ``JobRegistry`` (the kernel knows no domain):

* **one-off jobs** are enqueued with ``schedule()`` inside the domain's own transaction ("resource
  X expires at T": ``resources.expire`` with ``{"resource_id": ...}`` due at T);
* **periodic jobs** run at every occurrence of a ``Monthly``/``Daily``/``Hourly`` schedule,
  evaluated in the billing time zone.

``run_due()`` runs everything that has fallen due, in time order, one transaction per job, with a
business clock standing still at the job's due time. ``advance_sandbox_clock()`` is the sandbox's
time travel: it steps the persisted sandbox clock through every due time up to the target, so
``partner-center clock advance --days 40`` runs the month-end jobs as if the time had really
passed. In production the same ``run_due`` is called by the in-process runner (SQLite) or by a
procrastinate periodic task (PostgreSQL), see ``partner_center.worker``.

Guarantees:

* An occurrence of a periodic job runs at most once: its ``periodic_job_runs`` row (unique on
  ``(name, due_at)``) is inserted in the same transaction as the job's work, under a row lock on
  the job's cursor. A crash before commit leaves no row, so the occurrence runs again.
* A one-off job is marked ``DONE`` in the same transaction as its work, under a row lock.
* A job that raises has its work rolled back; the failure is recorded in a separate transaction
  and the job is retried later (``RETRY_DELAYS``) up to ``MAX_ATTEMPTS`` attempts, then it stays
  ``FAILED``. A failed periodic occurrence holds back that job's later occurrences until it
  succeeds or gives up, so occurrences always run in order.
* Planning, claiming and running the next item happen in one transaction (on SQLite that is
  ``BEGIN IMMEDIATE``, so runners take turns; on PostgreSQL the claimed row is locked ``FOR
  UPDATE`` and re-checked, and a runner that finds it taken plans again). Runners wait for each
  other rather than skip locked rows, so a catch-up never runs a later item while an earlier one
  is still in progress elsewhere, and returns only once everything due has run.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.clock import (
    Clock,
    FixedClock,
    SandboxClock,
    WallClock,
    format_utc,
    utc,
)
from partner_center.kernel.db import (
    Base,
    Database,
    UnitOfWork,
    UtcDateTime,
    global_table,
    load_sandbox_state,
    save_sandbox_state,
)
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_id

logger = logging.getLogger(__name__)

#: A job is tried at most this many times; then it stays ``FAILED``.
MAX_ATTEMPTS = 3
#: Business time between a failed attempt and the next one (attempt 1 → 2, attempt 2 → 3).
RETRY_DELAYS: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=5))
#: Default cap on the runs of one ``run_due`` call (a job that keeps scheduling work due before
#: ``until`` would otherwise loop forever).
DEFAULT_MAX_RUNS = 100_000
_NAME_MAX = 100
_ERROR_MAX = 1000


# ---------------------------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------------------------


class Schedule(Protocol):
    """When a periodic job runs, in the billing time zone."""

    def next_after(self, instant: datetime, zone: ZoneInfo) -> datetime:
        """The first occurrence strictly after ``instant``, as an aware UTC datetime."""
        ...


def _wall_time(zone: ZoneInfo, day: date, hour: int, minute: int) -> datetime:
    """The UTC instant of a wall-clock time in ``zone``.

    A time skipped by a daylight-saving gap is moved later by the length of the gap (02:30 on the
    spring-forward night in New York is 03:30 EDT); a time that happens twice when clocks go back
    is its first occurrence. Both follow PEP 495 ``fold=0`` (and java.time), so every local day
    has exactly one occurrence.
    """
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return local.astimezone(UTC)


def _check_time(hour: int, minute: int) -> None:
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0..23, got {hour}")
    if not 0 <= minute <= 59:
        raise ValueError(f"minute must be 0..59, got {minute}")


@dataclass(frozen=True, slots=True)
class Monthly:
    """``hour:minute`` on ``day`` of every month. ``day`` is 1..28 so every month has it."""

    day: int
    hour: int = 0
    minute: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 28:
            raise ValueError(f"monthly day must be 1..28 (every month has it), got {self.day}")
        _check_time(self.hour, self.minute)

    def next_after(self, instant: datetime, zone: ZoneInfo) -> datetime:
        instant = utc(instant)
        local = instant.astimezone(zone)
        # Candidates from the previous local month on: a DST shift moves an occurrence by hours,
        # never across a month, so one of these four is the answer.
        for shift in range(-1, 3):
            index = local.year * 12 + local.month - 1 + shift
            day = date(index // 12, index % 12 + 1, self.day)
            candidate = _wall_time(zone, day, self.hour, self.minute)
            if candidate > instant:
                return candidate
        raise AssertionError("unreachable: a month always has a later occurrence")


@dataclass(frozen=True, slots=True)
class Daily:
    """``hour:minute`` every day."""

    hour: int = 0
    minute: int = 0

    def __post_init__(self) -> None:
        _check_time(self.hour, self.minute)

    def next_after(self, instant: datetime, zone: ZoneInfo) -> datetime:
        instant = utc(instant)
        today = instant.astimezone(zone).date()
        for shift in range(-1, 3):
            candidate = _wall_time(zone, today + timedelta(days=shift), self.hour, self.minute)
            if candidate > instant:
                return candidate
        raise AssertionError("unreachable: a day always has a later occurrence")


@dataclass(frozen=True, slots=True)
class Hourly:
    """Every real hour, when the zone's wall clock shows ``minute`` past the hour.

    Hours are real hours: the repeated hour when clocks go back runs twice (once per real hour)
    and the skipped hour in spring does not run. The zone matters only for zones whose offset
    is not a whole number of hours (Asia/Kolkata: ``Hourly(0)`` is hh:30 UTC).
    """

    minute: int = 0

    def __post_init__(self) -> None:
        _check_time(0, self.minute)

    def next_after(self, instant: datetime, zone: ZoneInfo) -> datetime:
        instant = utc(instant)
        start = instant.replace(second=0, microsecond=0) + timedelta(minutes=1)
        wait = (self.minute - start.astimezone(zone).minute) % 60
        candidate = start + timedelta(minutes=wait)
        if candidate.astimezone(zone).minute == self.minute:
            return candidate
        # The offset changed by a fraction of an hour inside the window (Australia/Lord_Howe):
        # walk minute by minute.
        for step in range(24 * 60):
            candidate = start + timedelta(minutes=step)
            if candidate.astimezone(zone).minute == self.minute:
                return candidate
        raise AssertionError("unreachable: some minute of the next day matches")


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a job gets besides its payload.

    Attributes:
        uow: the job's own unit of work; the job's writes commit (or roll back) with the job.
            Use ``uow.session``; never open another unit of work from a job.
        clock: business time, standing still at the time the job runs (its due time, or the
            retry time of a retry), whether it runs on time, late, or during a sandbox catch-up.
        as_of: the due time of the job (the occurrence, for a periodic job), aware UTC.
        zone: the billing time zone.
        name: the registered job name.
        job_id: the ``scheduled_jobs`` id of a one-off job; None for a periodic job.
        tenant_id: the tenant a one-off job was scheduled for, if any.
        attempt: 1 for the first attempt, 2 and 3 for retries.
    """

    uow: UnitOfWork
    clock: Clock
    as_of: datetime
    zone: ZoneInfo
    name: str
    job_id: str | None = None
    tenant_id: str | None = None
    attempt: int = 1

    @property
    def session(self) -> AsyncSession:
        return self.uow.session


JobFunc = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
_F = TypeVar("_F", bound=JobFunc)


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    name: str
    schedule: Schedule
    func: JobFunc
    coalesce: bool = False
    """Catching up, run only the latest missed occurrence before the next other due work.

    For jobs that process everything pending up to their run time (hourly rating, hand-overs):
    moving the sandbox clock 30 days then costs one run between two other events instead of
    720, and the result is the same because nothing else happened in between."""


class JobRegistry:
    """The job functions, by name. One-off and periodic jobs share one namespace."""

    def __init__(self) -> None:
        self._one_off: dict[str, JobFunc] = {}
        self._periodic: dict[str, PeriodicJob] = {}

    def register(self, name: str, func: JobFunc) -> None:
        """Register a one-off job ``async def func(ctx, payload) -> None`` under ``name``."""
        self._check_new(name)
        self._one_off[name] = func

    def register_periodic(
        self, name: str, schedule: Schedule, func: JobFunc, *, coalesce: bool = False
    ) -> None:
        """Register a job that runs at every occurrence of ``schedule`` (payload ``{}``).

        With ``coalesce`` the job must handle everything pending up to its run time: missed
        occurrences between two other due items run once, at the latest of them.
        """
        self._check_new(name)
        self._periodic[name] = PeriodicJob(name, schedule, func, coalesce)

    def job(self, name: str) -> Callable[[_F], _F]:
        """Decorator form of ``register``."""

        def decorate(func: _F) -> _F:
            self.register(name, func)
            return func

        return decorate

    def periodic(self, name: str, schedule: Schedule) -> Callable[[_F], _F]:
        """Decorator form of ``register_periodic``."""

        def decorate(func: _F) -> _F:
            self.register_periodic(name, schedule, func)
            return func

        return decorate

    @property
    def one_off_names(self) -> frozenset[str]:
        return frozenset(self._one_off)

    @property
    def periodic_jobs(self) -> Mapping[str, PeriodicJob]:
        return dict(self._periodic)

    def one_off(self, name: str) -> JobFunc:
        return self._one_off[name]

    def _check_new(self, name: str) -> None:
        if not name or len(name) > _NAME_MAX:
            raise ValueError(f"job name must be 1..{_NAME_MAX} characters: {name!r}")
        if name in self._one_off or name in self._periodic:
            raise ValueError(f"job {name!r} is already registered")


# ---------------------------------------------------------------------------------------------
# Persistence
# ---------------------------------------------------------------------------------------------


class JobStatus(StrEnum):
    PENDING = "PENDING"
    DONE = "DONE"
    FAILED = "FAILED"


class ScheduledJob(Base):
    """A one-off job: run ``name`` with ``payload`` at ``due_at``."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (
        Index("ix_scheduled_jobs_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(_NAME_MAX))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time the job is for (its ``as_of``), UTC."""
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time of the next attempt, UTC: ``due_at`` at first, later after a failure."""
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Attempts made so far (successful or not)."""
    last_error: Mapped[str | None] = mapped_column(String(_ERROR_MAX), nullable=True)
    """The error of the latest failed attempt, if any (kept after a successful retry)."""
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Business time at which the job became DONE or finally FAILED, UTC."""
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    """Scheduling a job with a key that exists already is a no-op."""
    tenant_id: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    """The tenant the job works for, if any (informative: the payload carries what the job needs)."""


class PeriodicJobCursor(Base):
    """Where each periodic job stands: its next occurrence follows ``last_due_at``."""

    __tablename__ = "periodic_job_cursors"

    name: Mapped[str] = mapped_column(String(_NAME_MAX), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time the job was first seen, UTC; its first occurrence is the next one after it,
    so a fresh database does not run years of history."""
    last_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """The latest occurrence that finished (DONE or finally FAILED), UTC."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Failed attempts of the next occurrence so far."""
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Business time of the next attempt of a failed next occurrence, UTC."""
    last_error: Mapped[str | None] = mapped_column(String(_ERROR_MAX), nullable=True)


class PeriodicJobRun(Base):
    """One finished occurrence of a periodic job; unique per (name, due_at), so never twice."""

    __tablename__ = "periodic_job_runs"
    __table_args__ = (UniqueConstraint("name", "due_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(_NAME_MAX))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """The occurrence, UTC."""
    status: Mapped[str] = mapped_column(String(16))
    """DONE, or FAILED after ``MAX_ATTEMPTS`` attempts."""
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(_ERROR_MAX), nullable=True)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time at which the occurrence finished, UTC."""


global_table("scheduled_jobs", "system job queue; payload carries tenant")
global_table("periodic_job_cursors", "system scheduler state: one row per periodic job")
global_table("periodic_job_runs", "system scheduler log: one row per periodic occurrence")


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
    if not name or len(name) > _NAME_MAX:
        raise ValueError(f"job name must be 1..{_NAME_MAX} characters: {name!r}")
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


async def track_periodic_jobs(db: Database, registry: JobRegistry, *, seen_at: datetime) -> None:
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
    return text if len(text) <= _ERROR_MAX else text[: _ERROR_MAX - 1] + "…"


def _periodic_due(cursor: PeriodicJobCursor, job: PeriodicJob, zone: ZoneInfo) -> _Due:
    after = cursor.last_due_at or cursor.first_seen_at
    due_at = job.schedule.next_after(after, zone)
    at = cursor.retry_at or due_at
    return _Due(at=at, kind=0, name=cursor.name, job_id="", due_at=due_at)


async def _next_due(
    session: AsyncSession, registry: JobRegistry, *, until: datetime, zone: ZoneInfo
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
            candidates.append(_Due(at=at, kind=1, name=name, job_id=job_id, due_at=due_at))
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
    first: _Due, job: PeriodicJob, zone: ZoneInfo, *, until: datetime, before: _Due | None
) -> _Due:
    """The latest occurrence from ``first`` on that is due by ``until`` and still sorts before
    the next other due item ``before``."""
    latest = first.due_at
    for _ in range(_COALESCE_MAX):
        following = job.schedule.next_after(latest, zone)
        if following > until:
            break
        if before is not None and not (
            _Due(at=following, kind=0, name=job.name, job_id="", due_at=following) < before
        ):
            break
        latest = following
    return _Due(at=latest, kind=0, name=job.name, job_id="", due_at=latest, first_at=first.due_at)


async def run_due(
    db: Database,
    registry: JobRegistry,
    *,
    until: datetime,
    zone: ZoneInfo,
    clock_setter: ClockSetter | None = None,
    since: datetime | None = None,
    max_runs: int = DEFAULT_MAX_RUNS,
) -> list[RunRecord]:
    """Run every job due at or before ``until``, earliest first, each in its own transaction.

    Order: by due time (the retry time for a retry), then periodic before one-off, then name,
    then id. Jobs that the running jobs schedule at or before ``until`` run in the same call;
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
    registry: JobRegistry,
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
    session: AsyncSession, registry: JobRegistry, due: _Due, zone: ZoneInfo
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
    uow: UnitOfWork, registry: JobRegistry, due: _Due, *, run_at: datetime, zone: ZoneInfo
) -> int:
    job = await _lock_one_off(uow.session, due)
    attempt = job.attempts + 1
    ctx = JobContext(
        uow=uow,
        clock=FixedClock(run_at),
        as_of=job.due_at,
        zone=zone,
        name=job.name,
        job_id=job.id,
        tenant_id=job.tenant_id,
        attempt=attempt,
    )
    await registry.one_off(job.name)(ctx, copy.deepcopy(job.payload))
    job.status = JobStatus.DONE.value
    job.attempts = attempt
    job.finished_at = run_at
    await uow.session.flush()
    return attempt


async def _run_periodic(
    uow: UnitOfWork, registry: JobRegistry, due: _Due, *, run_at: datetime, zone: ZoneInfo
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
    ctx = JobContext(
        uow=uow,
        clock=FixedClock(run_at),
        as_of=due.due_at,
        zone=zone,
        name=due.name,
        attempt=attempt,
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
    registry: JobRegistry,
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
        # The job's commit went through and only an after-commit callback failed, or another
        # runner recorded the attempt: nothing left to record.
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


# ---------------------------------------------------------------------------------------------
# Sandbox time travel
# ---------------------------------------------------------------------------------------------


async def advance_sandbox_clock(
    db: Database,
    registry: JobRegistry,
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
