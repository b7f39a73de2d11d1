"""``partner-center usage import FILE`` run as the operator would, against a fresh migrated
database: CSV (columns in any order) and JSON lines, idempotent re-imports, per-record
rejections, and a refused file."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from partner_center.app import build_state
from partner_center.domains.customers.public import CustomerControl
from partner_center.domains.partners.public import PartnerType
from partner_center.domains.usage.models import UsageRecord
from partner_center.domains.usage.public import ResourceSpec
from partner_center.kernel.db import Database
from partner_center.provisioning import create_customer, create_partner, import_demo_catalog
from partner_center.settings import Settings
from tests.dbutil import create_fresh_database, drop_database, migrate

BIN = Path(sys.executable).parent / "partner-center"
KEY = "test-secret-key-not-for-production"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "PARTNER_CENTER_SANDBOX": "true",
        "PARTNER_CENTER_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "PARTNER_CENTER_SECRET_KEY": KEY,
        "PARTNER_CENTER_LOG_LEVEL": "WARNING",
        "COLUMNS": "250",
    }
    yield environment
    asyncio.run(drop_database(pg_name))


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def resource(env: dict[str, str]) -> tuple[str, datetime]:
    """A running VM of a new customer, and the current hour of the business clock."""

    async def go() -> tuple[str, datetime]:
        settings = Settings(database_url=env["DATABASE_URL"], secret_key=KEY, sandbox=True)
        state = build_state(settings, db=Database(env["DATABASE_URL"], pool=False))
        try:
            await import_demo_catalog(state)
            partner, _ = await create_partner(state, name="cli-usage", partner_type=PartnerType.CSP)
            customer = await create_customer(
                state, partner_id=partner.account_id, xaccount_id="usage-1"
            )
            async with state.db.unit_of_work() as uow:
                await CustomerControl(uow.session, clock=state.clock).lift_restriction(
                    customer.account_id, reason="budget set"
                )
                view = await state.services(uow.session).usage.start_on_demand(
                    customer.account_id,
                    ResourceSpec(
                        region_code="ap-southeast-1",
                        service_type_code="hws.service.type.ec2",
                        resource_type_code="hws.resource.type.vm",
                        resource_spec_code="s6.small.1.linux",
                        resource_name="vm",
                    ),
                )
            return view.resource_id, view.effective_time.replace(minute=0, second=0, microsecond=0)
        finally:
            await state.db.dispose()

    return asyncio.run(go())


def stored(env: dict[str, str], resource_id: str) -> int:
    async def go() -> int:
        db = Database(env["DATABASE_URL"], pool=False)
        try:
            async with db.unit_of_work() as uow:
                return int(
                    (
                        await uow.session.execute(
                            select(func.count())
                            .select_from(UsageRecord)
                            .where(UsageRecord.resource_id == resource_id)
                        )
                    ).scalar_one()
                )
        finally:
            await db.dispose()

    return asyncio.run(go())


def row(rid: str, hour: datetime, record_id: str, **kw: Any) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "resource_id": rid,
        "usage_type": "Duration",
        "usage_hour": hour.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quantity": "1",
        "measure_id": 4,
        **kw,
    }


def test_a_csv_file_imported_twice(
    env: dict[str, str], resource: tuple[str, datetime], tmp_path: Path
) -> None:
    rid, hour = resource
    rows = [row(rid, hour, f"csv-{i}", quantity=f"0.{i + 1}") for i in range(500)]
    rows.append(row("nobody", hour, "csv-unknown"))
    rows.append(row(rid, hour + timedelta(hours=5), "csv-future"))
    rows.append(row(rid, hour, "csv-bad", quantity="lots"))
    rows.append(row(rid, hour, "csv-type", usage_type="upflow"))
    rows.append(row(rid, hour, "csv-measure", measure_id=10))
    rows.append(row(rid, hour - timedelta(hours=80), "csv-late"))
    rows.append(row(rid, hour - timedelta(hours=2), "csv-before"))
    rows.append(row(rid, hour, "x" * 65))
    rows.append(row(rid, hour, "csv-hour", usage_hour="yesterday"))
    rows.append(row(rid, hour, "csv-places", quantity="0.123456789"))
    rows.append(row(rid, hour, "csv-minutes", quantity="30", measure_id=5))
    path = tmp_path / "usage.csv"
    columns = ["measure_id", "quantity", "usage_hour", "usage_type", "resource_id", "record_id"]
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)

    done = cli(env, "usage", "import", str(path), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["received"], report["accepted"], report["duplicates"]) == (511, 501, 0)
    assert [(r["line"], r["record_id"], r["reason"]) for r in report["rejections"]] == [
        (501, "csv-unknown", "unknown_resource"),
        (502, "csv-future", "in_the_future"),
        (503, "csv-bad", "malformed"),
        (504, "csv-type", "unknown_usage_type"),
        (505, "csv-measure", "wrong_measure"),
        (506, "csv-late", "too_late"),
        (507, "csv-before", "outside_resource_lifetime"),
        (508, None, "malformed"),
        (509, "csv-hour", "malformed"),
        (510, "csv-places", "malformed"),
    ]
    assert stored(env, rid) == 501

    again = cli(env, "usage", "import", str(path))
    assert again.returncode == 0, again.stderr
    assert "511 record(s): 0 accepted, 501 already imported, 10 rejected" in again.stdout
    assert "unknown_resource" in again.stdout
    assert stored(env, rid) == 501


def test_a_ragged_csv_row_is_reported(
    env: dict[str, str], resource: tuple[str, datetime], tmp_path: Path
) -> None:
    rid, hour = resource
    path = tmp_path / "ragged.csv"
    good = row(rid, hour, "ragged-ok")
    path.write_text(
        ",".join(good) + "\n" + ",".join(str(v) for v in good.values()) + "\nonly,three,cells\n"
    )
    done = cli(env, "usage", "import", str(path), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["accepted"], report["rejected"]) == (1, 1)
    assert [(r["line"], r["reason"]) for r in report["rejections"]] == [(2, "malformed")]


def test_json_lines(env: dict[str, str], resource: tuple[str, datetime], tmp_path: Path) -> None:
    rid, hour = resource
    path = tmp_path / "usage.jsonl"
    lines = [json.dumps(row(rid, hour, f"jl-{i}", quantity=1)) for i in range(20)]
    path.write_text("\n".join([*lines, "{not json", ""]) + "\n")
    done = cli(env, "usage", "import", str(path), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["accepted"], report["rejected"]) == (20, 1)
    assert report["rejections"][0]["reason"] == "malformed"


def test_a_file_without_the_columns_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("record_id,quantity\nx,1\n")
    done = cli(env, "usage", "import", str(path))
    assert done.returncode == 2
    assert "CBC.0100" in done.stderr and "resource_id" in done.stderr
