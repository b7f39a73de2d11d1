"""Every customer-business operation, called on partner A's customer with the credentials of
another partner, of a reseller and of a customer, is refused (or sees nothing) and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from huaweicloudsdkbssintl.v2 import model as m
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.partners.public import PartnerType
from partner_center.provisioning import Credentials
from tests.harness import LiveServer, Partner

Call = Callable[[Any, str], Any]

#: operation -> call(client, customer_id); each would act on the customer if allowed.
OPERATIONS: dict[str, Call] = {
    "show_sub_customer_budget": lambda c, cid: c.show_sub_customer_budget(
        m.ShowSubCustomerBudgetRequest(customer_id=cid)
    ),
    "update_sub_customer_budget": lambda c, cid: c.update_sub_customer_budget(
        m.UpdateSubCustomerBudgetRequest(
            body=m.ModSubCustomerBudgetReq(
                customer_id=cid, budget_amount=Decimal("50.00"), budget_type="MONTHLY"
            )
        )
    ),
    "list_sub_customer_budget_records": lambda c, cid: c.list_sub_customer_budget_records(
        m.ListSubCustomerBudgetRecordsRequest(customer_id=cid)
    ),
    "list_sub_customer_budget": lambda c, cid: c.list_sub_customer_budget(
        m.ListSubCustomerBudgetRequest(body=m.ListSubCustomerBudgetReq(customer_ids=[cid]))
    ),
    "freeze_sub_customers": lambda c, cid: c.freeze_sub_customers(
        m.FreezeSubCustomersRequest(
            body=m.FreezeSubCustomersReq(customer_ids=[cid], reason="tenancy check")
        )
    ),
    "unfreeze_sub_customers": lambda c, cid: c.unfreeze_sub_customers(
        m.UnfreezeSubCustomersRequest(
            body=m.UnfreezeSubCustomersReq(customer_ids=[cid], reason="tenancy check")
        )
    ),
    "list_sub_customers": lambda c, cid: c.list_sub_customers(
        m.ListSubCustomersRequest(body=m.QuerySubCustomerListReq(customer_id=cid))
    ),
}


@pytest.fixture(scope="module")
def world(server: LiveServer) -> dict[str, Any]:
    owner = server.partner(PartnerType.CSP)
    customer = server.customer(owner)
    distributor = server.partner(PartnerType.DISTRIBUTOR)
    return {
        "owner": owner,
        "customer": customer,
        "other partner": server.partner(PartnerType.CSP).creds,
        "reseller": server.partner(PartnerType.RESELLER, distributor=distributor).creds,
        "other distributor": distributor.creds,
        "a customer": server.customer(server.partner(PartnerType.CSP)),
        "the customer itself": customer,
    }


def refused_or_empty(result: Callable[[], Any]) -> str:
    """How the call failed to reach the customer: an HTTP refusal, an empty answer, or a
    per-item error; anything else is a leak."""
    try:
        response = result()
    except ClientRequestException as exc:
        assert exc.status_code in (400, 403), (exc.status_code, exc.error_code)
        assert exc.error_code in {"CBC.0151", "CBC.99000035", "CBC.99000037", "CBC.99000000"}
        return exc.error_code
    for field in ("budget_infos", "customer_infos"):
        if getattr(response, field, None) is not None:
            assert getattr(response, field) == [], field
            return "empty"
    details = getattr(response, "error_details", None)
    if details:
        assert [d.error_code for d in details] == ["CBC.99000035"]
        return "per-item"
    raise AssertionError(f"not refused: {response}")


@pytest.mark.parametrize(
    "intruder",
    ["other partner", "reseller", "other distributor", "a customer", "the customer itself"],
)
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_refused_for_everyone_but_the_owner(
    server: LiveServer, world: dict[str, Any], intruder: str, operation: str
) -> None:
    creds: Credentials = world[intruder]
    customer: Credentials = world["customer"]
    refused_or_empty(lambda: OPERATIONS[operation](server.intl(creds), customer.account_id))


def test_the_owner_still_sees_an_untouched_customer(
    server: LiveServer, world: dict[str, Any]
) -> None:
    owner: Partner = world["owner"]
    customer: Credentials = world["customer"]
    client = server.intl(owner.creds)
    listed = client.list_sub_customers(
        m.ListSubCustomersRequest(body=m.QuerySubCustomerListReq(customer_id=customer.account_id))
    )
    assert [c.customer_id for c in listed.customer_infos] == [customer.account_id]
    assert listed.customer_infos[0].is_frozen == 0
    budget = client.show_sub_customer_budget(
        m.ShowSubCustomerBudgetRequest(customer_id=customer.account_id)
    )
    assert budget.budget_amount in (0, Decimal(0), None)
    records = client.list_sub_customer_budget_records(
        m.ListSubCustomerBudgetRecordsRequest(customer_id=customer.account_id)
    )
    assert records.total_count == 0
