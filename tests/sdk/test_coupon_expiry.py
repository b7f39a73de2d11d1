"""Coupon and quota statuses over business time, driven through the sandbox clock: not activated
→ available → used / expired; the expiry job returns the remaining balance to the quota
(operation type 4) and frees an unpaid order's hold; expired quotas issue nothing; ended coupons
leave the lists after a year (rules.md §7.11). This module has its own server, so moving its
clock affects no other test."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from huaweicloudsdkbss.v2 import model as m

from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import DomainError
from partner_center.provisioning import Credentials
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_coupons import (
    business_now,
    coupon_of,
    grant,
    issue,
    issued,
    ledger_is_clean,
    operator_call,
    operator_creds,
    pay_with_coupon,
    quota_of,
    records,
    refused,
)

D = Decimal


@pytest.fixture(scope="module")
def op(server: LiveServer) -> Credentials:
    return operator_creds(server)


def move_clock(server: LiveServer, op: Credentials, to: datetime) -> list[dict[str, Any]]:
    response = operator_call(
        server, op, "POST", "/v1/sandbox/clock", {"to": format_utc(to), "freeze": True}
    )
    assert response.status_code == 200, response.text
    jobs: list[dict[str, Any]] = response.json()["jobs_run"]
    return jobs


def test_coupon_lifecycle_over_time(server: LiveServer, op: Credentials, csp: Partner) -> None:
    start = business_now(server).replace(microsecond=0) + timedelta(hours=1)
    move_clock(server, op, start)
    quota_id = grant(server, op, csp, "500.00", days=60, effective=start - timedelta(minutes=1))
    customers = [server.customer(csp).account_id for _ in range(2)]
    later = (
        issue(
            server,
            csp,
            quota_id,
            customers[:1],
            "30.00",
            valid_time=format_utc(start + timedelta(days=1)),
            expire_time=format_utc(start + timedelta(days=10)),
        )
        .coupon_infos[0]
        .coupon_id
    )
    spent = (
        issue(
            server,
            csp,
            quota_id,
            customers[1:],
            "8.00",
            expire_time=format_utc(start + timedelta(days=10)),
        )
        .coupon_infos[0]
        .coupon_id
    )
    assert coupon_of(server, csp, later).status == 1
    assert issued(server, csp, status=1).total_count == 1
    with pytest.raises(DomainError) as not_yet:
        pay_with_coupon(server, customers[0], later, "5.00")
    assert not_yet.value.code == "CBC.99003108"

    move_clock(server, op, start + timedelta(days=2))
    assert coupon_of(server, csp, later).status == 2
    assert pay_with_coupon(server, customers[0], later, "10.00") == D("10.00")
    held_order = unique("order")
    pay_with_coupon(server, customers[0], later, "5.00", pay=False, order_id=held_order)
    assert coupon_of(server, csp, later).lock_order_id == held_order
    assert pay_with_coupon(server, customers[1], spent, "8.00") == D("8.00")
    assert coupon_of(server, csp, spent).status == 3
    assert quota_of(server, csp, quota_id).balance == D("462.00")

    jobs = move_clock(server, op, start + timedelta(days=11))
    assert sum(1 for j in jobs if j["name"] == "coupons.expire" and j["outcome"] == "DONE") == 2
    expired = coupon_of(server, csp, later)
    assert (expired.status, expired.balance, expired.lock_order_id) == (4, D("0.00"), None)
    # The unpaid order's hold was freed and the whole 20.00 left went back to the quota; the
    # used-up coupon stays "used" and returns nothing.
    assert coupon_of(server, csp, spent).status == 3
    assert quota_of(server, csp, quota_id).balance == D("482.00")
    expiry = records(server, csp, operation_types=["4"])
    assert [(r.coupon_id, r.operation_amount) for r in expiry.records] == [(later, D("20.00"))]
    changes = server.bss(_customer_creds(server, customers[0])).list_customer_coupon_change_records(
        m.ListCustomerCouponChangeRecordsRequest(
            balance_type="BALANCE_TYPE_COUPON", trade_type="EXPIRED"
        )
    )
    assert [r.change_amount for r in changes.records] == ["20.00"]
    assert issued(server, csp, status=4).total_count == 1
    # An expired coupon can be neither reclaimed nor used.
    error = refused(
        lambda: server.bss(csp.creds).reclaim_partner_coupons(
            m.ReclaimPartnerCouponsRequest(body=m.ReclaimPartnerCouponsReq(coupon_id=later))
        )
    )
    assert (error.status_code, error.error_code) == (400, "CBC.0100")
    with pytest.raises(DomainError) as too_late:
        pay_with_coupon(server, customers[0], later, "1.00")
    assert too_late.value.code == "CBC.99003108"

    move_clock(server, op, start + timedelta(days=61))
    assert quota_of(server, csp, quota_id, quota_status_list=[3]).quota_status == 3
    error = refused(lambda: issue(server, csp, quota_id, customers[:1], "1.00"))
    assert error.error_code == "CBC.99000017"

    # A year after they ended, used and expired coupons leave the lists.
    move_clock(server, op, start + timedelta(days=380))
    assert issued(server, csp).total_count == 0
    # Records are kept: two issues and the expiry.
    assert records(server, csp, quota_id=quota_id).total_count == 3
    assert ledger_is_clean(server)


_CUSTOMER_KEYS: dict[str, Credentials] = {}


def _customer_creds(server: LiveServer, customer_id: str) -> Credentials:
    from partner_center.provisioning import create_credentials

    if customer_id not in _CUSTOMER_KEYS:
        _CUSTOMER_KEYS[customer_id] = server._call(create_credentials, account_id=customer_id)
    return _CUSTOMER_KEYS[customer_id]
