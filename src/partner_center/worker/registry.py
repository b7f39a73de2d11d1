"""Every domain's jobs, registered in one registry (the composition root builds it once)."""

from __future__ import annotations

from partner_center.kernel.jobs import JobRegistry


def build_registry() -> JobRegistry:
    """Collect the periodic and one-off jobs of every domain."""
    registry = JobRegistry()
    return registry
