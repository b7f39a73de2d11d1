"""The only source of time.

Two clocks are injected separately:

* the **business clock** (``Clock``): what "now" means for bills, budgets, orders and jobs. In
  production it is ``SystemClock``; in sandbox mode it is ``SandboxClock``, the system time shifted
  by a persisted offset (or frozen at a persisted instant) that the server, the CLI and jobs all
  read from the database, so ``partner-center clock advance --days 40`` moves time for everyone.
* the **wall clock** (``WallClock``): real time, for security only — signature freshness
  (``X-Sdk-Date`` skew) and credential/token lifetimes. Moving the sandbox clock never makes a
  signed SDK request look stale and never expires a token.

Nothing outside this module calls ``datetime.now()``, ``date.today()`` or ``time.time()`` for
business time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as an aware UTC datetime (naive values are taken to be UTC already)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def to_micros(dt: datetime) -> int:
    """Microseconds since the Unix epoch for an aware datetime."""
    delta = utc(dt) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)


def format_utc(dt: datetime) -> str:
    """The reference wire format ``yyyy-MM-ddTHH:mm:ssZ``."""
    return utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    """Parse ``yyyy-MM-ddTHH:mm:ssZ`` (also accepts fractional seconds and ±hh:mm offsets)."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without time zone: {text!r}")
    return parsed.astimezone(UTC)


class Clock(Protocol):
    """Business time. ``now()`` is always an aware UTC datetime."""

    def now(self) -> datetime: ...


class WallClock:
    """Real time, for security checks only."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SystemClock:
    """Production business clock: real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that moves only when told (unit tests)."""

    current: datetime

    def now(self) -> datetime:
        return utc(self.current)

    def set(self, when: datetime) -> None:
        self.current = utc(when)

    def advance(self, delta: timedelta) -> None:
        self.current = utc(self.current) + delta


@dataclass
class SandboxState:
    """The persisted sandbox time: an offset from real time, or a frozen instant."""

    offset_us: int = 0
    frozen_at_us: int | None = None


class SandboxClock:
    """Real time shifted by a persisted offset, or frozen at a persisted instant.

    The state is cached in memory; ``kernel.db.load_sandbox_state`` refreshes it from the database
    at the start of every request and job so every process sees the same time.
    """

    def __init__(self, wall: WallClock | None = None, state: SandboxState | None = None) -> None:
        self._wall = wall or WallClock()
        self.state = state or SandboxState()

    def now(self) -> datetime:
        if self.state.frozen_at_us is not None:
            return from_micros(self.state.frozen_at_us)
        return self._wall.now() + timedelta(microseconds=self.state.offset_us)

    def state_for(self, when: datetime, *, frozen: bool) -> SandboxState:
        """The state that makes ``now()`` return ``when`` (frozen or running from there)."""
        if frozen:
            return SandboxState(offset_us=0, frozen_at_us=to_micros(when))
        return SandboxState(offset_us=to_micros(when) - to_micros(self._wall.now()))


def billing_zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date_in(zone: ZoneInfo, when: datetime) -> str:
    """``YYYY-MM-DD`` of an instant in the billing time zone."""
    return utc(when).astimezone(zone).strftime("%Y-%m-%d")


def start_of_month(zone: ZoneInfo, when: datetime) -> datetime:
    """00:00 on the 1st of ``when``'s month in ``zone``, as UTC."""
    local = utc(when).astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def add_months(zone: ZoneInfo, when: datetime, months: int) -> datetime:
    """Same wall-clock day and time ``months`` later in ``zone`` (clamped to month end), as UTC."""
    local = utc(when).astimezone(zone)
    month_index = local.month - 1 + months
    year = local.year + month_index // 12
    month = month_index % 12 + 1
    day = min(local.day, _days_in_month(year, month))
    naive = local.replace(tzinfo=None, year=year, month=month, day=day)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (datetime(year, month + 1, 1, tzinfo=UTC) - datetime(year, month, 1, tzinfo=UTC)).days
