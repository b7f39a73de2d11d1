"""Exact money: a Decimal amount with an ISO-4217 currency. Floats are refused everywhere.

Rounding happens only in the named functions below, each with its purpose and rounding mode:

* ``to_cents`` — posting and display, 2 decimals, ROUND_HALF_UP (what a bill shows).
* ``to_rating`` — rating intermediate results, 8 decimals, ROUND_HALF_UP (bill/usage precision).
* ``truncate`` — inquiry precision (6 or 10 decimals), ROUND_DOWN, as the reference truncates ratings.

Storage: amounts are persisted as integers of 10⁻⁸ units (``STORAGE_SCALE``) in a BIGINT, so
SQLite and PostgreSQL store them losslessly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

STORAGE_SCALE = 8
_STORAGE_QUANT = Decimal(1).scaleb(-STORAGE_SCALE)
_STORAGE_FACTOR = 10**STORAGE_SCALE
CENT = Decimal("0.01")
#: The largest amount a BIGINT at scale 10⁻⁸ can hold (about 92 billion units).
MAX_STORABLE = Decimal(2**63 - 1).scaleb(-STORAGE_SCALE)


class MoneyError(ValueError):
    """Raised for invalid money values: floats, mixed currencies, too many decimals."""


def to_decimal(value: Any) -> Decimal:
    """Convert an int, str or Decimal to a finite Decimal. Floats and bools are refused."""
    if isinstance(value, bool | float):
        raise MoneyError(f"money must not be a {type(value).__name__}: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation as exc:
            raise MoneyError(f"not a number: {value!r}") from exc
    else:
        raise MoneyError(f"unsupported money value type {type(value).__name__}")
    if not result.is_finite():
        raise MoneyError(f"money must be finite: {value!r}")
    return result


def decimal_places(value: Decimal) -> int:
    """Number of significant decimal places (``Decimal('1.50')`` has 1, ``Decimal('1.505')`` 3)."""
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def to_cents(value: Decimal) -> Decimal:
    """Round for posting and display: 2 decimals, ROUND_HALF_UP."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_rating(value: Decimal) -> Decimal:
    """Round a rating result: 8 decimals, ROUND_HALF_UP."""
    return value.quantize(_STORAGE_QUANT, rounding=ROUND_HALF_UP)


def truncate(value: Decimal, places: int) -> Decimal:
    """Truncate (ROUND_DOWN) to ``places`` decimals, as inquiry prices are truncated."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


def to_storage_units(value: Decimal) -> int:
    """Exact integer of 10⁻⁸ units; raises if the value has more than 8 decimals or overflows."""
    if decimal_places(value) > STORAGE_SCALE:
        raise MoneyError(f"{value} has more than {STORAGE_SCALE} decimal places")
    units = int(value * _STORAGE_FACTOR)
    if abs(units) > 2**63 - 1:
        raise MoneyError(f"{value} is too large to store")
    return units


def from_storage_units(units: int) -> Decimal:
    """Inverse of :func:`to_storage_units`; the result carries 8 decimals."""
    return Decimal(units).scaleb(-STORAGE_SCALE)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Arithmetic never mixes currencies and never rounds."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise MoneyError(f"currency must be an ISO-4217 code, got {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        return cls(to_decimal(amount), currency)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount >= other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def rounded(self) -> Money:
        """Posting/display rounding (2 decimals, half-up)."""
        return Money(to_cents(self.amount), self.currency)

    def storage_units(self) -> int:
        return to_storage_units(self.amount)

    @classmethod
    def from_storage(cls, units: int, currency: str) -> Money:
        return cls(from_storage_units(units), currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
