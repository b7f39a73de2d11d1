"""Scheduled jobs of this domain."""

from __future__ import annotations

from partner_center.kernel.jobs import JobRegistry


def register(registry: JobRegistry) -> None:
    """Register this domain's periodic and one-off jobs."""
