"""SQLite through aiosqlite: one thread hop per statement, none inside a write transaction.

aiosqlite runs each connection's ``sqlite3`` calls on a thread of its own; SQLAlchemy's adapter
makes four round trips to it per statement (open a cursor, execute, fetch the rows, close).
Here the cursor does all four in one call, so a statement costs one round trip, with the
same thread, locking and error behaviour (the DBAPI module is SQLAlchemy's own, given the
connection class below through ``create_async_engine(module=...)``).

A round trip is a queue hand-off, a wake-up of the connection's thread and a yield of the
event loop to everything else ready to run: 0.1 ms on an idle machine, 5-15 ms when the
machine is oversubscribed (the thread waits for a time slice), against microseconds for the
statement. A writer pays it while holding SQLite's single write lock and the process's
writer queue, so every writer behind it waits for all its hops: that is what made writes
queue for seconds at 32 clients. So once a transaction holds the write lock (it began with
``BEGIN IMMEDIATE``, which itself still goes to the thread: it may wait on another process's
lock), its statements run on the event loop's thread; ``COMMIT`` and ``ROLLBACK`` go back to
the connection's thread (a commit may checkpoint the WAL). Readers keep the thread: in WAL
mode a reader can briefly sleep inside SQLite, and a long report must not freeze the loop.

The trade: a long statement of a write transaction (a bill run's) now holds the loop for its
duration, as it already held every other writer. Connections are opened with
``check_same_thread=False`` (``kernel/db.py``): the loop's thread and the connection's take
turns, never at once, since every call is awaited before the next is made.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


class _StatementCursor:
    """What SQLAlchemy's cursor adapter awaits of an aiosqlite cursor, done in one call on the
    connection's thread: execute, fetch every row (a query), close."""

    __slots__ = ("_adapted", "_connection", "_rows", "description", "lastrowid", "rowcount")

    arraysize = 1

    def __init__(self, adapted: _Connection) -> None:
        self._adapted = adapted
        # aiosqlite's own queue to the connection's thread (``_execute``, untyped).
        self._connection: Any = adapted._connection
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> _StatementCursor:
        return self

    def _run(self, sql: str, parameters: Any, many: bool) -> None:
        cursor = self._connection._conn.cursor()
        try:
            if many:
                cursor.executemany(sql, parameters)
            else:
                cursor.execute(sql, parameters)
            self._rows = cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()
        self.description = cursor.description
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid

    def _inline(self, sql: str) -> bool:
        """Whether ``sql`` runs on the loop's thread (the module docstring)."""
        return self._adapted.holds_write_lock

    async def execute(self, sql: str, parameters: Any = ()) -> None:
        if self._inline(sql):
            self._run(sql, parameters, False)
        else:
            await self._connection._execute(self._run, sql, parameters, False)
        if sql.startswith("BEGIN IMMEDIATE"):
            self._adapted.holds_write_lock = True

    async def executemany(self, sql: str, parameters: Any) -> None:
        if self._inline(sql):
            self._run(sql, parameters, True)
        else:
            await self._connection._execute(self._run, sql, parameters, True)

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        assert isinstance(self._adapt_connection, _Connection)
        return _StatementCursor(self._adapt_connection)


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("holds_write_lock",)

    _cursor_cls = _Cursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.holds_write_lock = False
        """The connection's transaction began with ``BEGIN IMMEDIATE`` and has not ended."""

    def commit(self) -> None:
        self.holds_write_lock = False
        super().commit()

    def rollback(self) -> None:
        self.holds_write_lock = False
        super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI whose connections use ``_StatementCursor``."""

    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        adapted = super().connect(*arg, **kw)
        return _Connection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
