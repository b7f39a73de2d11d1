"""Concurrency: 32 clients at once, each alternating a signed list (``list_sub_customers`` over
1,000 customers) and a signed write (``update_sub_customer_budget``), against the real
``partner-center serve`` in one process and in N processes, measured in one run.

    .venv/bin/python bench/concurrency.py [--clients 32] [--seconds 20] [--workers 2] [--warmup 3]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/concurrency.py

Prints throughput (requests/s) and p50/p99 latency of each operation, measured after a warm-up
under the same load (a fresh server compiles its statements and opens its connections on its
first requests). On PostgreSQL the server
runs with 1 and with ``--workers`` processes (throughput ratio N/1); on SQLite with one
(target: p99 under 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.dbutil import create_fresh_database, drop_database, is_postgres, migrate
from tests.harness import free_port
from tests.signed import signed_headers

from gateway import seed  # the 10,000-customer seed of the gateway bench
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.db import Database
from partner_center.provisioning import Credentials, create_partner
from partner_center.runtime import build_state
from partner_center.settings import Settings

SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - a throwaway database's key
LIST_PATH = "/v2/partners/sub-customers/query"
WRITE_PATH = "/v2/partners/sub-customers/budget"
LIST_BODY = b'{"offset": 0, "limit": 10, "account_name": "cust-00"}'


class _Seeding:
    """What ``gateway.seed`` needs of a server: a state on the database."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _state(self) -> Any:
        settings = Settings(database_url=self.url, secret_key=SECRET, log_level="WARNING")
        return build_state(settings, db=Database(self.url, pool=False))


async def prepare(url: str, customers: int) -> tuple[Credentials, list[str]]:
    seeding = _Seeding(url)
    state = seeding._state()
    try:
        creds, platform = await create_partner(
            state, name="bench-csp", partner_type=PartnerType.CSP
        )
    finally:
        await state.db.dispose()
    await seed(seeding, creds.account_id, platform, customers)  # type: ignore[arg-type]
    state = seeding._state()
    try:
        async with state.db.unit_of_work() as uow:
            from sqlalchemy import text

            rows = await uow.session.execute(
                text("SELECT account_id FROM customers WHERE tenant_id = :p LIMIT 64"),
                {"p": creds.account_id},
            )
            ids = [r[0] for r in rows]
    finally:
        await state.db.dispose()
    return creds, ids


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PARTNER_CENTER_SECRET_KEY": SECRET,
        "PARTNER_CENTER_RATE_LIMIT": "0",
        "PARTNER_CENTER_INPROCESS_JOBS": "false",
        "PARTNER_CENTER_LOG_LEVEL": "WARNING",
        "PARTNER_CENTER_SANDBOX": "false",
    }
    command = [str(Path(sys.executable).with_name("partner-center")), "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_server(process)
    sys.exit("the server did not start")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


async def load(
    base: str,
    creds: Credentials,
    ids: list[str],
    clients: int,
    seconds: float,
    warmup: float = 0.0,
) -> dict[str, list[float]]:
    """Latencies of the requests started after the first ``warmup`` seconds (the same load
    runs during the warm-up: connections open, statements compile, caches fill)."""
    latencies: dict[str, list[float]] = {"list": [], "write": []}
    errors: list[str] = []
    measure_from = time.perf_counter() + warmup
    stop_at = time.monotonic() + warmup + seconds

    async def client(n: int) -> None:
        async with httpx.AsyncClient(timeout=120) as http:
            i = 0
            while time.monotonic() < stop_at:
                if i % 2 == 0:
                    kind, path, body = "list", LIST_PATH, LIST_BODY
                else:
                    amount = 100 + (n * 1000 + i) % 997
                    kind, path = "write", WRITE_PATH
                    body = json.dumps(
                        {
                            "customer_id": ids[n % len(ids)],
                            "budget_amount": amount,
                            "budget_type": "MONTHLY",
                        }
                    ).encode()
                headers = signed_headers(base, creds, "POST", path, body=body)
                started = time.perf_counter()
                answer = await http.post(f"{base}{path}", headers=headers, content=body)
                if started >= measure_from:
                    latencies[kind].append(time.perf_counter() - started)
                if answer.status_code >= 300:
                    errors.append(f"{kind} {answer.status_code} {answer.text[:200]}")
                i += 1

    await asyncio.gather(*(client(n) for n in range(clients)))
    if errors:
        print(f"  {len(errors)} errors, first: {errors[0]}")
    return latencies


def report(label: str, latencies: dict[str, list[float]], seconds: float) -> float:
    total = sum(len(v) for v in latencies.values())
    rate = total / seconds
    print(f"{label}: {rate:8.1f} requests/s")
    for kind, values in latencies.items():
        if not values:
            print(f"  {kind:>5}: no request finished")
            continue
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(
            f"  {kind:>5}: {len(values):6d} requests  p50 {statistics.median(values) * 1000:7.1f} ms"
            f"  p99 {p99 * 1000:7.1f} ms"
        )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of the same load before measuring"
    )
    args = parser.parse_args()
    url, pg_name = asyncio.run(create_fresh_database())
    try:
        migrate(url)
        creds, ids = asyncio.run(prepare(url, args.customers))
        counts = [1, args.workers] if is_postgres() else [1]
        backend = "PostgreSQL" if is_postgres() else "SQLite"
        print(
            f"{args.clients} clients x {args.seconds:.0f} s, list + write, {backend}, "
            f"{args.customers} customers, after a {args.warmup:.0f} s warm-up"
        )
        rates = []
        for workers in counts:
            port = free_port()
            server = start_server(url, port, workers)
            try:
                base = f"http://127.0.0.1:{port}"
                latencies = asyncio.run(
                    load(base, creds, ids, args.clients, args.seconds, args.warmup)
                )
            finally:
                stop_server(server)
            rates.append(report(f"{workers} process(es)", latencies, args.seconds))
        if len(rates) == 2:
            print(f"throughput ratio {args.workers} processes / 1: {rates[1] / rates[0]:.2f}")
    finally:
        asyncio.run(drop_database(pg_name))


if __name__ == "__main__":
    main()
