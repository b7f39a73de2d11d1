"""Hourly rating throughput and memory: ``usage.rate_hourly`` (``UsageRating.rate_due``) over
R resources × 24 hours × 2 usage types against one SQL aggregation of the same sums plus
marking the records rated, measured on the same database in the same run.

    .venv/bin/python bench/rating.py [--resources 4000] [--small 1000]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/rating.py

Each step runs in its own process so the peak memory of the rating is its own: the seed (demo
catalogue, 40 customers, OBS buckets with ``storage`` — converted GB-hours → GB-months, tiered —
and ``upflow`` — tiered by month — for the 24 hours before the run), the baseline (aggregation
and marking, rolled back) and the rating (committed). Prints the time ratio rating / baseline
(target ≤ 3) and the rating's peak memory above its process's start at two sizes (target:
differ by less than 50 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.dbutil import create_fresh_database, drop_database, migrate

from partner_center.domains.partners.public import PartnerType
from partner_center.domains.usage.models import OnDemandResource, UsageRecord
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database, UtcDateTime
from partner_center.provisioning import create_customer, create_partner, import_demo_catalog
from partner_center.runtime import build_state
from partner_center.settings import Settings

HOURS = 24
CUSTOMERS = 40
AS_OF = datetime(2027, 3, 10, 0, 0, tzinfo=UTC)
USAGE = (("storage", 44, "100.5"), ("upflow", 10, "2.25"))
CUT = bindparam("cut", type_=UtcDateTime())
SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - a throwaway database's key


def _state(url: str) -> Any:
    settings = Settings(database_url=url, secret_key=SECRET, log_level="WARNING")
    return build_state(settings, db=Database(url), clock=FixedClock(AS_OF))


async def seed(url: str, resources: int) -> None:
    state = _state(url)
    try:
        await import_demo_catalog(state)
        partner, _ = await create_partner(state, name="bench-csp", partner_type=PartnerType.CSP)
        customers = [
            (
                await create_customer(
                    state, partner_id=partner.account_id, xaccount_id=f"bench-x-{i}"
                )
            ).account_id
            for i in range(CUSTOMERS)
        ]
        start = AS_OF - timedelta(days=5)
        rows = [
            {
                "id": f"bucket-{i:06d}",
                "tenant_id": customers[i % CUSTOMERS],
                "partner_id": partner.account_id,
                "distributor_id": None,
                "region_code": "ap-southeast-1",
                "availability_zone_code": None,
                "service_type_code": "hws.service.type.obs",
                "resource_type_code": "hws.resource.type.obs",
                "resource_spec_code": "obs.standard",
                "resource_name": f"bucket-{i}",
                "resource_size": None,
                "size_measure_id": None,
                "status": 1,
                "effective_time": start,
                "expire_time": None,
                "source_id": None,
                "created_at": start,
            }
            for i in range(resources)
        ]
        async with state.db.unit_of_work() as uow:
            for at in range(0, len(rows), 5000):
                await uow.session.execute(insert(OnDemandResource), rows[at : at + 5000])
        records: list[dict[str, Any]] = []
        async with state.db.unit_of_work() as uow:
            for row in rows:
                for h in range(1, HOURS + 1):
                    hour = AS_OF - timedelta(hours=h)
                    for usage_type, measure, quantity in USAGE:
                        records.append(
                            {
                                "tenant_id": row["tenant_id"],
                                "record_id": f"{row['id']}:{usage_type}:{h}",
                                "resource_id": row["id"],
                                "usage_type": usage_type,
                                "usage_hour": hour,
                                "quantity": quantity,
                                "measure_id": measure,
                                "received_at": hour,
                                "status": 0,
                                "fee_record_id": None,
                            }
                        )
                if len(records) >= 20_000:
                    await uow.session.execute(insert(UsageRecord), records)
                    records.clear()
            if records:
                await uow.session.execute(insert(UsageRecord), records)
        async with state.db.engine.connect() as conn:
            if state.db.is_postgres:
                await conn.execute(text("COMMIT"))
                await conn.execute(text("VACUUM ANALYZE"))
            else:
                await conn.execute(text("ANALYZE"))
    finally:
        await state.db.dispose()


async def baseline(url: str, _resources: int = 0) -> dict[str, Any]:
    """One aggregation of the sums the rating needs, then every record marked rated."""
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            started = time.perf_counter()
            trans = await conn.begin()
            cut = AS_OF - timedelta(hours=1)
            groups = (
                await conn.execute(
                    text(
                        "SELECT tenant_id, resource_id, usage_type, usage_hour, measure_id, "
                        "SUM(quantity), COUNT(*) FROM usage_records "
                        "WHERE status = 0 AND usage_hour <= :cut "
                        "GROUP BY tenant_id, resource_id, usage_type, usage_hour, measure_id"
                    ).bindparams(CUT),
                    {"cut": cut},
                )
            ).all()
            marked = await conn.execute(
                text(
                    "UPDATE usage_records SET status = 1 WHERE status = 0 AND usage_hour <= :cut"
                ).bindparams(CUT),
                {"cut": cut},
            )
            elapsed = time.perf_counter() - started
            await trans.rollback()
        return {"seconds": elapsed, "groups": len(groups), "records": marked.rowcount}
    finally:
        await db.dispose()


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def rate(url: str, _resources: int = 0) -> dict[str, Any]:
    state = _state(url)
    try:
        # Warm the imports and the pool outside the measure.
        async with state.db.unit_of_work() as uow:
            await uow.session.execute(text("SELECT 1"))
        start_rss = _rss_mb()
        started = time.perf_counter()
        async with state.db.unit_of_work() as uow:
            summary = await state.services(uow.session).usage_rating.rate_due(AS_OF)
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {
            "seconds": elapsed,
            "records": summary.records,
            "fee_records": summary.fee_records,
            "charged": str(summary.charged_amount),
            "peak_mb": peak - start_rss,
        }
    finally:
        await state.db.dispose()


def child(step: str, url: str, resources: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--step", step, "--url", url, "--resources", str(resources)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{step} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(resources: int) -> dict[str, Any]:
    url, pg_name = asyncio.run(create_fresh_database())
    try:
        migrate(url)
        child("seed", url, resources)
        base = child("baseline", url, resources)
        rated = child("rate", url, resources)
        assert rated["records"] == base["records"] == resources * HOURS * len(USAGE), (
            base,
            rated,
        )
        return {"baseline": base, "rating": rated}
    finally:
        asyncio.run(drop_database(pg_name))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=4000)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--step", choices=("seed", "baseline", "rate"))
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.step:
        steps = {"seed": seed, "baseline": baseline, "rate": rate}
        out = asyncio.run(steps[args.step](args.url, args.resources))  # type: ignore[operator]
        print(json.dumps(out or {}))
        return
    backend = (
        "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    )
    print(f"rating bench on {backend}: resources x {HOURS} hours x {len(USAGE)} usage types")
    peaks = []
    for resources in (args.resources, args.small):
        result = measure(resources)
        base, rated = result["baseline"], result["rating"]
        n = rated["records"]
        ratio = rated["seconds"] / base["seconds"]
        peaks.append(rated["peak_mb"])
        print(f"{resources:>6} resources, {n:,} records, {rated['fee_records']:,} fee records")
        print(
            f"  aggregation + marking (baseline): {base['seconds']:8.2f} s "
            f"{n / base['seconds']:12,.0f} records/s"
        )
        print(
            f"  rating:                           {rated['seconds']:8.2f} s "
            f"{n / rated['seconds']:12,.0f} records/s"
        )
        print(f"  ratio rating/baseline:            {ratio:8.2f}x  (target <= 3)")
        print(f"  rating peak memory above start:   {rated['peak_mb']:8.1f} MB")
    print(
        f"peak memory difference {args.resources} vs {args.small} resources: "
        f"{peaks[0] - peaks[1]:.1f} MB  (target < 50)"
    )


if __name__ == "__main__":
    main()
