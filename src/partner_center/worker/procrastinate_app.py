"""Due jobs under procrastinate (PostgreSQL).

A single periodic procrastinate task, every minute, calls the same ``DueJobRunner.run_once`` as
the in-process loop, so the job functions, their ordering and their never-twice guarantees are
the same on both backends. The task carries a queueing lock (at most one waiting) and a lock (one
running at a time); ``run_due`` is safe even without them.

Bill runs fan out: ``BILL_BATCH_TASK`` bills one batch of partners of a planned run (one
transaction), then tries to complete the run; ``ProcrastinateBillDispatcher`` is the dispatcher
the worker installs, so the scheduled bill run defers one such task per batch and every worker
takes its share. A task that runs before the run's plan has committed is retried.

Run a worker with ``await app.run_worker_async()`` inside ``async with app.open_async():`` after
``await app.schema_manager.apply_schema_async()`` has created procrastinate's tables once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url

from partner_center.worker.runner import DueJobRunner

#: The procrastinate task that runs due jobs.
RUN_DUE_TASK = "partner_center.run_due_jobs"
RUN_DUE_CRON = "* * * * *"
#: The procrastinate task that bills one batch of partners of a bill run.
BILL_BATCH_TASK = "partner_center.bill_batch"
#: Attempts of a batch task (a few seconds apart) before it gives up; the next scheduled or
#: command-line run completes whatever is left.
BILL_BATCH_ATTEMPTS = 20

#: Bills batch ``batch_no`` of ``cycle`` in one transaction and completes the run when it was
#: the last; returns False when the batch is not planned (yet).
BillBatch = Callable[[str, int], Awaitable[bool]]


class BatchNotPlanned(RuntimeError):
    """The batch's plan has not committed yet: the task is retried."""


class ProcrastinateBillDispatcher:
    """Defers one ``BILL_BATCH_TASK`` per batch (at most one queued per batch)."""

    def __init__(self, app: procrastinate.App) -> None:
        self.app = app

    async def dispatch(self, cycle: str, batch_nos: Sequence[int]) -> None:
        for batch_no in batch_nos:
            try:
                await self.app.configure_task(
                    BILL_BATCH_TASK, queueing_lock=f"bill:{cycle}:{batch_no}"
                ).defer_async(cycle=cycle, batch_no=batch_no)
            except AlreadyEnqueued:
                continue


def conninfo_from_url(database_url: str) -> str:
    """A libpq conninfo (``postgresql://…``) from a SQLAlchemy URL (``postgresql+asyncpg://…``).

    asyncpg's ``ssl=`` query option becomes libpq's ``sslmode=``.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"procrastinate needs PostgreSQL, not {url.get_backend_name()}")
    query = dict(url.query)
    if "ssl" in query and "sslmode" not in query:
        query["sslmode"] = query.pop("ssl")
    url = url.set(drivername="postgresql", query=query)
    return url.render_as_string(hide_password=False)


def build_procrastinate_app(
    database_url: str,
    *,
    runner: DueJobRunner,
    bill_batch: BillBatch | None = None,
    connector: procrastinate.BaseConnector | None = None,
) -> procrastinate.App:
    """A procrastinate app whose periodic task runs ``runner.run_once`` every minute, and,
    given ``bill_batch``, the task that bills one batch of a bill run. ``connector`` replaces
    the PostgreSQL connector (tests)."""
    app = procrastinate.App(
        connector=connector
        or procrastinate.PsycopgConnector(conninfo=conninfo_from_url(database_url))
    )

    async def run_due_jobs(timestamp: int) -> None:
        """Run the jobs due now (``timestamp`` is procrastinate's tick, unused: the business
        clock decides what is due)."""
        await runner.run_once()

    task = app.task(name=RUN_DUE_TASK, queueing_lock=RUN_DUE_TASK, lock=RUN_DUE_TASK)(run_due_jobs)
    app.periodic(cron=RUN_DUE_CRON)(task)
    if bill_batch is not None:
        billing = bill_batch

        async def bill_one_batch(cycle: str, batch_no: int) -> None:
            """Bill one batch of a planned bill run (idempotent)."""
            if not await billing(cycle, batch_no):
                raise BatchNotPlanned(f"batch {batch_no} of {cycle} is not planned yet")

        app.task(
            name=BILL_BATCH_TASK,
            retry=procrastinate.RetryStrategy(max_attempts=BILL_BATCH_ATTEMPTS, wait=3),
        )(bill_one_batch)
    return app
