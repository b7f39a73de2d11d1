"""Fields of existing operations that used to be stubs or ignored (issue 13 item 4), through the
official SDK clients: ``method=sub_customer`` of ``list_customer_orders``, ``available_zone`` in
both rating calls, agent pay and enterprise projects from the order, the unsubscription reason,
``customer_id`` of a scene-18 verification code (``promotion_plan_id`` is in
``test_coupons.py``)."""

from __future__ import annotations

from datetime import UTC
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from huaweicloudsdkbss.v2 import model as bss
from huaweicloudsdkbssintl.v2 import model as m
from sqlalchemy import select

from partner_center.domains.customers.models import VerificationCode
from partner_center.kernel.clock import add_months, parse_utc
from partner_center.state import AppState
from tests.harness import LiveServer, Partner
from tests.sdk.enterprise_helpers import make_master
from tests.sdk.test_enterprise_members import member
from tests.sdk.test_more_operations import renew_rate
from tests.sdk.test_orders import (
    DISK_MONTH,
    VM_MONTH,
    agency_without_authorization,
    list_orders,
    load_catalog,
    order_details,
    pay,
    place,
    ready_customer,
    refused,
    resources,
)
from tests.sdk.test_rating import HK, MONTH_VM, rate_on_demand, rate_period, referral_customer
from tests.sdk.test_rating import demand as demand_product
from tests.sdk.test_resources import bought, one, renew
from tests.sdk.test_verification_cn import a_mobile
from tests.signed import signed_request


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
    master = make_master(server, csp)
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


def test_agent_pay_and_enterprise_project_come_from_the_order(
    server: LiveServer, csp: Partner
) -> None:
    reseller_model = ready_customer(server, csp)
    order_id, vm, _ = bought(server, csp, reseller_model, enterprise_project_id="ep-finance")
    info = list_orders(server.intl(reseller_model), order_id=order_id).order_infos[0]
    # The partner bills a reseller-model customer itself: it pays for the order.
    assert (info.agent_pay_info.is_agent_pay, info.agent_pay_info.paying_agent_id) == (
        True,
        csp.id,
    )
    assert [(p.id, p.name) for p in info.enterprise_projects] == [("ep-finance", "ep-finance")]
    assert one(server, reseller_model, vm.resource_id).enterprise_project.id == "ep-finance"
    renewed = renew(server.intl(reseller_model), [vm.resource_id]).order_ids[0]
    listed = list_orders(server.intl(reseller_model), order_id=renewed).order_infos[0]
    assert listed.enterprise_projects[0].id == "ep-finance"
    # A referral customer pays its own orders, in the default project.
    referral = referral_customer(server, csp)
    agency_without_authorization(server, referral, csp)
    created = place(server, csp, referral)
    assert created.status_code == 201, created.text
    own = list_orders(server.bss(referral), order_id=created.json()["order_id"]).order_infos[0]
    assert (own.agent_pay_info.is_agent_pay, own.agent_pay_info.paying_agent_id) == (False, None)
    assert [(p.id, p.name) for p in own.enterprise_projects] == [("0", "default")]
    bad = place(server, csp, referral, enterprise_project_id="no spaces")
    assert (bad.status_code, bad.json()["error_code"]) == (400, "CBC.0100")


def test_the_unsubscribe_reason_is_kept_on_the_order(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    _, vm, _ = bought(server, csp, customer)
    client = server.intl(customer)
    done = client.cancel_resources_subscription(
        m.CancelResourcesSubscriptionRequest(
            body=m.UnsubscribeResourcesReq(
                resource_ids=[vm.resource_id],
                unsubscribe_type=1,
                unsubscribe_reason_type=2,
                unsubscribe_reason="Needs GPUs\nthat are not offered",
            )
        )
    )
    (order_id,) = done.order_ids
    raw = signed_request(
        server.url, customer, "GET", f"/v2/orders/customer-orders/details/{order_id}"
    ).json()["order_info"]
    assert (raw["order_type"], raw["unsubscribe_reason_type"], raw["unsubscribe_reason"]) == (
        4,
        2,
        "Needs GPUs\nthat are not offered",
    )
    listed = signed_request(
        server.url, csp.creds, "GET", "/v2/orders/customer-orders", query=f"order_id={order_id}"
    ).json()["order_infos"]
    assert listed[0]["unsubscribe_reason"] == "Needs GPUs\nthat are not offered"


def test_a_bank_card_code_is_for_one_of_the_partners_customers(
    server: LiveServer, csp: Partner
) -> None:
    customer = server.customer(csp)

    def send(**fields: object) -> object:
        return server.bss(csp.creds).send_verification_message_code(
            bss.SendVerificationMessageCodeRequest(
                body=bss.SendVerificationCodeV2Req(
                    receiver_type=1, mobile_phone=a_mobile(), **fields
                )
            )
        )

    send(scene=18, customer_id=customer.account_id)
    stored = server._call(_codes_of, customer_id=customer.account_id)
    assert stored == [18]
    assert refused(lambda: send(scene=18)).error_code == "CBC.0100"
    stranger = server.customer(server.partner())
    assert refused(lambda: send(scene=18, customer_id=stranger.account_id)).error_code == (
        "CBC.99000035"
    )
    # Registration codes are for no customer: the id is ignored there.
    send(scene=29, customer_id=stranger.account_id)
    assert server._call(_codes_of, customer_id=stranger.account_id) == []


async def _codes_of(state: AppState, *, customer_id: str) -> list[int]:
    async with state.db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(VerificationCode.scene).where(VerificationCode.customer_id == customer_id)
        )
        return list(rows.scalars())


def test_renewals_align_to_the_expire_date_priced_by_the_day(
    server: LiveServer, csp: Partner
) -> None:
    customer = ready_customer(server, csp)
    _, vm, disk = bought(server, csp, customer)
    zone = server.settings.zone
    expiry = parse_utc(vm.expire_time)
    natural = add_months(zone, expiry, 1)
    # A day other than the natural end's: the renewal always runs some days longer.
    local = natural.astimezone(zone)
    day = (local.day + 2) % 28 + 1
    client = server.intl(customer)
    client.set_resources_renew_config(
        m.SetResourcesRenewConfigRequest(
            body=m.RenewResourceConfigReq(config_name="EXPIRE_DATE", config_value=str(day))
        )
    )
    if day > local.day:
        aligned = local.replace(day=day).astimezone(UTC)
    else:
        aligned = add_months(zone, local.replace(day=day), 1)
    extra_days = (aligned - natural).days
    period_days = (natural - expiry).days
    assert 0 < extra_days < 28

    def by_day(amount: D) -> D:
        return (amount * (period_days + extra_days) / period_days).quantize(
            D("0.01"), rounding=ROUND_HALF_UP
        )

    expected = by_day(VM_MONTH) + by_day(DISK_MONTH)
    quote = renew_rate(client, [vm.resource_id])
    assert D(quote.renew_inquiry_results[0].amount) == expected
    (order_id,) = renew(client, [vm.resource_id]).order_ids
    assert D(str(order_details(client, order_id).order_info.official_amount)) == expected
    assert pay(client, order_id).status_code == 204
    renewed = one(server, customer, vm.resource_id)
    assert parse_utc(renewed.expire_time) == aligned
    (attached,) = resources(client, resource_ids=[disk.resource_id]).data
    assert parse_utc(attached.expire_time) == aligned
    assert aligned.astimezone(zone).day == day
