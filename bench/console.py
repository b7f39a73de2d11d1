"""Console pages' server time with 10,000 customers in the data: every main page of the partner
and operator consoles, median of several requests each, slowest first, against the 300 ms
target (issue 12). Every customer has a monthly budget (``--budgets``), so the dashboard sums
10,000 budgets. A distributor's reseller has as many customers again (the Resellers' Customers
tab lists them all); the partner acts as one authorized customer (Place Order on Customer's
Behalf, Resource O&M) and starts a statement export (the work page and its progress fragment).

    .venv/bin/python bench/console.py [--customers 10000] [--budgets 10000] [--requests 10]

Uses SQLite unless DATABASE_URL is set. Server time is the response time over loopback with a
kept-alive connection (client and network add well under a millisecond).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import select, update
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer

from gateway import seed  # the 10,000 customers of the gateway benchmark
from partner_center.domains.customers.models import Customer
from partner_center.domains.customers.public import CustomerFilter, PartnerActor
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.pagination import page
from partner_center.provisioning import ensure_operator, import_demo_catalog
from partner_center.state import AppState

PASSWORD = "Bench-Passw0rd"  # noqa: S105  (a throwaway benchmark database)
TARGET_MS = 300.0
PARTNER_PAGES = [
    "/console/dashboard",
    "/console/customers",
    "/console/customers?q=cust-00&limit=100",
    "/console/customers?offset=9980",
    "/console/customers/invitations",
    "/console/customers/requests",
    "/console/customers/requests?tab=type_changes",
    "/console/account/keys",
    "/console/account/members",
    "/console/finance/bills",
    "/console/finance/repay",
    "/console/finance/statements",
    "/console/finance/invoices",
    "/console/finance/exports",
    "/console/coupons",
    "/console/customers?account_manager={manager}",
    "/console/customers/detail?customer_id={customer}",
    "/console/customers/association?customer_id={customer}",
    "/console/customers/budget-records?customer_id={customer}",
    "/console/acting/order",
    "/console/acting/orders",
    "/console/work?work_id={work}",
    "/console/work/progress?work_id={work}",
]
DISTRIBUTOR_PAGES = [
    "/console/dashboard",
    "/console/resellers",
    "/console/resellers/customers",
    "/console/resellers/customers?q=res-00&limit=100",
    "/console/resellers/grants?reseller_id={reseller}",
    "/console/coupons/reseller-quotas",
]
OPERATOR_PAGES = [
    "/console/operator/partners",
    "/console/operator/clock",
    "/console/operator/tickets",
    "/console/operator/bill-runs",
    "/console/operator/coupon-quotas",
    "/console/operator/catalog",
    "/console/operator/quota?partner_id={partner}",
]


def signed_in(url: str, account: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    form = client.get("/console/sign-in").text
    csrf = re.search(r'name="csrf" value="([^"]*)"', form)
    assert csrf is not None
    answer = client.post(
        "/console/sign-in",
        data={"csrf": csrf.group(1), "account_name": account, "password": PASSWORD},
    )
    assert answer.status_code == 303, answer.text
    return client


def posted(client: httpx.Client, form_page: str, action: str, data: dict[str, str]) -> str:
    """Submit a console form (with the CSRF token of ``form_page``); the redirect's target."""
    csrf = re.search(r'name="csrf" value="([^"]*)"', client.get(form_page).text)
    assert csrf is not None, form_page
    answer = client.post(action, data={"csrf": csrf.group(1)} | data)
    assert answer.status_code == 303, (action, answer.status_code, answer.text[:500])
    return answer.headers["location"]


def timed(client: httpx.Client, path: str, n: int) -> float:
    client.get(path)  # warm-up (templates compiled, caches filled)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        answer = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return statistics.median(samples)


async def budgets(state: AppState, *, partner_id: str, count: int) -> None:
    """A monthly budget for ``count`` of the partner's customers, 100 per batch (the console's
    batch), each batch in its own unit of work, as the partner's administrator."""
    async with state.work() as services:
        admin = await services.identity.admin_member(partner_id)
        caller = await services.identity.caller_for(partner_id, admin.id, method="bench")
        partner = await services.partners.get(partner_id)
        assert partner is not None
        actor = PartnerActor(caller=caller, partner=partner)
        rows, _total = await services.customers.list_sub_customers(
            actor, CustomerFilter(), page(0, count, max_limit=count)
        )
    ids = [r.customer_id for r in rows]
    for start in range(0, len(ids), 100):
        async with state.work() as services:
            await services.budgets.set_budgets(
                actor, ids[start : start + 100], amount=Decimal(100 + start % 900)
            )


async def manage_half(state: AppState, *, partner_id: str) -> str:
    """An account manager of the partner who manages every other customer (the list's
    account-manager filter then matches half of them); its member id."""
    async with state.work() as services:
        manager = await services.identity.create_member(
            account_id=partner_id, name="bench-manager", roles=["ACCOUNT_MANAGER"]
        )
    async with state.db.unit_of_work() as uow:
        ids = (
            await uow.session.scalars(
                select(Customer.account_id)
                .where(Customer.tenant_id == partner_id)
                .order_by(Customer.account_id)
            )
        ).all()
        await uow.session.execute(
            update(Customer)
            .where(Customer.account_id.in_(ids[::2]))
            .values(account_manager_id=manager.id)
        )
    return manager.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--budgets", type=int, default=10_000, help="customers given a budget")
    args = parser.parse_args()

    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    server = LiveServer(url, rate_limit=0).start()
    try:
        partner = server.partner(PartnerType.CSP, password=PASSWORD)
        asyncio.run(seed(server, partner.id, partner.xaccount_type, args.customers))
        acted_for = server.customer(partner, authorize=True)
        distributor = server.partner(PartnerType.DISTRIBUTOR, password=PASSWORD)
        reseller = server.partner(PartnerType.RESELLER, distributor=distributor)
        asyncio.run(seed(server, reseller.id, reseller.xaccount_type, args.customers, prefix="res"))

        async def operator(state: AppState) -> None:
            operator_id = await ensure_operator(state)
            async with state.work() as services:
                admin = await services.identity.admin_member(operator_id)
                await services.identity.set_password(member_id=admin.id, password=PASSWORD)

        server._call(operator)
        server._call(import_demo_catalog)  # regions and products for Place Order
        started = time.perf_counter()
        server._call(budgets, partner_id=partner.id, count=args.budgets)
        print(
            f"{args.budgets} budgets set through the budget service in "
            f"{time.perf_counter() - started:.0f} s (the dashboard sums every one)"
        )
        results = []
        client = signed_in(server.url, partner.creds.domain_name)
        detail = f"/console/customers/detail?customer_id={acted_for.account_id}"
        posted(client, detail, "/console/acting/start", {"customer_id": acted_for.account_id})
        work = posted(
            client,
            "/console/finance/exports",
            "/console/finance/exports",
            {"begin_date": "2026-01-01", "end_date": "2026-12-31"},
        ).split("work_id=")[1]
        names = {
            "customer": acted_for.account_id,
            "work": work,
            "reseller": reseller.id,
            "partner": partner.id,
        }
        names["manager"] = server._call(manage_half, partner_id=partner.id)
        for account, pages, label in (
            (partner.creds.domain_name, PARTNER_PAGES, ""),
            (distributor.creds.domain_name, DISTRIBUTOR_PAGES, " (distributor)"),
            ("operator", OPERATOR_PAGES, ""),
        ):
            if account != partner.creds.domain_name:
                client = signed_in(server.url, account)
            for path in pages:
                ms = timed(client, path.format(**names), args.requests)
                results.append((path + label, ms))
            client.close()
        print(f"console pages over {args.customers} customers, median of {args.requests}:")
        for path, ms in sorted(results, key=lambda r: r[1], reverse=True):
            flag = "ok" if ms <= TARGET_MS else f"over the {TARGET_MS:.0f} ms target"
            print(f"{ms:8.1f} ms  {path}  {flag}")
    finally:
        server.stop()
        asyncio.run(drop_database(pg_name))


if __name__ == "__main__":
    main()
