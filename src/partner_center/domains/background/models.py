"""Background work and the parts of its result file."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, TenantOwned, UtcDateTime
from partner_center.kernel.ids import new_id


class WorkKind(enum.StrEnum):
    CATALOG_IMPORT = "CATALOG_IMPORT"
    STATEMENT_EXPORT = "STATEMENT_EXPORT"
    BILL_RUN = "BILL_RUN"
    BILL_EXPORT = "BILL_EXPORT"


class WorkStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class BackgroundWork(TenantOwned, Base):
    """One piece of long work; ``tenant_id`` is the account that started it (a partner, or the
    operator) and the only one that sees it. It advances one step per job (``service.step``),
    each step in its own transaction, so its progress is visible while it runs."""

    __tablename__ = "background_work"
    __table_args__ = (Index("ix_background_work_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=WorkStatus.QUEUED)
    member_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The member who started it; the work acts with that member's permissions."""
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What the kind needs (a date range, a cycle, the uploaded file's name)."""
    upload: Mapped[bytes | None] = mapped_column(LargeBinary(), nullable=True)
    """The uploaded file of an import, kept until the work ends."""
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    """Units finished (lines, batches, stages: the kind says)."""
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Units in all; None while unknown."""
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What the finished work reports (counts), shown beside its result."""
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_msg: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time it was started, UTC."""
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Business time it ended (DONE or FAILED), UTC."""


class BackgroundWorkPart(TenantOwned, Base):
    """One step's share of a result file, in order: the file is the parts joined."""

    __tablename__ = "background_work_parts"

    work_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("background_work.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary())
