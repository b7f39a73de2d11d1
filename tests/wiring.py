"""The services container for service-level tests: the same wiring as the server's, over a
test session and clock."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.notifications.public import Senders
from partner_center.kernel.clock import Clock
from partner_center.services import Services, Wiring
from partner_center.settings import Settings

TEST_SECRET_KEY = "test-secret-key-not-for-production"


def wiring_for(*, senders: Senders | None = None, wall: Any = None, **settings: Any) -> Wiring:
    """The wiring of a deployment configured with ``settings`` (and the test secret key);
    ``senders`` and ``wall`` replace the message senders and the security clock."""
    wiring = Wiring.from_settings(
        Settings(**{"secret_key": TEST_SECRET_KEY, **settings}), wall=wall
    )
    return dataclasses.replace(wiring, senders=senders) if senders is not None else wiring


def services_for(
    session: AsyncSession, clock: Clock, *, wall: Any = None, **settings: Any
) -> Services:
    """The container of a unit of work on ``session`` at ``clock``."""
    return Services(session, clock=clock, wiring=wiring_for(wall=wall, **settings))


class Balances:
    """The partner-facing ``BalanceService`` and the system-facing ``BalanceEngine`` of one
    container as one object, for the balance tests that drive both."""

    def __init__(self, services: Services) -> None:
        self._parts = (services.balances, services.balance_engine)

    def __getattr__(self, name: str) -> Any:
        for part in self._parts:
            if hasattr(part, name):
                return getattr(part, name)
        raise AttributeError(name)
