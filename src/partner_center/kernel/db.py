"""Database plumbing shared by every domain: the declarative base, exact column types, engines
tuned for SQLite and PostgreSQL, and the unit of work (one transaction per request or job).

Services ``flush()`` but never ``commit()``; only ``Database.unit_of_work`` commits.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String, event, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from partner_center.kernel.clock import SandboxClock, SandboxState, utc
from partner_center.kernel.errors import DomainError
from partner_center.kernel.money import from_storage_units, to_decimal, to_storage_units
from partner_center.kernel.sqlite import one_hop_dbapi

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: The escape character of ``contains_pattern``'s LIKE patterns.
LIKE_ESCAPE = "\\"


def contains_pattern(value: str) -> str:
    """A ``LIKE`` pattern matching ``value`` anywhere, its ``%`` and ``_`` taken literally (use
    ``escape=LIKE_ESCAPE``)."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Tables that belong to no tenant, each with the reason. A test fails for any other table
#: without a ``tenant_id`` column.
GLOBAL_TABLES: dict[str, str] = {}


def global_table(name: str, reason: str) -> None:
    """Declare a table as tenant-less (system state), with the reason."""
    GLOBAL_TABLES[name] = reason


#: Tenant-owned tables whose ``tenant_id`` is deliberately not indexed, each with the reason (a
#: test fails for any other tenant table without an index on it).
UNINDEXED_TENANT: dict[str, str] = {}


def unindexed_tenant(name: str, reason: str) -> None:
    """Declare that a tenant table never filters by ``tenant_id`` (so it needs no index)."""
    UNINDEXED_TENANT[name] = reason


class TenantOwned:
    """Mixin: the account (operator, partner or customer id) that owns the row."""

    tenant_id: Mapped[str] = mapped_column(String(32), index=True)


class MoneyAmount(TypeDecorator[Decimal]):
    """A Decimal stored exactly as a BIGINT of 10⁻⁸ units (SQLite NUMERIC is lossy)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return to_storage_units(to_decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_storage_units(int(value))


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both backends (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("UtcDateTime needs an aware datetime")
        aware: datetime = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return aware.replace(tzinfo=None)
        return aware

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return utc(value)


class SandboxClockRow(Base):
    """The persisted sandbox business time (a single row, id = 1)."""

    __tablename__ = "sandbox_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset_us: Mapped[int] = mapped_column(BigInteger, default=0)
    """Microseconds added to real time (signed)."""
    frozen_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """If set, business time stands still at this instant (µs since the epoch, UTC)."""


global_table("sandbox_clock", "system clock state shared by every tenant")
global_table("alembic_version", "migration bookkeeping")


#: Execution option of a unit of work that only reads (``Database.unit_of_work(read_only=True)``).
READ_ONLY = "partner_center_read_only"


#: PostgreSQL's default pool per process: 16 connections at most, so a few server processes,
#: their rate limiters and a worker fit a ``max_connections`` of 100.
PG_POOL_SIZE = 8
PG_MAX_OVERFLOW = 8
#: SQLite's: a connection costs milliseconds to open (and a thread), and an overflow
#: connection is closed when returned, so the pool holds what a busy server reads with at
#: once (readers do not queue; writers take one connection at a time).
SQLITE_POOL_SIZE = 32
SQLITE_MAX_OVERFLOW = 32


def make_engine(
    url: str,
    *,
    pool: bool = True,
    pool_size: int | None = None,
    max_overflow: int | None = None,
) -> AsyncEngine:
    """An async engine.

    ``pool_size`` / ``max_overflow``: connections kept open by the process / opened beyond
    them under load (``None``: the backend's default below). Several server processes on one
    PostgreSQL need ``processes × (pool_size + max_overflow)`` (plus the workers' and the
    CLI's) within its ``max_connections``.

    SQLite: no thread hop inside a write transaction (``kernel/sqlite.py``), pooled
    connections (opening one costs milliseconds), WAL, and a transaction that writes starts with ``BEGIN IMMEDIATE`` (it takes the write lock first, so two writers
    never deadlock upgrading) while a read-only one starts with a plain ``BEGIN`` and reads its
    snapshot beside the writer. Writers of one process queue on ``Database``'s in-process lock
    before they begin, not in SQLite's busy-wait; the busy timeout stays for other processes
    (the CLI, a worker)."""
    if url.startswith("sqlite"):
        options: dict[str, Any] = {"connect_args": {"timeout": 60, "check_same_thread": False}}
        if url.startswith("sqlite+aiosqlite"):
            options["module"] = one_hop_dbapi()
        if pool:
            options.update(
                pool_size=SQLITE_POOL_SIZE if pool_size is None else pool_size,
                max_overflow=SQLITE_MAX_OVERFLOW if max_overflow is None else max_overflow,
                pool_pre_ping=False,
            )
        else:
            options["poolclass"] = NullPool
        engine = create_async_engine(url, **options)

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if pool:
        kwargs.update(
            pool_size=PG_POOL_SIZE if pool_size is None else pool_size,
            max_overflow=PG_MAX_OVERFLOW if max_overflow is None else max_overflow,
        )
    else:
        kwargs["poolclass"] = NullPool
    return create_async_engine(url, **kwargs)


class UnitOfWork:
    """One transaction: its session commits when the unit of work ends, or rolls back."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class Database:
    """Engine + session factory; the composition root owns one."""

    def __init__(
        self,
        url: str,
        *,
        pool: bool = True,
        pool_size: int | None = None,
        max_overflow: int | None = None,
    ) -> None:
        self.url = url
        self.engine = make_engine(url, pool=pool, pool_size=pool_size, max_overflow=max_overflow)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # A read-only unit of work begins (``BEGIN`` on SQLite) with its first statement, like
        # any other: one that finds everything it needs in memory (a cached key) costs nothing.
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # SQLite's writers of this process, queued (one lock per event loop: a lock belongs to
        # the loop it first waits on, and tests run several loops over one Database).
        self._writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def _writer_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._writers.get(loop)
        if lock is None:
            lock = self._writers[loop] = asyncio.Lock()
        return lock

    @asynccontextmanager
    async def unit_of_work(self, *, read_only: bool = False) -> AsyncIterator[UnitOfWork]:
        """Open a transaction; commit on success, roll back on any exception.

        ``read_only``: the unit of work only reads. On SQLite it starts with a plain ``BEGIN``
        and does not queue behind the writers; others queue on the process's writer lock for
        their whole transaction (SQLite has one writer at a time anyway)."""
        if self.is_sqlite and not read_only:
            async with self._writer_lock(), self._transaction(read_only=False) as uow:
                yield uow
            return
        async with self._transaction(read_only=read_only) as uow:
            yield uow

    @asynccontextmanager
    async def _transaction(self, *, read_only: bool) -> AsyncIterator[UnitOfWork]:
        sessions = self._read_sessions if read_only else self.sessions
        async with sessions() as session:
            uow = UnitOfWork(session)
            try:
                yield uow
                await session.commit()
            except DomainError as exc:
                if exc.keep_changes:
                    await session.commit()
                else:
                    await session.rollback()
                raise
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()


async def load_sandbox_state(session: AsyncSession) -> SandboxState:
    row = await session.get(SandboxClockRow, 1)
    if row is None:
        return SandboxState()
    return SandboxState(offset_us=row.offset_us, frozen_at_us=row.frozen_at_us)


async def save_sandbox_state(session: AsyncSession, state: SandboxState) -> None:
    row = (
        await session.execute(select(SandboxClockRow).where(SandboxClockRow.id == 1))
    ).scalar_one_or_none()
    if row is None:
        session.add(
            SandboxClockRow(id=1, offset_us=state.offset_us, frozen_at_us=state.frozen_at_us)
        )
    else:
        row.offset_us = state.offset_us
        row.frozen_at_us = state.frozen_at_us
    await session.flush()


async def refresh_sandbox_clock(clock: SandboxClock, session: AsyncSession) -> None:
    """Load the shared sandbox time into ``clock`` (call at the start of a request or job)."""
    clock.state = await load_sandbox_state(session)
