"""Renewals aligned to the customer's ``EXPIRE_DATE`` (issue 13 item 4): the aligned end and the
by-the-day price of the longer term."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from partner_center.domains.catalog.public import ProductKey
from partner_center.domains.orders.service import PricedLine
from partner_center.domains.orders.subscriptions import aligned_end, aligned_line

ZONE = ZoneInfo("Asia/Shanghai")


def local(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=ZONE).astimezone(UTC)


@pytest.mark.parametrize(
    ("natural", "day", "expected"),
    [
        (local(2026, 1, 3), 28, local(2026, 1, 28)),
        (local(2026, 1, 28), 28, local(2026, 1, 28)),  # already there
        (local(2026, 1, 29), 28, local(2026, 2, 28)),  # next month
        (local(2026, 1, 3), -1, local(2026, 1, 31)),
        (local(2026, 2, 3), -1, local(2026, 2, 28)),
        (local(2028, 2, 3), -1, local(2028, 2, 29)),  # leap year
        (local(2026, 12, 20), 5, local(2027, 1, 5)),  # across the year
        # 23:30 in UTC+8 is still the previous day in UTC: the day is the billing zone's.
        (local(2026, 3, 9, 23), 10, local(2026, 3, 10, 23)),
    ],
)
def test_the_aligned_end(natural: datetime, day: int, expected: datetime) -> None:
    assert aligned_end(ZONE, natural, day) == expected


def line(official: str, discounted: str) -> PricedLine:
    return PricedLine(
        product=ProductKey("s", "r", "spec", "region"),
        service_type_name="S",
        resource_type_name="R",
        product_id="p",
        product_spec_desc="d",
        period_type=2,
        period_num=1,
        subscription_num=1,
        official=Decimal(official),
        discounted=Decimal(discounted),
    )


def test_the_longer_term_is_priced_by_the_day() -> None:
    # Expiring 3 January: one month ends 3 February (31 days); aligned to the 10th, 38 days.
    priced = aligned_line(line("25.40", "21.59"), local(2026, 1, 3), ZONE, expire_day=10, months=1)
    assert priced.ends_at == local(2026, 2, 10)
    assert priced.official == Decimal("31.14")  # 25.40 × 38 / 31 = 31.1355 → 31.14
    assert priced.discounted == Decimal("26.47")  # 21.59 × 38 / 31 = 26.4652 → 26.47


def test_no_change_when_the_end_falls_on_the_day() -> None:
    priced = aligned_line(line("25.40", "25.40"), local(2026, 1, 3), ZONE, expire_day=3, months=1)
    assert (priced.official, priced.ends_at) == (Decimal("25.40"), local(2026, 2, 3))
