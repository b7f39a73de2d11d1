"""Coupons through the official ``bss`` SDK client: quotas granted by the operator, issuing
within them, reclaiming, the coupon lists and records, idempotent replays, concurrency, tenancy
(api-semantics.md §3.6; rules.md §7.1–7.4).

The helpers at the top are shared by the other coupon and quota SDK test modules.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import simplejson
from huaweicloudsdkbss.v2 import model as m
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.coupons.public import (
    OrderContext,
    OrderLine,
    SubscribeType,
)
from partner_center.domains.ledger.public import reconcile
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import format_utc, parse_utc
from partner_center.kernel.db import refresh_sandbox_clock
from partner_center.provisioning import Credentials, create_credentials, ensure_operator
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, unique
from tests.signed import signed_request

D = Decimal
QUOTAS = "/v1/partner-center/coupon-quotas"
SERVICE = "hws.service.type.ebs"
OTHER_SERVICE = "hws.service.type.vpc"

# ---------------------------------------------------------------------------------------------
# Helpers (imported by the other coupon test modules)
# ---------------------------------------------------------------------------------------------


def operator_creds(server: LiveServer) -> Credentials:
    operator_id: str = server._call(ensure_operator)
    creds: Credentials = server._call(create_credentials, account_id=operator_id)
    return creds


def business_now(server: LiveServer) -> datetime:
    return parse_utc(httpx.get(f"{server.url}/health").json()["now"])


def operator_call(
    server: LiveServer, op: Credentials, method: str, path: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    raw = simplejson.dumps(body, use_decimal=True).encode() if body is not None else b""
    return signed_request(server.url, op, method, path, body=raw)


def grant(
    server: LiveServer,
    op: Credentials,
    partner: Partner,
    value: str = "1000.00",
    *,
    days: int = 30,
    quota_type: int = 0,
    effective: datetime | None = None,
    limits: dict[str, list[str]] | None = None,
) -> str:
    """Grant a quota (operator extension) and return its id."""
    start = effective or business_now(server) - timedelta(minutes=1)
    body: dict[str, Any] = {
        "partner_id": partner.id,
        "quota_type": quota_type,
        "quota_value": D(value),
        "effective_time": format_utc(start),
        "expire_time": format_utc(start + timedelta(days=days)),
        "limit_infos": [
            {"limit_key": k, "limit_values": [{"value1": v} for v in values]}
            for k, values in (limits or {}).items()
        ],
    }
    response = signed_request(
        server.url, op, "POST", QUOTAS, body=simplejson.dumps(body, use_decimal=True).encode()
    )
    assert response.status_code == 201, response.text
    quota_id: str = response.json()["quota_id"]
    return quota_id


def set_quota_status(server: LiveServer, op: Credentials, quota_id: str, status: int) -> None:
    response = operator_call(
        server, op, "PUT", f"{QUOTAS}/{quota_id}/status", {"quota_status": status}
    )
    assert response.status_code == 200, response.text


def issue(
    server: LiveServer,
    partner: Partner,
    quota_id: str,
    customers: list[str],
    face_value: str,
    **fields: Any,
) -> Any:
    return server.bss(partner.creds).create_partner_coupons(
        m.CreatePartnerCouponsRequest(
            body=m.CreatePartnerCouponsReq(
                quota_id=quota_id, customer_ids=customers, face_value=D(face_value), **fields
            )
        )
    )


def refused(call: Any) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def quota_of(server: LiveServer, partner: Partner, quota_id: str, **filters: Any) -> Any:
    listed = server.bss(partner.creds).list_quota_coupons(
        m.ListQuotaCouponsRequest(body=m.QueryCouponQuotasReqExt(quota_ids=[quota_id], **filters))
    )
    assert listed.total_count == 1
    return listed.quotas[0]


def issued(server: LiveServer, partner: Partner, **filters: Any) -> Any:
    return server.bss(partner.creds).list_issued_partner_coupons(
        m.ListIssuedPartnerCouponsRequest(**filters)
    )


def coupon_of(server: LiveServer, partner: Partner, coupon_id: str, **filters: Any) -> Any:
    listed = issued(server, partner, coupon_id=coupon_id, **filters)
    assert listed.total_count == 1
    return listed.user_coupons[0]


def records(server: LiveServer, partner: Partner, **filters: Any) -> Any:
    return server.bss(partner.creds).list_partner_coupons_record(
        m.ListPartnerCouponsRecordRequest(**filters)
    )


def referral_customer(server: LiveServer, partner: Partner) -> str:
    """A referral-model customer (the intl SDK model has no ``cooperation_type``, the bss one
    no ``domain_area``, so this one request is signed by hand)."""
    body = {
        "xaccount_id": unique("x"),
        "xaccount_type": partner.xaccount_type,
        "domain_area": "MX",
        "cooperation_type": "1",
    }
    response = signed_request(
        server.url,
        partner.creds,
        "POST",
        "/v2/partners/sub-customers",
        body=json.dumps(body).encode(),
    )
    assert response.status_code == 200, response.text
    domain_id: str = response.json()["domain_id"]
    return domain_id


def ledger_is_clean(server: LiveServer) -> bool:
    async def go(state: AppState) -> bool:
        async with state.db.unit_of_work() as uow:
            report = await reconcile(uow.session)
        return report.ok

    result: bool = server._call(go)
    return result


def pay_with_coupon(
    server: LiveServer,
    customer_id: str,
    coupon_id: str,
    list_amount: str,
    *,
    pay: bool = True,
    order_id: str | None = None,
) -> Decimal:
    """What the orders domain does: hold the coupon for an order and (optionally) pay it."""
    order = order_id or unique("order")

    async def go(state: AppState) -> Decimal:
        async with state.db.unit_of_work() as uow:
            if state.sandbox_clock is not None:
                await refresh_sandbox_clock(state.sandbox_clock, uow.session)
            service = state.services(uow.session).coupons
            context = OrderContext(
                customer_id=customer_id,
                order_id=order,
                subscribe_type=SubscribeType.NEW,
                lines=(OrderLine(SERVICE, D(list_amount)),),
            )
            held = await service.redemptions.redeem(
                order=context, coupon_id=coupon_id, redemption_id=f"r-{order}"
            )
            if pay:
                await service.redemptions.capture(order_id=order)
            return held.amount

    amount: Decimal = server._call(go)
    return amount


@pytest.fixture(scope="module")
def op(server: LiveServer) -> Credentials:
    return operator_creds(server)


# ---------------------------------------------------------------------------------------------
# Quotas
# ---------------------------------------------------------------------------------------------


def test_operator_grants_a_quota_the_partner_lists(
    server: LiveServer, op: Credentials, csp: Partner
) -> None:
    quota_id = grant(server, op, csp, "1000.00", limits={"cloudServiceType": [SERVICE]})
    flexi = grant(server, op, csp, "50.00", quota_type=1)

    quota = quota_of(server, csp, quota_id)
    assert quota.quota_type == 0
    assert quota.quota_value == D("1000.00")
    assert quota.balance == D("1000.00")
    assert quota.quota_status == 0
    assert quota.measure_id == 1
    assert quota.currency == "USD"
    assert [(i.limit_key, [v.value1 for v in i.limit_values]) for i in quota.limit_infos] == [
        ("cloudServiceType", [SERVICE])
    ]
    # quota_type defaults to 0 (cash-coupon quotas): the flexi quota shows only when asked for.
    listed = server.bss(csp.creds).list_quota_coupons(
        m.ListQuotaCouponsRequest(body=m.QueryCouponQuotasReqExt())
    )
    assert [q.quota_id for q in listed.quotas] == [quota_id]
    listed = server.bss(csp.creds).list_quota_coupons(
        m.ListQuotaCouponsRequest(body=m.QueryCouponQuotasReqExt(quota_type=1))
    )
    assert [q.quota_id for q in listed.quotas] == [flexi]
    frozen = server.bss(csp.creds).list_quota_coupons(
        m.ListQuotaCouponsRequest(body=m.QueryCouponQuotasReqExt(quota_status_list=[5]))
    )
    assert frozen.total_count == 0


def test_operator_endpoints_refuse_partners(
    server: LiveServer, op: Credentials, csp: Partner, reseller: Partner
) -> None:
    response = signed_request(
        server.url, csp.creds, "POST", QUOTAS, body=json.dumps({"partner_id": csp.id}).encode()
    )
    assert response.status_code == 403
    assert response.json()["error_code"] == "CBC.0151"
    # Resellers get their quotas from their distributor, never from the operator.
    body = {"partner_id": reseller.id, "quota_value": 10, "expire_time": "2099-01-01T00:00:00Z"}
    response = operator_call(server, op, "POST", QUOTAS, body)
    assert response.status_code == 400
    assert response.json()["error_code"] == "CBC.0100"


# ---------------------------------------------------------------------------------------------
# Issuing
# ---------------------------------------------------------------------------------------------


def test_issuing_consumes_the_quota_to_the_cent(
    server: LiveServer, op: Credentials, csp: Partner
) -> None:
    quota_id = grant(server, op, csp, "1000.00", limits={"cloudServiceType": [SERVICE, "x"]})
    customers = [server.customer(csp).account_id for _ in range(3)]

    response = issue(server, csp, quota_id, customers, "33.33", memo="welcome")
    assert response.status_code == 200
    assert response.error_details == []
    assert [c.id for c in response.coupon_infos] == customers
    assert quota_of(server, csp, quota_id).balance == D("900.01")

    coupon = coupon_of(server, csp, response.coupon_infos[0].coupon_id)
    quota = quota_of(server, csp, quota_id)
    assert coupon.customer_id == customers[0]
    assert coupon.status == 2
    assert coupon.coupon_type == 1
    assert coupon.face_value == D("33.33")
    assert coupon.balance == D("33.33")
    assert coupon.effective_time == quota.effective_time
    assert coupon.expire_time == quota.expire_time
    assert coupon.fetch_method == 3
    assert coupon.is_frozen == "0"
    assert sorted(u.value1 for u in coupon.use_limits if u.limit_key == "cloudServiceType") == [
        SERVICE,
        "x",
    ]

    listed = records(server, csp, quota_id=quota_id)
    assert listed.total_count == 3
    assert {(r.operation_type, r.operation_amount, r.result) for r in listed.records} == {
        ("1", D("33.33"), "0")
    }
    assert {r.coupon_id for r in listed.records} == {c.coupon_id for c in response.coupon_infos}
    assert ledger_is_clean(server)


def test_per_customer_failures_come_back_inside_a_200(
    server: LiveServer, op: Credentials, csp: Partner
) -> None:
    quota_id = grant(server, op, csp, "100.00")
    good = server.customer(csp).account_id
    referral = referral_customer(server, csp)
    other_csp = server.partner(PartnerType.CSP)
    foreign = server.customer(other_csp).account_id
    unknown = uuid.uuid4().hex

    response = issue(server, csp, quota_id, [good, referral, foreign, unknown], "10.00")
    assert response.status_code == 200
    assert [(c.id) for c in response.coupon_infos] == [good]
    assert {(e.id, e.error_code) for e in response.error_details} == {
        (referral, "CBC.99000014"),
        (foreign, "CBC.99000035"),
        (unknown, "CBC.99000035"),
    }
    assert quota_of(server, csp, quota_id).balance == D("90.00")
    failed = records(server, csp, quota_id=quota_id, result="-1")
    assert failed.total_count == 3
    assert {r.coupon_id for r in failed.records} == {None}


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"face_value": D("10.005")}, "CBC.0100"),
        ({"face_value": D("0")}, "CBC.0100"),
        ({"face_value": D("-1")}, "CBC.0100"),
        ({"cloud_service_types": [OTHER_SERVICE]}, "CBC.99000023"),
        ({"cloud_service_types": [SERVICE] * 2}, "CBC.0100"),
        ({"expire_time": "2000-01-01T00:00:00Z"}, "CBC.0100"),
        ({"valid_time": "not-a-time"}, "CBC.0100"),
    ],
)
def test_issue_parameter_refusals(
    server: LiveServer, op: Credentials, csp: Partner, fields: dict[str, Any], code: str
) -> None:
    quota_id = grant(server, op, csp, "100.00", limits={"cloudServiceType": [SERVICE]})
    customer = server.customer(csp).account_id
    body: dict[str, Any] = {"face_value": D("10.00")} | fields
    face = body.pop("face_value")
    error = refused(lambda: issue(server, csp, quota_id, [customer], str(face), **body))
    assert error.status_code == 400
    assert error.error_code == code
    assert quota_of(server, csp, quota_id).balance == D("100.00")
    assert issued(server, csp, customer_id=customer).total_count == 0


def test_over_quota_issues_nothing(server: LiveServer, op: Credentials, csp: Partner) -> None:
    quota_id = grant(server, op, csp, "25.00")
    customers = [server.customer(csp).account_id for _ in range(3)]
    error = refused(lambda: issue(server, csp, quota_id, customers, "10.00"))
    assert (error.status_code, error.error_code) == (400, "CBC.99000013")
    assert quota_of(server, csp, quota_id).balance == D("25.00")
    assert records(server, csp, quota_id=quota_id).total_count == 0
    # What fits is issued.
    response = issue(server, csp, quota_id, customers[:2], "12.50")
    assert len(response.coupon_infos) == 2
    assert quota_of(server, csp, quota_id).balance == D("0.00")


def test_quota_rules_face_value_bounds_count_and_scope(
    server: LiveServer, op: Credentials, csp: Partner
) -> None:
    quota_id = grant(
        server,
        op,
        csp,
        "500.00",
        limits={
            "minFaceValue": ["5.00"],
            "maxFaceValue": ["50.00"],
            "maxCouponCount": ["2"],
            "subscribeType": ["1"],
        },
    )
    customers = [server.customer(csp).account_id for _ in range(3)]
    low = refused(lambda: issue(server, csp, quota_id, customers[:1], "4.99"))
    assert low.error_code == "CBC.99000018"
    high = refused(lambda: issue(server, csp, quota_id, customers[:1], "50.01"))
    assert high.error_code == "CBC.99000019"

    response = issue(server, csp, quota_id, customers, "5.00")
    assert [c.id for c in response.coupon_infos] == customers[:2]
    assert [(e.id, e.error_code) for e in response.error_details] == [
        (customers[2], "CBC.99000020")
    ]
    assert quota_of(server, csp, quota_id).balance == D("490.00")

    # subscribe_types is our extension field (the SDK has none): wider than the quota's → 24.
    wider = signed_request(
        server.url,
        csp.creds,
        "POST",
        "/v2/promotions/benefits/partner-coupons",
        body=json.dumps(
            {
                "quota_id": quota_id,
                "customer_ids": customers[2:],
                "face_value": 5,
                "subscribe_types": ["1", "2"],
            }
        ).encode(),
    )
    assert wider.status_code == 400
    assert wider.json()["error_code"] == "CBC.99000024"


def test_quota_status_and_window_refusals(
    server: LiveServer, op: Credentials, csp: Partner
) -> None:
    customer = server.customer(csp).account_id
    frozen = grant(server, op, csp, "100.00")
    set_quota_status(server, op, frozen, 5)
    assert quota_of(server, csp, frozen, quota_status_list=[5]).quota_status == 5
    assert refused(lambda: issue(server, csp, frozen, [customer], "1.00")).error_code == (
        "CBC.99000015"
    )
    set_quota_status(server, op, frozen, 0)
    assert len(issue(server, csp, frozen, [customer], "1.00").coupon_infos) == 1

    later = grant(server, op, csp, "100.00", effective=business_now(server) + timedelta(days=2))
    assert refused(lambda: issue(server, csp, later, [customer], "1.00")).error_code == (
        "CBC.99000017"
    )
    # A coupon's validity must lie inside its quota's.
    quota_id = grant(server, op, csp, "100.00", days=10)
    too_long = format_utc(business_now(server) + timedelta(days=20))
    error = refused(lambda: issue(server, csp, quota_id, [customer], "1.00", expire_time=too_long))
    assert error.error_code == "CBC.0100"


def test_issue_to_itself_and_from_foreign_quotas_are_refused(
    server: LiveServer, op: Credentials, csp: Partner
) -> None:
    quota_id = grant(server, op, csp, "100.00")
    error = refused(lambda: issue(server, csp, quota_id, [csp.id], "1.00"))
    assert (error.status_code, error.error_code) == (400, "CBC.99000025")

    other = server.partner(PartnerType.CSP)
    their_customer = server.customer(other).account_id
    error = refused(lambda: issue(server, other, quota_id, [their_customer], "1.00"))
    assert error.error_code == "CBC.99000012"
    error = refused(lambda: issue(server, csp, uuid.uuid4().hex, [their_customer], "1.00"))
    assert error.error_code == "CBC.99000012"
    assert quota_of(server, csp, quota_id).balance == D("100.00")


# ---------------------------------------------------------------------------------------------
# Reclaiming
# ---------------------------------------------------------------------------------------------


def reclaim(server: LiveServer, partner: Partner, coupon_id: str, **fields: Any) -> Any:
    return server.bss(partner.creds).reclaim_partner_coupons(
        m.ReclaimPartnerCouponsRequest(
            body=m.ReclaimPartnerCouponsReq(coupon_id=coupon_id, **fields)
        )
    )


def test_reclaiming_returns_the_whole_remaining_balance(
    server: LiveServer, op: Credentials, csp: Partner
) -> None:
    quota_id = grant(server, op, csp, "100.00")
    customer = server.customer(csp)
    coupon_id = issue(server, csp, quota_id, [customer.account_id], "40.00").coupon_infos[0]
    coupon_id = coupon_id.coupon_id
    assert pay_with_coupon(server, customer.account_id, coupon_id, "15.25") == D("15.25")
    assert coupon_of(server, csp, coupon_id).balance == D("24.75")

    response = reclaim(server, csp, coupon_id)
    assert response.status_code == 204
    coupon = coupon_of(server, csp, coupon_id)
    assert (coupon.status, coupon.balance) == (5, D("0.00"))
    assert quota_of(server, csp, quota_id).balance == D("84.75")
    reclaimed = records(server, csp, coupon_ids=[coupon_id], operation_types=["2"])
    assert [(r.operation_type, r.operation_amount) for r in reclaimed.records] == [
        ("2", D("24.75"))
    ]
    again = refused(lambda: reclaim(server, csp, coupon_id))
    assert (again.status_code, again.error_code) == (400, "CBC.0100")
    assert ledger_is_clean(server)


def test_a_used_or_held_coupon_cannot_be_reclaimed(
    server: LiveServer, op: Credentials, csp: Partner
) -> None:
    quota_id = grant(server, op, csp, "100.00")
    customers = [server.customer(csp).account_id for _ in range(2)]
    infos = issue(server, csp, quota_id, customers, "20.00").coupon_infos
    used, held = infos[0].coupon_id, infos[1].coupon_id

    assert pay_with_coupon(server, customers[0], used, "99.00") == D("20.00")
    assert coupon_of(server, csp, used).status == 3
    error = refused(lambda: reclaim(server, csp, used))
    assert (error.status_code, error.error_code) == (400, "CBC.99003112")

    order = unique("order")
    pay_with_coupon(server, customers[1], held, "5.00", pay=False, order_id=order)
    coupon = coupon_of(server, csp, held)
    assert (coupon.status, coupon.lock_order_id, coupon.balance) == (2, order, D("20.00"))
    assert refused(lambda: reclaim(server, csp, held)).error_code == "CBC.99003112"
    by_order = issued(server, csp, order_id=order)
    assert [c.coupon_id for c in by_order.user_coupons] == [held]
    assert by_order.user_coupons[0].order_id == order
    assert quota_of(server, csp, quota_id).balance == D("60.00")


# ---------------------------------------------------------------------------------------------
# Idempotency and concurrency
# ---------------------------------------------------------------------------------------------


def issue_with_key(
    server: LiveServer, partner: Partner, key: str, quota_id: str, customers: list[str], face: str
) -> Any:
    client = server.bss(partner.creds)
    request = m.CreatePartnerCouponsRequest(
        body=m.CreatePartnerCouponsReq(
            quota_id=quota_id, customer_ids=customers, face_value=D(face)
        )
    )
    return (
        client.create_partner_coupons_invoker(request).add_header("X-Idempotency-Key", key).invoke()
    )


def test_replaying_an_issue_with_the_same_key_issues_nothing(
    server: LiveServer, op: Credentials, csp: Partner
) -> None:
    quota_id = grant(server, op, csp, "100.00")
    customers = [server.customer(csp).account_id for _ in range(2)]
    key = unique("issue")

    first = issue_with_key(server, csp, key, quota_id, customers, "10.00")
    second = issue_with_key(server, csp, key, quota_id, customers, "10.00")
    assert [c.coupon_id for c in second.coupon_infos] == [c.coupon_id for c in first.coupon_infos]
    assert len(first.coupon_infos) == 2
    assert quota_of(server, csp, quota_id).balance == D("80.00")
    assert issued(server, csp, customer_id=customers[0]).total_count == 1
    assert records(server, csp, quota_id=quota_id).total_count == 2

    error = refused(lambda: issue_with_key(server, csp, key, quota_id, customers, "11.00"))
    assert (error.status_code, error.error_code) == (400, "CBC.99007009")
    # Without the header every request issues.
    issue(server, csp, quota_id, customers[:1], "10.00")
    assert quota_of(server, csp, quota_id).balance == D("70.00")


def test_concurrent_issues_never_exceed_the_quota(
    server: LiveServer, op: Credentials, csp: Partner
) -> None:
    quota_id = grant(server, op, csp, "50.00")
    customers = [server.customer(csp).account_id for _ in range(8)]
    outcomes: list[str] = []
    lock = threading.Lock()

    def one(customer: str) -> None:
        try:
            issue(server, csp, quota_id, [customer], "10.00")
            result = "ok"
        except ClientRequestException as exc:
            result = exc.error_code
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=one, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 5
    assert sorted(set(outcomes) - {"ok"}) == ["CBC.99000013"]
    assert quota_of(server, csp, quota_id).balance == D("0.00")
    assert issued(server, csp, coupon_type=1).total_count >= 5
    assert ledger_is_clean(server)


# ---------------------------------------------------------------------------------------------
# Lists and records
# ---------------------------------------------------------------------------------------------


def test_records_filter_by_repeated_query_keys(
    server: LiveServer, op: Credentials, csp: Partner
) -> None:
    quota_id = grant(server, op, csp, "100.00")
    customers = [server.customer(csp).account_id for _ in range(3)]
    ids = [c.coupon_id for c in issue(server, csp, quota_id, customers, "5.00").coupon_infos]
    reclaim(server, csp, ids[0])

    # Two values of a ``multi`` parameter go on the wire as k=v1&k=v2 and are both signed.
    two = records(server, csp, coupon_ids=[ids[0], ids[1]])
    assert two.total_count == 3
    assert {r.coupon_id for r in two.records} == {ids[0], ids[1]}
    both_kinds = records(server, csp, coupon_ids=ids, operation_types=["1", "2"])
    assert both_kinds.total_count == 4
    only_reclaims = records(server, csp, coupon_ids=ids, operation_types=["2"])
    assert [(r.coupon_id, r.operation_type) for r in only_reclaims.records] == [(ids[0], "2")]
    by_customer = records(server, csp, customer_id=customers[1])
    assert [r.coupon_id for r in by_customer.records] == [ids[1]]
    bad = refused(lambda: records(server, csp, operation_types=["12"]))
    assert bad.error_code == "CBC.0100"


def test_issued_coupons_filter_and_page(server: LiveServer, op: Credentials, csp: Partner) -> None:
    quota_id = grant(server, op, csp, "100.00")
    customers = [server.customer(csp).account_id for _ in range(3)]
    ids = [c.coupon_id for c in issue(server, csp, quota_id, customers, "2.00").coupon_infos]
    reclaim(server, csp, ids[2])

    available = issued(server, csp, status=2, customer_id=customers[0])
    assert [c.coupon_id for c in available.user_coupons] == [ids[0]]
    reclaimed = issued(server, csp, status=5, customer_id=customers[2])
    assert [c.coupon_id for c in reclaimed.user_coupons] == [ids[2]]
    assert issued(server, csp, status=4, customer_id=customers[2]).total_count == 0
    first_page = issued(server, csp, limit=1, offset=0)
    second_page = issued(server, csp, limit=1, offset=1)
    assert first_page.user_coupons[0].coupon_id != second_page.user_coupons[0].coupon_id
    assert refused(lambda: issued(server, csp, status=9)).error_code == "CBC.0100"
    assert refused(lambda: issued(server, csp, limit=101)).error_code == "CBC.0100"


def test_sub_customer_coupons_for_the_partner_and_the_customer(
    server: LiveServer, op: Credentials, csp: Partner
) -> None:
    quota_id = grant(server, op, csp, "100.00")
    alice, bob = server.customer(csp), server.customer(csp)
    issue(server, csp, quota_id, [alice.account_id, bob.account_id], "7.77")

    partner_view = server.bss(csp.creds).list_sub_customer_coupons(
        m.ListSubCustomerCouponsRequest(source_id=csp.id, limit=100)
    )
    holders = {c.customer_id for c in partner_view.user_coupons}
    assert {alice.account_id, bob.account_id} <= holders
    assert {c.source_id for c in partner_view.user_coupons} == {csp.id}

    own = server.bss(alice).list_sub_customer_coupons(m.ListSubCustomerCouponsRequest())
    assert own.count == 1
    coupon = own.user_coupons[0]
    # This model declares the amounts as floats; the wire carries exact decimals.
    assert (coupon.customer_id, D(str(coupon.balance)), coupon.coupon_version) == (
        alice.account_id,
        D("7.77"),
        2,
    )
    assert coupon.currency == "USD"
    # The international client has the same operation.
    assert server.intl(bob).list_sub_customer_coupons(m.ListSubCustomerCouponsRequest()).count == 1
    # A partner coupon's promotion plan is the quota it was issued from.
    assert coupon.promotion_plan_id == quota_id
    nothing = server.bss(alice).list_sub_customer_coupons(
        m.ListSubCustomerCouponsRequest(promotion_plan_id="plan-1")
    )
    assert nothing.count == 0
    other_quota = grant(server, op, csp, "100.00")
    issue(server, csp, other_quota, [alice.account_id], "1.00")
    by_plan = server.bss(alice).list_sub_customer_coupons(
        m.ListSubCustomerCouponsRequest(promotion_plan_id=other_quota)
    )
    assert [(c.promotion_plan_id, D(str(c.face_value))) for c in by_plan.user_coupons] == [
        (other_quota, D("1.00"))
    ]
    partner_by_plan = server.bss(csp.creds).list_sub_customer_coupons(
        m.ListSubCustomerCouponsRequest(promotion_plan_id=quota_id, limit=100)
    )
    assert {c.customer_id for c in partner_by_plan.user_coupons} == {
        alice.account_id,
        bob.account_id,
    }
    # Another partner filtering by this partner's quota sees nothing.
    stranger = server.partner()
    assert (
        server.bss(stranger.creds)
        .list_sub_customer_coupons(m.ListSubCustomerCouponsRequest(promotion_plan_id=quota_id))
        .count
        == 0
    )


def test_customer_coupon_change_records(server: LiveServer, op: Credentials, csp: Partner) -> None:
    quota_id = grant(server, op, csp, "100.00")
    customer = server.customer(csp)
    coupon_id = issue(server, csp, quota_id, [customer.account_id], "30.00").coupon_infos[0]
    coupon_id = coupon_id.coupon_id
    pay_with_coupon(server, customer.account_id, coupon_id, "12.34")
    reclaim(server, csp, coupon_id)
    client = server.bss(customer)

    listed = client.list_customer_coupon_change_records(
        m.ListCustomerCouponChangeRecordsRequest(balance_type="BALANCE_TYPE_COUPON")
    )
    assert listed.total_count == 3
    assert listed.currency == "USD"
    assert [
        (r.trade_detail_type, r.revenue_expense_type, r.change_amount, r.balance_after_change)
        for r in listed.records
    ] == [
        ("SOURCE_OPERATION_COUPONCANCEL", "EXPENSE", "17.66", "0.00"),
        ("SOURCE_OPERAIION_DEDEUCT", "EXPENSE", "12.34", "17.66"),
        ("SOURCE_OPERAIION_PRIZE", "REVENUE", "30.00", "30.00"),
    ]
    assert {r.account_name for r in listed.records} == {customer.domain_name}
    assert len(listed.records[0].bill_cycle) == 7
    expenses = client.list_customer_coupon_change_records(
        m.ListCustomerCouponChangeRecordsRequest(
            balance_type="BALANCE_TYPE_COUPON", trade_type="DEDEUCT"
        )
    )
    assert [r.change_amount for r in expenses.records] == ["12.34"]

    tomorrow = (business_now(server) + timedelta(days=2)).strftime("%Y-%m-%d")
    later = client.list_customer_coupon_change_records(
        m.ListCustomerCouponChangeRecordsRequest(
            balance_type="BALANCE_TYPE_COUPON", trade_time_begin=tomorrow, trade_time_end=tomorrow
        )
    )
    assert later.total_count == 0
    for bad in (
        {"balance_type": "BALANCE_TYPE_CASH"},
        {"balance_type": "BALANCE_TYPE_COUPON", "trade_time_begin": "2026/01/01"},
        {"balance_type": "BALANCE_TYPE_COUPON", "revenue_expense_type": "BOTH"},
        {"balance_type": "BALANCE_TYPE_COUPON", "limit": 0},
    ):
        error = refused(
            lambda bad=bad: client.list_customer_coupon_change_records(
                m.ListCustomerCouponChangeRecordsRequest(**bad)
            )
        )
        assert error.error_code == "CBC.0100"
    # It is the customer's own view: partner credentials are refused.
    error = refused(
        lambda: server.bss(csp.creds).list_customer_coupon_change_records(
            m.ListCustomerCouponChangeRecordsRequest(balance_type="BALANCE_TYPE_COUPON")
        )
    )
    assert (error.status_code, error.error_code) == (403, "CBC.0151")


# ---------------------------------------------------------------------------------------------
# Tenancy
# ---------------------------------------------------------------------------------------------


def test_tenancy_of_quotas_and_coupons(
    server: LiveServer, op: Credentials, csp: Partner, reseller: Partner
) -> None:
    quota_id = grant(server, op, csp, "100.00")
    customer = server.customer(csp)
    coupon_id = issue(server, csp, quota_id, [customer.account_id], "3.00").coupon_infos[0]
    coupon_id = coupon_id.coupon_id
    other = server.partner(PartnerType.CSP)

    # Another partner sees none of it and cannot touch it.
    assert (
        server.bss(other.creds)
        .list_quota_coupons(
            m.ListQuotaCouponsRequest(body=m.QueryCouponQuotasReqExt(quota_ids=[quota_id]))
        )
        .total_count
        == 0
    )
    assert issued(server, other, coupon_id=coupon_id).total_count == 0
    assert records(server, other, quota_id=quota_id).total_count == 0
    assert (
        server.bss(other.creds)
        .list_sub_customer_coupons(m.ListSubCustomerCouponsRequest(coupon_id=coupon_id))
        .count
        == 0
    )
    assert refused(lambda: reclaim(server, other, coupon_id)).error_code == "CBC.0100"
    # A CSP cannot act for a reseller.
    assert (
        refused(lambda: issued(server, csp, indirect_partner_id=reseller.id)).error_code
        == "CBC.99000037"
    )
    # A reseller has no API access of its own; a customer cannot use partner operations.
    for creds in (reseller.creds, customer):
        error = refused(
            lambda creds=creds: server.bss(creds).list_quota_coupons(
                m.ListQuotaCouponsRequest(body=m.QueryCouponQuotasReqExt())
            )
        )
        assert (error.status_code, error.error_code) == (403, "CBC.0151")
        error = refused(
            lambda creds=creds: server.bss(creds).create_partner_coupons(
                m.CreatePartnerCouponsRequest(
                    body=m.CreatePartnerCouponsReq(
                        quota_id=quota_id, customer_ids=[customer.account_id], face_value=D(1)
                    )
                )
            )
        )
        assert (error.status_code, error.error_code) == (403, "CBC.0151")
    # Another customer does not see this customer's coupons.
    stranger = server.customer(other)
    assert (
        server.bss(stranger)
        .list_sub_customer_coupons(m.ListSubCustomerCouponsRequest(coupon_id=coupon_id))
        .count
        == 0
    )
    assert quota_of(server, csp, quota_id).balance == D("97.00")
    assert ledger_is_clean(server)
