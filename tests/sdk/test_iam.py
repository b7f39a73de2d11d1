"""IAM-compatible endpoints: password tokens, assume_role through a customer's agency,
temporary credentials, and the domain lookup that ``with_region`` clients make."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from huaweicloudsdkbssintl.v2.model import ListSubCustomersRequest, QuerySubCustomerListReq
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.partners.public import PartnerType
from partner_center.provisioning import Credentials
from tests.harness import LiveServer, Partner

PASSWORD = "Partner-Pass1"


def password_token(server: LiveServer, domain: str, user: str, password: str) -> httpx.Response:
    return httpx.post(
        server.url + "/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": user, "password": password, "domain": {"name": domain}}
                    },
                },
                "scope": {"domain": {"name": domain}},
            }
        },
        timeout=60,  # password hashing is slow on purpose; a loaded machine is slower still
    )


def assume(server: LiveServer, token: str, customer: Credentials, agency: str) -> httpx.Response:
    return httpx.post(
        server.url + "/v3/auth/tokens",
        headers={"X-Auth-Token": token},
        json={
            "auth": {
                "identity": {
                    "methods": ["assume_role"],
                    "assume_role": {"domain_name": customer.domain_name, "agency_name": agency},
                },
                "scope": {"project": {"name": "ap-southeast-1"}},
            }
        },
    )


@pytest.fixture
def partner(server: LiveServer) -> Partner:
    return server.partner(PartnerType.CSP, password=PASSWORD)


def partner_token(server: LiveServer, partner: Partner) -> str:
    name = partner.creds.domain_name
    response = password_token(server, name, name, PASSWORD)
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def test_password_token(server: LiveServer, partner: Partner) -> None:
    name = partner.creds.domain_name
    response = password_token(server, name, name, PASSWORD)
    assert response.status_code == 201
    body = response.json()["token"]
    assert body["methods"] == ["password"]
    assert body["domain"] == {"id": partner.id, "name": name}
    assert body["user"]["domain"]["id"] == partner.id
    assert body["expires_at"].endswith("Z")
    token = response.headers["X-Subject-Token"]
    listed = httpx.post(
        server.url + "/v2/partners/sub-customers/query", headers={"X-Auth-Token": token}, json={}
    )
    assert listed.status_code == 200
    assert listed.json() == {"customer_infos": [], "count": 0}


def test_bad_password_and_bad_token(server: LiveServer, partner: Partner) -> None:
    name = partner.creds.domain_name
    assert password_token(server, name, name, "wrong-Pass1").status_code == 401
    assert password_token(server, "no-such-account", name, PASSWORD).status_code == 401
    response = httpx.post(
        server.url + "/v2/partners/sub-customers/query",
        headers={"X-Auth-Token": "MIIbogus"},
        json={},
    )
    assert response.status_code == 401
    assert response.json()["error_code"] == "CBC.0154"


def test_assume_role_requires_the_customers_authorization(
    server: LiveServer, partner: Partner
) -> None:
    customer = server.customer(partner)
    token = partner_token(server, partner)
    refused = assume(server, token, customer, partner.xaccount_type)
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "IAM.0003"

    server.authorize(customer, partner)
    # the agency is named after the partner's platform id; another name is refused
    assert assume(server, token, customer, "other-agency").status_code == 403
    granted = assume(server, token, customer, partner.xaccount_type)
    assert granted.status_code == 201, granted.text
    customer_token = granted.headers["X-Subject-Token"]
    assert granted.json()["token"]["domain"]["id"] == customer.account_id

    # the token acts as the customer ...
    domains = httpx.get(server.url + "/v3/auth/domains", headers={"X-Auth-Token": customer_token})
    assert domains.json()["domains"][0]["id"] == customer.account_id
    # ... and not as the partner
    as_partner = httpx.post(
        server.url + "/v2/partners/sub-customers/query",
        headers={"X-Auth-Token": customer_token},
        json={},
    )
    assert as_partner.status_code == 403
    assert as_partner.json()["error_code"] == "CBC.0151"


def test_another_partner_cannot_assume_the_role(server: LiveServer, partner: Partner) -> None:
    customer = server.customer(partner, authorize=True)
    intruder = server.partner(PartnerType.CSP, password=PASSWORD)
    token = partner_token(server, intruder)
    assert assume(server, token, customer, partner.xaccount_type).status_code == 403
    assert assume(server, token, customer, intruder.xaccount_type).status_code == 403


def temporary(server: LiveServer, auth_token: str, **identity: Any) -> httpx.Response:
    return httpx.post(
        server.url + "/v3.0/OS-CREDENTIAL/securitytokens",
        headers={"X-Auth-Token": auth_token},
        json={"auth": {"identity": identity}},
    )


def test_temporary_credentials_through_the_agency_work_with_the_sdk(
    server: LiveServer, partner: Partner
) -> None:
    customer = server.customer(partner, authorize=True)
    token = partner_token(server, partner)
    response = temporary(
        server,
        token,
        methods=["assume_role"],
        assume_role={
            "domain_name": customer.domain_name,
            "agency_name": partner.xaccount_type,
            "duration_seconds": 900,
        },
    )
    assert response.status_code == 201, response.text
    cred = response.json()["credential"]
    temp = Credentials(customer.account_id, customer.domain_name, cred["access"], cred["secret"])
    client = server.intl(temp, security_token=cred["securitytoken"])
    # signature and security token are accepted; the identity is the customer's, so a partner
    # API answers 403 (not 401)
    with pytest.raises(ClientRequestException) as info:
        client.list_sub_customers(ListSubCustomersRequest(body=QuerySubCustomerListReq()))
    assert (info.value.status_code, info.value.error_code) == (403, "CBC.0151")
    # a wrong security token is 401
    bad = server.intl(temp, security_token="forged-token")
    with pytest.raises(ClientRequestException) as info:
        bad.list_sub_customers(ListSubCustomersRequest(body=QuerySubCustomerListReq()))
    assert info.value.status_code == 401


def test_revoking_the_agency_stops_the_customer_token(server: LiveServer, partner: Partner) -> None:
    customer = server.customer(partner, authorize=True)
    token = partner_token(server, partner)
    customer_token = assume(server, token, customer, partner.xaccount_type).headers[
        "X-Subject-Token"
    ]
    ok = httpx.get(server.url + "/v3/auth/domains", headers={"X-Auth-Token": customer_token})
    assert ok.status_code == 200

    async def revoke(state: Any) -> None:
        async with state.db.unit_of_work() as uow:
            await state.services(uow.session).identity.revoke_agency(
                customer_id=customer.account_id, partner_id=partner.id
            )

    server._call(revoke)
    gone = httpx.get(server.url + "/v3/auth/domains", headers={"X-Auth-Token": customer_token})
    assert gone.status_code == 401


def test_token_method_exchange_for_partner(server: LiveServer, partner: Partner) -> None:
    token = partner_token(server, partner)
    response = temporary(server, token, methods=["token"], token={"duration_seconds": 900})
    assert response.status_code == 201
    cred = response.json()["credential"]
    temp = Credentials(partner.id, partner.creds.domain_name, cred["access"], cred["secret"])
    listed = server.intl(temp, security_token=cred["securitytoken"]).list_sub_customers(
        ListSubCustomersRequest(body=QuerySubCustomerListReq())
    )
    assert listed.status_code == 200
    too_long = temporary(server, token, methods=["token"], token={"duration_seconds": 10**6})
    assert too_long.status_code == 400


def test_with_region_client_resolves_domain_id(
    server: LiveServer, partner: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huaweicloudsdkbssintl.v2 import BssintlClient
    from huaweicloudsdkcore.auth.credentials import GlobalCredentials
    from huaweicloudsdkcore.region.region import Region

    creds = GlobalCredentials(partner.creds.access_key, partner.creds.secret_key)
    creds = creds.with_iam_endpoint(server.url)
    client = (
        BssintlClient.new_builder()
        .with_credentials(creds)
        .with_region(Region("ap-southeast-1", server.url))
        .build()
    )
    listed = client.list_sub_customers(ListSubCustomersRequest(body=QuerySubCustomerListReq()))
    assert listed.status_code == 200
    assert creds.domain_id == partner.id
