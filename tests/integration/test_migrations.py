"""The migrations build exactly the schema the models describe, on the configured backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, insert, select

from partner_center.domains import all_models  # noqa: F401
from partner_center.domains.catalog.models import (
    CatalogServicePolicy,
    CatalogServiceType,
    CatalogVersion,
)
from partner_center.kernel.db import Base, make_engine
from partner_center.kernel.migrate import alembic_config, include_object_for, upgrade
from tests.dbutil import create_fresh_database, drop_database

FIRST = datetime(2025, 1, 1, tzinfo=UTC)


def test_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_to_head_leaves_no_difference() -> None:
    url, pg_name = asyncio.run(create_fresh_database())
    try:
        upgrade(url)

        def diff(connection: Connection) -> list[object]:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_object": include_object_for(connection.dialect.name),
                },
            )
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


def test_0002_gives_imported_service_types_the_default_policy_from_the_first_version() -> None:
    """A catalogue imported before service policies existed reads as the file format's
    defaults (non-specific, partner discounts allowed) from its first version on."""
    url, pg_name = asyncio.run(create_fresh_database())
    try:
        upgrade(url, "0001")

        async def seed_and_read() -> list[tuple[object, ...]]:
            engine = make_engine(url, pool=False)
            async with engine.begin() as conn:
                await conn.execute(
                    insert(CatalogVersion),
                    [
                        {
                            "version": number,
                            "effective_from": at,
                            "imported_at": at,
                            "checksum": str(number),
                            "currency": "USD",
                            "source": "test",
                        }
                        for number, at in ((1, FIRST), (2, FIRST + timedelta(days=40)))
                    ],
                )
                await conn.execute(
                    insert(CatalogServiceType),
                    [
                        {"code": code, "abbreviation": "X", "name_en": "X", "name_zh": "X"}
                        for code in ("hws.service.type.ec2", "hws.service.type.rds")
                    ],
                )
            await asyncio.to_thread(upgrade, url)
            async with engine.connect() as conn:
                rows = await conn.execute(
                    select(
                        CatalogServicePolicy.service_type,
                        CatalogServicePolicy.incentive_policy,
                        CatalogServicePolicy.allow_discount,
                        CatalogServicePolicy.effective_from,
                        CatalogServicePolicy.effective_to,
                        CatalogServicePolicy.version,
                    ).order_by(CatalogServicePolicy.service_type)
                )
                result = [tuple(row) for row in rows]
            await engine.dispose()
            return result

        assert asyncio.run(seed_and_read()) == [
            ("hws.service.type.ec2", 0, True, FIRST, None, 1),
            ("hws.service.type.rds", 0, True, FIRST, None, 1),
        ]
    finally:
        asyncio.run(drop_database(pg_name))
