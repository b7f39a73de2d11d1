"""Allocating and reclaiming funds through the official SDK (api-semantics.md §3.4–3.5,
rules.md §1.17): partner → customer, distributor → reseller → reseller's customer, with the
reference error codes for every refusal, tenancy, idempotent retries with our
``X-Idempotency-Key`` header, and concurrent allocations that never overdraw."""

from __future__ import annotations

import concurrent.futures
import re
from decimal import Decimal
from typing import Any

import pytest
from huaweicloudsdkbss.v2 import model as bss
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.customers.models import Customer
from partner_center.domains.customers.public import AssociationType
from partner_center.domains.partners.public import PartnerType
from partner_center.state import AppState
from tests.harness import LiveServer, Partner
from tests.sdk.test_balance_helpers import (
    D,
    allocate,
    assert_books_balance,
    balances,
    cash,
    customer_balances,
    funded,
    reclaim,
    refused,
    top_up,
)
from tests.signed import signed_request


def reseller_allocate(
    server: LiveServer, distributor: Partner, reseller_id: str, amount: str
) -> Any:
    return server.bss(distributor.creds).update_indirect_partner_account(
        bss.UpdateIndirectPartnerAccountRequest(
            body=bss.AdjustToIndirectPartnerReq(indirect_partner_id=reseller_id, amount=D(amount))
        )
    )


def reseller_reclaim(
    server: LiveServer, distributor: Partner, reseller_id: str, amount: str
) -> Any:
    return server.bss(distributor.creds).reclaim_indirect_partner_account(
        bss.ReclaimIndirectPartnerAccountRequest(
            body=bss.ReclaimIndirectPartnerAccountReq(
                indirect_partner_id=reseller_id, amount=D(amount)
            )
        )
    )


def test_allocate_and_reclaim_move_exact_cents(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp).account_id
    funded(server, csp, "1000.00")

    allocated = allocate(server, csp, customer, "300.25")
    assert allocated.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", allocated.transfer_id)
    assert cash(server, csp) == D("699.75")
    assert customer_balances(server, csp, customer)[customer]["amount"] == D("300.25")

    reclaimed = reclaim(server, csp, customer, "0.25")
    assert re.fullmatch(r"[0-9a-f]{32}", reclaimed.trans_id)
    assert reclaimed.trans_id != allocated.transfer_id
    assert cash(server, csp) == D("700.00")
    row = customer_balances(server, csp, customer)[customer]
    assert (row["amount"], row["debt_amount"], row["measure_id"]) == (D("300.00"), D("0.00"), 1)
    assert row["currency"] == "USD"
    assert_books_balance(server)


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("10.005", "CBC.0100"),
        ("0", "CBC.0100"),
        ("0.00", "CBC.0100"),
        ("-5", "CBC.0100"),
        ("1E+11", "CBC.0100"),
        ("100.01", "CBC.99005003"),
    ],
)
def test_allocation_amount_rules(server: LiveServer, csp: Partner, amount: str, code: str) -> None:
    customer = server.customer(csp).account_id
    funded(server, csp, "100.00")
    error = refused(lambda: allocate(server, csp, customer, amount))
    assert (error.status_code, error.error_code) == (400, code), error.error_msg
    assert cash(server, csp) == D("100.00")  # nothing moved
    assert customer_balances(server, csp, customer)[customer]["amount"] == D("0.00")


def test_designated_funds_cannot_be_allocated(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp).account_id
    funded(server, csp, "50.00")
    assert top_up(server, csp, "25.00", designated=True).status_code == 200
    row = balances(server, csp)[1]
    assert (row["amount"], row["designated_amount"]) == (D("75.00"), D("25.00"))
    # available = amount − designated_amount = 50.00
    error = refused(lambda: allocate(server, csp, customer, "50.01"))
    assert error.error_code == "CBC.99005003"
    assert "50.00" in error.error_msg
    allocate(server, csp, customer, "50.00")
    assert balances(server, csp)[1]["amount"] == D("25.00")


@pytest.mark.parametrize("body", [b'{"customer_id": "x", "amount": "10.00"}', b'{"amount": 1}'])
def test_malformed_allocation_bodies(server: LiveServer, csp: Partner, body: bytes) -> None:
    response = signed_request(
        server.url, csp.creds, "POST", "/v2/accounts/partner-accounts/adjust-amount", body=body
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "CBC.0100"


def test_reclaim_cannot_exceed_the_customer_balance(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp).account_id
    funded(server, csp, "40.00")
    allocate(server, csp, customer, "30.00")
    error = refused(lambda: reclaim(server, csp, customer, "30.01"))
    assert (error.status_code, error.error_code) == (400, "CBC.99005003")
    error = refused(lambda: reclaim(server, csp, customer, "1.001"))
    assert error.error_code == "CBC.0100"
    reclaim(server, csp, customer, "30.00")
    assert customer_balances(server, csp, customer)[customer]["amount"] == D("0.00")
    assert cash(server, csp) == D("40.00")
    never_funded = server.customer(csp).account_id
    assert refused(lambda: reclaim(server, csp, never_funded, "1")).error_code == "CBC.99005003"


def test_foreign_customers_and_resellers_are_refused(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    funded(server, csp, "100.00")
    funded(server, distributor, "100.00")
    others_customer = server.customer(server.partner(PartnerType.CSP)).account_id
    error = refused(lambda: allocate(server, csp, others_customer, "1.00"))
    assert (error.status_code, error.error_code) == (400, "CBC.99000035")
    assert refused(lambda: reclaim(server, csp, others_customer, "1.00")).error_code == (
        "CBC.99000035"
    )
    assert refused(lambda: allocate(server, csp, "f" * 32, "1.00")).error_code == "CBC.99000035"

    # A reseller's customer is addressed only through indirect_partner_id.
    resellers_customer = server.customer(distributor, reseller=reseller).account_id
    error = refused(lambda: allocate(server, distributor, resellers_customer, "1.00"))
    assert error.error_code == "CBC.99000035"
    # Someone else's reseller, or a CSP naming a reseller at all.
    other_distributor = server.partner(PartnerType.DISTRIBUTOR)
    funded(server, other_distributor, "10.00")
    error = refused(
        lambda: allocate(server, other_distributor, resellers_customer, "1.00", indirect=reseller)
    )
    assert (error.status_code, error.error_code) == (400, "CBC.99000037")
    error = refused(lambda: allocate(server, csp, resellers_customer, "1.00", indirect=reseller))
    assert error.error_code == "CBC.99000037"
    error = refused(lambda: reseller_allocate(server, other_distributor, reseller.id, "1.00"))
    assert error.error_code == "CBC.99000037"
    error = refused(lambda: reseller_reclaim(server, other_distributor, reseller.id, "1.00"))
    assert error.error_code == "CBC.99000037"

    # A referral customer pays for itself: no allocation.
    referral = server.customer(csp).account_id
    _make_referral(server, referral)
    assert refused(lambda: allocate(server, csp, referral, "1.00")).error_code == "CBC.99000000"
    # ...and is left out of the balance batch query, as is anyone else's customer.
    mine = server.customer(csp).account_id
    rows = customer_balances(server, csp, referral, others_customer, mine)
    assert list(rows) == [mine]
    assert cash(server, csp) == D("100.00")
    assert cash(server, other_distributor) == D("10.00")


def _make_referral(server: LiveServer, customer_id: str) -> None:
    async def change(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            row = await uow.session.get(Customer, customer_id)
            row.association_type = AssociationType.REFERRAL

    server._call(change)


def test_wrong_caller_kinds_are_refused(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    customer = server.customer(csp)
    funded(server, csp, "10.00")
    for creds in (customer, reseller.creds):
        with pytest.raises(ClientRequestException) as info:
            server.bss(creds).update_customer_account_amount(
                bss.UpdateCustomerAccountAmountRequest(
                    body=bss.AdjustAccountReq(customer_id=customer.account_id, amount=D("1"))
                )
            )
        assert (info.value.status_code, info.value.error_code) == (403, "CBC.0151")
    # Reseller funds are the distributor's business only.
    error = refused(lambda: reseller_allocate(server, csp, reseller.id, "1.00"))
    assert (error.status_code, error.error_code) == (403, "CBC.0151")
    error = refused(lambda: reseller_reclaim(server, csp, reseller.id, "1.00"))
    assert (error.status_code, error.error_code) == (403, "CBC.0151")
    with pytest.raises(ClientRequestException) as info:
        server.bss(customer).reclaim_to_partner_account(
            bss.ReclaimToPartnerAccountRequest(
                body=bss.ReclaimToPartnerAccountBalancesReq(
                    customer_id=customer.account_id, amount=D("1")
                )
            )
        )
    assert info.value.error_code == "CBC.0151"
    assert cash(server, csp) == D("10.00")


def test_distributor_funds_its_reseller_and_the_resellers_customer(
    server: LiveServer, distributor: Partner, reseller: Partner
) -> None:
    funded(server, distributor, "500.00")
    customer = server.customer(distributor, reseller=reseller).account_id

    # The reseller has nothing yet: its customer cannot be funded from the distributor's cash.
    error = refused(lambda: allocate(server, distributor, customer, "1.00", indirect=reseller))
    assert error.error_code == "CBC.99005003"

    error = refused(lambda: reseller_allocate(server, distributor, reseller.id, "500.01"))
    assert error.error_code == "CBC.99005003"
    error = refused(lambda: reseller_allocate(server, distributor, reseller.id, "0.001"))
    assert error.error_code == "CBC.0100"
    moved = reseller_allocate(server, distributor, reseller.id, "200.50")
    assert re.fullmatch(r"[0-9a-f]{32}", moved.transfer_id)
    assert cash(server, distributor) == D("299.50")
    assert cash(server, distributor, indirect=reseller) == D("200.50")
    # A reseller has no credit line of its own: its customers are billed to the distributor.
    assert set(balances(server, distributor, indirect=reseller)) == {1}
    assert set(balances(server, distributor)) == {1, 2}

    allocate(server, distributor, customer, "150.50", indirect=reseller)
    assert cash(server, distributor, indirect=reseller) == D("50.00")
    assert cash(server, distributor) == D("299.50")
    rows = customer_balances(server, distributor, customer, indirect=reseller)
    assert rows[customer]["amount"] == D("150.50")
    assert customer_balances(server, distributor, customer) == {}
    error = refused(lambda: allocate(server, distributor, customer, "50.01", indirect=reseller))
    assert error.error_code == "CBC.99005003"

    reclaim(server, distributor, customer, "100.50", indirect=reseller)
    assert cash(server, distributor, indirect=reseller) == D("150.50")
    error = refused(lambda: reseller_reclaim(server, distributor, reseller.id, "150.51"))
    assert (error.status_code, error.error_code) == (400, "CBC.99005003")
    taken = reseller_reclaim(server, distributor, reseller.id, "150.50")
    assert re.fullmatch(r"[0-9a-f]{32}", taken.trans_id)
    assert cash(server, distributor, indirect=reseller) == D("0.00")
    assert cash(server, distributor) == D("450.00")
    assert_books_balance(server)


def test_idempotency_key_replays_an_allocation(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp).account_id
    funded(server, csp, "100.00")
    client = server.bss(csp.creds)
    client.preset_headers = {"X-Idempotency-Key": "order-2026-11-0001"}

    first = allocate(server, csp, customer, "60.00", client=client)
    again = allocate(server, csp, customer, "60.00", client=client)
    assert again.transfer_id == first.transfer_id
    assert cash(server, csp) == D("40.00")  # once, although 60 twice would not even fit
    assert customer_balances(server, csp, customer)[customer]["amount"] == D("60.00")

    error = refused(lambda: allocate(server, csp, customer, "10.00", client=client))
    assert (error.status_code, error.error_code) == (400, "CBC.99007009")
    # Without the header every call is a new allocation.
    plain = allocate(server, csp, customer, "10.00")
    assert plain.transfer_id != first.transfer_id
    assert cash(server, csp) == D("30.00")

    client.preset_headers = {"X-Idempotency-Key": "not a valid key!"}
    assert refused(lambda: allocate(server, csp, customer, "1.00", client=client)).error_code == (
        "CBC.0100"
    )
    # A key is the caller's own: another partner using the same key is unaffected.
    other = server.partner(PartnerType.CSP)
    funded(server, other, "5.00")
    other_client = server.bss(other.creds)
    other_client.preset_headers = {"X-Idempotency-Key": "order-2026-11-0001"}
    others_customer = server.customer(other).account_id
    assert allocate(server, other, others_customer, "5.00", client=other_client).transfer_id
    assert cash(server, other) == D("0.00")


def test_twenty_concurrent_allocations_from_funds_for_ten(server: LiveServer, csp: Partner) -> None:
    customers = [server.customer(csp).account_id for _ in range(4)]
    funded(server, csp, "100.00")

    def one(index: int) -> str:
        try:
            allocate(server, csp, customers[index % 4], "10.00")
        except ClientRequestException as exc:
            return exc.error_code
        return "ok"

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(one, range(20)))
    assert outcomes.count("ok") == 10, outcomes
    assert sorted(set(outcomes)) == ["CBC.99005003", "ok"]
    assert cash(server, csp) == D("0.00")
    rows = customer_balances(server, csp, *customers)
    assert sum((rows[c]["amount"] for c in customers), Decimal(0)) == D("100.00")
    assert_books_balance(server)
