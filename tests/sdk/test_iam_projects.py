"""IAM projects (issue 13 item 5): ``GET /v3/auth/projects`` and ``GET /v3/projects?name=``, the
way an SDK user learns the ``project_id`` the rating operations ask for, and the way the SDK's
``BasicCredentials`` without a project id resolves one by itself."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from huaweicloudsdkbssintl.v2 import BssintlClient
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.client import ClientBuilder
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.region.region import Region

from partner_center.domains.catalog.public import project_id_for
from partner_center.provisioning import Credentials
from tests.harness import LiveServer, Partner
from tests.sdk.test_orders import load_catalog, refused
from tests.sdk.test_rating import BKK, HK, MONTH_VM, rate_period
from tests.signed import signed_request


@pytest.fixture(scope="module", autouse=True)
def demo(server: LiveServer) -> None:
    load_catalog(server)


def projects(server: LiveServer, creds: Credentials, path: str, query: str = "") -> Any:
    response = signed_request(server.url, creds, "GET", path, query=query)
    assert response.status_code == 200, response.text
    return response.json()["projects"]


def basic_client(server: LiveServer, creds: Credentials, region: str) -> tuple[Any, Any]:
    """An international client built as SDK users build one for a regional service: AK/SK
    ``BasicCredentials`` without a project id, and a region (here pointing at the server)."""
    credentials = BasicCredentials(creds.access_key, creds.secret_key).with_iam_endpoint(server.url)
    config = HttpConfig.get_default_config()
    config.timeout = (5, 30)
    client = (
        ClientBuilder(BssintlClient, "BasicCredentials")
        .with_http_config(config)
        .with_credentials(credentials)
        .with_region(Region(region, server.url))
        .build()
    )
    return client, credentials


def test_basic_credentials_resolve_the_project_by_themselves(
    server: LiveServer, csp: Partner
) -> None:
    customer = server.customer(csp)
    client, credentials = basic_client(server, customer, BKK)
    assert credentials.project_id == project_id_for(customer.account_id, BKK)
    rated = rate_period(client, customer, [MONTH_VM], project_id=credentials.project_id)
    assert rated.official_website_rating_result.official_website_amount is not None


def test_the_project_lists(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    everything = projects(server, customer, "/v3/auth/projects")
    names = [p["name"] for p in everything]
    assert HK in names and BKK in names
    assert all(p["domain_id"] == customer.account_id and p["enabled"] for p in everything)
    assert {p["id"] for p in everything} == {project_id_for(customer.account_id, n) for n in names}
    (hk,) = projects(server, customer, "/v3/projects", f"name={HK}")
    assert hk["id"] == project_id_for(customer.account_id, HK)
    assert projects(server, customer, "/v3/projects", "name=mars-north-1") == []
    assert projects(server, customer, "/v3/projects", "domain_id=someone-else") == []
    assert projects(server, customer, "/v3/projects", "enabled=false") == []
    assert len(projects(server, customer, "/v3/projects")) == len(everything)
    bad = signed_request(server.url, customer, "GET", "/v3/projects", query="enabled=maybe")
    assert bad.status_code == 400


def test_a_project_is_its_owners_only(server: LiveServer, csp: Partner) -> None:
    owner = server.customer(csp)
    other = server.customer(csp)
    (theirs,) = projects(server, owner, "/v3/projects", f"name={HK}")
    (mine,) = projects(server, other, "/v3/projects", f"name={HK}")
    assert theirs["id"] != mine["id"]
    error = refused(
        lambda: rate_period(server.intl(other), other, [MONTH_VM], project_id=theirs["id"])
    )
    assert error.error_code == "CBC.99006073"


def test_projects_need_credentials(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/v3/auth/projects").status_code == 401
    assert httpx.get(f"{server.url}/v3/projects?name={HK}").status_code == 401
