"""Enterprise multi-account through the official ``bss`` client (api-semantics.md §3.13): an
enterprise master (a customer with enterprise real-name authentication) creates member accounts
with SMS-verified mobile numbers, reads its organization, and moves money and coupons to and
from its members through the ledger — idempotent under ``trans_id``, never overdrawn, safe under
concurrent clients — with the refusals and tenancy of the reference."""

from __future__ import annotations

import re
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest
from huaweicloudsdkbss.v2 import model as bss
from huaweicloudsdkbssintl.v2 import model as intl
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.enterprises.public import root_org_id
from partner_center.provisioning import Credentials, create_credentials
from tests.harness import LiveServer, Partner, unique
from tests.sdk.enterprise_helpers import make_master
from tests.sdk.test_balance_helpers import (
    PREFIX,
    allocate,
    assert_books_balance,
    exact,
    funded,
    signed,
)
from tests.sdk.test_coupons import grant, issue, operator_creds
from tests.sdk.test_iam import password_token
from tests.signed import signed_request

D = Decimal
PASSWORD = "Secret-Pass-2024"


def refused(call: Any) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def name() -> str:
    return "m_" + uuid.uuid4().hex[:12]


def mobile() -> str:
    return "139" + "".join(secrets.choice("0123456789") for _ in range(8))


def create_member(server: LiveServer, master: Credentials, **fields: Any) -> Any:
    new = {"customer_name": name(), "password": PASSWORD, **fields.pop("new", {})}
    body = {
        "party_id": root_org_id(master.account_id),
        "sub_customer_association_type": 1,
        "new_sub_customer": bss.NewCustomerV2(**new),
        **fields,
    }
    return server.bss(master).create_sub_enterprise_account(
        bss.CreateSubEnterpriseAccountRequest(body=bss.CreateSubCustomerReqV2(**body))
    )


def members(server: LiveServer, master: Credentials, **query: Any) -> dict[str, Any]:
    response = server.bss(master).list_enterprise_sub_customers(
        bss.ListEnterpriseSubCustomersRequest(**query)
    )
    return {i.name: i for i in response.sub_customer_infos}


def new_member(server: LiveServer, master: Credentials, **fields: Any) -> str:
    login = name()
    create_member(server, master, new={"customer_name": login}, **fields)
    member_id: str = members(server, master, sub_customer_account_name=login)[login].id
    return member_id


def send_code(server: LiveServer, master: Credentials, phone: str, **extra: Any) -> Any:
    extra.setdefault("sm_template_args", [bss.TemplateArgs(key="scene", value="member")])
    return server.bss(master).send_sms_verification_code(
        bss.SendSmsVerificationCodeRequest(
            body=bss.SendSmVerificationCodeReq(mobile_phone=phone, **extra)
        )
    )


def code_sent(server: LiveServer, master: Credentials, phone: str) -> str:
    response = signed_request(
        server.url, master, "GET", "/v1/sandbox/outbox", query=f"recipient=0086-{phone}"
    )
    assert response.status_code == 200, response.text
    match = re.search(r"\b(\d{6})\b", response.json()["messages"][0]["body"])
    assert match
    return match.group(1)


def funded_master(server: LiveServer, csp: Partner, amount: str) -> Credentials:
    master = make_master(server, csp)
    funded(server, csp, amount)
    allocate(server, csp, master.account_id, amount)
    return master


def transferable(
    server: LiveServer, master: Credentials, balance_type: str = "BALANCE_TYPE_DEBIT"
) -> Any:
    return exact(
        server.bss(master).show_multi_account_transfer_amount(
            bss.ShowMultiAccountTransferAmountRequest(balance_type=balance_type)
        )
    )


def retrievable(server: LiveServer, master: Credentials, member_id: str) -> Decimal:
    response = exact(
        server.bss(master).list_enterprise_multi_account(
            bss.ListEnterpriseMultiAccountRequest(
                sub_customer_id=member_id, balance_type="BALANCE_TYPE_DEBIT"
            )
        )
    )
    assert response["total_count"] == 1
    amount: Decimal = response["amount_infos"][0]["avail_retrieve_amount"]
    return amount


def master_free(server: LiveServer, master: Credentials) -> Decimal:
    amount: Decimal = transferable(server, master)["amount_infos"][0]["avail_transfer_amount"]
    return amount


def give(server: LiveServer, master: Credentials, member_id: str, amount: str, **extra: Any) -> Any:
    return server.bss(master).update_sub_enterprise_amount(
        bss.UpdateSubEnterpriseAmountRequest(
            body=bss.TransferEnterpriseMultiAccountReq(
                customer_id=member_id, amount=amount, **extra
            )
        )
    )


def take(server: LiveServer, master: Credentials, member_id: str, amount: str, **extra: Any) -> Any:
    return server.bss(master).reclaim_sub_enterprise_amount(
        bss.ReclaimSubEnterpriseAmountRequest(
            body=bss.RetrieveEnterpriseMultiAccountReq(
                customer_id=member_id, amount=amount, **extra
            )
        )
    )


# -- who is an enterprise master ------------------------------------------------------------


def test_an_unverified_customer_is_not_an_enterprise_master(
    server: LiveServer, csp: Partner
) -> None:
    customer = server.customer(csp)
    error = refused(lambda: create_member(server, customer))
    assert (error.status_code, error.error_code) == (400, "CBC.99007004")
    error = refused(lambda: send_code(server, customer, mobile()))
    assert (error.status_code, error.error_code) == (400, "CBC.70300008")
    error = refused(lambda: transferable(server, customer))
    assert error.error_code == "CBC.99007004"
    assert members(server, customer) == {}


def test_partner_credentials_are_refused(server: LiveServer, csp: Partner) -> None:
    client = server.bss(csp.creds)
    calls = [
        lambda: client.list_enterprise_organizations(bss.ListEnterpriseOrganizationsRequest()),
        lambda: client.show_multi_account_transfer_amount(
            bss.ShowMultiAccountTransferAmountRequest(balance_type="BALANCE_TYPE_DEBIT")
        ),
        lambda: client.list_multi_account_transfer_coupons(
            bss.ListMultiAccountTransferCouponsRequest()
        ),
        lambda: client.create_enterprise_project_auth(bss.CreateEnterpriseProjectAuthRequest()),
        lambda: send_code(server, csp.creds, mobile()),
    ]
    for call in calls:
        error = refused(call)
        assert (error.status_code, error.error_code) == (403, "CBC.0151")


# -- member accounts, SMS, organization -----------------------------------------------------


def test_create_member_with_password_and_custody(server: LiveServer, csp: Partner) -> None:
    master = make_master(server, csp)
    login = name()
    response = create_member(
        server,
        master,
        new={"customer_name": login},
        display_name="Finance",
        permission_ids=["perm-billing"],
        financial_custody=1,
    )
    assert response.status_code == 204
    info = members(server, master)[login]
    assert (info.display_name, info.status, info.org_id) == (
        "Finance",
        1,
        root_org_id(master.account_id),
    )
    # the member signs in with the password it was given (IAM password method)
    answer = password_token(server, login, login, PASSWORD)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"sub_customer_association_type": 2}, "CBC.0100"),
        ({"financial_custody": 3}, "CBC.0100"),
        ({"party_id": "bad unit"}, "CBC.0100"),
        ({"new": {"password": "short"}}, "CBC.99000036"),
        ({"new": {"customer_name": "abc"}}, "CBC.99000031"),
        ({"new": {"mobile_phone": "13900000000"}}, "CBC.0100"),
        ({"new": {"mobile_phone": "12345"}}, "CBC.5017"),
        ({"new": {"mobile_phone": "13900000000", "verification_code": "000000"}}, "CBC.99004010"),
        ({"new": {"use_pri_mobile_phone": "yes"}}, "CBC.0100"),
    ],
)
def test_invalid_member_is_refused_and_nothing_stored(
    server: LiveServer, csp: Partner, fields: dict[str, Any], code: str
) -> None:
    master = make_master(server, csp)
    error = refused(lambda: create_member(server, master, **fields))
    assert (error.status_code, error.error_code) == (400, code)
    assert members(server, master) == {}


def test_member_mobile_needs_the_code_the_master_sent(server: LiveServer, csp: Partner) -> None:
    master = make_master(server, csp)
    other = make_master(server, csp)
    phone = mobile()
    assert send_code(server, master, phone, timeout=5, language="en-us").status_code == 204
    code = code_sent(server, master, phone)
    # the code is the master's: another master cannot use it
    error = refused(
        lambda: create_member(server, other, new={"mobile_phone": phone, "verification_code": code})
    )
    assert error.error_code == "CBC.99004010"
    wrong = "000000" if code != "000000" else "111111"
    error = refused(
        lambda: create_member(
            server, master, new={"mobile_phone": phone, "verification_code": wrong}
        )
    )
    assert error.error_code == "CBC.99004010"
    login = name()
    create_member(
        server,
        master,
        new={"customer_name": login, "mobile_phone": phone, "verification_code": code},
    )
    assert login in members(server, master)
    # used up: the same code does not create a second member
    error = refused(
        lambda: create_member(
            server, master, new={"mobile_phone": phone, "verification_code": code}
        )
    )
    assert error.error_code == "CBC.99004010"


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"language": "fr-fr"}, "CBC.0100"),
        ({"timeout": 0}, "CBC.0100"),
        ({"sm_template_args": []}, "CBC.0100"),
    ],
)
def test_invalid_sms_request(
    server: LiveServer, csp: Partner, extra: dict[str, Any], code: str
) -> None:
    master = make_master(server, csp)
    error = refused(lambda: send_code(server, master, mobile(), **extra))
    assert (error.status_code, error.error_code) == (400, code)
    error = refused(lambda: send_code(server, master, "555-0100"))
    assert error.error_code == "CBC.5017"


def test_sms_send_limit_and_members_cannot_send(server: LiveServer, csp: Partner) -> None:
    master = make_master(server, csp)
    phone = mobile()
    for _ in range(15):
        send_code(server, master, phone)
    error = refused(lambda: send_code(server, master, phone))
    assert error.error_code == "CBC.99004015"
    member_id = new_member(server, master)
    member = server._call(create_credentials, account_id=member_id)
    error = refused(lambda: send_code(server, member, mobile()))
    assert (error.status_code, error.error_code) == (400, "CBC.70300008")


def test_organization_tree(server: LiveServer, csp: Partner) -> None:
    master = make_master(server, csp)
    root = root_org_id(master.account_id)

    def tree(**query: Any) -> Any:
        return server.bss(master).list_enterprise_organizations(
            bss.ListEnterpriseOrganizationsRequest(**query)
        )

    empty = tree()
    assert (empty.root_id, empty.root_name, empty.child_nodes) == (
        root,
        master.domain_name,
        [],
    )
    new_member(server, master, party_id="ou-east")
    new_member(server, master, party_id="ou-west")
    new_member(server, master)
    listed = tree(recursive_query=1)
    assert [n.id for n in listed.child_nodes] == ["ou-east", "ou-west"]
    assert all(n.child_nodes == [] for n in listed.child_nodes)
    assert [n.id for n in tree(parent_id=root).child_nodes] == ["ou-east", "ou-west"]
    assert tree(parent_id="ou-east").child_nodes == []
    error = refused(lambda: tree(parent_id="ou-north"))
    assert error.error_code == "CBC.0100"
    error = refused(lambda: tree(recursive_query=2))
    assert error.error_code == "CBC.0100"
    # another master's tree holds none of these units
    stranger = server.bss(make_master(server, csp))
    assert (
        stranger.list_enterprise_organizations(bss.ListEnterpriseOrganizationsRequest()).child_nodes
        == []
    )


def test_enterprise_project_authority_both_clients(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    first = server.bss(customer).create_enterprise_project_auth(
        bss.CreateEnterpriseProjectAuthRequest()
    )
    again = server.intl(customer).create_enterprise_project_auth(
        intl.CreateEnterpriseProjectAuthRequest()
    )
    assert (first.status_code, again.status_code) == (204, 204)


# -- money ----------------------------------------------------------------------------------


def test_give_and_take_back_money(server: LiveServer, csp: Partner) -> None:
    master = funded_master(server, csp, "100.00")
    member_id = new_member(server, master)
    shown = transferable(server, master)
    assert shown["total_count"] == 1
    [info] = shown["amount_infos"]
    assert (info["avail_transfer_amount"], info["amount"], info["measure_id"]) == (
        D("100.00"),
        D("100.00"),
        1,
    )
    assert transferable(server, master, "BALANCE_TYPE_CREDIT") == {
        "total_count": 0,
        "amount_infos": [],
    }
    for query in ({"balance_type": "CASH"}, {"balance_type": ""}, {"limit": 101}, {"offset": -1}):
        query.setdefault("balance_type", "BALANCE_TYPE_DEBIT")
        error = refused(
            lambda query=query: server.bss(master).show_multi_account_transfer_amount(
                bss.ShowMultiAccountTransferAmountRequest(**query)
            )
        )
        assert (error.status_code, error.error_code) == (400, "CBC.0100")

    assert give(server, master, member_id, "30.55").status_code == 204
    assert master_free(server, master) == D("69.45")
    assert retrievable(server, master, member_id) == D("30.55")
    assert take(server, master, member_id, "10.05").status_code == 204
    assert retrievable(server, master, member_id) == D("20.50")
    assert master_free(server, master) == D("79.50")
    # never overdrawn, either way
    error = refused(lambda: give(server, master, member_id, "79.51"))
    assert (error.status_code, error.error_code) == (400, "CBC.99005003")
    error = refused(lambda: take(server, master, member_id, "20.51"))
    assert error.error_code == "CBC.99005003"
    assert (master_free(server, master), retrievable(server, master, member_id)) == (
        D("79.50"),
        D("20.50"),
    )
    assert_books_balance(server)


def test_trans_id_makes_a_move_idempotent(server: LiveServer, csp: Partner) -> None:
    master = funded_master(server, csp, "50.00")
    member_id = new_member(server, master)
    trans = unique("t")
    for _ in range(3):
        give(server, master, member_id, "12.00", trans_id=trans)
    assert retrievable(server, master, member_id) == D("12.00")
    error = refused(lambda: give(server, master, member_id, "13.00", trans_id=trans))
    assert (error.status_code, error.error_code) == (400, "CBC.99007009")
    # the same id names another transaction when it takes back
    take(server, master, member_id, "2.00", trans_id=trans)
    take(server, master, member_id, "2.00", trans_id=trans)
    assert retrievable(server, master, member_id) == D("10.00")
    assert master_free(server, master) == D("40.00")


@pytest.mark.parametrize(
    ("amount", "extra", "code"),
    [
        ("0", {}, "CBC.0100"),
        ("-1", {}, "CBC.0100"),
        ("1.005", {}, "CBC.0100"),
        ("ten", {}, "CBC.0100"),
        ("1", {"balance_type": "BALANCE_TYPE_CREDIT"}, "CBC.0100"),
        ("1", {"balance_type": "CASH"}, "CBC.0100"),
        ("1", {"trans_id": "bad id!"}, "CBC.0100"),
    ],
)
def test_invalid_money_move_moves_nothing(
    server: LiveServer, csp: Partner, amount: str, extra: dict[str, Any], code: str
) -> None:
    master = funded_master(server, csp, "5.00")
    member_id = new_member(server, master)
    for call in (give, take):
        error = refused(lambda call=call: call(server, master, member_id, amount, **extra))  # type: ignore[misc]
        assert (error.status_code, error.error_code) == (400, code)
    assert master_free(server, master) == D("5.00")
    assert retrievable(server, master, member_id) == D("0.00")


def test_money_tenancy(server: LiveServer, csp: Partner) -> None:
    master = funded_master(server, csp, "20.00")
    other = funded_master(server, server.partner(), "20.00")
    member_id = new_member(server, master)
    theirs = new_member(server, other)
    # a master reaches only its own members
    for call in (
        lambda: give(server, master, theirs, "1.00"),
        lambda: take(server, master, theirs, "1.00"),
        lambda: retrievable(server, master, theirs),
        lambda: give(server, other, member_id, "1.00"),
        lambda: give(server, master, master.account_id, "1.00"),
    ):
        error = refused(call)
        assert (error.status_code, error.error_code) == (400, "CBC.7001")
    error = refused(
        lambda: server.bss(master).list_enterprise_multi_account(
            bss.ListEnterpriseMultiAccountRequest(balance_type="BALANCE_TYPE_DEBIT")
        )
    )
    assert error.error_code == "CBC.0100"
    # a member is no master
    member = server._call(create_credentials, account_id=member_id)
    error = refused(lambda: give(server, member, theirs, "1.00"))
    assert error.error_code == "CBC.7001"
    assert (master_free(server, master), master_free(server, other)) == (D("20.00"), D("20.00"))


def test_concurrent_moves_never_overdraw(server: LiveServer, csp: Partner) -> None:
    master = funded_master(server, csp, "100.00")
    member_id = new_member(server, master)

    def attempt(_: int) -> str:
        try:
            give(server, master, member_id, "15.00")
        except ClientRequestException as exc:
            return str(exc.error_code)
        return "ok"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(10)))
    assert outcomes.count("ok") == 6
    assert set(outcomes) == {"ok", "CBC.99005003"}
    assert (master_free(server, master), retrievable(server, master, member_id)) == (
        D("10.00"),
        D("90.00"),
    )
    # concurrent retries of one transaction move once
    trans = unique("t")
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: take(server, master, member_id, "7.00", trans_id=trans), range(8)))
    assert (master_free(server, master), retrievable(server, master, member_id)) == (
        D("17.00"),
        D("83.00"),
    )
    assert_books_balance(server)


# -- coupons --------------------------------------------------------------------------------


def coupon_master(server: LiveServer, csp: Partner, face_value: str) -> tuple[Credentials, str]:
    master = make_master(server, csp)
    quota_id = grant(server, operator_creds(server), csp, "1000.00")
    coupon_id: str = (
        issue(server, csp, quota_id, [master.account_id], face_value).coupon_infos[0].coupon_id
    )
    return master, coupon_id


def transfer_coupons(server: LiveServer, master: Credentials, **query: Any) -> Any:
    return server.bss(master).list_multi_account_transfer_coupons(
        bss.ListMultiAccountTransferCouponsRequest(**query)
    )


def retrieve_coupons(server: LiveServer, master: Credentials, member_id: str, **query: Any) -> Any:
    return server.bss(master).list_multi_account_retrieve_coupons(
        bss.ListMultiAccountRetrieveCouponsRequest(sub_customer_id=member_id, **query)
    )


def claim(
    server: LiveServer,
    master: Credentials,
    member_id: str,
    coupon_id: str,
    amount: str,
    **extra: Any,
) -> str:
    response = server.bss(master).claim_enterprise_multi_account_coupon(
        bss.ClaimEnterpriseMultiAccountCouponRequest(
            body=bss.TransferEnterpriseMultiAccountCouponReq(
                customer_id=member_id, coupon_id=coupon_id, amount=amount, **extra
            )
        )
    )
    sub: str = response.sub_coupon_id
    return sub


def reclaim_coupon(
    server: LiveServer, master: Credentials, member_id: str, coupon_id: str, sub_coupon_id: str
) -> str:
    response = server.bss(master).reclaim_enterprise_multi_account_coupon(
        bss.ReclaimEnterpriseMultiAccountCouponRequest(
            body=bss.RetrieveEnterpriseMultiAccountCouponReq(
                customer_id=member_id, coupon_id=coupon_id, sub_coupon_id=sub_coupon_id
            )
        )
    )
    amount: str = response.real_retrieve_amout
    return amount


def balance_of(server: LiveServer, master: Credentials, coupon_id: str) -> str:
    listed = {c.coupon_id: c for c in transfer_coupons(server, master).avail_transfer_coupons}
    balance: str = listed[coupon_id].balance
    return balance


def test_share_and_take_back_a_coupon(server: LiveServer, csp: Partner) -> None:
    master, coupon_id = coupon_master(server, csp, "50.00")
    member_id = new_member(server, master)
    listed = transfer_coupons(server, master)
    assert listed.total_count == 1
    [coupon] = listed.avail_transfer_coupons
    assert (coupon.coupon_id, coupon.balance) == (coupon_id, "50.00")
    assert coupon.effective_time.endswith("Z") and coupon.expire_time.endswith("Z")

    sub = claim(server, master, member_id, coupon_id, "20.00")
    assert balance_of(server, master, coupon_id) == "30.00"
    shared = retrieve_coupons(server, master, member_id)
    assert shared.total_count == 1
    [held] = shared.avail_retrieve_coupons
    assert (held.coupon_id, held.sub_coupon_id, held.balance) == (coupon_id, sub, "20.00")
    # the member holds it as a coupon of its own
    member = server._call(create_credentials, account_id=member_id)
    own = server.bss(member).list_sub_customer_coupons(bss.ListSubCustomerCouponsRequest())
    assert [c.coupon_id for c in own.user_coupons] == [sub]
    # more than the coupon has left
    error = refused(lambda: claim(server, master, member_id, coupon_id, "30.01"))
    assert (error.status_code, error.error_code) == (400, "CBC.99005003")

    assert reclaim_coupon(server, master, member_id, coupon_id, sub) == "20.00"
    assert balance_of(server, master, coupon_id) == "50.00"
    assert retrieve_coupons(server, master, member_id).total_count == 0
    # taking it back again answers the same and moves nothing
    assert reclaim_coupon(server, master, member_id, coupon_id, sub) == "20.00"
    assert balance_of(server, master, coupon_id) == "50.00"
    assert_books_balance(server)


def test_coupon_share_is_idempotent_and_tenant_bound(server: LiveServer, csp: Partner) -> None:
    master, coupon_id = coupon_master(server, csp, "40.00")
    member_id = new_member(server, master)
    trans = unique("t")
    first = claim(server, master, member_id, coupon_id, "10.00", trans_id=trans)
    assert claim(server, master, member_id, coupon_id, "10.00", trans_id=trans) == first
    assert balance_of(server, master, coupon_id) == "30.00"
    error = refused(lambda: claim(server, master, member_id, coupon_id, "11.00", trans_id=trans))
    assert (error.status_code, error.error_code) == (400, "CBC.99007009")

    other, their_coupon = coupon_master(server, server.partner(), "40.00")
    theirs = new_member(server, other)
    for call, code in (
        (lambda: claim(server, master, member_id, their_coupon, "1.00"), "CBC.0100"),
        (lambda: claim(server, master, theirs, coupon_id, "1.00"), "CBC.7001"),
        (lambda: reclaim_coupon(server, other, theirs, their_coupon, first), "CBC.0100"),
        (lambda: reclaim_coupon(server, master, member_id, coupon_id, "nope"), "CBC.0100"),
        (lambda: retrieve_coupons(server, other, member_id), "CBC.7001"),
    ):
        error = refused(call)
        assert (error.status_code, error.error_code) == (400, code)
    assert transfer_coupons(server, other).total_count == 1
    assert [c.coupon_id for c in transfer_coupons(server, other).avail_transfer_coupons] == [
        their_coupon
    ]
    assert retrieve_coupons(server, master, member_id).total_count == 1


def test_coupon_lists_page(server: LiveServer, csp: Partner) -> None:
    master, coupon_id = coupon_master(server, csp, "30.00")
    member_id = new_member(server, master)
    subs = {claim(server, master, member_id, coupon_id, "1.00") for _ in range(5)}
    seen: list[str] = []
    for offset in (0, 2, 4):
        page = retrieve_coupons(server, master, member_id, offset=offset, limit=2)
        assert page.total_count == 5
        seen += [c.sub_coupon_id for c in page.avail_retrieve_coupons]
    assert set(seen) == subs and len(seen) == 5
    error = refused(lambda: transfer_coupons(server, master, limit=101))
    assert error.error_code == "CBC.0100"


def test_concurrent_coupon_shares_never_overdraw(server: LiveServer, csp: Partner) -> None:
    master, coupon_id = coupon_master(server, csp, "50.00")
    member_id = new_member(server, master)

    def attempt(_: int) -> str:
        try:
            claim(server, master, member_id, coupon_id, "12.00")
        except ClientRequestException as exc:
            return str(exc.error_code)
        return "ok"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert outcomes.count("ok") == 4
    assert set(outcomes) == {"ok", "CBC.99005003"}
    assert balance_of(server, master, coupon_id) == "2.00"
    assert retrieve_coupons(server, master, member_id).total_count == 4
    assert_books_balance(server)


def test_a_master_with_independent_members_cannot_leave_its_partner(
    server: LiveServer, csp: Partner
) -> None:
    unified = make_master(server, csp)
    new_member(server, unified, financial_custody=1)
    independent = make_master(server, csp)
    new_member(server, independent)

    def file(customer: Credentials) -> httpx.Response:
        return signed(
            server,
            csp.creds,
            "POST",
            f"{PREFIX}/customers/{customer.account_id}/disassociations",
            {"reason": "contract ended", "statement_accepted": True},
        )

    held = file(independent)
    assert held.status_code == 400, held.text
    assert held.json()["error_code"] == "CBC.99007004"
    assert "independent-accounting" in held.json()["error_msg"]
    assert file(unified).status_code == 200
