"""The live-server harness every SDK test uses: the real app under uvicorn on a free loopback
port over a fresh, migrated database, plus official-SDK clients for partners and customers."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from huaweicloudsdkbss.v2 import BssClient
from huaweicloudsdkbssintl.v2 import BssintlClient
from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig

from partner_center.app import build_state, create_app
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import WallClock
from partner_center.kernel.db import Database
from partner_center.provisioning import (
    Credentials,
    authorize_partner,
    create_customer,
    create_partner,
)
from partner_center.settings import Settings
from partner_center.state import AppState
from tests.dbutil import create_fresh_database, drop_database, migrate


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Partner:
    creds: Credentials
    xaccount_type: str

    @property
    def id(self) -> str:
        return self.creds.account_id


class LiveServer:
    """A running server. Provisioning helpers act directly on its database (as the operator
    would through the CLI); SDK clients talk to it over HTTP."""

    def __init__(
        self,
        url: str,
        *,
        sandbox: bool = True,
        rate_limit: int = 1000,
        wall: WallClock | None = None,
        **overrides: Any,
    ) -> None:
        """``overrides`` are further ``Settings`` fields (``currency="CNY"``, ``smtp_host=...``,
        ``job_interval_seconds=0.1`` ...); ``wall`` replaces the security clock (tests that move
        real time)."""
        self.db_url = url
        self.settings = Settings(
            database_url=url,
            sandbox=sandbox,
            secret_key="test-secret-key-not-for-production",
            rate_limit_per_second=rate_limit,
            log_level="WARNING",
            **overrides,
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = build_state(self.settings, db=Database(url), wall=wall)
        config = uvicorn.Config(
            create_app(self.settings, state=self.state),
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)

    # -- provisioning on the server's database, from the test thread ------------------------

    def _state(self) -> AppState:
        return build_state(self.settings, db=Database(self.db_url, pool=False))

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        async def go() -> Any:
            state = self._state()
            try:
                return await fn(state, **kwargs)
            finally:
                await state.db.dispose()

        return asyncio.run(go())

    def partner(
        self,
        kind: PartnerType = PartnerType.CSP,
        *,
        distributor: Partner | None = None,
        password: str | None = None,
    ) -> Partner:
        creds, platform = self._call(
            create_partner,
            name=unique("p"),
            partner_type=kind,
            distributor_id=distributor.id if distributor else None,
            password=password,
        )
        return Partner(creds, platform)

    def customer(
        self,
        partner: Partner,
        *,
        reseller: Partner | None = None,
        authorize: bool = False,
        password: str | None = None,
        name: str | None = None,
    ) -> Credentials:
        creds: Credentials = self._call(
            create_customer,
            partner_id=partner.id,
            xaccount_id=unique("x"),
            domain_name=name,
            indirect_partner_id=reseller.id if reseller else None,
            authorize_partner=authorize,
            password=password,
        )
        return creds

    def authorize(self, customer: Credentials, partner: Partner) -> None:
        self._call(authorize_partner, customer_id=customer.account_id, partner_id=partner.id)

    # -- official SDK clients ---------------------------------------------------------------

    def intl(
        self,
        creds: Credentials,
        *,
        domain_id: bool = True,
        security_token: str | None = None,
        secret_key: str | None = None,
    ) -> Any:
        return self._client(BssintlClient, creds, domain_id, security_token, secret_key)

    def bss(self, creds: Credentials, *, domain_id: bool = True, http_handler: Any = None) -> Any:
        """``http_handler``: an SDK ``HttpHandler`` (its request hooks see each signed request)."""
        return self._client(BssClient, creds, domain_id, None, None, http_handler)

    def _client(
        self,
        client_cls: Any,
        creds: Credentials,
        domain_id: bool,
        security_token: str | None,
        secret_key: str | None,
        http_handler: Any = None,
    ) -> Any:
        credentials = GlobalCredentials(
            creds.access_key,
            secret_key or creds.secret_key,
            creds.account_id if domain_id else None,
        )
        if security_token:
            credentials = credentials.with_security_token(security_token)
        config = HttpConfig.get_default_config()
        config.timeout = (5, 30)
        builder = (
            client_cls.new_builder()
            .with_http_config(config)
            .with_credentials(credentials)
            .with_endpoint(self.url)
        )
        if http_handler is not None:
            builder = builder.with_http_handler(http_handler)
        return builder.build()


@contextmanager
def fresh_server(**overrides: Any) -> Iterator[LiveServer]:
    """A ``LiveServer`` (``overrides``: its keyword arguments) over a new migrated database,
    stopped and dropped afterwards."""
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    live = LiveServer(url, **overrides).start()
    try:
        yield live
    finally:
        live.stop()
        asyncio.run(drop_database(pg_name))
