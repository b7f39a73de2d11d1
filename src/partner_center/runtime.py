"""Building the runtime state (settings, database, clocks, cipher, limiter, jobs) without the
web application, so CLI commands start without importing every HTTP router."""

from __future__ import annotations

from partner_center.domains.identity.public import SecretCipher
from partner_center.http.ratelimit import RateLimiter
from partner_center.http.state import AppState
from partner_center.kernel.clock import Clock, SandboxClock, SystemClock, WallClock
from partner_center.kernel.db import Database
from partner_center.settings import Settings
from partner_center.worker.registry import build_registry


def build_state(
    settings: Settings, *, db: Database | None = None, clock: Clock | None = None
) -> AppState:
    """The shared state of the server, the CLI and jobs."""
    wall = WallClock()
    business: Clock = clock or (SandboxClock(wall) if settings.sandbox else SystemClock())
    return AppState(
        settings=settings,
        db=db or Database(settings.resolved_database_url),
        clock=business,
        wall=wall,
        cipher=SecretCipher(settings.encryption_key),
        limiter=RateLimiter(settings.rate_limit_per_second),
        jobs=build_registry(settings),
    )
