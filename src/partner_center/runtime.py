"""Building the runtime state (settings, database, clocks, cipher, limiter, jobs) without the
web application, so CLI commands start without importing every HTTP router."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.associations.public import AssociationEvent, association_hooks
from partner_center.domains.balances.public import HOOK_NAME as BALANCE_RETURN_HOOK
from partner_center.domains.balances.public import return_balance_on_disassociation
from partner_center.domains.coupons.public import reclaim_coupons_on_disassociation
from partner_center.kernel.clock import Clock, SandboxClock, SystemClock, WallClock
from partner_center.kernel.db import Database
from partner_center.kernel.ratelimit import RateLimiter
from partner_center.services import Wiring
from partner_center.settings import Settings
from partner_center.state import AppState
from partner_center.worker.registry import build_registry

COUPON_RECLAIM_HOOK = "coupons.reclaim_on_disassociation"


async def _reclaim_coupons(session: AsyncSession, event: AssociationEvent) -> None:
    """Partner coupons go back to their quotas when the customer leaves (rules.md §2.6.12)."""
    await reclaim_coupons_on_disassociation(session, customer_id=event.customer_id, at=event.at)


def wire_association_hooks() -> None:
    """What other domains do when an association ends, registered in one visible place
    (idempotent: hooks are keyed by name)."""
    association_hooks.on_disassociated(COUPON_RECLAIM_HOOK, _reclaim_coupons)
    association_hooks.on_disassociated(BALANCE_RETURN_HOOK, return_balance_on_disassociation)


def build_state(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    wall: WallClock | None = None,
) -> AppState:
    """The shared state of the server, the CLI and jobs. ``clock`` and ``wall`` replace the
    business and security clocks (tests)."""
    wire_association_hooks()
    wiring = Wiring.from_settings(settings, wall=wall)
    business: Clock = clock or (SandboxClock(wiring.wall) if settings.sandbox else SystemClock())
    return AppState(
        wiring=wiring,
        db=db or Database(settings.resolved_database_url),
        clock=business,
        limiter=RateLimiter(settings.rate_limit_per_second),
        jobs=build_registry(wiring),
    )
