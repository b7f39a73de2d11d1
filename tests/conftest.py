"""Shared fixtures: a migrated database per test session, and a business clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

os.environ.setdefault("PARTNER_CENTER_SECRET_KEY", "test-secret-key-not-for-production")

from partner_center.domains import all_models  # noqa: F401
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Base, Database
from tests.dbutil import create_fresh_database, drop_database


@pytest.fixture(scope="session")
async def database() -> AsyncIterator[Database]:
    """A fresh, migrated database shared by the session's integration tests.

    Tests never depend on each other's rows: each creates its own tenants with unique ids.
    """
    url, pg_name = await create_fresh_database()
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield db
    await db.dispose()
    await drop_database(pg_name)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))
