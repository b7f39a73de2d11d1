"""Pure price maths: tiers, linear sizes, unit conversions, periods. No database, no clock.

Every intermediate value is an exact ``Fraction`` built from Decimals, so conversions that divide
(minutes → hours, GB-hours → GB-months, requests → 10,000 requests) lose nothing. Results leave
this module only through kernel.money's named rounding functions:

* pay-per-use inquiries: :func:`inquiry_amount` — ``truncate`` to 6 decimals
  (``inquiry_precision`` 0) or 10 decimals (``inquiry_precision`` 1), ROUND_DOWN, as the
  reference truncates ratings (api-semantics.md §1.7);
* yearly/monthly prices: :func:`period_amount_in_cents` — ``to_cents``, 2 decimals,
  ROUND_HALF_UP, the posting precision of an order.

Both are exact: the Fraction is first floored to :data:`_GUARD_PLACES` decimals, which can neither
change a truncation to fewer places nor move a half-up rounding to 2 places across its midpoint.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from partner_center.kernel.money import to_cents, truncate

#: Decimals kept when an exact Fraction becomes a Decimal before the named rounding.
_GUARD_PLACES = 20

#: Inquiry precision (request ``inquiry_precision``) -> decimals kept.
INQUIRY_PLACES = {0: 6, 1: 10}


class PeriodType(enum.IntEnum):
    """Sales period of a yearly/monthly price (the reference's ``period_type``)."""

    DAY = 0
    MONTH = 2
    YEAR = 3
    HOUR = 4


@dataclass(frozen=True, slots=True)
class Tier:
    """One price band: ``unit_price`` for each unit above the previous band's bound, up to
    ``up_to`` units (``None`` = no upper bound; only the last band)."""

    up_to: Decimal | None
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class TierSchedule:
    """Graduated prices: each unit is charged at the price of the band it falls in (the first
    10 TB at one price, the next 40 TB at another ...). A flat price is a single open band."""

    tiers: tuple[Tier, ...]

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ValueError("a price needs at least one tier")
        lower = Decimal(0)
        for index, tier in enumerate(self.tiers):
            if tier.unit_price < 0:
                raise ValueError(f"tier {index + 1}: the unit price must not be negative")
            last = index == len(self.tiers) - 1
            if tier.up_to is None and not last:
                raise ValueError(f"tier {index + 1}: only the last tier may be open-ended")
            if tier.up_to is not None:
                if last:
                    raise ValueError("the last tier must be open-ended (no up_to)")
                if tier.up_to <= lower:
                    raise ValueError(
                        f"tier {index + 1}: up_to must be greater than the previous bound {lower}"
                    )
                lower = tier.up_to

    @classmethod
    def flat(cls, unit_price: Decimal) -> TierSchedule:
        return cls((Tier(None, unit_price),))

    @property
    def first_price(self) -> Decimal:
        return self.tiers[0].unit_price

    @property
    def is_flat(self) -> bool:
        return len(self.tiers) == 1

    def cumulative(self, quantity: Fraction) -> Fraction:
        """Cost of the first ``quantity`` units of a tier window."""
        if quantity < 0:
            raise ValueError("quantity must not be negative")
        total = Fraction(0)
        lower = Fraction(0)
        for tier in self.tiers:
            if quantity <= lower:
                break
            upper = None if tier.up_to is None else Fraction(tier.up_to)
            top = quantity if upper is None else min(quantity, upper)
            total += (top - lower) * Fraction(tier.unit_price)
            if upper is None:
                break
            lower = upper
        return total

    def cost(self, quantity: Fraction, *, already_used: Fraction = Fraction(0)) -> Fraction:
        """Cost of ``quantity`` units consumed after ``already_used`` units of the same window
        (a month of traffic, say): rating the parts one after the other sums to the whole."""
        return self.cumulative(already_used + quantity) - self.cumulative(already_used)


class ConversionTable:
    """Measure-unit conversions (``1 measure = ratio × ref_measure``), followed through chains
    in either direction: TB → GB → MB, day → hour → minute → second."""

    def __init__(self, ratios: Iterable[tuple[int, int, int]]) -> None:
        self._edges: dict[int, list[tuple[int, Fraction]]] = {}
        for measure_id, ref_measure_id, ratio in ratios:
            if ratio <= 0:
                raise ValueError("a conversion ratio must be positive")
            self._edges.setdefault(measure_id, []).append((ref_measure_id, Fraction(ratio)))
            self._edges.setdefault(ref_measure_id, []).append((measure_id, 1 / Fraction(ratio)))

    def factor(self, source: int, target: int) -> Fraction | None:
        """How many ``target`` units one ``source`` unit is, or None if they do not convert."""
        if source == target:
            return Fraction(1)
        seen = {source}
        queue: deque[tuple[int, Fraction]] = deque([(source, Fraction(1))])
        while queue:
            node, factor = queue.popleft()
            for neighbour, ratio in self._edges.get(node, ()):
                if neighbour in seen:
                    continue
                if neighbour == target:
                    return factor * ratio
                seen.add(neighbour)
                queue.append((neighbour, factor * ratio))
        return None

    def convert(self, quantity: Fraction, source: int, target: int) -> Fraction | None:
        factor = self.factor(source, target)
        return None if factor is None else quantity * factor


def on_demand_cost(
    schedule: TierSchedule,
    *,
    usage: Fraction,
    subscription_num: int,
    size: Fraction | None = None,
    usage_before: Fraction = Fraction(0),
) -> Fraction:
    """Exact list price of pay-per-use consumption.

    * Linear products (``size`` given: GB of disk, Mbit/s of bandwidth): the tiers price one
      resource's size per usage unit (an hour); each of the ``subscription_num`` resources has
      its own size, so the tiered size price × usage × subscription_num.
    * Other products: the tiers price the usage itself (GB of traffic, GB-months, requests), and
      the line's whole usage — ``usage × subscription_num`` — fills the tier window after
      ``usage_before`` units already consumed in it.
    """
    if usage < 0 or subscription_num < 1:
        raise ValueError("usage must not be negative and subscription_num at least 1")
    if size is not None:
        return schedule.cumulative(size) * usage * subscription_num
    return schedule.cost(usage * subscription_num, already_used=usage_before)


def period_cost(
    schedule: TierSchedule,
    *,
    period_num: int,
    subscription_num: int,
    size: Fraction | None = None,
) -> Fraction:
    """Exact list price of ``subscription_num`` resources for ``period_num`` periods: the price
    of one period (tiered by size for linear products) × periods × resources."""
    if period_num < 1 or subscription_num < 1:
        raise ValueError("period_num and subscription_num must be at least 1")
    one_period = schedule.cumulative(size if size is not None else Fraction(1))
    return one_period * period_num * subscription_num


def discounted(amount: Fraction, percent_off: Decimal) -> Fraction:
    """``amount`` less ``percent_off`` percent (exact)."""
    if not Decimal(0) <= percent_off <= Decimal(100):
        raise ValueError("percent_off must be between 0 and 100")
    return amount * (100 - Fraction(percent_off)) / 100


def _floor_decimal(value: Fraction) -> Decimal:
    scale = 10**_GUARD_PLACES
    return Decimal(value.numerator * scale // value.denominator).scaleb(-_GUARD_PLACES)


def inquiry_amount(value: Fraction, places: int) -> Decimal:
    """A pay-per-use inquiry amount: truncated (ROUND_DOWN) to ``places`` decimals."""
    return truncate(_floor_decimal(value), places)


def period_amount_in_cents(value: Fraction) -> Decimal:
    """A yearly/monthly price: 2 decimals, ROUND_HALF_UP (``to_cents``)."""
    return to_cents(_floor_decimal(value))
