"""What the composition root hands the HTTP layer: settings, database, clocks, cipher."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from partner_center.domains.identity.public import SecretCipher
from partner_center.http.ratelimit import RateLimiter
from partner_center.kernel.clock import Clock, SandboxClock, WallClock
from partner_center.kernel.db import Database
from partner_center.kernel.jobs import JobRegistry
from partner_center.settings import Settings


@dataclass
class AppState:
    settings: Settings
    db: Database
    clock: Clock
    wall: WallClock
    cipher: SecretCipher
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(10))
    jobs: JobRegistry = field(default_factory=JobRegistry)

    @property
    def sandbox_clock(self) -> SandboxClock | None:
        return self.clock if isinstance(self.clock, SandboxClock) else None

    @property
    def site(self) -> str:
        """ "cn" on a CNY deployment (China-site field rules), else "intl"."""
        return "cn" if self.settings.currency == "CNY" else "intl"


def app_state(request: Request) -> AppState:
    state = request.app.state.partner_center
    assert isinstance(state, AppState)
    return state
