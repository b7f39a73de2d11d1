"""Every list operation costs a handful of statements, whatever the page size (Saleor's habit:
tests that count queries). Each list is called over the live server with a small and a large
page (or few and many ids) over enough rows to fill both; the statements the server's engine
ran for the request are counted (authentication and the sandbox clock included, the access key
read every time as when the process's key cache has expired) and must be the same for both and
at most ``MAX_STATEMENTS``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from huaweicloudsdkbss.v2 import model as bss
from huaweicloudsdkbssintl.v2 import model as m
from sqlalchemy import event, insert

from partner_center.domains.usage.models import OnDemandResource
from partner_center.provisioning import import_demo_catalog
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, fresh_server

MAX_STATEMENTS = 10
ROWS = 12


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[LiveServer, Partner, list[str]]]:
    with fresh_server(key_cache_seconds=0) as server:

        async def catalog(state: AppState) -> None:
            await import_demo_catalog(state)

        server._call(catalog)
        partner = server.partner()
        ids = [server.customer(partner).account_id for _ in range(ROWS)]
        client = server.intl(partner.creds)
        for customer_id in ids:
            client.update_sub_customer_budget(
                m.UpdateSubCustomerBudgetRequest(
                    body=m.ModSubCustomerBudgetReq(
                        customer_id=customer_id, budget_amount=100, budget_type="MONTHLY"
                    )
                )
            )

        async def resources(state: AppState) -> None:
            now = state.clock.now()
            async with state.db.unit_of_work() as uow:
                await uow.session.execute(
                    insert(OnDemandResource),
                    [
                        {
                            "id": f"stmt-count-{i}",
                            "tenant_id": ids[0],
                            "partner_id": partner.id,
                            "region_code": "ap-southeast-1",
                            "service_type_code": "hws.service.type.obs",
                            "resource_type_code": "hws.resource.type.obs",
                            "resource_spec_code": "obs.standard",
                            "resource_name": f"bucket-{i}",
                            "status": 1,
                            "effective_time": now - timedelta(hours=i + 1),
                            "created_at": now,
                        }
                        for i in range(ROWS)
                    ],
                )

        server._call(resources)
        yield server, partner, ids


def statements(server: LiveServer, call: Callable[[], Any]) -> int:
    counter = Counter()
    engine = server.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return counter.count


#: name → call(server, partner, customer ids, size): a list asked for ``size`` rows or ids.
LISTS: dict[str, Callable[[LiveServer, Partner, list[str], int], Any]] = {
    "list_sub_customers": lambda s, p, ids, n: s.intl(p.creds).list_sub_customers(
        m.ListSubCustomersRequest(body=m.QuerySubCustomerListReq(offset=0, limit=n))
    ),
    "list_sub_customers (name filter)": lambda s, p, ids, n: s.intl(p.creds).list_sub_customers(
        m.ListSubCustomersRequest(body=m.QuerySubCustomerListReq(customer="x", offset=0, limit=n))
    ),
    "list_sub_customer_budget": lambda s, p, ids, n: s.intl(p.creds).list_sub_customer_budget(
        m.ListSubCustomerBudgetRequest(body=m.ListSubCustomerBudgetReq(customer_ids=ids[:n]))
    ),
    "list_sub_customer_budget_records": lambda s, p, ids, n: s.intl(
        p.creds
    ).list_sub_customer_budget_records(
        m.ListSubCustomerBudgetRecordsRequest(customer_id=ids[0], offset=0, limit=n)
    ),
    "list_customer_orders": lambda s, p, ids, n: s.intl(p.creds).list_customer_orders(
        m.ListCustomerOrdersRequest(offset=0, limit=n)
    ),
    "list_partner_account_change_records": lambda s, p, ids, n: s.bss(
        p.creds
    ).list_partner_account_change_records(
        bss.ListPartnerAccountChangeRecordsRequest(
            balance_type="BALANCE_TYPE_DEBIT", offset=0, limit=n
        )
    ),
    "list_customer_on_demand_resources": lambda s, p, ids, n: s.intl(
        p.creds
    ).list_customer_on_demand_resources(
        m.ListCustomerOnDemandResourcesRequest(
            body=m.QueryCustomerOnDemandResourcesReq(customer_id=ids[0], offset=0, limit=n)
        )
    ),
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_a_list_costs_a_handful_of_statements_whatever_the_page_size(
    world: tuple[LiveServer, Partner, list[str]], name: str
) -> None:
    server, partner, ids = world
    call = LISTS[name]
    call(server, partner, ids, 1)  # warm: caches and prepared statements of the first call
    few = statements(server, lambda: call(server, partner, ids, 2))
    many = statements(server, lambda: call(server, partner, ids, ROWS - 2))
    assert few == many, f"{name}: {few} statements for 2 rows, {many} for {ROWS - 2}"
    assert many <= MAX_STATEMENTS, f"{name}: {many} statements"
