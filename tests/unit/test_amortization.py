"""The day-by-day spread of a yearly/monthly fee (``billing.amortization.Spread``)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from partner_center.domains.billing.amortization import Spread, month_days

D = Decimal


def test_a_month_bought_mid_month_splits_by_day() -> None:
    spread = Spread(D("30.00"), date(2026, 6, 16), 30)
    assert spread.last == date(2026, 7, 15)
    assert spread.share(*month_days("2026-06")) == D("15.00")
    assert spread.share(*month_days("2026-07")) == D("15.00")
    assert spread.share(*month_days("2026-05")) == 0
    assert spread.share(*month_days("2026-08")) == 0


def test_the_residue_goes_to_the_last_day_so_the_parts_sum_exactly() -> None:
    spread = Spread(D("10.00"), date(2026, 1, 1), 3)
    days = [spread.share(d, d) for d in (date(2026, 1, 1) + timedelta(n) for n in range(3))]
    assert days == [D("3.33333333"), D("3.33333333"), D("3.33333334")]
    assert sum(days) == D("10.00")
    year = Spread(D("100.00"), date(2026, 7, 1), 365)
    months = [
        year.share(*month_days(f"{y}-{m:02d}"))
        for y, m in [(2026, m) for m in range(7, 13)] + [(2027, m) for m in range(1, 7)]
    ]
    assert months[0] == D("8.4931506")
    assert months[-1] == D("8.219179")
    assert sum(months) == D("100.00")


def test_a_refund_is_spread_negative_and_truncated_toward_zero() -> None:
    refund = Spread(D("-10.00"), date(2026, 1, 1), 3)
    assert refund.share(date(2026, 1, 1), date(2026, 1, 2)) == D("-6.66666666")
    assert refund.share(date(2026, 1, 3), date(2026, 1, 3)) == D("-3.33333334")
