"""Reads that cost a page: each list operation against its own statements run on the raw driver,
measured in one run on the same server and database.

    .venv/bin/python bench/reads.py [--requests 30]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/reads.py

Seeds 10,000 customers (``list_sub_customers`` with a name filter; ``list_sub_customer_budget``
of 100 of them, budgets set), 100,000 orders (``list_customer_orders``), 100,000 account
change records (``list_partner_account_change_records``) and 1,000 pay-per-use resources of
one customer (the resources query, ``list_customer_on_demand_resources``). For each, the
statements the server runs for one request are captured (authentication included: none once
the process's key cache holds the key) and replayed on the raw driver (sqlite3 / asyncpg).

Printed per read, medians over ``--requests``:

- ``request``: the signed HTTP request as a client sees it;
- ``operation``: the operation's unit of work inside the server, from its ``BEGIN`` to its
  ``COMMIT``: its statements through SQLAlchemy and the driver, the rows mapped, the views
  and the response built — everything the operation itself costs;
- ``raw``: the same statements (``BEGIN`` … ``COMMIT``) on the raw driver;
- ``op/raw`` (target ≤ 2: "each within 2× of running its own statements on the raw driver"),
  ``req/raw`` (for information), ``op-raw`` (what the ORM, the driver's async adapter and the
  handler add to the statements, ms) and the statements per request (target ≤ 10).

Beside them, the median of a request that runs no statement (``GET /health``) and of the
fixed part of a signed one (HTTP, routing, signature, body checks: ``request`` less
``operation``): a cost no query plan can remove, which ``req/raw`` carries whole. A page
read in 0.1 ms on SQLite cannot be served over HTTP by Python in 0.2 ms, so the request
ratio of the cheapest reads measures the HTTP stack, not the read; the operation ratio
measures the read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.dbutil import create_fresh_database, drop_database, is_postgres, migrate
from tests.harness import LiveServer
from tests.signed import signed_request

from gateway import seed
from partner_center.domains.balances.models import BalanceEntry, Statement
from partner_center.domains.orders.models import CustomerOrder
from partner_center.domains.partners.public import PartnerType
from partner_center.domains.usage.models import OnDemandResource
from partner_center.kernel.ids import new_id
from partner_center.provisioning import import_demo_catalog

ORDERS = 100_000
RECORDS = 100_000
RESOURCES = 1_000
NOW = datetime(2026, 11, 20, tzinfo=UTC)


async def seed_rows(server: LiveServer, partner_id: str, customer_id: str) -> None:
    state = server._state()
    orders = [
        {
            "id": f"CS{i:018d}",
            "tenant_id": customer_id if i % 10 == 0 else f"other-{i % 97}",
            "partner_id": partner_id,
            "order_type": 1,
            "source_type": 1,
            "status": 5,
            "service_type_code": "hws.service.type.ec2",
            "service_type_name": "ECS",
            "currency": "USD",
            "official_amount": 10,
            "discount_amount": 0,
            "amount_after_discount": 10,
            "coupon_amount": 0,
            "consumed_amount": 0,
            "discount_offered": 0,
            "auto_renew": False,
            "created_by": partner_id,
            "created_at": NOW - timedelta(minutes=i),
            "request_hash": "x" * 64,
        }
        for i in range(ORDERS)
    ]
    entries = [
        {
            "id": new_id(),
            "tenant_id": partner_id,
            "statement": Statement.PARTNER_DEBIT,
            "seq": i + 1,
            "trade_id": f"trade-{i}",
            "trade_type": "DEDEUCT",
            "trade_detail_type": "SOURCE_OPERAIION_DEDEUCT",
            "direction": 2,
            "amount": 1,
            "balance_after": 1000,
            "created_at": NOW - timedelta(days=30) + timedelta(seconds=20 * i),
        }
        for i in range(RECORDS)
    ]
    resources = [
        {
            "id": f"bench-resource-{i:05d}",
            "tenant_id": customer_id,
            "partner_id": partner_id,
            "region_code": "ap-southeast-1",
            "service_type_code": "hws.service.type.obs",
            "resource_type_code": "hws.resource.type.obs",
            "resource_spec_code": "obs.standard",
            "resource_name": f"bucket-{i}",
            "status": 1,
            "effective_time": NOW - timedelta(hours=i),
            "created_at": NOW,
        }
        for i in range(RESOURCES)
    ]
    try:
        async with state.db.unit_of_work() as uow:
            for model, rows in (
                (CustomerOrder, orders),
                (BalanceEntry, entries),
                (OnDemandResource, resources),
            ):
                for start in range(0, len(rows), 5000):
                    await uow.session.execute(insert(model), rows[start : start + 5000])
    finally:
        await state.db.dispose()


class Spans:
    """Server-side time of each unit of work: from its transaction's begin (before ``BEGIN``
    is sent) to the end of its commit. Requests run one at a time, so spans never overlap."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.spans: list[float] = []

    def begin(self, *_a: Any) -> None:
        self.started = time.perf_counter()

    def committed(self, *_a: Any) -> None:
        if self.started is not None:
            self.spans.append(time.perf_counter() - self.started)
            self.started = None

    def take(self) -> float:
        total, self.spans = sum(self.spans), []
        return total


class Capture:
    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, _c: Any, _cur: Any, statement: str, parameters: Any, *_a: Any) -> None:
        self.statements.append((statement, parameters))


def replay_sqlite(path: str, statements: list[tuple[str, Any]], n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            for statement, parameters in statements:
                if statement.startswith("BEGIN"):
                    # The driver commits through its API, unseen: one request's units of
                    # work show as BEGINs only.
                    if conn.in_transaction:
                        conn.execute("COMMIT")
                    conn.execute(statement)
                    continue
                conn.execute(statement, parameters or ()).fetchall()
            if conn.in_transaction:
                conn.execute("COMMIT")
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)
    finally:
        conn.close()


async def replay_postgres(dsn: str, statements: list[tuple[str, Any]], n: int) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            async with conn.transaction():
                for statement, parameters in statements:
                    await conn.fetch(statement, *(parameters or ()))
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--customers", type=int, default=10_000)
    args = parser.parse_args()
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    server = LiveServer(url, sandbox=False, rate_limit=0).start()
    try:
        server._call(import_demo_catalog)
        partner = server.partner(PartnerType.CSP)
        asyncio.run(seed(server, partner.id, partner.xaccount_type, args.customers))
        client = httpx.Client(base_url=server.url, timeout=120)

        def call(method: str, path: str, body: Any = None, query: str = "") -> httpx.Response:
            raw = json.dumps(body).encode() if body is not None else b""
            return signed_request(
                server.url, partner.creds, method, path, body=raw, query=query, client=client
            )

        listed = call(
            "POST", "/v2/partners/sub-customers/query", {"offset": 0, "limit": 100}
        ).json()
        ids = [c["customer_id"] for c in listed["customer_infos"]]
        for customer_id in ids:
            call(
                "POST",
                "/v2/partners/sub-customers/budget",
                {"customer_id": customer_id, "budget_amount": 100, "budget_type": "MONTHLY"},
            )
        asyncio.run(seed_rows(server, partner.id, ids[0]))
        reads: dict[str, Callable[[], httpx.Response]] = {
            "list_sub_customers (10k, name filter)": lambda: call(
                "POST",
                "/v2/partners/sub-customers/query",
                {"offset": 0, "limit": 10, "account_name": "cust-0"},
            ),
            "list_customer_orders (100k)": lambda: call(
                "GET", "/v2/orders/customer-orders", query="offset=0&limit=10"
            ),
            "list_sub_customer_budget (100 ids)": lambda: call(
                "POST", "/v2/partners/sub-customers/budget/query", {"customer_ids": ids}
            ),
            "list_partner_account_change_records (100k)": lambda: call(
                "GET",
                "/v2/accounts/partner-accounts/account-change-records",
                query="balance_type=BALANCE_TYPE_DEBIT&limit=10&offset=0",
            ),
            "resources query (1k)": lambda: call(
                "POST",
                "/v2/partners/sub-customers/on-demand-resources/query",
                {"customer_id": ids[0], "offset": 0, "limit": 10},
            ),
        }
        engine = server.state.db.engine.sync_engine
        # The floor of any request: one unauthenticated round trip to the same server with
        # the same client (no statement), printed beside the ratios, not taken off them.
        for _ in range(3):
            client.get("/health")
        floor_samples = []
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get("/health")
            floor_samples.append(time.perf_counter() - started)
        floor = statistics.median(floor_samples)
        print(f"HTTP round trip without statements (GET /health): {floor * 1000:.1f}ms")
        print(
            f"{'read':45} {'request':>9} {'operation':>9} {'raw':>8} {'op/raw':>6} "
            f"{'req/raw':>7} {'op-raw':>7} {'fixed':>7} {'statements':>10}"
        )
        spans = Spans()
        event.listen(engine, "begin", spans.begin, insert=True)
        event.listen(Session, "after_commit", spans.committed)
        for name, read in reads.items():
            answer = read()
            assert answer.status_code == 200, (name, answer.text)
            for _ in range(3):
                read()
            capture = Capture()
            event.listen(engine, "before_cursor_execute", capture)
            read()
            event.remove(engine, "before_cursor_execute", capture)
            samples, operations = [], []
            spans.take()
            for _ in range(args.requests):
                started = time.perf_counter()
                read()
                samples.append(time.perf_counter() - started)
                operations.append(spans.take())
            request = statistics.median(samples)
            operation = statistics.median(operations)
            fixed = statistics.median(r - o for r, o in zip(samples, operations, strict=True))
            if is_postgres():
                dsn = url.replace("postgresql+asyncpg://", "postgresql://")
                raw = asyncio.run(replay_postgres(dsn, capture.statements, args.requests))
            else:
                raw = replay_sqlite(url.split(":///", 1)[1], capture.statements, args.requests)
            print(
                f"{name:45} {request * 1000:7.1f}ms {operation * 1000:7.1f}ms "
                f"{raw * 1000:6.1f}ms {operation / raw:6.2f} {request / raw:7.2f} "
                f"{(operation - raw) * 1000:5.1f}ms {fixed * 1000:5.1f}ms "
                f"{len(capture.statements):10d}"
            )
    finally:
        server.stop()
        asyncio.run(drop_database(pg_name))


if __name__ == "__main__":
    main()
