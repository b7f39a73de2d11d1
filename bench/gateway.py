"""Gateway overhead: signed ``list_sub_customers`` throughput against an unsigned bare endpoint
running the same query, over 10,000 customers, measured in one run on the same server.

    .venv/bin/python bench/gateway.py [--customers 10000] [--requests 400]

Prints requests/s of both and the ratio signed/bare (1.0 = the gateway costs nothing).
Uses SQLite unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import insert
from starlette.requests import Request
from starlette.responses import Response

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer
from tests.signed import signed_request

from partner_center.domains.customers.models import AssociationType, Customer
from partner_center.domains.customers.public import CustomerFilter, PartnerActor
from partner_center.domains.identity.models import Account, AccountKind, Member
from partner_center.domains.partners.public import PartnerType
from partner_center.http.state import app_state
from partner_center.http.wire import WireResponse
from partner_center.kernel.ids import new_domain_id, new_id
from partner_center.kernel.pagination import page

PATH = "/v2/partners/sub-customers/query"
BODY = b'{"offset": 0, "limit": 10, "account_name": "cust-00"}'


async def seed(
    server: LiveServer, partner_id: str, platform: str, count: int, *, prefix: str = "cust"
) -> None:
    state = server._state()
    now = datetime(2026, 11, 1, tzinfo=UTC)
    accounts, members, customers = [], [], []
    for i in range(count):
        cid = new_domain_id()
        name = f"{prefix}-{i:05d}"
        accounts.append(
            {
                "id": cid,
                "tenant_id": cid,
                "name": name,
                "kind": AccountKind.CUSTOMER,
                "status": "ACTIVE",
                "created_at": now,
            }
        )
        members.append(
            {
                "id": new_id(),
                "tenant_id": cid,
                "name": name,
                "roles": ["ADMIN"],
                "is_admin": True,
                "status": "ACTIVE",
                "created_at": now,
            }
        )
        customers.append(
            {
                "account_id": cid,
                "tenant_id": partner_id,
                "created_by": partner_id,
                "association_type": AssociationType.RESELLER,
                "associated_on": now,
                "xaccount_id": f"x-{prefix}-{i}",
                "xaccount_type": platform,
                "account_name": name,
                "customer_type": -1,
                "verified_status": "-1",
                "customer_level": "V0",
                "is_close_market_ms": False,
                "restricted": True,
            }
        )
    async with state.db.unit_of_work() as uow:
        for table, rows in ((Account, accounts), (Member, members), (Customer, customers)):
            for start in range(0, len(rows), 2000):
                await uow.session.execute(insert(table), rows[start : start + 2000])
    await state.db.dispose()


def add_bare_endpoint(server: LiveServer, actor_holder: dict[str, PartnerActor]) -> None:
    """The same query with no authentication, signature, throttling or wire models."""
    app = server._server.config.app

    async def bare(request: Request) -> Response:
        state = app_state(request)
        await request.body()
        async with state.db.unit_of_work() as uow:
            actor = actor_holder["actor"]
            rows, total = await state.services(uow.session).customers.list_sub_customers(
                actor, CustomerFilter(account_name="cust-00"), page(0, 10)
            )
        return WireResponse(
            {"count": total, "customer_infos": [{"customer_id": r.customer_id} for r in rows]}
        )

    app.add_route("/bench/bare", bare, methods=["POST"])


def measure(label: str, send: object, n: int) -> float:
    for _ in range(20):
        send()  # type: ignore[operator]
    samples = []
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(n):
            send()  # type: ignore[operator]
        samples.append(n / (time.perf_counter() - started))
    rate = statistics.median(samples)
    print(f"{label:>28}: {rate:8.1f} requests/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()

    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    server = LiveServer(url, sandbox=False, rate_limit=0).start()
    try:
        partner = server.partner(PartnerType.CSP)
        asyncio.run(seed(server, partner.id, partner.xaccount_type, args.customers))

        async def actor() -> PartnerActor:
            state = server._state()
            async with state.db.unit_of_work() as uow:
                from partner_center.provisioning import services

                svc = await services(state, uow)
                view = await svc.partners.get(partner.id)
                admin = await svc.identity.admin_member(partner.id)
                caller = await svc.identity.caller_for(partner.id, admin.id, method="bench")
            await state.db.dispose()
            assert view is not None
            return PartnerActor(caller=caller, partner=view)

        holder = {"actor": asyncio.run(actor())}
        add_bare_endpoint(server, holder)
        client = httpx.Client(base_url=server.url)
        # "cust-00" names every customer numbered 00000-00999 (fewer below 1,000 customers).
        matches = sum("cust-00" in f"cust-{i:05d}" for i in range(args.customers))

        def bare() -> None:
            r = client.post(
                "/bench/bare", content=BODY, headers={"content-type": "application/json"}
            )
            assert r.status_code == 200 and r.json()["count"] == matches, r.text

        def signed() -> None:
            r = signed_request(server.url, partner.creds, "POST", PATH, body=BODY, client=client)
            assert r.status_code == 200 and r.json()["count"] == matches, r.text

        print(f"list_sub_customers over {args.customers} customers, {args.requests} requests x3")
        bare_rate = measure("unsigned bare endpoint", bare, args.requests)
        signed_rate = measure("signed list_sub_customers", signed, args.requests)
        print(f"ratio signed/bare throughput: {signed_rate / bare_rate:.2f}")
    finally:
        server.stop()
        asyncio.run(drop_database(pg_name))


if __name__ == "__main__":
    main()
