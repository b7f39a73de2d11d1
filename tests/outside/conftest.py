"""A live server per module with the tenants and objects of ``world.py``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.harness import fresh_server
from tests.outside.world import World, build_world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with fresh_server() as server, httpx.Client(timeout=60) as client:
        yield build_world(server, client)
