"""What every declared operation does in the same order (http/operations.run_operation):
authenticate (401), check the caller kind (403), then validate body and query string (400)."""

from __future__ import annotations

import httpx

from tests.harness import LiveServer, Partner
from tests.signed import signed_request

LIST_CUSTOMERS = "/v2/partners/sub-customers/query"
STATEMENT = "/v2/accounts/partner-accounts/account-change-records"


def test_credentials_are_checked_before_the_body(server: LiveServer) -> None:
    response = httpx.post(server.url + LIST_CUSTOMERS, content=b"{not json")
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIG.0301"


def test_the_caller_kind_is_checked_before_the_body(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    response = signed_request(server.url, customer, "POST", LIST_CUSTOMERS, body=b"{not json")
    assert response.status_code == 403
    assert response.json()["error_code"] == "CBC.0151"


def test_a_bad_body_is_400_for_an_admitted_caller(server: LiveServer, csp: Partner) -> None:
    response = signed_request(server.url, csp.creds, "POST", LIST_CUSTOMERS, body=b"{not json")
    assert response.status_code == 400
    assert response.json()["error_code"] == "CBC.0100"


def test_a_bad_query_value_names_the_field(server: LiveServer, csp: Partner) -> None:
    response = signed_request(
        server.url, csp.creds, "GET", STATEMENT, query="balance_type=BALANCE_TYPE_DEBIT&offset=x"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error_code": "CBC.0100",
        "error_msg": "Invalid parameter: offset. Must be an integer.",
    }
    blank = signed_request(
        server.url, csp.creds, "GET", STATEMENT, query="balance_type=BALANCE_TYPE_DEBIT&offset="
    )
    assert blank.status_code == 200, "an empty offset reads as absent here"


def test_a_declared_caller_kind_replaces_the_hand_check(
    server: LiveServer, csp: Partner, reseller: Partner
) -> None:
    """list_customer_orders admits a CSP or distributor and a customer; a reseller is refused
    with the words the hand-written check used."""
    orders = "/v2/orders/customer-orders"
    customer = server.customer(csp)
    assert signed_request(server.url, csp.creds, "GET", orders).status_code == 200
    assert signed_request(server.url, customer, "GET", orders).status_code == 200
    refused = signed_request(server.url, reseller.creds, "GET", orders)
    assert refused.status_code == 403
    assert refused.json()["error_msg"] == (
        "Access denied: only a cloud solution provider or a distributor may call this API."
    )
