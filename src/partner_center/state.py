"""What the composition root hands the edges (HTTP, jobs, CLI, provisioning, the demo): the
settings, the database, the clocks, the rate limiter, the job registry, and the one way to get
the services of a unit of work.

``runtime.build_state`` builds it once per process; this module only describes it, below the
edges in the layers so that every edge can use it without importing the composition root.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.kernel.clock import Clock, SandboxClock, WallClock
from partner_center.kernel.db import Database, refresh_sandbox_clock
from partner_center.kernel.jobs import JobRegistry
from partner_center.kernel.ratelimit import Limiter
from partner_center.services import Services, Wiring, site_of
from partner_center.settings import Settings


@dataclass
class AppState:
    wiring: Wiring
    db: Database
    clock: Clock
    """Business time: a ``SandboxClock`` in sandbox mode (refreshed per unit of work)."""
    limiter: Limiter
    jobs: JobRegistry[Services]
    wake_jobs: Callable[[], None] = field(default=lambda: None)
    """Run due jobs now rather than at the runner's next pass (the server sets it to its
    in-process runner's ``wake``; without one the worker's next tick runs them)."""

    @property
    def settings(self) -> Settings:
        return self.wiring.settings

    @property
    def wall(self) -> WallClock:
        return self.wiring.wall

    @property
    def sandbox_clock(self) -> SandboxClock | None:
        return self.clock if isinstance(self.clock, SandboxClock) else None

    @property
    def site(self) -> str:
        """ "cn" on a CNY deployment (China-site field rules), else "intl"."""
        return site_of(self.settings)

    def services(self, session: AsyncSession, *, clock: Clock | None = None) -> Services:
        """The services of the unit of work of ``session``, at business time ``clock`` (the
        process's business clock by default; a job passes its own)."""
        return Services(session, clock=clock or self.clock, wiring=self.wiring)

    async def refresh_clock(self, session: AsyncSession) -> None:
        """Load the shared sandbox time (call at the start of each unit of work)."""
        if self.sandbox_clock is not None:
            await refresh_sandbox_clock(self.sandbox_clock, session)

    @asynccontextmanager
    async def work(self) -> AsyncIterator[Services]:
        """One unit of work with its services, at the current (sandbox) business time: commits
        when the block ends, rolls back if it raises."""
        async with self.db.unit_of_work() as uow:
            await self.refresh_clock(uow.session)
            yield self.services(uow.session)
