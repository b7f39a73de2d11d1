"""SQLite through aiosqlite with one thread hop per statement.

aiosqlite runs each connection's ``sqlite3`` calls on a thread of its own; SQLAlchemy's adapter
makes four round trips to it per statement (open a cursor, execute, fetch the rows, close),
each costing a queue hand-off and a wake-up of the event loop: 0.1–0.5 ms apiece on a busy
machine, against microseconds for the statement itself on a small page. Here the cursor does
all four in one call on the connection's thread, so a statement costs one round trip, with the
same thread, locking and error behaviour (the DBAPI module is SQLAlchemy's own, given the
connection class below through ``create_async_engine(module=...)``).
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

    __slots__ = ("_connection", "_rows", "description", "lastrowid", "rowcount")

    arraysize = 1

    def __init__(self, connection: aiosqlite.Connection) -> None:
        # aiosqlite's own queue to the connection's thread (``_execute``, untyped).
        self._connection: Any = connection
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

    async def execute(self, sql: str, parameters: Any = ()) -> None:
        await self._connection._execute(self._run, sql, parameters, False)

    async def executemany(self, sql: str, parameters: Any) -> None:
        await self._connection._execute(self._run, sql, parameters, True)

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        return _StatementCursor(connection)


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    _cursor_cls = _Cursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI whose connections use ``_StatementCursor``."""

    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        adapted = super().connect(*arg, **kw)
        return _Connection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
