"""The pure price maths of ``catalog.rating``: tiers, linear sizes, conversions, periods and
the named rounding, by hand-computed examples and Hypothesis properties."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partner_center.domains.catalog.rating import (
    ConversionTable,
    Tier,
    TierSchedule,
    discounted,
    inquiry_amount,
    on_demand_cost,
    period_amount_in_cents,
    period_cost,
)

#: OBS outbound traffic in the demo catalogue: first 10 TB, next 40 TB, next 100 TB, the rest.
TRAFFIC = TierSchedule(
    (
        Tier(Decimal(10240), Decimal("0.12")),
        Tier(Decimal(51200), Decimal("0.085")),
        Tier(Decimal(153600), Decimal("0.07")),
        Tier(None, Decimal("0.05")),
    )
)
#: Bandwidth by Mbit/s: the first 5 Mbit/s cheaper than the rest.
BANDWIDTH = TierSchedule((Tier(Decimal(5), Decimal("0.025")), Tier(None, Decimal("0.095"))))
UNITS = ConversionTable(
    [(9, 10, 1024), (10, 11, 1024), (36, 4, 24), (4, 5, 60), (5, 6, 60), (45, 44, 720)]
)

quantities = st.decimals(
    min_value=0, max_value=300_000, places=4, allow_nan=False, allow_infinity=False
).map(Fraction)
prices = st.decimals(min_value=0, max_value=1000, places=8, allow_nan=False, allow_infinity=False)


@st.composite
def schedules(draw: st.DrawFn) -> TierSchedule:
    bounds = sorted(
        draw(st.sets(st.integers(min_value=1, max_value=200_000), min_size=0, max_size=4))
    )
    uppers: list[Decimal | None] = [Decimal(b) for b in bounds]
    uppers.append(None)
    return TierSchedule(tuple(Tier(up, draw(prices)) for up in uppers))


def test_traffic_tiers_by_hand() -> None:
    assert TRAFFIC.cumulative(Fraction(0)) == 0
    assert TRAFFIC.cumulative(Fraction(1000)) == Fraction("120")
    # 10 240 GB at 0.12 + 9 760 GB at 0.085
    assert TRAFFIC.cumulative(Fraction(20000)) == Fraction("1228.8") + Fraction("829.6")
    # all four bands: 1228.8 + 40960×0.085 + 102400×0.07 + 46400×0.05
    assert TRAFFIC.cumulative(Fraction(200000)) == Fraction("1228.8") + Fraction(
        "3481.6"
    ) + Fraction("7168") + Fraction("2320")
    # the second 10 000 GB of a month start in the first band and end in the second
    assert TRAFFIC.cost(Fraction(10000), already_used=Fraction(10000)) == Fraction(
        "28.8"
    ) + Fraction("829.6")


def test_linear_and_subscription_rules() -> None:
    # 10 Mbit/s for 2 hours, 3 bandwidths: (5×0.025 + 5×0.095) × 2 × 3
    assert on_demand_cost(
        BANDWIDTH, usage=Fraction(2), subscription_num=3, size=Fraction(10)
    ) == Fraction("3.6")
    # usage-tiered products fill the tier window with the whole line: 3 × 5 000 GB
    assert on_demand_cost(TRAFFIC, usage=Fraction(5000), subscription_num=3) == TRAFFIC.cumulative(
        Fraction(15000)
    )
    assert period_cost(BANDWIDTH, period_num=3, subscription_num=2, size=Fraction(1)) == Fraction(
        "0.15"
    )
    assert period_cost(TierSchedule.flat(Decimal("25.40")), period_num=3, subscription_num=2) == (
        Fraction("152.4")
    )


def test_conversions_follow_chains_both_ways() -> None:
    assert UNITS.factor(9, 11) == 1024 * 1024
    assert UNITS.factor(11, 9) == Fraction(1, 1024 * 1024)
    assert UNITS.factor(36, 6) == 86400
    assert UNITS.factor(44, 45) == Fraction(1, 720)
    assert UNITS.factor(4, 4) == 1
    assert UNITS.factor(4, 10) is None
    assert UNITS.convert(Fraction(90), 5, 4) == Fraction(3, 2)


def test_named_rounding() -> None:
    third = Fraction(1, 3)
    assert inquiry_amount(third, 6) == Decimal("0.333333")
    assert inquiry_amount(third, 10) == Decimal("0.3333333333")
    assert inquiry_amount(Fraction(2, 3), 6) == Decimal("0.666666")  # truncated, not rounded
    assert period_amount_in_cents(Fraction(5, 1000)) == Decimal("0.01")  # half up
    assert period_amount_in_cents(Fraction(4999999, 10**9)) == Decimal("0.00")
    assert period_amount_in_cents(Fraction(1, 200) + Fraction(1, 10**30)) == Decimal("0.01")
    assert discounted(Fraction(200), Decimal("12.5")) == 175


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ((), "at least one tier"),
        ((Tier(Decimal(5), Decimal(1)),), "last tier must be open-ended"),
        ((Tier(None, Decimal(1)), Tier(None, Decimal(2))), "only the last tier"),
        (
            (Tier(Decimal(5), Decimal(1)), Tier(Decimal(5), Decimal(1)), Tier(None, Decimal(1))),
            "greater than the previous bound",
        ),
        ((Tier(None, Decimal(-1)),), "must not be negative"),
    ],
)
def test_invalid_tier_schedules(tiers: tuple[Tier, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TierSchedule(tiers)


@settings(max_examples=200, deadline=None)
@given(schedules(), quantities, quantities)
def test_price_is_monotonic_in_usage(schedule: TierSchedule, a: Fraction, b: Fraction) -> None:
    low, high = sorted((a, b))
    assert schedule.cumulative(low) <= schedule.cumulative(high)


@settings(max_examples=200, deadline=None)
@given(schedules(), quantities, quantities, quantities)
def test_rating_the_parts_sums_to_the_whole(
    schedule: TierSchedule, before: Fraction, a: Fraction, b: Fraction
) -> None:
    whole = schedule.cost(a + b, already_used=before)
    parts = schedule.cost(a, already_used=before) + schedule.cost(b, already_used=before + a)
    assert whole == parts


@settings(max_examples=200, deadline=None)
@given(
    schedules(),
    quantities,
    quantities,
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=1, max_value=50),
)
def test_linear_price_is_monotonic_in_size_usage_and_count(
    schedule: TierSchedule, size: Fraction, usage: Fraction, n: int, m: int
) -> None:
    base = on_demand_cost(schedule, usage=usage, subscription_num=n, size=size)
    assert base <= on_demand_cost(schedule, usage=usage + 1, subscription_num=n, size=size)
    assert base <= on_demand_cost(schedule, usage=usage, subscription_num=n, size=size + 1)
    assert base <= on_demand_cost(schedule, usage=usage, subscription_num=n + m, size=size)


@settings(max_examples=300, deadline=None)
@given(
    st.fractions(min_value=0, max_value=10**9, max_denominator=10**12),
    st.sampled_from([6, 10]),
)
def test_truncation_never_increases_a_price(value: Fraction, places: int) -> None:
    truncated = inquiry_amount(value, places)
    assert Fraction(truncated) <= value
    assert value - Fraction(truncated) < Fraction(1, 10**places)
    assert inquiry_amount(Fraction(truncated), places) == truncated


@settings(max_examples=200, deadline=None)
@given(
    prices,
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=100),
)
def test_n_months_cost_n_times_one_month(price: Decimal, months: int, count: int) -> None:
    monthly = TierSchedule.flat(price)
    one = period_cost(monthly, period_num=1, subscription_num=1)
    assert period_cost(monthly, period_num=months, subscription_num=count) == one * months * count
    if price == price.quantize(Decimal("0.01")):
        # whole-cent monthly prices: the rounded N-month price is exactly N × the monthly one
        assert period_amount_in_cents(one * months) == price * months


@settings(max_examples=200, deadline=None)
@given(schedules(), quantities, st.decimals(min_value=0, max_value=100, places=2))
def test_a_discount_never_raises_the_price(
    schedule: TierSchedule, usage: Fraction, percent: Decimal
) -> None:
    amount = schedule.cumulative(usage)
    after = discounted(amount, percent)
    assert 0 <= after <= amount
    for places in (6, 10):
        assert inquiry_amount(after, places) <= inquiry_amount(amount, places)
