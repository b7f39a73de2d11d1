"""Working days: Monday to Friday, less the configured holidays (``PARTNER_CENTER_HOLIDAYS``),
counted in the billing time zone. A bank transfer is confirmed "within three working days" of
its ticket (rules.md §6.12)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

#: Working days the operator has to confirm a bank transfer.
BANK_TRANSFER_WORKING_DAYS = 3


def is_working_day(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Iterable[date]) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
    off = frozenset(holidays)
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, off):
            counted += 1
    return day
