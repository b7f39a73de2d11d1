"""The migrations build exactly the schema the models describe, on the configured backend."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from partner_center.domains import all_models  # noqa: F401
from partner_center.kernel.db import Base, make_engine
from partner_center.kernel.migrate import alembic_config, upgrade
from tests.dbutil import create_fresh_database, drop_database


def test_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_to_head_leaves_no_difference() -> None:
    url, pg_name = asyncio.run(create_fresh_database())
    try:
        upgrade(url)

        def diff(connection: Connection) -> list[object]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))

        async def run() -> list[object]:
            engine = make_engine(url, pool=False)
            async with engine.connect() as conn:
                result = await conn.run_sync(diff)
            await engine.dispose()
            return result

        assert asyncio.run(run()) == []
    finally:
        asyncio.run(drop_database(pg_name))
