"""The in-process scheduler: a background asyncio task that runs due jobs every few seconds.

Used by the server on SQLite (and in sandbox mode); on PostgreSQL a procrastinate periodic task
calls the same ``run_once`` (see ``procrastinate_app``). Several runners, in one process or many,
may run at once: ``kernel.jobs.run_due`` never runs an occurrence twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from zoneinfo import ZoneInfo

from partner_center.kernel.clock import Clock, SandboxClock
from partner_center.kernel.db import Database, refresh_sandbox_clock
from partner_center.kernel.jobs import DEFAULT_MAX_RUNS, JobRegistry, RunRecord, run_due

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 30.0


class DueJobRunner:
    """Runs ``run_due(until=clock.now())`` now and then.

    Use ``start()``/``stop()`` from the FastAPI lifespan, or ``async with runner:``; call
    ``wake()`` to run at once (after a sandbox time change, for instance).
    """

    def __init__(
        self,
        db: Database,
        registry: JobRegistry[Any],
        *,
        clock: Clock,
        zone: ZoneInfo,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
        max_runs: int = DEFAULT_MAX_RUNS,
    ) -> None:
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        self.db = db
        self.registry = registry
        self.clock = clock
        self.zone = zone
        self.interval_seconds = interval_seconds
        self.max_runs = max_runs
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        # One pass at a time per process; other processes are handled by run_due's locks.
        self._pass = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def run_once(self) -> list[RunRecord]:
        """Run every job due at the current business time; returns what ran."""
        async with self._pass:
            if isinstance(self.clock, SandboxClock):
                async with self.db.sessions() as session:
                    await refresh_sandbox_clock(self.clock, session)
            return await run_due(
                self.db,
                self.registry,
                until=self.clock.now(),
                zone=self.zone,
                max_runs=self.max_runs,
            )

    def start(self) -> None:
        """Start the background loop (its first pass runs immediately)."""
        if self.running:
            return
        self._wake.clear()
        self._task = asyncio.create_task(self._loop(), name="partner-center-due-jobs")

    async def stop(self) -> None:
        """Stop the loop, waiting for the job in progress to be cancelled."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def wake(self) -> None:
        """Run a pass now instead of at the end of the current interval."""
        self._wake.set()

    async def __aenter__(self) -> DueJobRunner:
        self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def _loop(self) -> None:
        while True:
            try:
                records = await self.run_once()
                if records:
                    logger.info("ran %d due job(s)", len(records))
            except Exception:
                logger.exception("running due jobs failed; retrying next interval")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval_seconds)
            self._wake.clear()
