"""The gateway's signature checks, with the official SDK and with tampered raw requests."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from huaweicloudsdkbssintl.v2.model import ListSubCustomersRequest, QuerySubCustomerListReq
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from tests.harness import LiveServer, Partner
from tests.signed import signed_request

QUERY = "/v2/partners/sub-customers/query"


def test_official_sdk_signature_is_accepted(server: LiveServer, csp: Partner) -> None:
    response = server.intl(csp.creds).list_sub_customers(
        ListSubCustomersRequest(body=QuerySubCustomerListReq(offset=0, limit=10))
    )
    assert response.status_code == 200
    assert response.count == 0


def test_sdk_without_domain_id_is_accepted(server: LiveServer, csp: Partner) -> None:
    response = server.bss(csp.creds, domain_id=False).list_sub_customers(
        ListSubCustomersRequest(body=QuerySubCustomerListReq())
    )
    assert response.status_code == 200


def test_wrong_secret_key_is_401(server: LiveServer, csp: Partner) -> None:
    client = server.intl(csp.creds, secret_key="x" * 40)
    with pytest.raises(ClientRequestException) as info:
        client.list_sub_customers(ListSubCustomersRequest(body=QuerySubCustomerListReq()))
    assert info.value.status_code == 401
    assert info.value.error_code == "APIG.0301"
    assert info.value.request_id


def test_raw_signed_request_matches_the_sdk(server: LiveServer, csp: Partner) -> None:
    response = signed_request(server.url, csp.creds, "POST", QUERY, body=b'{"limit": 5}')
    assert response.status_code == 200, response.text
    assert response.json() == {"customer_infos": [], "count": 0}


@pytest.mark.parametrize("minutes", [-16, 16])
def test_shifted_sdk_date_is_401(server: LiveServer, csp: Partner, minutes: int) -> None:
    response = signed_request(
        server.url, csp.creds, "POST", QUERY, body=b"{}", date_shift=timedelta(minutes=minutes)
    )
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIG.0301"
    assert "expired" in response.json()["error_msg"]


def test_date_within_the_window_is_accepted(server: LiveServer, csp: Partner) -> None:
    response = signed_request(
        server.url, csp.creds, "POST", QUERY, body=b"{}", date_shift=timedelta(minutes=-14)
    )
    assert response.status_code == 200


def test_edited_body_is_401(server: LiveServer, csp: Partner) -> None:
    response = signed_request(
        server.url, csp.creds, "POST", QUERY, body=b'{"limit": 5}', sent_body=b'{"limit": 6}'
    )
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIG.0301"


def test_edited_query_is_401(server: LiveServer, csp: Partner) -> None:
    ok = signed_request(server.url, csp.creds, "GET", "/v3/auth/domains", query="a=1&b=2")
    assert ok.status_code == 200, ok.text
    response = signed_request(
        server.url, csp.creds, "GET", "/v3/auth/domains", query="a=1&b=2", sent_query="a=1&b=3"
    )
    assert response.status_code == 401


def test_unknown_access_key_is_401(server: LiveServer, csp: Partner) -> None:
    from partner_center.provisioning import Credentials

    stranger = Credentials(csp.id, "x", "UNKNOWNAK00000000000", "s" * 40)
    response = signed_request(server.url, stranger, "POST", QUERY, body=b"{}")
    assert response.status_code == 401


def test_domain_id_mismatch_is_401(server: LiveServer, csp: Partner) -> None:
    response = signed_request(
        server.url,
        csp.creds,
        "POST",
        QUERY,
        body=b"{}",
        extra_headers={"X-Domain-Id": "0" * 32},
    )
    assert response.status_code == 401


def test_missing_credentials_is_401_with_request_id(server: LiveServer) -> None:
    response = httpx.post(server.url + QUERY, json={})
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIG.0301"
    assert response.headers["x-request-id"]


def test_unknown_path_is_404_in_reference_shape(server: LiveServer) -> None:
    response = httpx.get(server.url + "/v2/no/such/api")
    assert response.status_code == 404
    assert set(response.json()) == {"error_code", "error_msg"}
    assert response.headers["x-request-id"]


def test_malformed_json_is_400_not_500(server: LiveServer, csp: Partner) -> None:
    response = signed_request(server.url, csp.creds, "POST", QUERY, body=b"{not json")
    assert response.status_code == 400
    assert response.json()["error_code"] == "CBC.0100"


def test_caller_request_id_is_echoed(server: LiveServer) -> None:
    response = httpx.get(server.url + "/health", headers={"X-Request-Id": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"


def test_openapi_describes_operations_with_wire_schemas(server: LiveServer) -> None:
    spec = httpx.get(server.url + "/openapi.json", timeout=60).json()
    op = spec["paths"]["/v2/partners/sub-customers"]["post"]
    assert op["operationId"] == "create_sub_customer"
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"xaccount_id", "xaccount_type", "domain_area", "password"} <= set(schema["properties"])
    assert set(schema["required"]) == {"xaccount_id", "xaccount_type"}
    listed = spec["paths"]["/v2/partners/sub-customers/query"]["post"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"]["$ref"].endswith(
        "ListSubCustomersResponse"
    )
    assert httpx.get(server.url + "/docs").status_code == 200
