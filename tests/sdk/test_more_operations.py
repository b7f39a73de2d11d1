"""The remaining SDK operations of issue 13 item 3 through the official clients: the renewal
inquiry (the same pricing as the renewal order itself), business discounts, stored-value cards,
new-customer tags and the address data (api-semantics.md §3.1, §3.2, §3.6, §3.13).

Amounts from the demo catalogue: an ECS ``s6.large.2.linux`` 25.40 a month with its 40 GB SSD
8.68, so 34.08 a month together.
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from huaweicloudsdkbss.v2 import model as bss
from huaweicloudsdkbssintl.v2 import model as m

from tests.harness import LiveServer, Partner
from tests.sdk.test_orders import DISK_MONTH, VM_MONTH, load_catalog, ready_customer, refused
from tests.sdk.test_rating import grant, referral_customer
from tests.sdk.test_resources import bought, renew

MONTH = VM_MONTH + DISK_MONTH
ECS = "hws.service.type.ec2"


@pytest.fixture(scope="module", autouse=True)
def demo(server: LiveServer) -> None:
    load_catalog(server)


def renew_rate(client: Any, ids: list[str], *, num: int = 1, each: bool | None = None) -> Any:
    model = bss if "bssintl" not in type(client).__module__ else m
    return client.list_renew_rate_on_period(
        model.ListRenewRateOnPeriodRequest(
            body=model.ListRenewRateOnPeriodReq(
                resource_ids=ids, period_type=2, period_num=num, include_relative_resources=each
            )
        )
    )


# -- list_renew_rate_on_period ------------------------------------------------------------------


def test_the_renewal_inquiry_prices_what_the_renewal_charges(
    server: LiveServer, csp: Partner
) -> None:
    customer = ready_customer(server, csp)
    _, vm, disk = bought(server, csp, customer)
    for client in (server.intl(customer), server.bss(customer)):
        quote = renew_rate(client, [vm.resource_id], num=2)
        assert [(r.resource_id, D(r.amount)) for r in quote.renew_inquiry_results] == [
            (vm.resource_id, 2 * MONTH)
        ]
        assert D(quote.official_website_rating_result.official_website_amount) == 2 * MONTH
        assert quote.optional_discount_rating_results == []  # reseller model: no discount
        assert quote.fail_resource_infos == []
        assert quote.currency == "USD"
    each = renew_rate(server.intl(customer), [vm.resource_id], each=True)
    assert {(r.resource_id, D(r.amount)) for r in each.renew_inquiry_results} == {
        (vm.resource_id, VM_MONTH),
        (disk.resource_id, DISK_MONTH),
    }
    # The renewal order charges exactly the quote.
    renewed = renew(server.intl(customer), [vm.resource_id], num=2)
    (order_id,) = renewed.order_ids
    info = server.intl(customer).show_customer_order_details(
        m.ShowCustomerOrderDetailsRequest(order_id=order_id)
    )
    assert D(str(info.order_info.official_amount)) == 2 * MONTH
    # While that renewal order is unpaid the resource cannot be quoted again.
    busy = renew_rate(server.intl(customer), [vm.resource_id])
    assert busy.renew_inquiry_results == []
    assert [f.resource_id for f in busy.fail_resource_infos] == [vm.resource_id]


def test_renewal_inquiry_refusals_and_tenancy(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    _, vm, disk = bought(server, csp, customer)
    other = ready_customer(server, csp)
    client = server.intl(other)
    foreign = renew_rate(client, [vm.resource_id])
    assert [f.resource_id for f in foreign.fail_resource_infos] == [vm.resource_id]
    assert foreign.renew_inquiry_results == []
    attached = renew_rate(server.intl(customer), [disk.resource_id])
    assert [f.resource_id for f in attached.fail_resource_infos] == [disk.resource_id]
    duplicate = refused(lambda: renew_rate(server.intl(customer), [vm.resource_id] * 2))
    assert duplicate.error_code == "CBC.30050012"
    too_long = refused(lambda: renew_rate(server.intl(customer), [vm.resource_id], num=12))
    assert too_long.error_code == "CBC.0100"
    partner = refused(lambda: renew_rate(server.intl(csp.creds), [vm.resource_id]))
    assert partner.error_code == "CBC.0151"


# -- list_business_discount_info ----------------------------------------------------------------


def discount_info(client: Any, item_type: str, **body: Any) -> Any:
    return client.list_business_discount_info(
        bss.ListBusinessDiscountInfoRequest(
            body=bss.BusinessDiscountQueryReq(quoting_item_type=item_type, **body)
        )
    )


def test_business_discounts_by_category(server: LiveServer, csp: Partner) -> None:
    customer = referral_customer(server, csp)
    client = server.bss(customer)
    assert discount_info(client, "CATEGORY_ITEM").total_count == 0
    discount_id = grant(
        server,
        "business",
        customer_id=customer.account_id,
        percent_off=D("12.5"),
        name="Contract",
        service_type=ECS,
    )
    grant(
        server,
        "partner",
        partner_id=csp.id,
        customer_id=customer.account_id,
        percent_off=D(30),
        name="Not a business discount",
    )
    listed = discount_info(client, "CATEGORY_ITEM")
    assert listed.total_count == 1
    (item,) = listed.category_quoting_items
    assert (item.cloud_service_type, D(str(item.discount_ratio))) == (ECS, D("0.875"))
    assert listed.commerce_id == discount_id
    filtered = discount_info(client, "CATEGORY_ITEM", cloud_service_types=["hws.service.type.obs"])
    assert filtered.total_count == 0
    assert discount_info(client, "PRODUCT_ITEM").product_quoting_items == []
    bad = refused(lambda: discount_info(client, "SKU_ITEM"))
    assert bad.error_code == "CBC.0100"
    paged = refused(lambda: discount_info(client, "CATEGORY_ITEM", limit=1001))
    assert paged.error_code == "CBC.0100"
    partner = refused(lambda: discount_info(server.bss(csp.creds), "CATEGORY_ITEM"))
    assert partner.error_code == "CBC.0151"
    # Another customer sees none of them.
    stranger = ready_customer(server, csp)
    assert discount_info(server.bss(stranger), "CATEGORY_ITEM").total_count == 0


# -- list_stored_value_cards -------------------------------------------------------------------


def test_stored_value_cards(server: LiveServer, csp: Partner) -> None:
    customer = ready_customer(server, csp)
    client = server.bss(customer)
    listed = client.list_stored_value_cards(bss.ListStoredValueCardsRequest(status=1))
    assert (listed.total_count, listed.stored_value_cards) == (0, [])
    missing = refused(lambda: client.list_stored_value_cards(bss.ListStoredValueCardsRequest()))
    assert missing.error_code == "CBC.0100"
    wrong = refused(
        lambda: client.list_stored_value_cards(bss.ListStoredValueCardsRequest(status=3))
    )
    assert wrong.error_code == "CBC.0100"
    partner = refused(
        lambda: server.bss(csp.creds).list_stored_value_cards(
            bss.ListStoredValueCardsRequest(status=1)
        )
    )
    assert partner.error_code == "CBC.0151"


# -- list_sub_customer_new_tag -----------------------------------------------------------------


def new_tags(client: Any, **body: Any) -> Any:
    return client.list_sub_customer_new_tag(
        bss.ListSubCustomerNewTagRequest(body=bss.ListSubCustomerNewTagReq(**body))
    )


def test_new_customer_tags(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    first = server.customer(csp)
    second = server.customer(csp)
    tags = new_tags(server.bss(csp.creds), customer_ids=[first.account_id, second.account_id])
    assert {t.customer_id for t in tags.new_customer_tags} == {
        first.account_id,
        second.account_id,
    }
    for tag in tags.new_customer_tags:
        # Not real-name verified yet: newness is judged on the verified identity.
        assert (tag.customer_tag_type, tag.new_customer_tag) == ("SMB", "UNDETERMINED")
        assert len(tag.effective_time) == len(tag.expire_time) == 7
    paged = new_tags(server.bss(csp.creds), limit=1)
    assert len(paged.new_customer_tags) == 1
    # Another partner's customer is refused by name.
    other = server.partner()
    foreign = refused(lambda: new_tags(server.bss(other.creds), customer_ids=[first.account_id]))
    assert foreign.error_code == "CBC.99000035"
    # A distributor asks for its reseller's customers; the reseller itself may not call.
    theirs = server.customer(distributor, reseller=reseller)
    mine = new_tags(
        server.bss(distributor.creds),
        customer_ids=[theirs.account_id],
        indirect_partner_id=reseller.id,
    )
    assert [t.customer_id for t in mine.new_customer_tags] == [theirs.account_id]
    denied = refused(lambda: new_tags(server.bss(reseller.creds)))
    assert denied.error_code == "CBC.0151"


# -- address data ------------------------------------------------------------------------------


def test_provinces_cities_and_counties(server: LiveServer, csp: Partner) -> None:
    client = server.bss(csp.creds)
    provinces = client.list_provinces(bss.ListProvincesRequest(limit=100))
    assert provinces.count == 31
    assert (provinces.provinces[0].code, provinces.provinces[0].name) == ("110000", "北京市")
    assert len(client.list_provinces(bss.ListProvincesRequest()).provinces) == 10
    guangdong = client.list_cities(bss.ListCitiesRequest(province_code="440000", limit=100))
    assert guangdong.count == 21
    assert ("440300", "深圳市") in {(c.code, c.name) for c in guangdong.cities}
    shenzhen = client.list_counties(bss.ListCountiesRequest(city_code="440300", limit=100))
    assert ("440305", "南山区") in {(c.code, c.name) for c in shenzhen.counties}
    second_page = client.list_counties(
        bss.ListCountiesRequest(city_code="440300", offset=2, limit=2)
    )
    assert [c.code for c in second_page.counties] == [c.code for c in shenzhen.counties[2:4]]
    assert client.list_cities(bss.ListCitiesRequest(province_code="990000")).count == 0
    customer = server.customer(csp)
    assert server.bss(customer).list_provinces(bss.ListProvincesRequest()).count == 31
    for call in (
        lambda: client.list_cities(bss.ListCitiesRequest()),
        lambda: client.list_counties(bss.ListCountiesRequest(city_code="4403")),
        lambda: client.list_provinces(bss.ListProvincesRequest(limit=101)),
        lambda: client.list_provinces(bss.ListProvincesRequest(x_language="fr_FR")),
    ):
        assert refused(call).error_code == "CBC.0100"
