"""The scheduler's tables: one-off jobs, the cursor of each periodic job, and the log of
finished periodic occurrences."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, UtcDateTime, global_table
from partner_center.kernel.ids import new_id

NAME_MAX = 100
ERROR_MAX = 1000


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
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time the job is for (its ``as_of``), UTC."""
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time of the next attempt, UTC: ``due_at`` at first, later after a failure."""
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Attempts made so far (successful or not)."""
    last_error: Mapped[str | None] = mapped_column(String(ERROR_MAX), nullable=True)
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

    name: Mapped[str] = mapped_column(String(NAME_MAX), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time the job was first seen, UTC; its first occurrence is the next one after it,
    so a fresh database does not run years of history."""
    last_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """The latest occurrence that finished (DONE or finally FAILED), UTC."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Failed attempts of the next occurrence so far."""
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Business time of the next attempt of a failed next occurrence, UTC."""
    last_error: Mapped[str | None] = mapped_column(String(ERROR_MAX), nullable=True)


class PeriodicJobRun(Base):
    """One finished occurrence of a periodic job; unique per (name, due_at), so never twice."""

    __tablename__ = "periodic_job_runs"
    __table_args__ = (UniqueConstraint("name", "due_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """The occurrence, UTC."""
    status: Mapped[str] = mapped_column(String(16))
    """DONE, or FAILED after ``MAX_ATTEMPTS`` attempts."""
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_MAX), nullable=True)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time at which the occurrence finished, UTC."""


global_table("scheduled_jobs", "system job queue; payload carries tenant")
global_table("periodic_job_cursors", "system scheduler state: one row per periodic job")
global_table("periodic_job_runs", "system scheduler log: one row per periodic occurrence")
