"""``partner-center catalog import|discount-grant|discount-revoke`` run as the operator would,
against a fresh migrated database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from partner_center.app import build_state
from partner_center.domains.catalog.models import CatalogDiscount, CatalogPrice, CatalogVersion
from partner_center.domains.catalog.public import demo_catalog
from partner_center.domains.customers.models import Customer
from partner_center.domains.customers.public import AssociationType
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.db import Database
from partner_center.provisioning import create_customer, create_partner, import_demo_catalog
from partner_center.settings import Settings
from tests.dbutil import create_fresh_database, drop_database, migrate

BIN = Path(sys.executable).parent / "partner-center"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "PARTNER_CENTER_SANDBOX": "true",
        "PARTNER_CENTER_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "PARTNER_CENTER_SECRET_KEY": "test-secret-key-not-for-production",
        "PARTNER_CENTER_LOG_LEVEL": "WARNING",
        "COLUMNS": "250",
    }
    yield environment
    asyncio.run(drop_database(pg_name))


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def scalar(env: dict[str, str], query: object) -> object:
    async def go() -> object:
        db = Database(env["DATABASE_URL"], pool=False)
        try:
            async with db.unit_of_work() as uow:
                return (await uow.session.execute(query)).scalar_one()  # type: ignore[call-overload]
        finally:
            await db.dispose()

    return asyncio.run(go())


def write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, default=str))
    return path


def test_import_dry_run_then_import_then_nothing_changes(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = write(tmp_path, "catalog.json", demo_catalog())
    dry = cli(env, "catalog", "import", str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would import catalogue version 1" in dry.stdout
    assert "224 price(s) added" in dry.stdout
    assert scalar(env, select(func.count()).select_from(CatalogPrice)) == 0

    done = cli(env, "catalog", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert "imported catalogue version 1, effective 2025-01-01T00:00:00Z" in done.stdout
    assert scalar(env, select(func.count()).select_from(CatalogPrice)) == 224

    again = cli(env, "catalog", "import", str(path))
    assert again.returncode == 0
    assert "already imported: nothing changed" in again.stdout
    assert scalar(env, select(func.count()).select_from(CatalogPrice)) == 224
    assert scalar(env, select(func.count()).select_from(CatalogVersion)) == 1


def test_an_invalid_file_is_refused_naming_the_entry(env: dict[str, str], tmp_path: Path) -> None:
    doc = demo_catalog()
    doc["version"] = 2
    doc["effective_from"] = "2099-01-01T00:00:00Z"
    doc["specs"][3]["prices"][1]["price"] = "-3"
    bad = cli(env, "catalog", "import", str(write(tmp_path, "bad.json", doc)))
    assert bad.returncode == 2
    assert "CATALOG.INVALID_FILE" in bad.stderr
    assert "specs[3] 's6.medium.2.win' › prices[1] (ap-southeast-1) › price" in bad.stderr
    assert (
        scalar(
            env, select(func.count()).select_from(CatalogVersion).where(CatalogVersion.version == 2)
        )
        == 0
    )


def test_business_discounts_from_the_command_line(env: dict[str, str]) -> None:
    async def referral_customer() -> str:
        state = build_state(
            Settings(
                database_url=env["DATABASE_URL"], secret_key="test-secret-key-not-for-production"
            ),
            db=Database(env["DATABASE_URL"], pool=False),
        )
        try:
            await import_demo_catalog(state)
            partner, _ = await create_partner(
                state, name="cli-discounts", partner_type=PartnerType.CSP
            )
            customer = await create_customer(
                state, partner_id=partner.account_id, xaccount_id="d-1"
            )
            async with state.db.unit_of_work() as uow:
                await uow.session.execute(
                    update(Customer)
                    .where(Customer.account_id == customer.account_id)
                    .values(association_type=AssociationType.REFERRAL)
                )
            return customer.account_id
        finally:
            await state.db.dispose()

    customer_id = asyncio.run(referral_customer())
    granted = cli(
        env,
        "catalog",
        "discount-grant",
        "--customer",
        customer_id,
        "--name",
        "Deal",
        "--percent",
        "12.5",
        "--service-type",
        "hws.service.type.ec2",
        "--json",
    )
    assert granted.returncode == 0, granted.stderr
    result = json.loads(granted.stdout)
    assert (result["discount_type"], result["percent_off"]) == ("605", "12.5")
    stored = scalar(
        env, select(CatalogDiscount.percent_off).where(CatalogDiscount.id == result["discount_id"])
    )
    assert stored == Decimal("12.5")

    revoked = cli(env, "catalog", "discount-revoke", result["discount_id"])
    assert revoked.returncode == 0, revoked.stderr
    assert f"discount {result['discount_id']} ends" in revoked.stdout
    assert (
        scalar(
            env,
            select(CatalogDiscount.effective_to).where(CatalogDiscount.id == result["discount_id"]),
        )
        is not None
    )
