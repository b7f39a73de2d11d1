"""The gateway's signature checks, with the official SDK and with tampered raw requests."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from huaweicloudsdkbssintl.v2.model import ListSubCustomersRequest, QuerySubCustomerListReq
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from tests.harness import LiveServer, Partner
from tests.signed import sdk_capture, signed_request

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


# -- issue 8: request bodies -----------------------------------------------------------------


def nested(levels: int) -> bytes:
    """A JSON object nested ``levels`` deep."""
    return b'{"a":' * (levels - 1) + b"{}" + b"}" * (levels - 1)


def test_json_nested_ten_thousand_levels_is_400_not_500(server: LiveServer, csp: Partner) -> None:
    for body in (nested(10_000), b"[" * 10_000 + b"]" * 10_000):
        response = signed_request(server.url, csp.creds, "POST", QUERY, body=body)
        assert response.status_code == 400, response.text
        assert response.json() == {
            "error_code": "CBC.0100",
            "error_msg": "Invalid parameter: the body's arrays and objects nest deeper than "
            "64 levels.",
        }


def test_json_nests_at_most_64_levels(server: LiveServer, csp: Partner) -> None:
    def query(levels: int) -> int:
        body = b'{"limit": 5, "ignored": ' + nested(levels - 1) + b"}"
        return signed_request(server.url, csp.creds, "POST", QUERY, body=body).status_code

    assert (query(64), query(65)) == (200, 400)


def test_iam_sign_in_with_deep_json_is_400_not_500(server: LiveServer) -> None:
    response = httpx.post(
        server.url + "/v3/auth/tokens",
        content=nested(10_000),
        headers={"content-type": "application/json;charset=utf8"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "CBC.0100"


def query_as(server: LiveServer, csp: Partner, content_type: str) -> httpx.Response:
    """list_sub_customers signed over its JSON body, declared as ``content_type``."""
    return signed_request(
        server.url,
        csp.creds,
        "POST",
        QUERY,
        body=b'{"limit": 5}',
        extra_headers={"Content-Type": content_type},
    )


def test_a_json_operation_refuses_a_body_declared_otherwise(
    server: LiveServer, csp: Partner
) -> None:
    """Signed over its body (so authenticated), the body is still not taken as JSON when it
    says it is something else: a careful client gets a clear 400, a careless one no guess."""
    answers = {
        content_type: query_as(server, csp, content_type)
        for content_type in (
            "application/json; charset=utf-8",
            "Application/JSON;charset=utf8",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        )
    }
    assert {k: r.status_code for k, r in answers.items()} == {
        "application/json; charset=utf-8": 200,
        "Application/JSON;charset=utf8": 200,
        "text/plain": 400,
        "application/x-www-form-urlencoded": 400,
        "multipart/form-data; boundary=x": 400,
    }
    refused = answers["text/plain"].json()
    assert refused == {
        "error_code": "CBC.0100",
        "error_msg": "Invalid parameter: Content-Type. This API takes application/json, not "
        "text/plain.",
    }


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [
        ("GET", "/v3/auth/domains", "text/plain"),
        ("GET", "/v3/auth/domains", "application/x-www-form-urlencoded"),
        ("POST", QUERY, "text/plain"),
    ],
)
def test_sdk_requests_with_a_non_json_content_type_and_no_body_are_accepted(
    server: LiveServer, csp: Partner, method: str, path: str, content_type: str
) -> None:
    """Issue 8 point 2: the SDK marks these UNSIGNED-PAYLOAD but signs the empty-body hash."""
    captured = sdk_capture(
        server.intl(csp.creds), server.url, method, path, content_type=content_type
    )
    assert ("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD") in captured.headers
    response = captured.send()
    assert response.status_code == 200, response.text


def test_sdk_delete_with_a_form_content_type_and_no_body_is_authenticated(
    server: LiveServer, csp: Partner
) -> None:
    customer = server.customer(csp)
    captured = sdk_capture(
        server.intl(customer),
        server.url,
        "DELETE",
        "/v2/orders/subscriptions/resources/autorenew/no-such-resource",
        content_type="application/x-www-form-urlencoded",
        body={},
    )
    response = captured.send()
    assert response.status_code != 401, response.text
    assert response.json()["error_code"] != "APIG.0301"
