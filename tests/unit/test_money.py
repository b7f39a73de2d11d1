from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_center.kernel.money import (
    Money,
    MoneyError,
    decimal_places,
    from_storage_units,
    to_cents,
    to_storage_units,
    truncate,
)

amounts = st.decimals(
    min_value=Decimal("-92000000000"),
    max_value=Decimal("92000000000"),
    places=8,
    allow_nan=False,
    allow_infinity=False,
)


def test_floats_and_bools_are_refused() -> None:
    with pytest.raises(MoneyError):
        Money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(True, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(Decimal("NaN"), "USD")


def test_mixing_currencies_is_refused() -> None:
    with pytest.raises(MoneyError):
        Money.of("1", "USD") + Money.of("1", "CNY")
    with pytest.raises(MoneyError):
        _ = Money.of("1", "USD") < Money.of("1", "CNY")
    with pytest.raises(MoneyError):
        Money.of("1", "usd")


def test_arithmetic_is_exact() -> None:
    total = Money.of("0.1", "USD") + Money.of("0.2", "USD")
    assert total == Money.of("0.3", "USD")
    assert (Money.of("10.005", "USD")).rounded() == Money.of("10.01", "USD")
    assert (Money.of("3", "USD") * 3 - Money.of("9", "USD")).is_zero


def test_named_roundings() -> None:
    assert to_cents(Decimal("2.345")) == Decimal("2.35")
    assert to_cents(Decimal("-2.345")) == Decimal("-2.35")
    assert truncate(Decimal("1.23456789"), 6) == Decimal("1.234567")
    assert decimal_places(Decimal("100.50")) == 1
    assert decimal_places(Decimal("100.505")) == 3
    assert decimal_places(Decimal("100")) == 0


@given(amounts)
def test_storage_round_trip_is_lossless(value: Decimal) -> None:
    assert from_storage_units(to_storage_units(value)) == value


def test_storage_refuses_more_than_eight_places() -> None:
    with pytest.raises(MoneyError):
        to_storage_units(Decimal("0.000000001"))
    with pytest.raises(MoneyError):
        to_storage_units(Decimal("1e12"))
