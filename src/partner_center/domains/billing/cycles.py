"""Billing cycles: calendar months in the billing time zone, named ``YYYY-MM``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from partner_center.domains.billing.errors import invalid

_CYCLE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_cycle(text: str, field: str = "bill_cycle") -> str:
    """``text`` if it is a ``YYYY-MM`` cycle, else ``CBC.0100`` naming ``field``."""
    if not isinstance(text, str) or not _CYCLE.match(text):
        raise invalid(field, "A billing cycle is YYYY-MM.")
    return text


def cycle_bounds(cycle: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where ``cycle`` starts and the next one starts."""
    year, month = (int(part) for part in cycle.split("-"))
    start = datetime(year, month, 1, tzinfo=zone)
    nxt = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), nxt.astimezone(UTC)


def cycle_of(instant: datetime, zone: ZoneInfo) -> str:
    """The cycle an instant belongs to."""
    local = instant.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def previous_cycle(cycle: str) -> str:
    year, month = (int(part) for part in cycle.split("-"))
    index = year * 12 + month - 2
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def next_cycle(cycle: str) -> str:
    year, month = (int(part) for part in cycle.split("-"))
    index = year * 12 + month
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
