"""create_sub_customer, list_sub_customers, check_user_identity and verification codes through
the official SDK clients, with the validation rules of rules.md §2.4 and tenancy."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from huaweicloudsdkbss.v2 import model as bss_model
from huaweicloudsdkbssintl.v2.model import (
    CheckSubcustomerUserReq,
    CheckUserIdentityRequest,
    CreateCustomerV2Req,
    CreateSubCustomerRequest,
    ListSubCustomersRequest,
    QuerySubCustomerListReq,
    SendVerificationCodeV2Req,
    SendVerificationMessageCodeRequest,
)
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.ratelimit import RateLimiter
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, Partner, unique
from tests.signed import signed_request


def create(server: LiveServer, partner: Partner, **fields: Any) -> Any:
    body = {"xaccount_id": unique("x"), "xaccount_type": partner.xaccount_type, "domain_area": "MX"}
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}
    return server.intl(partner.creds).create_sub_customer(
        CreateSubCustomerRequest(body=CreateCustomerV2Req(**body))
    )


def refused(call: Any) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def list_customers(server: LiveServer, partner: Partner, **filters: Any) -> Any:
    return server.intl(partner.creds).list_sub_customers(
        ListSubCustomersRequest(body=QuerySubCustomerListReq(**filters))
    )


def test_create_then_list_with_reference_shapes(server: LiveServer, csp: Partner) -> None:
    name = unique("acme").replace("-", "_")
    created = create(
        server, csp, domain_name=name, xaccount_id="platform-user-1", password="Secret-Pass1"
    )
    assert created.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", created.domain_id)
    assert created.domain_name == name

    listed = list_customers(server, csp)
    assert listed.count == 1
    info = listed.customer_infos[0]
    assert info.customer_id == created.domain_id
    assert info.account_name == name
    assert info.association_type == "3"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info.associated_on)
    assert info.xaccount_id == "platform-user-1"
    assert info.xaccount_type == csp.xaccount_type
    assert info.is_frozen == 0
    assert info.customer_type == -1
    assert info.verified_status == "-1"
    assert info.customer_level == "V0"
    assert info.account_managers == []


def test_generated_login_name_when_omitted(server: LiveServer, csp: Partner) -> None:
    created = create(server, csp)
    assert re.fullmatch(r"[a-z][a-z0-9]{31}", created.domain_name)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"domain_name": "abcd"}, "CBC.99000031"),
        ({"domain_name": "a" * 33}, "CBC.99000031"),
        ({"domain_name": "bad name"}, "CBC.99000031"),
        ({"domain_name": "1abcdef"}, "CBC.99000031"),
        ({"domain_name": "123456"}, "CBC.99000031"),
        ({"domain_name": "op_abcdef"}, "CBC.99000031"),
        ({"domain_name": "shadow_abcdef"}, "CBC.99000031"),
        ({"domain_name": "abc.def"}, "CBC.99000031"),
        ({"password": "Ab1-xyz"}, "CBC.99000036"),
        ({"password": "A" * 33 + "b1"}, "CBC.99000036"),
        ({"password": "abcdefghij"}, "CBC.99000036"),
        ({"password": ""}, "CBC.99000036"),
        ({"domain_name": "Valid_Name1", "password": "Valid_Name1"}, "CBC.99000036"),
        ({"domain_name": "Valid_Name1", "password": "1emaN_dilaV"}, "CBC.99000036"),
        ({"xaccount_id": ""}, "CBC.0100"),
        ({"xaccount_id": "x" * 129}, "CBC.0100"),
        ({"xaccount_type": "someone-elses-platform"}, "CBC.0100"),
        ({"xaccount_type": "t" * 65}, "CBC.0100"),
        ({"domain_area": None}, "CBC.0100"),
        ({"domain_area": "XX"}, "CBC.0100"),
        ({"domain_area": "mex"}, "CBC.0100"),
        ({"email": "no-at-sign", "verification_code": "123456"}, "CBC.0100"),
        ({"email": "someone@example.com"}, "CBC.0100"),
        ({"email": "someone@example.com", "verification_code": "000000"}, "CBC.99004010"),
        ({"is_close_market_ms": "yes"}, "CBC.0100"),
        ({"indirect_partner_id": "f" * 32}, "CBC.99000037"),
    ],
)
def test_validation_rules(
    server: LiveServer, csp: Partner, fields: dict[str, Any], code: str
) -> None:
    error = refused(lambda: create(server, csp, **fields))
    assert (error.status_code, error.error_code) == (400, code), error.error_msg
    assert list_customers(server, csp).count == 0  # nothing stored


def test_duplicate_login_name_and_xaccount_id(server: LiveServer, csp: Partner) -> None:
    name = unique("dup").replace("-", "")
    create(server, csp, domain_name=name, xaccount_id="same-user")
    assert refused(lambda: create(server, csp, domain_name=name)).error_code == "CBC.99000038"
    assert refused(lambda: create(server, csp, xaccount_id="same-user")).error_code == (
        "CBC.99000039"
    )
    assert list_customers(server, csp).count == 1


def read_code(server: LiveServer, partner: Partner, recipient: str) -> str:
    response = signed_request(
        server.url, partner.creds, "GET", "/v1/sandbox/outbox", query=f"recipient={recipient}"
    )
    assert response.status_code == 200, response.text
    body = response.json()["messages"][0]["body"]
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


def send_code(server: LiveServer, partner: Partner, email: str, **extra: Any) -> Any:
    return server.intl(partner.creds).send_verification_message_code(
        SendVerificationMessageCodeRequest(
            body=SendVerificationCodeV2Req(receiver_type=2, email=email, **extra)
        )
    )


def test_email_customer_with_verification_code(server: LiveServer, csp: Partner) -> None:
    email = f"{unique('buyer')}@example.com"
    assert send_code(server, csp, email, timeout=10, lang="en-us").status_code == 204
    code = read_code(server, csp, email)
    created = create(server, csp, email=email, verification_code=code)
    info = list_customers(server, csp, customer_id=created.domain_id).customer_infos[0]
    assert info.email == email
    # a used code cannot be used again
    again = refused(lambda: create(server, csp, email=email, verification_code=code))
    assert again.error_code in ("CBC.99000051", "CBC.99004010")


def test_three_wrong_codes_invalidate_the_code(server: LiveServer, csp: Partner) -> None:
    email = f"{unique('buyer')}@example.com"
    send_code(server, csp, email)
    code = read_code(server, csp, email)
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(3):
        error = refused(lambda: create(server, csp, email=email, verification_code=wrong))
        assert error.error_code == "CBC.99004010"
    error = refused(lambda: create(server, csp, email=email, verification_code=code))
    assert error.error_code == "CBC.99004009"


def test_send_code_limits(server: LiveServer, csp: Partner) -> None:
    email = f"{unique('limit')}@example.com"
    for _ in range(15):
        send_code(server, csp, email)
    error = refused(lambda: send_code(server, csp, email))
    assert (error.status_code, error.error_code) == (400, "CBC.99004015")


def test_send_code_validation(server: LiveServer, csp: Partner) -> None:
    assert refused(lambda: send_code(server, csp, "not-an-email")).error_code == "CBC.0100"
    error = refused(
        lambda: server.intl(csp.creds).send_verification_message_code(
            SendVerificationMessageCodeRequest(body=SendVerificationCodeV2Req(receiver_type=7))
        )
    )
    assert error.error_code == "CBC.0100"


def test_list_filters_and_paging(server: LiveServer, csp: Partner) -> None:
    names = [f"fl{unique('a').replace('-', '')}{i}" for i in range(5)]
    ids = [create(server, csp, domain_name=n).domain_id for n in names]
    page = list_customers(server, csp, offset=0, limit=2)
    assert page.count == 5 and len(page.customer_infos) == 2
    rest = list_customers(server, csp, offset=4, limit=2)
    assert len(rest.customer_infos) == 1
    seen = {c.customer_id for c in list_customers(server, csp, limit=100).customer_infos}
    assert seen == set(ids)
    one = list_customers(server, csp, account_name=names[2][-6:])
    assert [c.account_name for c in one.customer_infos] == [names[2]]
    assert list_customers(server, csp, customer_id=ids[0]).count == 1
    assert list_customers(server, csp, association_type="3").count == 5
    assert list_customers(server, csp, association_type="1").count == 0
    assert list_customers(server, csp, associated_on_begin="2000-01-01T00:00:00Z").count == 5
    assert list_customers(server, csp, associated_on_end="2000-01-01T00:00:00Z").count == 0


@pytest.mark.parametrize(
    "filters",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 40_000_001},
        {"association_type": "9"},
        {"association_type": ""},
        {"associated_on_begin": "yesterday"},
        {"account_name": "has space"},
        {"account_name": "x" * 65},
    ],
)
def test_list_rejects_bad_filters(
    server: LiveServer, csp: Partner, filters: dict[str, Any]
) -> None:
    error = refused(lambda: list_customers(server, csp, **filters))
    assert (error.status_code, error.error_code) == (400, "CBC.0100")


def test_partner_cannot_see_another_partners_customer(server: LiveServer, csp: Partner) -> None:
    other = server.partner(PartnerType.CSP)
    created = create(server, csp)
    assert list_customers(server, other).count == 0
    assert list_customers(server, other, customer_id=created.domain_id).count == 0
    assert list_customers(server, csp, customer_id=created.domain_id).count == 1


def test_distributor_and_reseller_customers(
    server: LiveServer, distributor: Partner, reseller: Partner
) -> None:
    own = create(server, distributor)
    theirs = create(server, distributor, indirect_partner_id=reseller.id)
    mine = list_customers(server, distributor)
    assert [c.customer_id for c in mine.customer_infos] == [own.domain_id]
    res = list_customers(server, distributor, indirect_partner_id=reseller.id)
    assert [c.customer_id for c in res.customer_infos] == [theirs.domain_id]

    other_distributor = server.partner(PartnerType.DISTRIBUTOR)
    error = refused(
        lambda: list_customers(server, other_distributor, indirect_partner_id=reseller.id)
    )
    assert error.error_code == "CBC.99000037"
    error = refused(lambda: create(server, other_distributor, indirect_partner_id=reseller.id))
    assert error.error_code == "CBC.99000037"


def test_resellers_and_customers_cannot_call_partner_apis(
    server: LiveServer, csp: Partner, reseller: Partner
) -> None:
    error = refused(lambda: list_customers(server, reseller))
    assert (error.status_code, error.error_code) == (403, "CBC.0151")
    customer = server.customer(csp)
    error = refused(
        lambda: server.intl(customer).list_sub_customers(
            ListSubCustomersRequest(body=QuerySubCustomerListReq())
        )
    )
    assert (error.status_code, error.error_code) == (403, "CBC.0151")


def check(server: LiveServer, partner: Partner, search_type: str, value: str) -> Any:
    return server.intl(partner.creds).check_user_identity(
        CheckUserIdentityRequest(
            body=CheckSubcustomerUserReq(search_type=search_type, search_value=value)
        )
    )


def test_check_user_identity(server: LiveServer, csp: Partner) -> None:
    name = unique("chk").replace("-", "")
    assert check(server, csp, "name", name).check_result == "available"
    create(server, csp, domain_name=name)
    assert check(server, csp, "name", name).check_result == "used_by_user"
    assert check(server, csp, "email", f"{unique('n')}@example.com").check_result == "available"
    mobile = check(server, csp, "mobile", "0052-5512345678")
    assert (mobile.check_result, mobile.mobile_remain_available_num) == ("available", 5)
    # the China-site client sends the same path and body
    bss = server.bss(csp.creds).check_user_identity(
        bss_model.CheckUserIdentityRequest(
            body=bss_model.CheckSubcustomerUserReq(search_type="name", search_value=name)
        )
    )
    assert bss.check_result == "used_by_user"


@pytest.mark.parametrize(
    ("search_type", "value"),
    [
        ("phone", "x"),
        ("", "abcdef"),
        ("name", "ab"),
        ("name", "op_abcdef"),
        ("name", "_abcdef"),
        ("name", "1234567"),
        ("email", "nope"),
        ("mobile", "12345"),
        ("name", "a" * 65),
    ],
)
def test_check_user_identity_rejects_bad_input(
    server: LiveServer, csp: Partner, search_type: str, value: str
) -> None:
    error = refused(lambda: check(server, csp, search_type, value))
    assert (error.status_code, error.error_code) == (400, "CBC.0100")


class _StoppedWall:
    def __init__(self, second: int) -> None:
        self.at = datetime.fromtimestamp(second, UTC)

    def now(self) -> datetime:
        return self.at


def stand_still(limiter: Any, second: int) -> None:
    """Stop the limiter's clock at ``second``: process memory (SQLite) counts by a monotonic
    clock, the shared limiters (PostgreSQL, Redis) by the wall clock."""
    if isinstance(limiter, RateLimiter):
        limiter._monotonic = lambda: float(second)
    else:
        limiter.wall = _StoppedWall(second)


def test_rate_limit_returns_reference_429(server: LiveServer, csp: Partner) -> None:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    limited = LiveServer(url, rate_limit=10).start()
    try:
        partner = limited.partner(PartnerType.CSP)

        def call(_: int) -> httpx.Response:
            return signed_request(
                limited.url, partner.creds, "POST", "/v2/partners/sub-customers/query", body=b"{}"
            )

        # The limiter's clock stands still: the 40 requests arrive "within one second"
        # however slowly a loaded machine serves them, so exactly 10 get through.
        stand_still(limited.state.limiter, 1000)
        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(call, range(40)))
        throttled = [r for r in statuses if r.status_code == 429]
        assert (len(statuses) - len(throttled), len(throttled)) == (10, 30), [
            r.status_code for r in statuses
        ]
        assert throttled[0].json() == {
            "error_code": "APIG.0308",
            "error_msg": "The throttling threshold has been reached: policy user over ratelimit,"
            "limit:10,time:1 second",
        }
        # another API of the same caller is not throttled by the first
        ok = signed_request(limited.url, partner.creds, "GET", "/v3/auth/domains")
        assert ok.status_code == 200
        # a second later the bucket has refilled by the rate: 10 more
        stand_still(limited.state.limiter, 1001)
        with ThreadPoolExecutor(max_workers=20) as pool:
            later = [r.status_code for r in pool.map(call, range(12))]
        assert (later.count(200), later.count(429)) == (10, 2)
    finally:
        limited.stop()
        asyncio.run(drop_database(pg_name))
    assert httpx.get(server.url + "/health").status_code == 200
