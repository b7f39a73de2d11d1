"""Inquiries through the official SDK clients: pay-per-use ratings (tiers, linear sizes, unit
conversions, 6/10-decimal truncation) and yearly/monthly subscription ratings (cents), with the
caller's discounts, the reseller-model rule, effective-dated prices, and reference refusals.

Every expected amount below is computed by hand from the demo catalogue's list prices."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from huaweicloudsdkbss.v2 import model as bss_model
from huaweicloudsdkbssintl.v2 import model as m
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from sqlalchemy import update

from partner_center.domains.catalog.public import (
    demo_catalog,
    project_id_for,
)
from partner_center.domains.customers.models import Customer
from partner_center.domains.customers.public import AssociationType
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import SandboxState, format_utc
from partner_center.kernel.db import load_sandbox_state, refresh_sandbox_clock, save_sandbox_state
from partner_center.kernel.errors import DomainError
from partner_center.provisioning import (
    Credentials,
    create_credentials,
    import_catalog,
    import_demo_catalog,
)
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, unique
from tests.signed import signed_request

ECS, EVS, VPC, OBS = (
    "hws.service.type.ec2",
    "hws.service.type.ebs",
    "hws.service.type.vpc",
    "hws.service.type.obs",
)
VM, VOLUME, BANDWIDTH = (
    "hws.resource.type.vm",
    "hws.resource.type.volume",
    "hws.resource.type.bandwidth",
)
HK, BKK = "ap-southeast-1", "ap-southeast-2"
HOUR, MINUTE, TB, GB, GB_HOUR, COUNT, MBPS, DISK_GB = 4, 5, 9, 10, 44, 14, 15, 17
PASSWORD = "Partner-Pass1"


@pytest.fixture(scope="module", autouse=True)
def demo(server: LiveServer) -> None:
    async def load(state: AppState) -> None:
        await import_demo_catalog(state)

    server._call(load)


@pytest.fixture
def customer(server: LiveServer, csp: Partner) -> Credentials:
    """A reseller-model customer (the default association) with its own AK/SK."""
    return server.customer(csp)


def referral_customer(
    server: LiveServer, partner: Partner, *, reseller: Partner | None = None
) -> Credentials:
    """A referral-model customer (``cooperation_type`` 1). The international SDK model has no
    ``cooperation_type`` and the China one no ``domain_area``, so the request is sent raw."""
    body = {
        "xaccount_id": unique("x"),
        "xaccount_type": partner.xaccount_type,
        "domain_area": "US",
        "cooperation_type": "1",
    }
    if reseller is not None:
        body["indirect_partner_id"] = reseller.id
    response = signed_request(
        server.url,
        partner.creds,
        "POST",
        "/v2/partners/sub-customers",
        body=json.dumps(body).encode(),
    )
    assert response.status_code == 200, response.text
    creds: Credentials = server._call(create_credentials, account_id=response.json()["domain_id"])
    return creds


def project(creds: Credentials, region: str = HK) -> str:
    return project_id_for(creds.account_id, region)


def demand(
    id: str,
    service: str,
    resource: str,
    spec: str,
    factor: str,
    value: Any,
    measure: int,
    **extra: Any,
) -> Any:
    fields = {
        "id": id,
        "cloud_service_type": service,
        "resource_type": resource,
        "resource_spec": spec,
        "region": extra.pop("region", HK),
        "usage_factor": factor,
        "usage_value": Decimal(str(value)),
        "usage_measure_id": measure,
        "subscription_num": extra.pop("subscription_num", 1),
        **extra,
    }
    return fields


def rate_on_demand(
    client: Any, creds: Credentials, products: list[dict[str, Any]], module: Any = m, **body: Any
) -> Any:
    body.setdefault("project_id", project(creds))
    return client.list_on_demand_resource_ratings(
        module.ListOnDemandResourceRatingsRequest(
            body=module.RateOnDemandReq(
                product_infos=[module.DemandProductInfo(**p) for p in products], **body
            )
        )
    )


def period(
    id: str,
    service: str,
    resource: str,
    spec: str,
    period_type: int,
    num: int,
    count: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": id,
        "cloud_service_type": service,
        "resource_type": resource,
        "resource_spec": spec,
        "region": extra.pop("region", HK),
        "period_type": period_type,
        "period_num": num,
        "subscription_num": count,
        **extra,
    }


def rate_period(
    client: Any, creds: Credentials, products: list[dict[str, Any]], module: Any = m, **body: Any
) -> Any:
    body.setdefault("project_id", project(creds))
    return client.list_rate_on_period_detail(
        module.ListRateOnPeriodDetailRequest(
            body=module.RateOnPeriodReq(
                product_infos=[module.PeriodProductInfo(**p) for p in products], **body
            )
        )
    )


def refused(call: Callable[[], Any]) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def not_granted(call: Callable[[], Any]) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


#: (request, hand-computed list price) — one of every pricing shape in the demo catalogue.
ON_DEMAND_CASES = [
    # 0.0474 per hour × 1 hour × 2 servers
    (demand("vm", ECS, VM, "s6.large.2.linux", "Duration", 1, HOUR, subscription_num=2), "0.0948"),
    # 90 minutes = 1.5 hours × 0.0474
    (demand("minutes", ECS, VM, "s6.large.2.linux", "Duration", 90, MINUTE), "0.0711"),
    # linear: 0.000301 per GB-hour × 100 GB × 24 hours
    (
        demand(
            "disk",
            EVS,
            VOLUME,
            "SSD",
            "Duration",
            24,
            HOUR,
            resource_size=100,
            size_measure_id=DISK_GB,
        ),
        "0.7224",
    ),
    # linear, tiered by size: (5 × 0.025 + 5 × 0.095) per hour
    (
        demand(
            "bw",
            VPC,
            BANDWIDTH,
            "19_bgp",
            "Duration",
            1,
            HOUR,
            resource_size=10,
            size_measure_id=MBPS,
        ),
        "0.6",
    ),
    # tiered usage: 10 240 GB × 0.12 + 9 760 GB × 0.085
    (
        demand("traffic", OBS, "hws.resource.type.obs", "obs.standard", "upflow", 20000, GB),
        "2058.4",
    ),
    # 2 000 GB-hours = 2000/720 GB-months × 0.023 = 0.0638888… (truncated, not rounded up)
    (
        demand("storage", OBS, "hws.resource.type.obs", "obs.standard", "storage", 2000, GB_HOUR),
        "0.063888",
    ),
    # 25 000 requests = 2.5 × 10 000 requests × 0.01
    (
        demand("requests", OBS, "hws.resource.type.obs", "obs.standard", "reqNumber", 25000, COUNT),
        "0.025",
    ),
    # 2 TB = 2 048 GB, all in the first tier × 0.12
    (demand("tb", OBS, "hws.resource.type.obs", "obs.standard", "upflow", 2, TB), "245.76"),
]


def test_on_demand_ratings_exact_to_six_decimals(server: LiveServer, customer: Credentials) -> None:
    products = [case for case, _ in ON_DEMAND_CASES]
    result = rate_on_demand(server.intl(customer), customer, products)
    by_id = {r.id: r for r in result.product_rating_results}
    assert list(by_id) == [p["id"] for p in products]
    for product, expected in ON_DEMAND_CASES:
        line = by_id[product["id"]]
        assert line.official_website_amount == Decimal(expected), product["id"]
        assert line.amount == Decimal(expected)
        assert line.discount_amount == 0
        assert line.discount_rating_results == []
        assert line.measure_id == 1
        assert len(line.product_id) == 32
    assert result.official_website_amount == Decimal("2305.737188")
    assert result.amount == Decimal("2305.737188")
    assert (result.discount_amount, result.measure_id, result.currency) == (0, 1, "USD")
    assert b'"official_website_amount":0.063888' in result.raw_content  # 6 decimals, truncated


def test_inquiry_precision_one_keeps_ten_decimals(
    server: LiveServer, customer: Credentials
) -> None:
    storage = ON_DEMAND_CASES[5][0]
    precise = rate_on_demand(
        server.bss(customer), customer, [storage], bss_model, inquiry_precision=1
    )
    assert precise.amount == Decimal("0.0638888888")
    default = rate_on_demand(
        server.bss(customer), customer, [storage], bss_model, inquiry_precision=0
    )
    assert default.amount == Decimal("0.063888")


def test_prices_differ_by_region_and_products_keep_their_ids(
    server: LiveServer, customer: Credentials
) -> None:
    client = server.intl(customer)
    hk = rate_on_demand(
        client, customer, [demand("a", ECS, VM, "c7.large.2.win", "Duration", 1, HOUR)]
    )
    bkk = rate_on_demand(
        client,
        customer,
        [demand("a", ECS, VM, "c7.large.2.win", "Duration", 1, HOUR, region=BKK)],
        project_id=project(customer, BKK),
    )
    # Windows adds 0.0184 per vCPU-hour: 0.0640 + 2 × 0.0184; Bangkok is 95 %, rounded to 4 places
    assert hk.amount == Decimal("0.1008")
    assert bkk.amount == Decimal("0.0958")
    assert hk.product_rating_results[0].product_id != bkk.product_rating_results[0].product_id
    again = rate_on_demand(
        client, customer, [demand("b", ECS, VM, "c7.large.2.win", "Duration", 3, HOUR)]
    )
    assert again.product_rating_results[0].product_id == hk.product_rating_results[0].product_id
    assert again.amount == Decimal("0.3024")


PERIOD_CASES = [
    (period("monthly", ECS, VM, "s6.large.2.linux", 2, 3, 2), "152.40"),  # 25.40 × 3 × 2
    (period("yearly", ECS, VM, "s6.large.2.linux", 3, 1), "254.00"),  # a year = 10 months' price
    (period("disk", EVS, VOLUME, "SSD", 2, 1, resource_size=100, size_measure_id=DISK_GB), "21.70"),
    (
        period("bw", VPC, BANDWIDTH, "19_bgp", 2, 1, resource_size=10, size_measure_id=MBPS),
        "124.00",
    ),
    # 0.05225 × 30 GB = 1.5675 → 1.57 (half up)
    (
        period(
            "sata", EVS, VOLUME, "SATA", 2, 1, region=BKK, resource_size=30, size_measure_id=DISK_GB
        ),
        "1.57",
    ),
]


def test_period_ratings_to_the_cent(server: LiveServer, customer: Credentials) -> None:
    products = [case for case, _ in PERIOD_CASES]
    for client, module in ((server.intl(customer), m), (server.bss(customer), bss_model)):
        result = rate_period(client, customer, products, module)
        official = result.official_website_rating_result
        by_id = {r.id: r for r in official.product_rating_results}
        for product, expected in PERIOD_CASES:
            assert by_id[product["id"]].official_website_amount == Decimal(expected), product["id"]
            assert by_id[product["id"]].measure_id == 1
        assert official.official_website_amount == Decimal("553.67")
        assert (official.measure_id, result.currency) == (1, "USD")
        # a reseller-model customer gets no discount options (rules.md §7.16)
        assert result.optional_discount_rating_results == []
    assert Decimal("254.00") < 12 * Decimal("25.40")


def test_partner_token_for_the_customer_is_accepted(server: LiveServer) -> None:
    partner = server.partner(PartnerType.CSP, password=PASSWORD)
    customer = server.customer(partner, authorize=True)
    name = partner.creds.domain_name
    token = httpx.post(
        server.url + "/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": name, "password": PASSWORD, "domain": {"name": name}}
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
    cred = response.json()["credential"]
    temp = Credentials(customer.account_id, customer.domain_name, cred["access"], cred["secret"])
    client = server.intl(temp, security_token=cred["securitytoken"])
    rated = rate_on_demand(client, customer, [ON_DEMAND_CASES[0][0]])
    assert rated.amount == Decimal("0.0948")
    # the partner's own credentials are refused: ratings are the customer's
    error = refused(
        lambda: rate_on_demand(server.intl(partner.creds), customer, [ON_DEMAND_CASES[0][0]])
    )
    assert (error.status_code, error.error_code) == (403, "CBC.0151")
    error = refused(
        lambda: rate_period(server.bss(partner.creds), customer, [PERIOD_CASES[0][0]], bss_model)
    )
    assert (error.status_code, error.error_code) == (403, "CBC.0151")


VM_HOUR = demand("p", ECS, VM, "s6.large.2.linux", "Duration", 1, HOUR)


@pytest.mark.parametrize(
    ("products", "body", "code"),
    [
        ([{**VM_HOUR, "resource_spec": "s9.huge.1.linux"}], {}, "CBC.99006006"),
        ([{**VM_HOUR, "region": "eu-west-0"}], {}, "CBC.99006006"),
        ([{**VM_HOUR, "resource_type": VOLUME}], {}, "CBC.99006006"),
        ([{**VM_HOUR, "usage_factor": "upflow"}], {}, "CBC.99006006"),
        ([{**VM_HOUR, "usage_measure_id": GB}], {}, "CBC.99006050"),
        ([{**VM_HOUR, "usage_measure_id": 999}], {}, "CBC.99006050"),
        ([{**VM_HOUR, "usage_value": Decimal(-1)}], {}, "CBC.0100"),
        ([{**VM_HOUR, "subscription_num": 0}], {}, "CBC.0100"),
        ([{**VM_HOUR, "id": ""}], {}, "CBC.0100"),
        ([VM_HOUR, {**VM_HOUR, "usage_value": Decimal(2)}], {}, "CBC.0100"),
        ([demand("d", EVS, VOLUME, "SSD", "Duration", 1, HOUR)], {}, "CBC.0100"),
        (
            [
                demand(
                    "d",
                    EVS,
                    VOLUME,
                    "SSD",
                    "Duration",
                    1,
                    HOUR,
                    resource_size=5,
                    size_measure_id=DISK_GB,
                )
            ],
            {},
            "CBC.0100",
        ),
        (
            [
                demand(
                    "d",
                    EVS,
                    VOLUME,
                    "SSD",
                    "Duration",
                    1,
                    HOUR,
                    resource_size=50,
                    size_measure_id=MBPS,
                )
            ],
            {},
            "CBC.0100",
        ),
        ([VM_HOUR], {"inquiry_precision": 2}, "CBC.0100"),
        ([VM_HOUR], {"project_id": "0" * 32}, "CBC.99006073"),
        ([], {}, "CBC.0100"),
        ([{**VM_HOUR, "id": str(i)} for i in range(101)], {}, "CBC.0100"),
        (
            [
                {
                    **VM_HOUR,
                    "resource_spec": "c7.4xlarge.2.linux",
                    "usage_value": Decimal(10) ** 14,
                    "subscription_num": 1_000_000,
                }
            ],
            {},
            "CBC.99006055",
        ),
    ],
)
def test_on_demand_refusals(
    server: LiveServer,
    customer: Credentials,
    products: list[dict[str, Any]],
    body: dict[str, Any],
    code: str,
) -> None:
    error = refused(lambda: rate_on_demand(server.intl(customer), customer, products, **body))
    assert (error.status_code, error.error_code) == (400, code), error.error_msg


def test_another_accounts_project_is_unknown(server: LiveServer, csp: Partner) -> None:
    mine, theirs = server.customer(csp), server.customer(csp)
    error = refused(
        lambda: rate_on_demand(server.intl(mine), mine, [VM_HOUR], project_id=project(theirs))
    )
    assert (error.status_code, error.error_code) == (400, "CBC.99006073")
    error = refused(
        lambda: rate_period(
            server.intl(mine), mine, [PERIOD_CASES[0][0]], project_id=project(theirs)
        )
    )
    assert error.error_code == "CBC.99006073"


MONTH_VM = period("p", ECS, VM, "s6.large.2.linux", 2, 1)


@pytest.mark.parametrize(
    ("product", "code"),
    [
        ({**MONTH_VM, "period_num": 10}, "CBC.0100"),  # months are sold 1–9
        ({**MONTH_VM, "period_type": 3, "period_num": 4}, "CBC.0100"),  # years 1–3
        ({**MONTH_VM, "period_num": 0}, "CBC.0100"),
        ({**MONTH_VM, "period_type": 1}, "CBC.0100"),
        ({**MONTH_VM, "period_type": 0}, "CBC.99006006"),  # not sold by the day
        ({**MONTH_VM, "subscription_num": 0}, "CBC.0100"),
        ({**MONTH_VM, "fee_installment_mode": "HALF_PAY"}, "CBC.0100"),
        ({**MONTH_VM, "fee_installment_mode": "MONTHLY"}, "CBC.0100"),
        (period("o", OBS, "hws.resource.type.obs", "obs.standard", 2, 1), "CBC.99006006"),
        (period("b", VPC, BANDWIDTH, "19_bgp", 2, 1), "CBC.0100"),  # linear: size needed
    ],
)
def test_period_refusals(
    server: LiveServer, customer: Credentials, product: dict[str, Any], code: str
) -> None:
    error = refused(lambda: rate_period(server.intl(customer), customer, [product]))
    assert (error.status_code, error.error_code) == (400, code), error.error_msg


def test_fee_installment_mode_na_is_the_default(server: LiveServer, customer: Credentials) -> None:
    result = rate_period(
        server.intl(customer), customer, [{**MONTH_VM, "fee_installment_mode": "NA"}]
    )
    assert result.official_website_rating_result.official_website_amount == Decimal("25.40")


def grant(server: LiveServer, kind: str, **fields: Any) -> str:
    async def go(state: AppState) -> str:
        async with state.db.unit_of_work() as uow:
            service = state.services(uow.session).discounts
            if kind == "business":
                granted = await service.grant_business_discount(operator_id="operator", **fields)
            else:
                granted = await service.grant_partner_discount(**fields)
            return granted.discount_id

    result: str = server._call(go)
    return result


def test_discounts_for_a_referral_customer(server: LiveServer, csp: Partner) -> None:
    customer = referral_customer(server, csp)
    business = grant(
        server,
        "business",
        customer_id=customer.account_id,
        percent_off=Decimal(10),
        name="Contract",
    )
    partner = grant(
        server,
        "partner",
        partner_id=csp.id,
        customer_id=customer.account_id,
        percent_off=Decimal(15),
        name="Partner ECS",
        service_type=ECS,
    )
    client = server.intl(customer)
    periods = rate_period(client, customer, [case for case, _ in PERIOD_CASES])
    assert periods.official_website_rating_result.official_website_amount == Decimal("553.67")
    options = {o.discount_id: o for o in periods.optional_discount_rating_results}
    assert set(options) == {business, partner}
    contract, own = options[business], options[partner]
    # 10 % off every line, each rounded to the cent: 137.16 + 228.60 + 19.53 + 111.60 + 1.41
    assert (contract.discount_type, contract.discount_name) == (605, "Contract")
    assert (contract.official_website_amount, contract.amount, contract.discount_amount) == (
        Decimal("553.67"),
        Decimal("498.30"),
        Decimal("55.37"),
    )
    assert {r.id: r.amount for r in contract.product_rating_results} == {
        "monthly": Decimal("137.16"),
        "yearly": Decimal("228.60"),
        "disk": Decimal("19.53"),
        "bw": Decimal("111.60"),
        "sata": Decimal("1.41"),
    }
    # 15 % off the ECS lines only, which saves more: the best offer
    assert (own.discount_type, own.discount_amount, own.amount) == (
        607,
        Decimal("60.96"),
        Decimal("492.71"),
    )
    assert {r.id: r.discount_amount for r in own.product_rating_results}["disk"] == 0
    assert (own.best_offer, contract.best_offer) == (1, 0)

    demanded = rate_on_demand(client, customer, [ON_DEMAND_CASES[0][0], ON_DEMAND_CASES[4][0]])
    vm, traffic = demanded.product_rating_results
    # the best discount per line: 15 % on the server, 10 % on OBS traffic
    assert (vm.official_website_amount, vm.amount, vm.discount_amount) == (
        Decimal("0.0948"),
        Decimal("0.08058"),
        Decimal("0.01422"),
    )
    assert [(d.discount_id, d.discount_type, d.amount) for d in vm.discount_rating_results] == [
        (partner, 607, Decimal("0.01422"))
    ]
    assert (traffic.amount, traffic.discount_amount) == (Decimal("1852.56"), Decimal("205.84"))
    assert traffic.discount_rating_results[0].discount_type == 605
    assert (demanded.official_website_amount, demanded.amount, demanded.discount_amount) == (
        Decimal("2058.4948"),
        Decimal("1852.64058"),
        Decimal("205.85422"),
    )


def test_equal_savings_prefer_the_business_discount(server: LiveServer, csp: Partner) -> None:
    customer = referral_customer(server, csp)
    partner = grant(
        server,
        "partner",
        partner_id=csp.id,
        customer_id=customer.account_id,
        percent_off=Decimal(10),
        name="P",
    )
    business = grant(
        server, "business", customer_id=customer.account_id, percent_off=Decimal(10), name="B"
    )
    periods = rate_period(server.intl(customer), customer, [MONTH_VM])
    best = {o.discount_id: o.best_offer for o in periods.optional_discount_rating_results}
    assert best == {business: 1, partner: 0}
    line = rate_on_demand(server.intl(customer), customer, [VM_HOUR]).product_rating_results[0]
    assert line.discount_rating_results[0].discount_id == business


def test_reseller_model_customers_get_list_prices(server: LiveServer, csp: Partner) -> None:
    reseller_model = server.customer(csp)
    error = not_granted(
        lambda: grant(
            server,
            "partner",
            partner_id=csp.id,
            customer_id=reseller_model.account_id,
            percent_off=Decimal(5),
            name="Not allowed",
        )
    )
    assert error.code == "CBC.5024"

    # a discount granted while the customer was referral-model stops applying once it is
    # reseller-model
    customer = referral_customer(server, csp)
    grant(server, "business", customer_id=customer.account_id, percent_off=Decimal(20), name="C")
    assert rate_on_demand(server.intl(customer), customer, [VM_HOUR]).discount_amount > 0

    async def to_reseller_model(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            await uow.session.execute(
                update(Customer)
                .where(Customer.account_id == customer.account_id)
                .values(association_type=AssociationType.RESELLER)
            )

    server._call(to_reseller_model)
    listed = rate_on_demand(server.intl(customer), customer, [VM_HOUR])
    assert (listed.amount, listed.discount_amount) == (Decimal("0.0474"), 0)
    assert listed.product_rating_results[0].discount_rating_results == []
    assert (
        rate_period(server.intl(customer), customer, [MONTH_VM]).optional_discount_rating_results
        == []
    )


def test_who_may_grant_partner_discounts(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    own = referral_customer(server, csp)
    error = not_granted(
        lambda: grant(
            server,
            "partner",
            partner_id=distributor.id,
            customer_id=own.account_id,
            percent_off=Decimal(5),
            name="Someone else's customer",
        )
    )
    assert error.code == "CBC.99000035"
    resellers_customer = referral_customer(server, distributor, reseller=reseller)
    granted = grant(
        server,
        "partner",
        partner_id=distributor.id,
        customer_id=resellers_customer.account_id,
        percent_off=Decimal("12.5"),
        name="Distributor grant",
    )
    option = rate_period(
        server.intl(resellers_customer), resellers_customer, [MONTH_VM]
    ).optional_discount_rating_results[0]
    # 25.40 less 12.5 % = 22.225 → 22.23 (half up)
    assert (option.discount_id, option.discount_type, option.amount) == (
        granted,
        606,
        Decimal("22.23"),
    )
    for percent in (Decimal(0), Decimal(100), Decimal("10.005")):
        error = not_granted(
            lambda percent=percent: grant(
                server,
                "partner",
                partner_id=csp.id,
                customer_id=own.account_id,
                percent_off=percent,
                name="bad",
            )
        )
        assert error.code == "CBC.0100"


def test_a_later_price_leaves_earlier_ratings_unchanged(
    server: LiveServer, customer: Credentials
) -> None:
    product = demand("p", ECS, VM, "m7.2xlarge.8.linux", "Duration", 1, HOUR)
    client = server.intl(customer)
    assert rate_on_demand(client, customer, [product]).amount == Decimal("0.416")

    async def now(state: AppState) -> Any:
        async with state.db.unit_of_work() as uow:
            assert state.sandbox_clock is not None
            await refresh_sandbox_clock(state.sandbox_clock, uow.session)
        return state.clock.now()

    effective = server._call(now) + timedelta(hours=1)
    v2 = copy.deepcopy(demo_catalog())
    v2["version"] = 2
    v2["effective_from"] = format_utc(effective)
    spec = next(s for s in v2["specs"] if s["code"] == "m7.2xlarge.8.linux")
    hourly = next(
        p for p in spec["prices"] if p["region"] == HK and p["charging_mode"] == "ON_DEMAND"
    )
    hourly["price"] = "0.4000"

    async def load(state: AppState) -> None:
        await import_catalog(state, v2, source="v2")

    server._call(load)
    assert rate_on_demand(client, customer, [product]).amount == Decimal("0.416")

    async def advance(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            current = await load_sandbox_state(uow.session)
            shift = 2 * 3600 * 1_000_000
            frozen = None if current.frozen_at_us is None else current.frozen_at_us + shift
            await save_sandbox_state(
                uow.session, SandboxState(offset_us=current.offset_us + shift, frozen_at_us=frozen)
            )

    server._call(advance)
    assert rate_on_demand(client, customer, [product]).amount == Decimal("0.4")
    other = rate_on_demand(client, customer, [VM_HOUR])
    assert other.amount == Decimal("0.0474")  # unchanged offerings keep their price


def test_partner_discounts_skip_services_that_bar_them(server: LiveServer, csp: Partner) -> None:
    """The demo catalogue's RDS takes no partner-granted discount (``allow_discount`` false in
    its policy); the operator's business discount still applies to it."""
    customer = referral_customer(server, csp)
    partner = grant(
        server,
        "partner",
        partner_id=csp.id,
        customer_id=customer.account_id,
        percent_off=Decimal(20),
        name="Everything",
    )
    business = grant(
        server, "business", customer_id=customer.account_id, percent_off=Decimal(5), name="B"
    )
    rds = ("hws.service.type.rds", "hws.resource.type.rds.vm", "rds.mysql.n1.large.2")
    client = server.intl(customer)
    periods = rate_period(client, customer, [MONTH_VM, period("db", *rds, 2, 1)])
    assert periods.official_website_rating_result.official_website_amount == Decimal("84.40")
    options = {o.discount_id: o for o in periods.optional_discount_rating_results}
    # 20 % off the server only (25.40 → 20.32); RDS stays at 59.00
    assert (options[partner].amount, options[partner].discount_amount) == (
        Decimal("79.32"),
        Decimal("5.08"),
    )
    assert {r.id: r.discount_amount for r in options[partner].product_rating_results} == {
        "p": Decimal("5.08"),
        "db": Decimal("0"),
    }
    # 5 % off both: 24.13 + 56.05
    assert (options[business].amount, options[business].discount_amount) == (
        Decimal("80.18"),
        Decimal("4.22"),
    )
    assert (options[partner].best_offer, options[business].best_offer) == (1, 0)

    demanded = rate_on_demand(client, customer, [demand("db", *rds, "Duration", 10, HOUR)])
    (line,) = demanded.product_rating_results
    # 10 h at 0.11: only the business discount applies, 5 %
    assert (line.official_website_amount, line.amount) == (Decimal("1.1"), Decimal("1.045"))
    assert [(d.discount_id, d.discount_type) for d in line.discount_rating_results] == [
        (business, 605)
    ]
