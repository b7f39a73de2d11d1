"""``partner-center customers register``: a customer account of no partner, which can then accept
an invitation with the credentials the command prints."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from partner_center.provisioning import Credentials
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, unique
from tests.sdk.test_association_helpers import accept, create_link, ok
from tests.signed import signed_request

BIN = Path(sys.executable).parent / "partner-center"


def test_register_a_customer_account_and_accept_an_invitation(tmp_path: Path) -> None:
    url, pg_name = asyncio.run(create_fresh_database())
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PARTNER_CENTER_SANDBOX": "true",
        "PARTNER_CENTER_DATA_DIR": str(tmp_path),
        "PARTNER_CENTER_SECRET_KEY": "test-secret-key-not-for-production",
        "PARTNER_CENTER_LOG_LEVEL": "WARNING",
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN), *args], env=env, capture_output=True, text=True, timeout=300
        )

    try:
        migrate(url)
        name = unique("walkin").replace("-", "")
        done = cli("customers", "register", "--name", name, "--email", "Walk@Example.com", "--json")
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert data["domain_name"] == name

        creds = Credentials(data["domain_id"], name, data["access_key"], data["secret_key"])
        server = LiveServer(url).start()
        try:
            mine = signed_request(server.url, creds, "GET", "/v1/partner-center/my-partner")
            assert mine.status_code == 200 and mine.json()["associated"] is False
            partner = server.partner()
            ok(accept(server, creds, create_link(server, partner.creds)["link"]))
            mine = signed_request(server.url, creds, "GET", "/v1/partner-center/my-partner")
            assert mine.json()["partner_id"] == partner.id
        finally:
            server.stop()
    finally:
        asyncio.run(drop_database(pg_name))
