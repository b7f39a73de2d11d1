"""The composition root without the web application: settings, database, clocks, the wiring
of the services container, the rate limiter and the job registry, so CLI commands start
without importing every HTTP router."""

from __future__ import annotations

from partner_center.kernel.clock import Clock, SandboxClock, SystemClock, WallClock
from partner_center.kernel.db import Database
from partner_center.kernel.ratelimit import build_limiter
from partner_center.services import Wiring
from partner_center.settings import Settings
from partner_center.state import AppState
from partner_center.worker.registry import build_registry


def build_state(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    wall: WallClock | None = None,
) -> AppState:
    """The shared state of the server, the CLI and jobs. ``clock`` and ``wall`` replace the
    business and security clocks (tests)."""
    wiring = Wiring.from_settings(settings, wall=wall)
    business: Clock = clock or (SandboxClock(wiring.wall) if settings.sandbox else SystemClock())
    return AppState(
        wiring=wiring,
        db=db
        or Database(
            settings.resolved_database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        ),
        clock=business,
        limiter=build_limiter(
            settings.rate_limit_per_second,
            database_url=settings.resolved_database_url,
            redis_url=settings.redis_url,
            wall=wiring.wall,
        ),
        jobs=build_registry(wiring),
    )
