"""What runs: the job functions by name, and what a job gets when it runs.

A registry is bound to a *services factory*: for each job it builds the services of the job's
unit of work (``JobContext.services``) at the job's business time, so a job uses the same
object graph as an API request (the composition root passes ``Services``; the kernel knows no
domain, so it only sees a type parameter).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, overload
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.kernel.clock import Clock, FixedClock
from partner_center.kernel.db import UnitOfWork
from partner_center.kernel.jobs.models import NAME_MAX
from partner_center.kernel.jobs.schedules import Schedule

S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)

ServicesFactory = Callable[[AsyncSession, Clock], S]
"""``(session, clock)`` → the services of a job's unit of work at its business time."""


@dataclass(frozen=True, slots=True)
class JobContext(Generic[S_co]):
    """What a job gets besides its payload.

    Attributes:
        uow: the job's own unit of work; the job's writes commit (or roll back) with the job.
            Use ``uow.session``; never open another unit of work from a job.
        clock: business time, standing still at the time the job runs (its due time, or the
            retry time of a retry), whether it runs on time, late, or during a sandbox catch-up.
        services: the services of this unit of work, built by the registry's factory with
            ``clock``.
        as_of: the due time of the job (the occurrence, for a periodic job), aware UTC.
        zone: the billing time zone.
        name: the registered job name.
        job_id: the ``scheduled_jobs`` id of a one-off job; None for a periodic job.
        tenant_id: the tenant a one-off job was scheduled for, if any.
        attempt: 1 for the first attempt, 2 and 3 for retries.
    """

    uow: UnitOfWork
    clock: Clock
    services: S_co
    as_of: datetime
    zone: ZoneInfo
    name: str
    job_id: str | None = None
    tenant_id: str | None = None
    attempt: int = 1

    @property
    def session(self) -> AsyncSession:
        return self.uow.session


JobFunc = Callable[[JobContext[S], dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PeriodicJob(Generic[S]):
    name: str
    schedule: Schedule
    func: JobFunc[S]
    rank: int
    """Position in the registry: periodic jobs due at the same instant run in this order."""
    coalesce: bool = False
    """Catching up, run only the latest missed occurrence before the next other due work.

    For jobs that process everything pending up to their run time (hourly rating, hand-overs):
    moving the sandbox clock 30 days then costs one run between two other events instead of
    720, and the result is the same because nothing else happened in between."""


def _no_services(_session: AsyncSession, _clock: Clock) -> None:
    return None


class JobRegistry(Generic[S]):
    """The job functions, by name. One-off and periodic jobs share one namespace.

    Periodic jobs due at the same instant run in the order they were registered (then one-off
    jobs, by name and id), so whoever registers them declares that order in one place.
    """

    @overload
    def __init__(self: JobRegistry[None]) -> None: ...

    @overload
    def __init__(self, services: ServicesFactory[S]) -> None: ...

    def __init__(self, services: ServicesFactory[Any] = _no_services) -> None:
        self._services = services
        self._one_off: dict[str, JobFunc[S]] = {}
        self._periodic: dict[str, PeriodicJob[S]] = {}

    def register(self, name: str, func: JobFunc[S]) -> None:
        """Register a one-off job ``async def func(ctx, payload) -> None`` under ``name``."""
        self._check_new(name)
        self._one_off[name] = func

    def register_periodic(
        self, name: str, schedule: Schedule, func: JobFunc[S], *, coalesce: bool = False
    ) -> None:
        """Register a job that runs at every occurrence of ``schedule`` (payload ``{}``), after
        the periodic jobs registered before it when both are due at the same instant.

        With ``coalesce`` the job must handle everything pending up to its run time: missed
        occurrences between two other due items run once, at the latest of them.
        """
        self._check_new(name)
        self._periodic[name] = PeriodicJob(name, schedule, func, len(self._periodic), coalesce)

    def context(
        self,
        uow: UnitOfWork,
        *,
        run_at: datetime,
        as_of: datetime,
        zone: ZoneInfo,
        name: str,
        attempt: int,
        job_id: str | None = None,
        tenant_id: str | None = None,
    ) -> JobContext[S]:
        """What a job running in ``uow`` gets: business time standing still at ``run_at``,
        and the services of ``uow`` at that time."""
        clock = FixedClock(run_at)
        services: S = self._services(uow.session, clock)
        return JobContext(
            uow=uow,
            clock=clock,
            services=services,
            as_of=as_of,
            zone=zone,
            name=name,
            job_id=job_id,
            tenant_id=tenant_id,
            attempt=attempt,
        )

    @property
    def one_off_names(self) -> frozenset[str]:
        return frozenset(self._one_off)

    @property
    def periodic_jobs(self) -> Mapping[str, PeriodicJob[S]]:
        return dict(self._periodic)

    def one_off(self, name: str) -> JobFunc[S]:
        return self._one_off[name]

    def _check_new(self, name: str) -> None:
        if not name or len(name) > NAME_MAX:
            raise ValueError(f"job name must be 1..{NAME_MAX} characters: {name!r}")
        if name in self._one_off or name in self._periodic:
            raise ValueError(f"job {name!r} is already registered")
