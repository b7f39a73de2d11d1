"""Per-(caller, API) request limits: the reference's 10 requests per second, answered with the
gateway's 429 body when exceeded (api-semantics.md §1.9).

Three implementations of one ``acquire(caller, api)``:

* ``RateLimiter``: token buckets in process memory (one process: SQLite, or tests);
* ``PostgresRateLimiter``: one counter row per (caller, API) and second in PostgreSQL, shared
  by every server process on the database (``serve --workers N``);
* ``RedisRateLimiter``: the same counters in Redis when ``PARTNER_CENTER_REDIS_URL`` is set.

The shared ones count requests per wall-clock second (a fixed window) on their own autocommit
connection, so a request's transaction never holds a counter's row lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import BigInteger, Integer, String, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.clock import WallClock
from partner_center.kernel.db import Base, global_table
from partner_center.kernel.errors import DomainError


class Limiter(Protocol):
    """What the gateway calls for every throttled request."""

    async def acquire(self, caller: str, api: str) -> None:
        """Count one request of ``caller`` to ``api``; ``APIG.0308`` (429) over the limit."""
        ...

    async def aclose(self) -> None: ...


def throttled(per_second: int) -> DomainError:
    return DomainError(
        "APIG.0308",
        "The throttling threshold has been reached: policy user over ratelimit,"
        f"limit:{per_second},time:1 second",
    )


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
            raise throttled(self.per_second)
        if len(self._buckets) >= self.max_keys and key not in self._buckets:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1.0, now)

    async def acquire(self, caller: str, api: str) -> None:
        self.check(caller, api)

    async def aclose(self) -> None:
        return None


class RateLimitWindow(Base):
    """The requests one (caller, API) made in one wall-clock second (``PostgresRateLimiter``)."""

    __tablename__ = "rate_limit_windows"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    """``<caller>|<api>``."""
    second: Mapped[int] = mapped_column(BigInteger)
    """The window: whole seconds since the epoch (wall clock, UTC)."""
    hits: Mapped[int] = mapped_column(Integer)


global_table("rate_limit_windows", "request counters per caller and API, shared by processes")

_UPSERT = text(
    "INSERT INTO rate_limit_windows (key, second, hits) VALUES (:key, :second, 1) "
    "ON CONFLICT (key) DO UPDATE SET hits = CASE WHEN rate_limit_windows.second = "
    "EXCLUDED.second THEN rate_limit_windows.hits + 1 ELSE 1 END, second = EXCLUDED.second "
    "RETURNING hits"
)


#: The PostgreSQL limiter's own connections per process (one short upsert each): counted in
#: a process's connection budget beside the database pool.
LIMITER_POOL_SIZE = 2
LIMITER_MAX_OVERFLOW = 6


class PostgresRateLimiter:
    """Counters in PostgreSQL: one upsert per request on a small autocommit pool of its own."""

    def __init__(self, url: str, per_second: int, *, wall: WallClock) -> None:
        self.url = url
        self.per_second = per_second
        self.wall = wall
        self._engine: AsyncEngine | None = None

    async def acquire(self, caller: str, api: str) -> None:
        if self.per_second <= 0:
            return
        if self._engine is None:
            self._engine = create_async_engine(
                self.url,
                pool_size=LIMITER_POOL_SIZE,
                max_overflow=LIMITER_MAX_OVERFLOW,
                isolation_level="AUTOCOMMIT",
            )
        second = int(self.wall.now().timestamp())
        async with self._engine.connect() as conn:
            hits = await conn.scalar(_UPSERT, {"key": f"{caller}|{api}"[:200], "second": second})
        if int(hits or 0) > self.per_second:
            raise throttled(self.per_second)

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


class RedisRateLimiter:
    """Counters in Redis: ``INCR`` of a key per (caller, API, second) that expires after it."""

    def __init__(self, url: str, per_second: int, *, wall: WallClock) -> None:
        self.url = url
        self.per_second = per_second
        self.wall = wall
        self._client: Any = None

    async def acquire(self, caller: str, api: str) -> None:
        if self.per_second <= 0:
            return
        if self._client is None:
            from redis.asyncio import Redis

            self._client = Redis.from_url(self.url)
        second = int(self.wall.now().timestamp())
        key = f"partner-center:rl:{caller}|{api}:{second}"
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 2)
            hits, _ = await pipe.execute()
        if int(hits) > self.per_second:
            raise throttled(self.per_second)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def build_limiter(
    per_second: int, *, database_url: str, redis_url: str | None, wall: WallClock
) -> Limiter:
    """Redis when configured, else PostgreSQL when the database is, else process memory."""
    if redis_url:
        return RedisRateLimiter(redis_url, per_second, wall=wall)
    if database_url.startswith("postgresql"):
        return PostgresRateLimiter(database_url, per_second, wall=wall)
    return RateLimiter(per_second)
