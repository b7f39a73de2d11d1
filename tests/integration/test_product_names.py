"""The console names service and resource types as the catalogue does, in the reader's
language: the Chinese name where the catalogue has one, else the English one; a type the
catalogue does not know by the name stored with its row, else by its code."""

from __future__ import annotations

import uuid

from partner_center.domains.catalog.models import CatalogResourceType, CatalogServiceType
from partner_center.domains.catalog.public import CatalogService, Language
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database


async def test_names_in_the_readers_language_with_fallbacks(
    database: Database, clock: FixedClock
) -> None:
    tag = uuid.uuid4().hex[:8]
    server, bare, disk = f"svc.server.{tag}", f"svc.bare.{tag}", f"res.disk.{tag}"
    unknown = f"svc.unknown.{tag}"
    async with database.unit_of_work() as uow:
        uow.session.add_all(
            [
                CatalogServiceType(
                    code=server, abbreviation="S", name_en="Server", name_zh="服务器"
                ),
                CatalogServiceType(code=bare, abbreviation="B", name_en="Bare", name_zh=""),
            ]
        )
        await uow.session.flush()
        uow.session.add(
            CatalogResourceType(
                code=disk,
                owner_service_type=server,
                name_en="Disk",
                name_zh="磁盘",
                description_en="",
                description_zh="",
            )
        )
    async with database.sessions() as session:
        catalog = CatalogService(session, clock=clock)
        zh = await catalog.product_names([server, bare, unknown], [disk], Language.ZH)
        en = await catalog.product_names([server], [disk, unknown], Language.EN)
        nothing = await catalog.product_names([], [], Language.ZH)
    assert (zh.service(server), zh.service(bare), zh.resource(disk)) == ("服务器", "Bare", "磁盘")
    assert (en.service(server), en.resource(disk)) == ("Server", "Disk")
    assert zh.service(unknown) == unknown and en.resource(unknown) == unknown
    assert zh.service(unknown, "Stored name") == "Stored name"
    assert zh.service(server, "Stored name") == "服务器"  # the catalogue's name comes first
    assert nothing.services == {} and nothing.resources == {}
