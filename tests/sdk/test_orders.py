"""Yearly/monthly orders through the official SDK clients: a partner orders for an authorized
customer (extension endpoint), the customer pays (its own AK/SK, or the partner through the
customer's agency), cancels, lists and inspects orders; refusals are reference codes; replays
and a concurrent double payment pay once; tenancy (api-semantics.md §3.7; rules.md §5, §7, §3).

Demo catalogue list prices used below (ap-southeast-1, per month): ECS ``s6.large.2.linux``
25.40; EVS ``SSD`` 0.217 per GB, so 40 GB = 8.68. An ECS with its 40 GB disk for one month is
25.40 + 8.68 = 34.08.

The helpers at the top are shared with the resource tests and the lifecycle scenario.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import simplejson
from huaweicloudsdkbss.v2 import model as bss
from huaweicloudsdkbssintl.v2 import model as m
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from sqlalchemy import update

from partner_center.domains.customers.public import CustomerControl, FreezeType
from partner_center.domains.orders.models import CustomerOrder
from partner_center.kernel.clock import format_utc, parse_utc
from partner_center.provisioning import (
    Credentials,
    create_credentials,
    ensure_operator,
    import_demo_catalog,
)
from partner_center.state import AppState
from tests.harness import LiveServer, Partner
from tests.sdk.test_association_helpers import member
from tests.sdk.test_coupons import ledger_is_clean
from tests.sdk.test_rating import grant as grant_discount
from tests.sdk.test_rating import referral_customer
from tests.signed import signed_request

D = Decimal
ECS, EVS = "hws.service.type.ec2", "hws.service.type.ebs"
VM, VOLUME = "hws.resource.type.vm", "hws.resource.type.volume"
HK = "ap-southeast-1"
DISK_GB = 17
PASSWORD = "Partner-Pass1"
ORDERS = "/v1/partner-center/customer-orders"
EXT = "/v1/partner-center"
VM_MONTH = D("25.40")
DISK_MONTH = D("8.68")

# ---------------------------------------------------------------------------------------------
# Helpers (imported by the resource tests and the lifecycle scenario)
# ---------------------------------------------------------------------------------------------


def load_catalog(server: LiveServer) -> None:
    async def load(state: AppState) -> None:
        await import_demo_catalog(state)

    server._call(load)


def operator(server: LiveServer) -> Credentials:
    operator_id: str = server._call(ensure_operator)
    creds: Credentials = server._call(create_credentials, account_id=operator_id)
    return creds


def signed(
    server: LiveServer,
    creds: Credentials,
    method: str,
    path: str,
    body: Any = None,
    *,
    timeout: float = 30,
) -> httpx.Response:
    raw = simplejson.dumps(body, use_decimal=True).encode() if body is not None else b""
    with httpx.Client(timeout=timeout) as client:
        return signed_request(server.url, creds, method, path, body=raw, client=client)


def set_consumption_quota(server: LiveServer, partner: Partner, amount: str) -> None:
    response = signed(
        server,
        operator(server),
        "PUT",
        f"{EXT}/operator/partners/{partner.id}/consumption-quota",
        {"consumption_quota": D(amount)},
    )
    assert response.status_code == 200, response.text


def used_quota(server: LiveServer, partner: Partner) -> Decimal:
    response = signed(
        server, operator(server), "GET", f"{EXT}/operator/partners/{partner.id}/consumption-quota"
    )
    assert response.status_code == 200, response.text
    return D(response.json()["used_consumption_quota"])


def set_budget(
    server: LiveServer,
    partner: Partner,
    customer: Credentials,
    amount: str,
    *,
    budget_type: str = "PACKAGE",
    reseller: Partner | None = None,
) -> None:
    """A budget that also lifts the new customer's purchase restriction."""
    server.intl(partner.creds).update_sub_customer_budget(
        m.UpdateSubCustomerBudgetRequest(
            body=m.ModSubCustomerBudgetReq(
                customer_id=customer.account_id,
                budget_amount=D(amount),
                budget_type=budget_type,
                cancel_partner_frozen="1",
                indirect_partner_id=reseller.id if reseller else None,
            )
        )
    )


def budget_used(
    server: LiveServer, partner: Partner, customer: Credentials, reseller: Partner | None = None
) -> Decimal:
    shown = server.intl(partner.creds).show_sub_customer_budget(
        m.ShowSubCustomerBudgetRequest(
            customer_id=customer.account_id, indirect_partner_id=reseller.id if reseller else None
        )
    )
    return D(str(shown.used_amount))


def vm_with_disk(disk_gb: int = 40, **vm: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": "vm",
            "cloud_service_type": ECS,
            "resource_type": VM,
            "resource_spec": "s6.large.2.linux",
            "region": HK,
            **vm,
        },
        {
            "id": "disk",
            "cloud_service_type": EVS,
            "resource_type": VOLUME,
            "resource_spec": "SSD",
            "region": HK,
            "resource_size": disk_gb,
            "size_measure_id": DISK_GB,
            "parent_id": "vm",
        },
    ]


def place(
    server: LiveServer,
    partner: Partner,
    customer: Credentials,
    products: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> httpx.Response:
    body = {
        "customer_id": customer.account_id,
        "period_type": 2,
        "period_num": 1,
        "product_infos": products if products is not None else vm_with_disk(),
        **fields,
    }
    return signed(server, partner.creds, "POST", ORDERS, body)


def placed(server: LiveServer, partner: Partner, customer: Credentials, **fields: Any) -> str:
    response = place(server, partner, customer, **fields)
    assert response.status_code == 201, response.text
    order_id: str = response.json()["order_id"]
    return order_id


def ready_customer(
    server: LiveServer, partner: Partner, *, budget: str = "1000.00", quota: str = "5000"
) -> Credentials:
    """A reseller-model customer that authorized its partner, with a one-time budget, and a
    partner consumption quota to buy within."""
    customer = server.customer(partner, authorize=True)
    set_consumption_quota(server, partner, quota)
    set_budget(server, partner, customer, budget)
    return customer


def pay(
    client: Any,
    order_id: str,
    *,
    coupon_id: str | None = None,
    discount: tuple[str, int] | None = None,
    model: Any = m,
) -> Any:
    return client.pay_orders(
        model.PayOrdersRequest(
            body=model.PayCustomerOrderV3Req(
                order_id=order_id,
                use_coupon="YES" if coupon_id else "NO",
                use_discount="YES" if discount else "NO",
                coupon_infos=[model.CouponSimpleInfoOrderPayV3(id=coupon_id, type=301)]
                if coupon_id
                else None,
                discount_infos=[model.DiscountSimpleInfoV3(id=discount[0], type=discount[1])]
                if discount
                else None,
            )
        )
    )


def refused(call: Any) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def order_details(client: Any, order_id: str, **query: Any) -> Any:
    return client.show_customer_order_details(
        m.ShowCustomerOrderDetailsRequest(order_id=order_id, **query)
    )


def list_orders(client: Any, **query: Any) -> Any:
    return client.list_customer_orders(m.ListCustomerOrdersRequest(**query))


def resources(client: Any, **body: Any) -> Any:
    return client.list_pay_per_use_customer_resources(
        m.ListPayPerUseCustomerResourcesRequest(body=m.QueryResourcesReq(**body))
    )


def exact(value: Any) -> Decimal:
    """An SDK float amount as the exact cents the server wrote."""
    return D(str(value)).quantize(D("0.01"))


def business_now(server: LiveServer) -> Any:
    return parse_utc(httpx.get(f"{server.url}/health").json()["now"])


def assume_role(
    server: LiveServer, partner: Partner, customer: Credentials, *, password: str = PASSWORD
) -> httpx.Response:
    """The partner (created with ``password``) asks IAM for temporary credentials acting as
    the customer through its agency (assume_role)."""
    name = partner.creds.domain_name
    token = httpx.post(
        server.url + "/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": name, "password": password, "domain": {"name": name}}
                    },
                },
                "scope": {"domain": {"name": name}},
            }
        },
    ).headers["X-Subject-Token"]
    response = httpx.post(
        server.url + "/v3.0/OS-CREDENTIAL/securitytokens",
        headers={"X-Auth-Token": token},
        json={
            "auth": {
                "identity": {
                    "methods": ["assume_role"],
                    "assume_role": {
                        "domain_name": customer.domain_name,
                        "agency_name": partner.xaccount_type,
                        "duration_seconds": 900,
                    },
                }
            }
        },
    )
    return response


def temporary_customer_client(server: LiveServer, partner: Partner, customer: Credentials) -> Any:
    """The partner's client acting as the customer through its agency (assume_role)."""
    response = assume_role(server, partner, customer)
    assert response.status_code == 201, response.text
    cred = response.json()["credential"]
    temp = Credentials(customer.account_id, customer.domain_name, cred["access"], cred["secret"])
    return server.intl(temp, security_token=cred["securitytoken"])


@pytest.fixture(scope="module", autouse=True)
def demo(server: LiveServer) -> None:
    load_catalog(server)


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


def test_order_on_behalf_then_the_customer_pays(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    created = place(server, csp, customer)
    assert created.status_code == 201, created.text
    body = created.json()
    order_id = body["order_id"]
    info = body["order_info"]
    total = VM_MONTH + DISK_MONTH
    assert D(str(info["official_amount"])) == total == D("34.08")
    assert D(str(info["amount_after_discount"])) == total  # no discount for the reseller model
    assert (info["status"], info["order_type"], info["source_type"]) == (6, 1, 2)
    assert parse_utc(info["pending_payment_end_time"]) - parse_utc(info["create_time"]) == (
        timedelta(days=7)
    )
    assert [D(str(x["official_amount"])) for x in body["order_line_items"]] == [
        VM_MONTH,
        DISK_MONTH,
    ]

    # The partner and the customer both see the pending order.
    partner_view = list_orders(server.intl(csp.creds), customer_id=customer.account_id)
    assert [o.order_id for o in partner_view.order_infos] == [order_id]
    mine = list_orders(server.bss(customer), status=6)
    assert mine.total_count == 1 and mine.order_infos[0].status == 6
    detail = order_details(server.intl(customer), order_id)
    assert detail.total_count == 2
    assert detail.order_info.user_name == csp.creds.domain_name
    assert [exact(x.official_amount) for x in detail.order_line_items] == [VM_MONTH, DISK_MONTH]
    assert (
        detail.order_line_items[0].period_type == 2 and detail.order_line_items[0].period_num == 1
    )

    paid = pay(server.intl(customer), order_id)
    assert paid.status_code == 204
    done = order_details(server.intl(csp.creds), order_id).order_info
    assert done.status == 5 and done.payment_time is not None
    assert exact(done.amount_info.coupon_amount) == 0
    # Budget use at list price and the partner's postpaid consumption, to the cent.
    assert budget_used(server, csp, customer) == D("34.08")
    assert used_quota(server, csp) == D("34.08")

    # The resources: the ECS (primary) and its disk (attached), one month.
    listed = resources(server.intl(customer))
    assert listed.total_count == 2
    vm, disk = listed.data
    assert (vm.is_main_resource, disk.is_main_resource) == (1, 0)
    assert disk.parent_resource_id == vm.resource_id
    assert (vm.status, vm.expire_policy) == (2, 0)
    assert vm.service_type_code == ECS and disk.spec_size == 40
    start, end = parse_utc(vm.effective_time), parse_utc(vm.expire_time)
    assert 28 <= (end - start).days <= 31
    only_main = resources(server.intl(customer), only_main_resource=1)
    assert [r.resource_id for r in only_main.data] == [vm.resource_id]
    # The partner lists them with the customer's id.
    as_partner = resources(server.bss(csp.creds), customer_id=customer.account_id)
    assert as_partner.total_count == 2

    # Paying again (a replay) is refused and changes nothing.
    again = refused(lambda: pay(server.intl(customer), order_id))
    assert (again.status_code, again.error_code) == (400, "CBC.99003106")
    assert used_quota(server, csp) == D("34.08")
    assert budget_used(server, csp, customer) == D("34.08")
    assert resources(server.intl(customer)).total_count == 2


def test_paying_through_the_partners_assumed_role(server: LiveServer) -> None:
    csp = server.partner(password=PASSWORD)
    customer = ready_customer(server, csp)
    order_id = placed(server, csp, customer)
    acting = temporary_customer_client(server, csp, customer)
    assert pay(acting, order_id).status_code == 204
    assert order_details(acting, order_id).order_info.status == 5
    assert resources(acting).total_count == 2
    # The partner's own credentials are refused for the customer's payment.
    other = placed(server, csp, customer)
    denied = refused(lambda: pay(server.intl(csp.creds), other))
    assert (denied.status_code, denied.error_code) == (403, "CBC.0151")
    assert order_details(acting, other).order_info.status == 6


def test_placing_an_order_is_refused_for(server: LiveServer, csp: Partner) -> None:
    def code(response: httpx.Response) -> tuple[int, str]:
        return response.status_code, response.json()["error_code"]

    not_authorized = server.customer(csp)
    set_consumption_quota(server, csp, "5000")
    set_budget(server, csp, not_authorized, "100")
    assert code(place(server, csp, not_authorized)) == (400, "CBC.99000000")

    restricted = server.customer(csp, authorize=True)  # no budget yet: purchase restricted
    assert code(place(server, csp, restricted)) == (400, "CBC.99003656")

    customer = ready_customer(server, csp)
    stranger = server.partner()
    assert code(place(server, stranger, customer)) == (400, "CBC.99000035")
    assert code(place(server, csp, customer, period_num=12)) == (400, "CBC.0100")
    assert code(place(server, csp, customer, period_type=1)) == (400, "CBC.0100")
    assert code(place(server, csp, customer, products=[])) == (400, "CBC.0100")
    unknown = vm_with_disk(resource_spec="s9.huge.1.linux")
    assert code(place(server, csp, customer, products=unknown)) == (400, "CBC.99006006")
    orphan = vm_with_disk()
    orphan[1]["parent_id"] = "nothing"
    assert code(place(server, csp, customer, products=orphan)) == (400, "CBC.0100")
    # A customer cannot call the partner's extension.
    assert code(place(server, Partner(customer, ""), customer)) == (403, "CBC.0151")
    # Nothing was created by any of these.
    assert list_orders(server.intl(customer)).total_count == 0


def test_payment_refusals_change_nothing(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp, budget="40.00")
    order_id = placed(server, csp, customer)
    client = server.intl(customer)

    def fails(call: Any) -> tuple[int, str]:
        error = refused(call)
        return error.status_code, error.error_code

    before = used_quota(server, csp)
    # Malformed requests.
    assert fails(
        lambda: client.pay_orders(
            m.PayOrdersRequest(
                body=m.PayCustomerOrderV3Req(order_id=order_id, use_coupon="YES", use_discount="NO")
            )
        )
    ) == (400, "CBC.0100")
    assert fails(
        lambda: client.pay_orders(
            m.PayOrdersRequest(
                body=m.PayCustomerOrderV3Req(
                    order_id=order_id, use_coupon="MAYBE", use_discount="NO"
                )
            )
        )
    ) == (400, "CBC.0100")
    # A reseller-model order has no discount to use.
    assert fails(lambda: pay(client, order_id, discount=("d-1", 3))) == (400, "CBC.99003108")
    # Another customer's order does not exist for this one.
    other = ready_customer(server, csp)
    assert fails(lambda: pay(server.intl(other), order_id)) == (400, "CBC.30000010")
    assert fails(lambda: pay(client, "CS0000NOSUCH")) == (400, "CBC.30000010")
    # Budget too small: 34.08 fits 40.00 once, not twice.
    assert pay(client, order_id).status_code == 204
    second = placed(server, csp, customer)
    assert fails(lambda: pay(client, second)) == (400, "CBC.99003198")
    assert order_details(client, second).order_info.status == 6
    assert used_quota(server, csp) == before + D("34.08")
    assert budget_used(server, csp, customer) == D("34.08")

    # A frozen customer cannot pay.
    frozen = ready_customer(server, csp)
    order = placed(server, csp, frozen)

    async def freeze(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            await CustomerControl(uow.session, clock=state.clock).freeze(
                frozen.account_id, freeze_type=FreezeType.ACCOUNT, reason="test", by=csp.id
            )

    server._call(freeze)
    assert fails(lambda: pay(server.intl(frozen), order)) == (400, "CBC.99003656")

    # Past the payment deadline the order cannot be paid.
    late = ready_customer(server, csp)
    late_order = placed(server, csp, late)

    async def overdue(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            await uow.session.execute(
                update(CustomerOrder)
                .where(CustomerOrder.id == late_order)
                .values(payment_deadline=state.clock.now() - timedelta(seconds=1))
            )

    server._call(overdue)
    assert fails(lambda: pay(server.intl(late), late_order)) == (400, "CBC.99003110")
    assert used_quota(server, csp) == before + D("34.08")


def test_cancelling_a_pending_order(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    order_id = placed(server, csp, customer)
    client = server.bss(customer)
    cancelled = client.cancel_customer_order(
        bss.CancelCustomerOrderRequest(body=bss.CancelCustomerOrderReq(order_id=order_id))
    )
    assert cancelled.status_code == 204
    assert order_details(client, order_id).order_info.status == 4
    again = refused(
        lambda: client.cancel_customer_order(
            bss.CancelCustomerOrderRequest(body=bss.CancelCustomerOrderReq(order_id=order_id))
        )
    )
    assert again.error_code == "CBC.99005010"
    assert refused(lambda: pay(server.intl(customer), order_id)).error_code == "CBC.99003106"
    # A paid order cannot be cancelled either; another customer's order does not exist.
    paid = placed(server, csp, customer)
    pay(server.intl(customer), paid)
    assert (
        refused(
            lambda: server.intl(customer).cancel_customer_order(
                m.CancelCustomerOrderRequest(body=m.CancelCustomerOrderReq(order_id=paid))
            )
        ).error_code
        == "CBC.99005010"
    )
    other = ready_customer(server, csp)
    pending = placed(server, csp, customer)
    assert (
        refused(
            lambda: server.intl(other).cancel_customer_order(
                m.CancelCustomerOrderRequest(body=m.CancelCustomerOrderReq(order_id=pending))
            )
        ).error_code
        == "CBC.30000010"
    )
    assert list_orders(client, status=4).total_count == 1
    assert list_orders(client, status=5).total_count == 1
    assert list_orders(client, status=6).total_count == 1


def test_list_filters_paging_and_windows(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    ids = [placed(server, csp, customer) for _ in range(3)]
    assert pay(server.bss(customer), ids[0], model=bss).status_code == 204
    client = server.intl(csp.creds)
    newest = list_orders(client, customer_id=customer.account_id, limit=2)
    assert newest.total_count == 3 and len(newest.order_infos) == 2
    oldest = list_orders(client, customer_id=customer.account_id, order_by="createTime", limit=1)
    assert oldest.order_infos[0].order_id == ids[0]
    page_2 = list_orders(client, customer_id=customer.account_id, offset=2, limit=2)
    assert len(page_2.order_infos) == 1
    assert list_orders(client, order_id=ids[1].lower()).order_infos[0].order_id == ids[1]
    assert list_orders(client, customer_id=customer.account_id, order_type="1").total_count == 3
    assert list_orders(client, customer_id=customer.account_id, order_type="2").total_count == 0
    assert (
        list_orders(client, customer_id=customer.account_id, service_type_code=ECS).total_count == 3
    )
    now = business_now(server)
    paid = list_orders(
        client,
        customer_id=customer.account_id,
        payment_time_begin=format_utc(now - timedelta(days=1)),
        payment_time_end=format_utc(now + timedelta(days=1)),
    )
    assert [o.order_id for o in paid.order_infos] == [ids[0]]
    for query, field in (
        ({"limit": 101}, "limit"),
        ({"status": 2}, "status"),
        ({"order_by": "amount"}, "order_by"),
        ({"order_type": "99"}, "order_type"),
        ({"create_time_begin": "yesterday"}, "create_time_begin"),
        (
            {
                "create_time_begin": format_utc(now - timedelta(days=400)),
                "create_time_end": format_utc(now),
            },
            "create_time_end",
        ),
    ):
        error = refused(lambda q=query: list_orders(client, **q))
        assert (error.status_code, error.error_code) == (400, "CBC.0100"), field


def test_tenancy_of_orders_and_resources(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    customer = ready_customer(server, csp)
    order_id = placed(server, csp, customer)
    pay(server.intl(customer), order_id)
    resource_id = resources(server.intl(customer)).data[0].resource_id

    stranger = server.partner()
    assert list_orders(server.intl(stranger.creds)).total_count == 0
    assert refused(lambda: order_details(server.intl(stranger.creds), order_id)).error_code == (
        "CBC.30000010"
    )
    assert refused(
        lambda: resources(server.intl(stranger.creds), customer_id=customer.account_id)
    ).error_code == ("CBC.99000035")
    other_customer = ready_customer(server, csp)
    assert list_orders(server.intl(other_customer)).total_count == 0
    assert refused(lambda: order_details(server.intl(other_customer), order_id)).error_code == (
        "CBC.30000010"
    )
    assert resources(server.intl(other_customer)).total_count == 0
    assert refused(
        lambda: resources(server.intl(other_customer), customer_id=customer.account_id)
    ).error_code == ("CBC.0151")
    renewed = server.intl(other_customer).renewal_resources(
        m.RenewalResourcesRequest(
            body=m.RenewalResourcesReq(resource_ids=[resource_id], period_type=2, period_num=1)
        )
    )
    assert renewed.fail_resource_infos[0].error_code == "CBC.99003012"
    # A reseller has no API access of its own.
    denied = refused(lambda: list_orders(server.intl(reseller.creds)))
    assert (denied.status_code, denied.error_code) == (403, "CBC.0151")

    # A distributor sees its reseller's customers' orders only with indirect_partner_id.
    reseller_customer = server.customer(distributor, reseller=reseller)
    permitted = signed(
        server,
        distributor.creds,
        "PUT",
        f"{EXT}/resellers/{reseller.id}/on-behalf-permission",
        {"granted": True},
    )
    assert permitted.status_code == 200, permitted.text  # before the customer can authorize it
    server.authorize(reseller_customer, reseller)
    set_consumption_quota(server, distributor, "5000")
    grants = signed(
        server,
        distributor.creds,
        "PUT",
        f"{EXT}/resellers/{reseller.id}/grants",
        {
            "can_set_budget": False,
            "can_restrict": False,
            "can_freeze_resources": False,
            "package_quota": D("1000"),
        },
    )
    assert grants.status_code == 200, grants.text
    set_budget(server, distributor, reseller_customer, "500", reseller=reseller)
    created = place(server, distributor, reseller_customer, indirect_partner_id=reseller.id)
    assert created.status_code == 201, created.text
    assert created.json()["order_info"]["source_type"] == 4
    reseller_order = created.json()["order_id"]
    own = list_orders(server.intl(distributor.creds))
    assert reseller_order not in [o.order_id for o in own.order_infos]
    theirs = list_orders(server.intl(distributor.creds), indirect_partner_id=reseller.id)
    assert [o.order_id for o in theirs.order_infos] == [reseller_order]
    assert (
        refused(
            lambda: list_orders(server.intl(csp.creds), indirect_partner_id=reseller.id)
        ).error_code
        == "CBC.99000037"
    )
    # Without the indirect partner id the distributor cannot order for the reseller's customer.
    assert place(server, distributor, reseller_customer).json()["error_code"] == "CBC.99000035"
    storage = [{**vm_with_disk()[0], "cloud_service_type": "hws.service.type.obs"}]
    refusal = place(
        server, distributor, reseller_customer, products=storage, indirect_partner_id=reseller.id
    )
    assert refusal.json()["error_code"] == "CBC.0100"  # only ECS, EVS and EIP (rules.md §5.5)
    assert pay(server.intl(reseller_customer), reseller_order).status_code == 204
    assert budget_used(server, distributor, reseller_customer, reseller) == D("34.08")


def test_a_concurrent_double_payment_pays_once(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    order_id = placed(server, csp, customer)
    before = used_quota(server, csp)
    outcomes: list[Any] = []

    def attempt() -> None:
        try:
            outcomes.append(pay(server.intl(customer), order_id).status_code)
        except ClientRequestException as exc:
            outcomes.append(exc.error_code)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(204) == 1
    assert sorted(x for x in outcomes if x != 204) == ["CBC.99003106"] * 3
    assert used_quota(server, csp) == before + D("34.08")
    assert resources(server.intl(customer)).total_count == 2
    assert ledger_is_clean(server)


def test_openapi_documents_the_order_endpoints(server: LiveServer) -> None:
    spec = json.loads(httpx.get(server.url + "/openapi.json", timeout=60).text)
    ops = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "create_customer_order",
        "pay_orders",
        "cancel_customer_order",
        "list_customer_orders",
        "show_customer_order_details",
        "list_order_discounts",
        "list_order_coupons_by_order_id",
        "show_refund_order_details",
    } <= ops
    assert "/v2/orders/suscriptions/resources/query" in spec["paths"]


def agency_without_authorization(
    server: LiveServer, customer: Credentials, partner: Partner
) -> None:
    """An agency granted directly in the database. No flow gives a referral customer's partner
    one (authorizations are for reseller-model customers, rules.md §5.1); this reaches the
    pricing of an order on behalf of a referral customer all the same."""

    async def grant(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            await state.services(uow.session).identity.grant_agency(
                customer_id=customer.account_id, partner_id=partner.id, name=partner.xaccount_type
            )

    server._call(grant)


def test_a_referral_customer_is_offered_its_discount(server: LiveServer, csp: Partner) -> None:
    customer = referral_customer(server, csp)
    agency_without_authorization(server, customer, csp)
    discount_id = grant_discount(
        server,
        "partner",
        partner_id=csp.id,
        customer_id=customer.account_id,
        percent_off=D(15),
        name="Partner ECS",
        service_type=ECS,
    )
    created = place(server, csp, customer)
    assert created.status_code == 201, created.text
    info = created.json()["order_info"]
    # 15 % off the ECS only: 25.40 × 0.85 = 21.59; the disk stays 8.68.
    assert D(str(info["official_amount"])) == D("34.08")
    assert D(str(info["amount_after_discount"])) == D("30.27")
    assert info["amount_info"]["discounts"] == [{"discount_type": "607", "discount_amount": 3.81}]
    order_id = created.json()["order_id"]
    offered = server.intl(customer).list_order_discounts(
        m.ListOrderDiscountsRequest(order_id=order_id)
    )
    (discount,) = offered.discounts
    assert (discount.discount_id, discount.discount_type, discount.discount_value) == (
        discount_id,
        3,
        "0.85",
    )
    (line,) = discount.orders[0].order_line_items
    assert (line.discount_amount, line.discount_ratio, line.discount_mode) == (
        D("3.81"),
        D("0.85"),
        0,
    )
    client = server.intl(customer)
    wrong = refused(lambda: pay(client, order_id, discount=("another", 3)))
    assert wrong.error_code == "CBC.99003108"
    wrong_type = refused(lambda: pay(client, order_id, discount=(discount_id, 2)))
    assert wrong_type.error_code == "CBC.99003108"
    # The discount is accepted; a referral customer pays from its own balance, which is empty.
    empty = refused(lambda: pay(client, order_id, discount=(discount_id, 3)))
    assert empty.error_code == "CBC.99005003"
    assert order_details(client, order_id).order_info.status == 6
    # Another customer cannot read this order's discounts.
    other = ready_customer(server, csp)
    hidden = refused(
        lambda: server.intl(other).list_order_discounts(
            m.ListOrderDiscountsRequest(order_id=order_id)
        )
    )
    assert hidden.error_code == "CBC.30000010"


def test_an_account_manager_sees_only_its_customers_orders(
    server: LiveServer, csp: Partner
) -> None:
    manager_id, manager = member(server, csp, ["ACCOUNT_MANAGER"])
    mine = ready_customer(server, csp)
    theirs = ready_customer(server, csp)
    assigned = signed(
        server,
        csp.creds,
        "PUT",
        f"{EXT}/customers/{mine.account_id}/account-manager",
        {"member_id": manager_id},
    )
    assert assigned.status_code == 200, assigned.text
    my_order = placed(server, csp, mine)
    their_order = placed(server, csp, theirs)
    seen = list_orders(server.intl(manager))
    assert [o.order_id for o in seen.order_infos] == [my_order]
    assert order_details(server.intl(manager), my_order).order_info.customer_id == mine.account_id
    hidden = refused(lambda: order_details(server.intl(manager), their_order))
    assert hidden.error_code == "CBC.30000010"
    # The administrator sees both.
    both = list_orders(server.intl(csp.creds))
    assert {my_order, their_order} <= {o.order_id for o in both.order_infos}
