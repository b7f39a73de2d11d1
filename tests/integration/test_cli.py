"""The partner-center command, run as a user would, against a fresh database; the sandbox clock
it moves is the one a running server reads."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from huaweicloudsdkbssintl.v2.model import ListSubCustomersRequest, QuerySubCustomerListReq

from partner_center.kernel.clock import parse_utc
from partner_center.provisioning import Credentials
from tests.dbutil import create_fresh_database, drop_database
from tests.harness import LiveServer, unique
from tests.signed import signed_request

BIN = Path(sys.executable).parent / "partner-center"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    url, pg_name = asyncio.run(create_fresh_database())
    data = tmp_path_factory.mktemp("data")
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "PARTNER_CENTER_SANDBOX": "true",
        "PARTNER_CENTER_DATA_DIR": str(data),
        "PARTNER_CENTER_SECRET_KEY": "test-secret-key-not-for-production",
        "PARTNER_CENTER_LOG_LEVEL": "WARNING",
    }
    cli(environment, "db", "upgrade")
    yield environment
    asyncio.run(drop_database(pg_name))


def cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def cli_json(env: dict[str, str], *args: str) -> dict[str, str]:
    data: dict[str, str] = json.loads(cli(env, *args, "--json").stdout)
    return data


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[LiveServer]:
    live = LiveServer(env["DATABASE_URL"]).start()
    yield live
    live.stop()


def test_provisioning_commands_give_working_sdk_credentials(
    env: dict[str, str], server: LiveServer
) -> None:
    partner = cli_json(env, "partners", "create", "--name", unique("cli"), "--type", "csp")
    assert set(partner) >= {"partner_id", "domain_id", "domain_name", "access_key", "secret_key"}
    customer = cli_json(
        env, "customers", "create", "--partner", partner["partner_id"], "--xaccount-id", "cli-1"
    )
    assert len(customer["customer_id"]) == 32
    extra = cli_json(env, "credentials", "create", "--account", partner["partner_id"])
    creds = Credentials(
        partner["partner_id"], partner["domain_name"], extra["access_key"], extra["secret_key"]
    )
    listed = server.intl(creds).list_sub_customers(
        ListSubCustomersRequest(body=QuerySubCustomerListReq())
    )
    assert [c.customer_id for c in listed.customer_infos] == [customer["customer_id"]]


def creds_of(created: dict[str, str]) -> Credentials:
    return Credentials(
        created["domain_id"], created["domain_name"], created["access_key"], created["secret_key"]
    )


def assume_with_keys(server: LiveServer, partner: Credentials, customer: str, agency: str) -> int:
    """The partner's temporary credentials acting as ``customer`` through its agency."""
    body = {
        "auth": {
            "identity": {
                "methods": ["assume_role"],
                "assume_role": {"domain_name": customer, "agency_name": agency},
            }
        }
    }
    response = signed_request(
        server.url,
        partner,
        "POST",
        "/v3.0/OS-CREDENTIAL/securitytokens",
        body=json.dumps(body).encode(),
    )
    return response.status_code


def test_customers_create_authorize_leaves_a_record_the_customer_can_revoke(
    env: dict[str, str], server: LiveServer
) -> None:
    partner = cli_json(env, "partners", "create", "--name", unique("cli"), "--type", "csp")
    customer = cli_json(
        env,
        "customers",
        "create",
        "--partner",
        partner["partner_id"],
        "--xaccount-id",
        unique("cli"),
        "--authorize",
    )
    partner_creds, customer_creds = creds_of(partner), creds_of(customer)
    agency = partner["xaccount_type"]
    assert assume_with_keys(server, partner_creds, customer["domain_name"], agency) == 201

    listed = signed_request(
        server.url, customer_creds, "GET", "/v1/partner-center/authorizations"
    ).json()
    assert [(a["status"], a["partner_id"]) for a in listed["authorizations"]] == [
        ("AUTHORIZED", partner["partner_id"])
    ]
    path = f"/v1/partner-center/authorizations/{listed['authorizations'][0]['authorization_id']}"
    revoked = signed_request(server.url, customer_creds, "POST", path + "/revoke")
    assert revoked.status_code == 200 and revoked.json()["status"] == "REVOKED"
    assert assume_with_keys(server, partner_creds, customer["domain_name"], agency) == 403


def test_reseller_needs_its_distributor(env: dict[str, str]) -> None:
    distributor = cli_json(
        env, "partners", "create", "--name", unique("d"), "--type", "distributor"
    )
    reseller = cli_json(
        env,
        "partners",
        "create",
        "--name",
        unique("r"),
        "--type",
        "reseller",
        "--distributor",
        distributor["partner_id"],
    )
    assert reseller["partner_id"] != distributor["partner_id"]
    orphan = cli(
        env, "partners", "create", "--name", unique("r"), "--type", "reseller", check=False
    )
    assert orphan.returncode == 2
    assert "CBC.0100" in orphan.stderr
    bad = cli(env, "partners", "create", "--name", unique("x"), "--type", "bank", check=False)
    assert bad.returncode == 2


def health_now(server: LiveServer) -> object:
    return parse_utc(httpx.get(server.url + "/health").json()["now"])


def test_clock_advance_moves_the_running_servers_time(
    env: dict[str, str], server: LiveServer
) -> None:
    before = health_now(server)
    result = cli(env, "clock", "advance", "--days", "40")
    assert "business time" in result.stdout
    after = health_now(server)
    assert timedelta(days=40) <= after - before < timedelta(days=40, minutes=5)  # type: ignore[operator]
    shown = cli(env, "clock", "show").stdout
    assert "business time" in shown
    backwards = cli(env, "clock", "set", "2000-01-01T00:00:00Z", check=False)
    assert backwards.returncode == 2 and "CBC.0100" in backwards.stderr


def test_operator_moves_the_clock_over_http(env: dict[str, str], server: LiveServer) -> None:
    operator = cli_json(env, "credentials", "create", "--operator")
    creds = Credentials(
        operator["domain_id"],
        operator["domain_name"],
        operator["access_key"],
        operator["secret_key"],
    )
    before = health_now(server)
    moved = signed_request(
        server.url, creds, "POST", "/v1/sandbox/clock", body=b'{"hours": 30, "freeze": true}'
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["frozen"] is True
    after = health_now(server)
    assert timedelta(hours=30) <= after - before < timedelta(hours=30, minutes=5)  # type: ignore[operator]
    assert health_now(server) == after  # frozen
    partner = cli_json(env, "partners", "create", "--name", unique("np"), "--type", "csp")
    pcreds = Credentials(
        partner["partner_id"], partner["domain_name"], partner["access_key"], partner["secret_key"]
    )
    refused = signed_request(server.url, pcreds, "POST", "/v1/sandbox/clock", body=b'{"hours": 1}')
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "CBC.0151"
    released = signed_request(
        server.url, creds, "POST", "/v1/sandbox/clock", body=b'{"hours": 0, "freeze": false}'
    )
    assert released.json()["frozen"] is False


def test_reconcile_and_jobs(env: dict[str, str]) -> None:
    assert cli(env, "reconcile").returncode == 0
    assert "job(s) run" in cli(env, "jobs", "run-due").stdout


def test_demo_seed_prints_working_credentials(env: dict[str, str], server: LiveServer) -> None:
    seeded = json.loads(cli(env, "demo", "seed", "--json").stdout)
    csp = seeded["csp"]
    creds = Credentials(csp["domain_id"], csp["domain_name"], csp["access_key"], csp["secret_key"])
    listed = server.intl(creds).list_sub_customers(
        ListSubCustomersRequest(body=QuerySubCustomerListReq(limit=100))
    )
    assert listed.count == 5
    # the demo customer authorized the CSP through the authorization flow: it sees the record
    customer = creds_of(seeded["customer"])
    authorizations = signed_request(
        server.url, customer, "GET", "/v1/partner-center/authorizations"
    ).json()["authorizations"]
    assert [(a["status"], a["partner_id"]) for a in authorizations] == [
        ("AUTHORIZED", csp["domain_id"])
    ]
    again = json.loads(cli(env, "demo", "seed", "--if-empty", "--json").stdout)
    assert again["csp"]["access_key"] == csp["access_key"]
