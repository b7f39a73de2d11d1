"""The per-(caller, API) token bucket, with a controlled clock."""

from __future__ import annotations

import pytest

from partner_center.kernel.errors import DomainError
from partner_center.kernel.ratelimit import RateLimiter


class Ticker:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_ten_per_second_then_429_then_refill() -> None:
    tick = Ticker()
    limiter = RateLimiter(10, monotonic=tick)
    for _ in range(10):
        limiter.check("caller-a", "list_sub_customers")
    with pytest.raises(DomainError) as info:
        limiter.check("caller-a", "list_sub_customers")
    assert info.value.code == "APIG.0308"
    assert info.value.status == 429
    assert "limit:10,time:1 second" in info.value.message
    limiter.check("caller-a", "create_sub_customer")  # another API has its own bucket
    limiter.check("caller-b", "list_sub_customers")  # another caller too
    tick.now += 0.11  # one token back (and a little)
    limiter.check("caller-a", "list_sub_customers")
    with pytest.raises(DomainError):
        limiter.check("caller-a", "list_sub_customers")
    tick.now += 5  # never more than a full bucket
    for _ in range(10):
        limiter.check("caller-a", "list_sub_customers")
    with pytest.raises(DomainError):
        limiter.check("caller-a", "list_sub_customers")


def test_zero_disables() -> None:
    limiter = RateLimiter(0)
    for _ in range(1000):
        limiter.check("c", "api")
