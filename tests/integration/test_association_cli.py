"""``partner-center customers register``: a customer account of no partner, which can then accept
an invitation with the credentials the command prints; ``partner-center partners
review-prospect``: the operator's decision on a pre-registration in review."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from partner_center.provisioning import Credentials
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, unique
from tests.scenarios.test_pre_registration import age_account
from tests.sdk.test_association_helpers import (
    accept,
    call,
    create_link,
    customer_account,
    ok,
    partner_with_email,
)
from tests.signed import signed_request

BIN = Path(sys.executable).parent / "partner-center"


def command_line(url: str, data_dir: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs ``partner-center`` as the operator would, on the database at ``url``."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PARTNER_CENTER_SANDBOX": "true",
        "PARTNER_CENTER_DATA_DIR": str(data_dir),
        "PARTNER_CENTER_SECRET_KEY": "test-secret-key-not-for-production",
        "PARTNER_CENTER_LOG_LEVEL": "WARNING",
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN), *args], env=env, capture_output=True, text=True, timeout=300
        )

    return cli


def test_register_a_customer_account_and_accept_an_invitation(tmp_path: Path) -> None:
    url, pg_name = asyncio.run(create_fresh_database())
    cli = command_line(url, tmp_path)
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


def test_the_operator_rejects_a_pre_registration_in_review_from_the_command_line(
    tmp_path: Path,
) -> None:
    url, pg_name = asyncio.run(create_fresh_database())
    cli = command_line(url, tmp_path)
    try:
        migrate(url)
        server = LiveServer(url).start()
        try:
            partner = partner_with_email(server, email=f"{unique('p')}@example.com")
            email = f"{unique('old')}@example.com"
            prospect = customer_account(server, email=email)
            server._call(age_account, account_id=prospect.account_id)
            row = ok(
                call(server, partner.creds, "POST", "/prospects", {"email": email, "name": "O"}),
                201,
            )
            assert row["state"] == "PENDING_REVIEW"
            missing = cli("partners", "review-prospect", row["prospect_id"], "--reject")
            assert (missing.returncode, "CBC.0100" in missing.stderr) == (2, True)
            done = cli(
                "partners",
                "review-prospect",
                row["prospect_id"],
                "--reject",
                "--opinion",
                "Existing cash spend.",
                "--json",
            )
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["state"] == "REJECTED"
            [listed] = ok(call(server, partner.creds, "GET", "/prospects"))["prospects"]
            assert (listed["state"], listed["review_opinion"]) == (
                "REJECTED",
                "Existing cash spend.",
            )
            again = cli("partners", "review-prospect", row["prospect_id"], "--approve")
            assert (again.returncode, "CBC.99110030" in again.stderr) == (2, True)
        finally:
            server.stop()
    finally:
        asyncio.run(drop_database(pg_name))
