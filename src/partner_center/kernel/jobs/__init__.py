"""Scheduled work driven by the business clock.

Domains register their jobs on a ``JobRegistry`` (the kernel knows no domain; the registry
hands each job the services of its unit of work):

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

The package along its seams: ``schedules`` (when), ``registry`` (what, and what a job gets),
``models`` (the tables), ``queue`` (enqueueing), ``run`` (the run loop), ``travel`` (sandbox
time travel).
"""

from partner_center.kernel.jobs.models import (
    JobStatus,
    PeriodicJobCursor,
    PeriodicJobRun,
    ScheduledJob,
)
from partner_center.kernel.jobs.queue import schedule
from partner_center.kernel.jobs.registry import (
    JobContext,
    JobFunc,
    JobRegistry,
    PeriodicJob,
    ServicesFactory,
)
from partner_center.kernel.jobs.run import (
    DEFAULT_MAX_RUNS,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    JobLoopLimitExceeded,
    RunOutcome,
    RunRecord,
    run_due,
    track_periodic_jobs,
)
from partner_center.kernel.jobs.schedules import Daily, Hourly, Monthly, Schedule
from partner_center.kernel.jobs.travel import advance_sandbox_clock

__all__ = [
    "DEFAULT_MAX_RUNS",
    "MAX_ATTEMPTS",
    "RETRY_DELAYS",
    "Daily",
    "Hourly",
    "JobContext",
    "JobFunc",
    "JobLoopLimitExceeded",
    "JobRegistry",
    "JobStatus",
    "Monthly",
    "PeriodicJob",
    "PeriodicJobCursor",
    "PeriodicJobRun",
    "RunOutcome",
    "RunRecord",
    "Schedule",
    "ScheduledJob",
    "ServicesFactory",
    "advance_sandbox_clock",
    "run_due",
    "schedule",
    "track_periodic_jobs",
]
