"""SQLite done right (issue 10, item 3): pooled connections, a plain ``BEGIN`` for read-only
units of work that read beside a writer, and writers queued in-process instead of in SQLite's
busy-wait."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, text

from partner_center.kernel.db import Database
from tests.dbutil import create_fresh_database, drop_database, is_postgres

pytestmark = pytest.mark.skipif(is_postgres(), reason="SQLite's transactions and pool")


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    url, name = await create_fresh_database()
    database = Database(url)
    async with database.unit_of_work() as uow:
        await uow.session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)"))
    try:
        yield database
    finally:
        await database.dispose()
        await drop_database(name)


async def test_connections_are_pooled(db: Database) -> None:
    opened = []
    event.listen(db.engine.sync_engine, "connect", lambda *_: opened.append(1))
    for _ in range(5):
        async with db.unit_of_work(read_only=True) as uow:
            await uow.session.execute(text("SELECT 1"))
    assert len(opened) <= 1


async def test_a_reader_reads_beside_a_writer_and_writers_queue(db: Database) -> None:
    begins: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)

    writing = asyncio.Event()
    release = asyncio.Event()
    order: list[str] = []

    async def writer(name: str, hold: bool) -> None:
        async with db.unit_of_work() as uow:
            order.append(f"{name} in")
            await uow.session.execute(text("INSERT INTO t (v) VALUES (1)"))
            if hold:
                writing.set()
                await release.wait()
            order.append(f"{name} out")

    first = asyncio.create_task(writer("first", hold=True))
    await writing.wait()
    second = asyncio.create_task(writer("second", hold=False))
    # The reader is not held up by the writer that holds SQLite's write lock.
    async with db.unit_of_work(read_only=True) as uow:
        seen = await asyncio.wait_for(uow.session.scalar(text("SELECT COUNT(*) FROM t")), 5)
    assert seen == 0
    release.set()
    await asyncio.gather(first, second)
    # The second writer waited in-process for the first to finish, then began.
    assert order == ["first in", "first out", "second in", "second out"]
    assert begins.count("BEGIN") >= 1 and begins.count("BEGIN IMMEDIATE") == 2


async def test_a_writer_waits_for_another_process_without_blocking_the_loop(
    db: Database,
) -> None:
    """Another process holds the write lock: this process's writer waits for it on the
    connection's thread (the event loop keeps serving), then writes once it is released."""
    path = db.url.split(":///", 1)[1]
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (v) VALUES (7)")

    async def write() -> None:
        async with db.unit_of_work() as uow:
            await uow.session.execute(text("INSERT INTO t (v) VALUES (8)"))

    writing = asyncio.create_task(write())
    ticks = 0
    while ticks < 20:  # the loop runs while the writer waits for the lock
        await asyncio.sleep(0.01)
        ticks += 1
    assert not writing.done()
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writing, 30)
    async with db.unit_of_work(read_only=True) as uow:
        values = (await uow.session.scalars(text("SELECT v FROM t ORDER BY v"))).all()
    assert values == [7, 8]


async def test_a_failed_write_rolls_back_and_frees_the_lock(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as uow:
            await uow.session.execute(text("INSERT INTO t (v) VALUES (1)"))
            raise RuntimeError("undone")
    async with db.unit_of_work() as uow:
        await uow.session.execute(text("INSERT INTO t (v) VALUES (2)"))
    async with db.unit_of_work(read_only=True) as uow:
        values = (await uow.session.scalars(text("SELECT v FROM t"))).all()
    assert values == [2]
