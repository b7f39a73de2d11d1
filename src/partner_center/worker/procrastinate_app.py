"""Due jobs under procrastinate (PostgreSQL).

A single periodic procrastinate task, every minute, calls the same ``DueJobRunner.run_once`` as
the in-process loop, so the job functions, their ordering and their never-twice guarantees are
the same on both backends. The task carries a queueing lock (at most one waiting) and a lock (one
running at a time); ``run_due`` is safe even without them.

Run a worker with ``await app.run_worker_async()`` inside ``async with app.open_async():`` after
``await app.schema_manager.apply_schema_async()`` has created procrastinate's tables once.
"""

from __future__ import annotations

import procrastinate
from sqlalchemy.engine import make_url

from partner_center.worker.runner import DueJobRunner

#: The procrastinate task that runs due jobs.
RUN_DUE_TASK = "partner_center.run_due_jobs"
RUN_DUE_CRON = "* * * * *"


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


def build_procrastinate_app(database_url: str, *, runner: DueJobRunner) -> procrastinate.App:
    """A procrastinate app whose one periodic task runs ``runner.run_once`` every minute."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo_from_url(database_url))
    )

    async def run_due_jobs(timestamp: int) -> None:
        """Run the jobs due now (``timestamp`` is procrastinate's tick, unused: the business
        clock decides what is due)."""
        await runner.run_once()

    task = app.task(name=RUN_DUE_TASK, queueing_lock=RUN_DUE_TASK, lock=RUN_DUE_TASK)(run_due_jobs)
    app.periodic(cron=RUN_DUE_CRON)(task)
    return app
