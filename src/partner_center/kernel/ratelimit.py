"""Per-(caller, API) token buckets: the reference's 10 requests per second, answered with the
gateway's 429 body when exceeded (api-semantics.md §1.9)."""

from __future__ import annotations

import time
from collections.abc import Callable

from partner_center.kernel.errors import DomainError


class RateLimiter:
    """In-process token buckets. ``per_second`` 0 disables limiting."""

    def __init__(
        self,
        per_second: int,
        *,
        max_keys: int = 100_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.max_keys = max_keys
        # Real (monotonic) time: throttling is about request rates, not business time.
        self._monotonic = monotonic
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def check(self, caller: str, api: str) -> None:
        if self.per_second <= 0:
            return
        now = self._monotonic()
        key = (caller, api)
        tokens, last = self._buckets.get(key, (float(self.per_second), now))
        tokens = min(float(self.per_second), tokens + (now - last) * self.per_second)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise DomainError(
                "APIG.0308",
                "The throttling threshold has been reached: policy user over ratelimit,"
                f"limit:{self.per_second},time:1 second",
            )
        if len(self._buckets) >= self.max_keys and key not in self._buckets:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1.0, now)
