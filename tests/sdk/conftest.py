"""A live server for the module's SDK tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from partner_center.domains.partners.public import PartnerType
from tests.dbutil import create_fresh_database, drop_database
from tests.harness import LiveServer, Partner


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    url, pg_name = asyncio.run(create_fresh_database())
    from tests.dbutil import migrate

    migrate(url)
    live = LiveServer(url).start()
    yield live
    live.stop()
    asyncio.run(drop_database(pg_name))


@pytest.fixture
def csp(server: LiveServer) -> Partner:
    return server.partner(PartnerType.CSP)


@pytest.fixture
def distributor(server: LiveServer) -> Partner:
    return server.partner(PartnerType.DISTRIBUTOR)


@pytest.fixture
def reseller(server: LiveServer, distributor: Partner) -> Partner:
    return server.partner(PartnerType.RESELLER, distributor=distributor)
