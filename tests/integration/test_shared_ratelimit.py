"""The rate limit shared by every server process: counters in PostgreSQL, or in Redis when
configured (issue 10, item 4). Two limiters stand for two processes: together they allow the
limit once, not twice."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import UTC, datetime

import pytest

from partner_center.kernel.errors import DomainError
from partner_center.kernel.ratelimit import (
    Limiter,
    PostgresRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    build_limiter,
)
from partner_center.settings import Settings
from tests.dbutil import create_fresh_database, drop_database, is_postgres, migrate

REDIS_URL = "redis://127.0.0.1:6379/0"


class StoppedWall:
    def __init__(self) -> None:
        self.at = datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


def redis_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


async def two_processes_share_the_limit(first: Limiter, second: Limiter, wall: StoppedWall) -> None:
    caller = uuid.uuid4().hex
    for i in range(10):
        await (first if i % 2 else second).acquire(caller, "list_sub_customers")
    for limiter in (first, second):
        with pytest.raises(DomainError) as info:
            await limiter.acquire(caller, "list_sub_customers")
        assert info.value.code == "APIG.0308"
    await first.acquire(caller, "show_customer")  # another API has its own counter
    await first.acquire(uuid.uuid4().hex, "list_sub_customers")  # another caller too
    wall.at = wall.at.replace(second=1)
    await second.acquire(caller, "list_sub_customers")  # the next second starts again


@pytest.mark.skipif(not redis_running(), reason="no Redis at 127.0.0.1:6379")
async def test_redis_counters_are_shared() -> None:
    wall = StoppedWall()
    first = RedisRateLimiter(REDIS_URL, 10, wall=wall)  # type: ignore[arg-type]
    second = RedisRateLimiter(REDIS_URL, 10, wall=wall)  # type: ignore[arg-type]
    try:
        await two_processes_share_the_limit(first, second, wall)
    finally:
        await first.aclose()
        await second.aclose()


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL's counters")
async def test_postgresql_counters_are_shared() -> None:
    url, name = await create_fresh_database()
    try:
        await asyncio.to_thread(migrate, url)
        wall = StoppedWall()
        first = PostgresRateLimiter(url, 10, wall=wall)  # type: ignore[arg-type]
        second = PostgresRateLimiter(url, 10, wall=wall)  # type: ignore[arg-type]
        try:
            await two_processes_share_the_limit(first, second, wall)
        finally:
            await first.aclose()
            await second.aclose()
    finally:
        await drop_database(name)


def test_the_limiter_follows_the_settings() -> None:
    wall = StoppedWall()
    sqlite = Settings(database_url="sqlite+aiosqlite:///x.db")
    assert isinstance(
        build_limiter(10, database_url=sqlite.resolved_database_url, redis_url=None, wall=wall),  # type: ignore[arg-type]
        RateLimiter,
    )
    pg = "postgresql+asyncpg://u@h/db"
    assert isinstance(
        build_limiter(10, database_url=pg, redis_url=None, wall=wall),  # type: ignore[arg-type]
        PostgresRateLimiter,
    )
    assert isinstance(
        build_limiter(10, database_url=pg, redis_url=REDIS_URL, wall=wall),  # type: ignore[arg-type]
        RedisRateLimiter,
    )
