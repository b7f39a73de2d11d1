"""Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL database created on the
server that DATABASE_URL points at (dropped afterwards)."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from partner_center.settings import Settings


def backend_url() -> str:
    """The configured test backend (SQLite unless DATABASE_URL is set)."""
    return os.environ.get("DATABASE_URL", "")


def is_postgres() -> bool:
    return backend_url().startswith(("postgres://", "postgresql"))


async def create_fresh_database() -> tuple[str, str | None]:
    """Return (async url, postgres db name or None) of a new, empty database."""
    if not is_postgres():
        path = Path(tempfile.mkdtemp(prefix="pc-test-")) / "test.db"
        return f"sqlite+aiosqlite:///{path}", None
    base = Settings(database_url=backend_url()).resolved_database_url
    name = f"pc_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = base.rsplit("/", 1)[0] + "/" + name
    # The trigram indexes of the models need pg_trgm before ``create_all`` (the migrations
    # create it themselves).
    fresh = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with fresh.connect() as conn:
        await conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    await fresh.dispose()
    return url, name


async def drop_database(name: str | None) -> None:
    if name is None:
        return
    base = Settings(database_url=backend_url()).resolved_database_url
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def migrate(url: str) -> None:
    """Bring a fresh database to head with the real migrations."""
    from partner_center.kernel.migrate import upgrade

    upgrade(url)
