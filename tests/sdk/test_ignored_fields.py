"""Fields of existing operations that used to be stubs or ignored (issue 13 item 4), through the
official SDK clients: ``method=sub_customer`` of ``list_customer_orders``, ``available_zone`` in
both rating calls (``promotion_plan_id`` is in ``test_coupons.py``)."""

from __future__ import annotations

import pytest
from huaweicloudsdkbss.v2 import model as bss
from huaweicloudsdkbssintl.v2 import model as m

from tests.harness import LiveServer, Partner
from tests.sdk.test_enterprise_members import member
from tests.sdk.test_orders import list_orders, load_catalog, refused
from tests.sdk.test_rating import HK, MONTH_VM, rate_on_demand, rate_period
from tests.sdk.test_rating import demand as demand_product


@pytest.fixture(scope="module", autouse=True)
def demo(server: LiveServer) -> None:
    load_catalog(server)


HOUR_VM = demand_product(
    "d", "hws.service.type.ec2", "hws.resource.type.vm", "s6.large.2.linux", "Duration", 1, 4
)


def test_available_zone_must_lie_in_the_region(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    for client, module in ((server.intl(customer), m), (server.bss(customer), bss)):
        in_zone = rate_period(
            client, customer, [{**MONTH_VM, "available_zone": f"{HK}a"}], module=module
        )
        assert str(in_zone.official_website_rating_result.official_website_amount) == "25.40"
        hourly = rate_on_demand(
            client, customer, [{**HOUR_VM, "available_zone": f"{HK}b"}], module=module
        )
        plain = rate_on_demand(client, customer, [HOUR_VM], module=module)
        assert hourly.amount == plain.amount
        for zone in ("cn-north-4a", f"{HK}", f"{HK}-a", "x"):
            period_error = refused(
                lambda z=zone, c=client, mod=module: rate_period(
                    c, customer, [{**MONTH_VM, "available_zone": z}], module=mod
                )
            )
            assert (period_error.error_code, "available_zone" in period_error.error_msg) == (
                "CBC.0100",
                True,
            )
            demand_error = refused(
                lambda z=zone, c=client, mod=module: rate_on_demand(
                    c, customer, [{**HOUR_VM, "available_zone": z}], module=mod
                )
            )
            assert demand_error.error_code == "CBC.0100"


def test_an_enterprise_master_lists_a_members_orders(server: LiveServer, csp: Partner) -> None:
    master = server.customer(csp)
    created = member(server, master)
    stranger = server.customer(csp)
    for client in (server.intl(master), server.bss(master)):
        listed = list_orders(client, method="sub_customer", customer_id=created["id"])
        assert (listed.total_count, listed.order_infos) == (0, [])
    not_mine = refused(
        lambda: list_orders(server.intl(stranger), method="sub_customer", customer_id=created["id"])
    )
    assert not_mine.error_code == "CBC.99000035"
    not_a_member = refused(
        lambda: list_orders(
            server.intl(master), method="sub_customer", customer_id=stranger.account_id
        )
    )
    assert not_a_member.error_code == "CBC.99000035"
    partner = refused(
        lambda: list_orders(
            server.intl(csp.creds), method="sub_customer", customer_id=master.account_id
        )
    )
    assert partner.error_code == "CBC.0100"
    missing = refused(lambda: list_orders(server.intl(master), method="sub_customer"))
    assert missing.error_code == "CBC.0100"
