"""Where a scheduled bill run sends its batches of partners.

Without a dispatcher (SQLite, the in-process runner, tests) the scheduled job bills every batch
in its own unit of work. The procrastinate worker (``partner-center worker`` on PostgreSQL)
installs a dispatcher that defers one procrastinate task per batch, so every worker process,
on any machine, takes batches of the same run; each task bills its batch in one transaction
and then tries to complete the run (``BillRunner.complete``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class BatchDispatcher(Protocol):
    async def dispatch(self, cycle: str, batch_nos: Sequence[int]) -> None:
        """Queue the billing of these batches of ``cycle`` (each at most once while queued)."""
        ...


@dataclass
class BillFanOut:
    """The process's dispatcher, set once by the worker at start-up (None: in-process)."""

    dispatcher: BatchDispatcher | None = None
