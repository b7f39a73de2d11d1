"""When periodic jobs run: ``Monthly``, ``Daily`` and ``Hourly`` schedules, evaluated in the
billing time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from partner_center.kernel.clock import utc


class Schedule(Protocol):
    """When a periodic job runs, in the billing time zone."""

    def next_after(self, instant: datetime, zone: ZoneInfo) -> datetime:
        """The first occurrence strictly after ``instant``, as an aware UTC datetime."""
        ...


def _wall_time(zone: ZoneInfo, day: date, hour: int, minute: int) -> datetime:
    """The UTC instant of a wall-clock time in ``zone``.

    A time skipped by a daylight-saving gap is moved later by the length of the gap (02:30 on the
    spring-forward night in New York is 03:30 EDT); a time that happens twice when clocks go back
    is its first occurrence. Both follow PEP 495 ``fold=0`` (and java.time), so every local day
    has exactly one occurrence.
    """
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return local.astimezone(UTC)


def _check_time(hour: int, minute: int) -> None:
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0..23, got {hour}")
    if not 0 <= minute <= 59:
        raise ValueError(f"minute must be 0..59, got {minute}")


@dataclass(frozen=True, slots=True)
class Monthly:
    """``hour:minute`` on ``day`` of every month. ``day`` is 1..28 so every month has it."""

    day: int
    hour: int = 0
    minute: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 28:
            raise ValueError(f"monthly day must be 1..28 (every month has it), got {self.day}")
        _check_time(self.hour, self.minute)

    def next_after(self, instant: datetime, zone: ZoneInfo) -> datetime:
        instant = utc(instant)
        local = instant.astimezone(zone)
        # Candidates from the previous local month on: a DST shift moves an occurrence by hours,
        # never across a month, so one of these four is the answer.
        for shift in range(-1, 3):
            index = local.year * 12 + local.month - 1 + shift
            day = date(index // 12, index % 12 + 1, self.day)
            candidate = _wall_time(zone, day, self.hour, self.minute)
            if candidate > instant:
                return candidate
        raise AssertionError("unreachable: a month always has a later occurrence")


@dataclass(frozen=True, slots=True)
class Daily:
    """``hour:minute`` every day."""

    hour: int = 0
    minute: int = 0

    def __post_init__(self) -> None:
        _check_time(self.hour, self.minute)

    def next_after(self, instant: datetime, zone: ZoneInfo) -> datetime:
        instant = utc(instant)
        today = instant.astimezone(zone).date()
        for shift in range(-1, 3):
            candidate = _wall_time(zone, today + timedelta(days=shift), self.hour, self.minute)
            if candidate > instant:
                return candidate
        raise AssertionError("unreachable: a day always has a later occurrence")


@dataclass(frozen=True, slots=True)
class Hourly:
    """Every real hour, when the zone's wall clock shows ``minute`` past the hour.

    Hours are real hours: the repeated hour when clocks go back runs twice (once per real hour)
    and the skipped hour in spring does not run. The zone matters only for zones whose offset
    is not a whole number of hours (Asia/Kolkata: ``Hourly(0)`` is hh:30 UTC).
    """

    minute: int = 0

    def __post_init__(self) -> None:
        _check_time(0, self.minute)

    def next_after(self, instant: datetime, zone: ZoneInfo) -> datetime:
        instant = utc(instant)
        start = instant.replace(second=0, microsecond=0) + timedelta(minutes=1)
        wait = (self.minute - start.astimezone(zone).minute) % 60
        candidate = start + timedelta(minutes=wait)
        if candidate.astimezone(zone).minute == self.minute:
            return candidate
        # The offset changed by a fraction of an hour inside the window (Australia/Lord_Howe):
        # walk minute by minute.
        for step in range(24 * 60):
            candidate = start + timedelta(minutes=step)
            if candidate.astimezone(zone).minute == self.minute:
                return candidate
        raise AssertionError("unreachable: some minute of the next day matches")
