"""Helpers shared by the real-name and enterprise multi-account SDK tests: submitting a
customer's identity through the official SDK, the operator's review (extension), and an
enterprise master ready to use (a customer with approved enterprise real-name
authentication). (No tests here.)"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from huaweicloudsdkbss.v2 import model as bss

from partner_center.provisioning import Credentials
from tests.harness import LiveServer, Partner
from tests.sdk.test_balance_helpers import operator, signed

NUMBER = "91330100MA27XYZ12X"
LEGAL_ID = "330106199001011234"


def enterprise_identity(partner: Partner, customer_id: str, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "customer_id": customer_id,
        "identify_type": 1,
        "certificate_type": 0,
        "verified_file_url": ["licence/front.jpg", "licence/back.png"],
        "corp_name": "Example Trading Co., Ltd.",
        "verified_number": NUMBER,
        "reg_country": "CN",
        "reg_address": "1 Example Road, Hangzhou",
        "xaccount_type": partner.xaccount_type,
        "enterprise_person": bss.EnterprisePersonNew(
            legel_name="Zhang San", legel_id_number=LEGAL_ID, certifier_role="legalPerson"
        ),
    }
    fields.update(overrides)
    return bss.ApplyEnterpriseRealnameAuthsReq(**fields)


def submit_enterprise(
    server: LiveServer, partner: Partner, customer_id: str, **overrides: Any
) -> Any:
    return server.bss(partner.creds).create_enterprise_realname_authentication(
        bss.CreateEnterpriseRealnameAuthenticationRequest(
            body=enterprise_identity(partner, customer_id, **overrides)
        )
    )


def review(
    server: LiveServer,
    customer_id: str,
    result: str,
    *,
    verified_on: str | None = None,
    opinion: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"result": result}
    if verified_on is not None:
        body["verified_on"] = verified_on
    if opinion is not None:
        body["opinion"] = opinion
    return signed(
        server,
        operator(server),
        "POST",
        f"/v1/partner-center/operator/customers/{customer_id}/realname-review",
        body,
    )


def approve(server: LiveServer, customer_id: str) -> None:
    # A date well in the past is never "in the future" whatever the sandbox clock says.
    response = review(server, customer_id, "approve", verified_on=date(2024, 1, 2).isoformat())
    assert response.status_code == 200, response.text


def make_master(server: LiveServer, partner: Partner) -> Credentials:
    """A new customer of ``partner`` with approved enterprise real-name authentication."""
    master = server.customer(partner)
    verify_master(server, partner, master)
    return master


def verify_master(server: LiveServer, partner: Partner, master: Credentials) -> None:
    assert submit_enterprise(server, partner, master.account_id).is_review == 1
    approve(server, master.account_id)
