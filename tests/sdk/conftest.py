"""A live server for the module's SDK tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from partner_center.domains.partners.public import PartnerType
from tests.harness import LiveServer, Partner, fresh_server


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with fresh_server() as live:
        yield live


@pytest.fixture
def csp(server: LiveServer) -> Partner:
    return server.partner(PartnerType.CSP)


@pytest.fixture
def distributor(server: LiveServer) -> Partner:
    return server.partner(PartnerType.DISTRIBUTOR)


@pytest.fixture
def reseller(server: LiveServer, distributor: Partner) -> Partner:
    return server.partner(PartnerType.RESELLER, distributor=distributor)
