"""Usage ingest throughput: ``partner-center usage import`` of a CSV of N usage records against
a raw PostgreSQL ``COPY`` of the same file into an equivalent table, measured in one run.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/usage_ingest.py [--records 1000000]

Prints records/s of both and the ratio import/COPY time (target ≤ 3). The import runs as the
real command (a subprocess, process start included) on a fresh database seeded with the demo
catalogue and enough OBS buckets (three usage types each, the last 48 hours) for N records; a
second import of the same file shows that re-importing changes nothing. The file is generated in
a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.dbutil import create_fresh_database, drop_database, is_postgres, migrate

from partner_center.app import build_state
from partner_center.domains.partners.public import PartnerType
from partner_center.domains.usage.models import OnDemandResource
from partner_center.kernel.db import Database
from partner_center.provisioning import create_customer, create_partner, import_demo_catalog
from partner_center.settings import Settings

HOURS = 48
USAGE = (("storage", 44, "100"), ("reqNumber", 14, "1234"), ("upflow", 10, "2.5"))
SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - a throwaway database's key


async def seed(url: str, buckets: int) -> list[str]:
    settings = Settings(database_url=url, secret_key=SECRET, log_level="WARNING")
    state = build_state(settings, db=Database(url))
    try:
        await import_demo_catalog(state)
        partner, _ = await create_partner(state, name="bench-csp", partner_type=PartnerType.CSP)
        customer = await create_customer(
            state, partner_id=partner.account_id, xaccount_id="bench-x"
        )
        now = state.clock.now()
        ids = [f"bucket-{i:06d}" for i in range(buckets)]
        rows = [
            {
                "id": rid,
                "tenant_id": customer.account_id,
                "partner_id": partner.account_id,
                "distributor_id": None,
                "region_code": "ap-southeast-1",
                "availability_zone_code": None,
                "service_type_code": "hws.service.type.obs",
                "resource_type_code": "hws.resource.type.obs",
                "resource_spec_code": "obs.standard",
                "resource_name": rid,
                "resource_size": None,
                "size_measure_id": None,
                "status": 1,
                "effective_time": now - timedelta(days=10),
                "expire_time": None,
                "source_id": None,
                "created_at": now,
            }
            for rid in ids
        ]
        async with state.db.unit_of_work() as uow:
            for start in range(0, len(rows), 5000):
                await uow.session.execute(insert(OnDemandResource), rows[start : start + 5000])
        return ids
    finally:
        await state.db.dispose()


def write_file(path: Path, ids: list[str], records: int) -> None:
    top = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    hours = [(top - timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ") for h in range(HOURS)]
    written = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["record_id", "resource_id", "usage_type", "usage_hour", "quantity", "measure_id"]
        )
        for rid in ids:
            for hour in hours:
                for usage_type, measure, quantity in USAGE:
                    if written == records:
                        return
                    writer.writerow(
                        [f"{rid}:{usage_type}:{hour}", rid, usage_type, hour, quantity, measure]
                    )
                    written += 1


async def copy_baseline(url: str, path: Path) -> float:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE bench_usage_copy (record_id varchar(64) PRIMARY KEY, resource_id "
            "varchar(64), usage_type varchar(64), usage_hour timestamptz, quantity numeric, "
            "measure_id integer)"
        )
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_to_table(
                "bench_usage_copy", source=str(path), format="csv", header=True
            )
        elapsed = time.perf_counter() - started
        # Gone before the import starts, so autovacuum of a million new rows here does not
        # run on the import's time.
        await conn.execute("DROP TABLE bench_usage_copy")
        return elapsed
    finally:
        await conn.close()


async def checkpoint(url: str) -> None:
    """Start each timed step with no dirty buffers of the step before (when allowed: CHECKPOINT
    needs a superuser), so one step's writes are not flushed on the next one's time."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("CHECKPOINT")
    except asyncpg.PostgresError:
        pass
    finally:
        await conn.close()


def run_import(url: str, path: Path) -> tuple[float, dict[str, object]]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PARTNER_CENTER_SECRET_KEY": SECRET,
        "PARTNER_CENTER_LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("partner-center")), "usage", "import"]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, str(path), "--json"], env=env, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - started, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    if not is_postgres():
        sys.exit("set DATABASE_URL=postgresql://... : the baseline is PostgreSQL's COPY")
    per_bucket = HOURS * len(USAGE)
    buckets = -(-args.records // per_bucket)
    url, pg_name = asyncio.run(create_fresh_database())
    try:
        migrate(url)
        ids = asyncio.run(seed(url, buckets))
        with tempfile.TemporaryDirectory(prefix="pc-bench-") as tmp:
            path = Path(tmp) / "usage.csv"
            write_file(path, ids, args.records)
            asyncio.run(checkpoint(url))
            copy_seconds = asyncio.run(copy_baseline(url, path))
            asyncio.run(checkpoint(url))
            import_seconds, report = run_import(url, path)
            asyncio.run(checkpoint(url))
            replay_seconds, replay = run_import(url, path)
        assert report["accepted"] == args.records, report
        assert replay["accepted"] == 0 and replay["duplicates"] == args.records, replay
        n = args.records
        print(f"records:             {n:,}")
        print(f"COPY (baseline):     {copy_seconds:8.2f} s  {n / copy_seconds:12,.0f} records/s")
        print(
            f"usage import:        {import_seconds:8.2f} s  {n / import_seconds:12,.0f} records/s"
        )
        print(
            f"re-import (no-op):   {replay_seconds:8.2f} s  {n / replay_seconds:12,.0f} records/s"
        )
        print(f"ratio import/COPY:   {import_seconds / copy_seconds:8.2f}x  (target <= 3)")
    finally:
        asyncio.run(drop_database(pg_name))


if __name__ == "__main__":
    main()
