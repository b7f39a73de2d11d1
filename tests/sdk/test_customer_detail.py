"""GET /v1/partner-center/customers/{id}: association, budget, control state and manager."""

from __future__ import annotations

from decimal import Decimal

from huaweicloudsdkbssintl.v2 import model as m

from partner_center.domains.partners.public import PartnerType
from tests.harness import LiveServer, Partner
from tests.signed import signed_request


def detail(server: LiveServer, partner: Partner, customer_id: str, query: str = "") -> object:
    return signed_request(
        server.url, partner.creds, "GET", f"/v1/partner-center/customers/{customer_id}", query=query
    )


def test_detail_shows_budget_and_control_state(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    fresh = detail(server, csp, customer.account_id)
    assert fresh.status_code == 200, fresh.text  # type: ignore[attr-defined]
    body = fresh.json()  # type: ignore[attr-defined]
    assert body["association_type"] == "3"
    assert body["budget"]["is_set"] is False
    # a new reseller-model customer starts restricted by the system; null fields are omitted
    assert body["control"] == {"restricted": True, "by_system": True}

    client = server.intl(csp.creds)
    client.update_sub_customer_budget(
        m.UpdateSubCustomerBudgetRequest(
            body=m.ModSubCustomerBudgetReq(
                customer_id=customer.account_id,
                budget_amount=Decimal("120.50"),
                budget_type="MONTHLY",
                cancel_partner_frozen="1",
            )
        )
    )
    client.freeze_sub_customers(
        m.FreezeSubCustomersRequest(
            body=m.FreezeSubCustomersReq(
                customer_ids=[customer.account_id],
                reason="overdue invoice",
                freeze_type="ACCOUNT_AND_RESOURCE",
            )
        )
    )
    body = detail(server, csp, customer.account_id).json()  # type: ignore[attr-defined]
    assert body["budget"]["is_set"] is True
    assert Decimal(str(body["budget"]["budget_amount"])) == Decimal("120.50")
    assert Decimal(str(body["budget"]["remaining_amount"])) == Decimal("120.50")
    assert body["budget"]["budget_type"] == "MONTHLY"
    assert body["control"]["freeze_type"] == "ACCOUNT_AND_RESOURCE"
    assert body["control"]["reason"] == "overdue invoice"
    assert body["control"]["by_system"] is False


def test_detail_tenancy(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    customer = server.customer(csp)
    other = server.partner(PartnerType.CSP)
    refused = detail(server, other, customer.account_id)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert refused.json()["error_code"] == "CBC.99000035"  # type: ignore[attr-defined]

    theirs = server.customer(distributor, reseller=reseller)
    assert detail(server, distributor, theirs.account_id).status_code == 400  # type: ignore[attr-defined]
    seen = detail(server, distributor, theirs.account_id, f"indirect_partner_id={reseller.id}")
    assert seen.status_code == 200  # type: ignore[attr-defined]
    assert seen.json()["owner_partner_id"] == reseller.id  # type: ignore[attr-defined]
    stranger = server.partner(PartnerType.DISTRIBUTOR)
    foreign = detail(server, stranger, theirs.account_id, f"indirect_partner_id={reseller.id}")
    assert foreign.json()["error_code"] == "CBC.99000037"  # type: ignore[attr-defined]

    as_customer = signed_request(
        server.url, customer, "GET", f"/v1/partner-center/customers/{customer.account_id}"
    )
    assert as_customer.status_code == 403
