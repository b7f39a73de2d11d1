"""Distributor coupon quotas for resellers through the official ``bss`` SDK client:
update_coupon_quotas, reclaim_coupon_quotas, list_issued_coupon_quotas,
list_coupon_quotas_records, and issuing from a reseller's quota with ``indirect_partner_id``
(api-semantics.md §3.4, §3.6; rules.md §1.17a)."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest
from huaweicloudsdkbss.v2 import model as m
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from sqlalchemy import update

from partner_center.domains.partners.public import PartnerStatus, PartnerType
from partner_center.provisioning import Credentials
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_coupons import (
    coupon_of,
    grant,
    issue,
    ledger_is_clean,
    operator_creds,
    quota_of,
    records,
    refused,
    set_quota_status,
)

D = Decimal


@pytest.fixture(scope="module")
def op(server: LiveServer) -> Credentials:
    return operator_creds(server)


def give(
    server: LiveServer, distributor: Partner, quota_id: str, resellers: list[str], amount: str
) -> Any:
    return server.bss(distributor.creds).update_coupon_quotas(
        m.UpdateCouponQuotasRequest(
            body=m.AdjustCouponQuotasReq(
                quota_id=quota_id, indirect_partner_ids=resellers, quota_amount=D(amount)
            )
        )
    )


def take_back(server: LiveServer, distributor: Partner, quota_ids: list[str], **kw: Any) -> Any:
    return server.bss(distributor.creds).reclaim_coupon_quotas(
        m.ReclaimCouponQuotasRequest(body=m.ReclaimCouponQuotasReq(quota_ids=quota_ids, **kw))
    )


def issued_quotas(server: LiveServer, distributor: Partner, **filters: Any) -> Any:
    return server.bss(distributor.creds).list_issued_coupon_quotas(
        m.ListIssuedCouponQuotasRequest(**filters)
    )


def quota_records(server: LiveServer, distributor: Partner, **filters: Any) -> Any:
    return server.bss(distributor.creds).list_coupon_quotas_records(
        m.ListCouponQuotasRecordsRequest(**filters)
    )


def set_partner_status(server: LiveServer, partner: Partner, status: PartnerStatus) -> None:
    from partner_center.domains.partners.models import Partner as PartnerRow

    async def go(state: AppState) -> None:
        async with state.db.unit_of_work() as uow:
            await uow.session.execute(
                update(PartnerRow).where(PartnerRow.account_id == partner.id).values(status=status)
            )

    server._call(go)


def test_distributor_splits_a_quota_among_its_resellers(
    server: LiveServer, op: Credentials, distributor: Partner
) -> None:
    parent = grant(server, op, distributor, "500.00", limits={"cloudServiceType": ["a", "b"]})
    first = server.partner(PartnerType.RESELLER, distributor=distributor)
    second = server.partner(PartnerType.RESELLER, distributor=distributor)
    foreign = server.partner(
        PartnerType.RESELLER, distributor=server.partner(PartnerType.DISTRIBUTOR)
    )

    response = give(server, distributor, parent, [first.id, second.id, foreign.id], "120.50")
    assert response.status_code == 200
    assert [i.id for i in response.simple_quota_infos] == [first.id, second.id]
    assert [(e.id, e.error_code) for e in response.error_details] == [(foreign.id, "CBC.99000037")]
    assert quota_of(server, distributor, parent).balance == D("259.00")

    child_id = response.simple_quota_infos[0].quota_id
    child = quota_of(server, distributor, child_id, indirect_partner_id=first.id)
    assert (child.quota_value, child.balance, child.quota_status) == (
        D("120.50"),
        D("120.50"),
        0,
    )
    parent_view = quota_of(server, distributor, parent)
    assert (child.effective_time, child.expire_time) == (
        parent_view.effective_time,
        parent_view.expire_time,
    )
    assert [i.limit_key for i in child.limit_infos] == ["cloudServiceType"]

    listed = issued_quotas(server, distributor, parent_quota_id=parent)
    assert listed.total_count == 2
    mine = issued_quotas(server, distributor, indirect_partner_id=first.id).quotas
    assert [(q.quota_id, q.parent_quota_id, q.indirect_partner_id) for q in mine] == [
        (child_id, parent, first.id)
    ]
    assert mine[0].indirect_partner_account_name == first.creds.domain_name

    history = quota_records(server, distributor, parent_quota_id=parent, operation_type="10")
    assert history.total_count == 3
    assert sorted((r.indirect_partner_id, r.result, r.amount) for r in history.records) == sorted(
        [
            (first.id, "0", D("120.50")),
            (second.id, "0", D("120.50")),
            (foreign.id, "-1", D("120.50")),
        ]
    )
    assert {r.operator for r in history.records} == {distributor.creds.domain_name}
    assert ledger_is_clean(server)


def test_issuing_from_a_resellers_quota(
    server: LiveServer, op: Credentials, distributor: Partner, reseller: Partner
) -> None:
    parent = grant(server, op, distributor, "200.00")
    child = give(server, distributor, parent, [reseller.id], "50.00").simple_quota_infos[0]
    customers = [server.customer(distributor, reseller=reseller).account_id for _ in range(3)]

    response = issue(
        server,
        distributor,
        child.quota_id,
        customers[:2],
        "20.00",
        indirect_partner_id=reseller.id,
    )
    assert len(response.coupon_infos) == 2
    coupon_id = response.coupon_infos[0].coupon_id
    coupon = coupon_of(server, distributor, coupon_id, indirect_partner_id=reseller.id)
    assert coupon.balance == D("20.00")
    assert quota_of(
        server, distributor, child.quota_id, indirect_partner_id=reseller.id
    ).balance == D("10.00")
    assert records(server, distributor, indirect_partner_id=reseller.id).total_count == 2
    # The coupon shows in the distributor's view of its reseller's customers.
    held = server.bss(distributor.creds).list_sub_customer_coupons(
        m.ListSubCustomerCouponsRequest(indirect_partner_id=reseller.id, coupon_id=coupon_id)
    )
    assert held.count == 1

    # The reseller's quota is the limit, whatever the distributor's own quota holds.
    over = refused(
        lambda: issue(
            server,
            distributor,
            child.quota_id,
            customers[2:],
            "10.01",
            indirect_partner_id=reseller.id,
        )
    )
    assert (over.status_code, over.error_code) == (400, "CBC.99000013")
    # The distributor's own quota is not the reseller's, and its own customers are not.
    wrong = refused(
        lambda: issue(
            server, distributor, parent, customers[2:], "1.00", indirect_partner_id=reseller.id
        )
    )
    assert wrong.error_code == "CBC.99000012"
    direct = issue(server, distributor, parent, customers[2:], "1.00")
    assert [e.error_code for e in direct.error_details] == ["CBC.99000035"]
    assert direct.coupon_infos == []


def test_reclaiming_reseller_quotas(
    server: LiveServer, op: Credentials, distributor: Partner, reseller: Partner
) -> None:
    parent = grant(server, op, distributor, "300.00")
    children = [
        give(server, distributor, parent, [reseller.id], "100.00").simple_quota_infos[0].quota_id
        for _ in range(2)
    ]
    customer = server.customer(distributor, reseller=reseller).account_id
    coupon_id = (
        issue(
            server, distributor, children[0], [customer], "30.00", indirect_partner_id=reseller.id
        )
        .coupon_infos[0]
        .coupon_id
    )
    assert quota_of(server, distributor, parent).balance == D("100.00")

    response = take_back(server, distributor, [children[0], uuid.uuid4().hex], remark="season end")
    assert [(q.quota_id, q.quota_balance) for q in response.simple_quota_infos] == [
        (children[0], D("0.00"))
    ]
    assert [e.error_code for e in response.error_details] == ["CBC.99000012"]
    assert quota_of(server, distributor, parent).balance == D("170.00")
    reclaimed = issued_quotas(server, distributor, quota_id=children[0]).quotas[0]
    assert (reclaimed.quota_status, reclaimed.balance) == (6, D("0.00"))
    history = quota_records(server, distributor, quota_id=children[0], operation_type="11")
    assert [(r.amount, r.remark, r.parent_quota_id) for r in history.records] == [
        (D("70.00"), "season end", parent)
    ]
    # A reclaimed reseller quota issues nothing and cannot be reclaimed twice.
    again = take_back(server, distributor, [children[0]])
    assert [e.error_code for e in again.error_details] == ["CBC.99000012"]
    error = refused(
        lambda: issue(
            server, distributor, children[0], [customer], "1.00", indirect_partner_id=reseller.id
        )
    )
    assert error.error_code == "CBC.99000015"
    # A coupon of the reclaimed quota that comes back flows on to the distributor's quota.
    server.bss(distributor.creds).reclaim_partner_coupons(
        m.ReclaimPartnerCouponsRequest(
            body=m.ReclaimPartnerCouponsReq(coupon_id=coupon_id, indirect_partner_id=reseller.id)
        )
    )
    assert quota_of(server, distributor, parent).balance == D("200.00")
    too_many = refused(
        lambda: take_back(server, distributor, [uuid.uuid4().hex for _ in range(11)])
    )
    assert too_many.error_code == "CBC.0100"
    assert ledger_is_clean(server)


def test_update_coupon_quotas_refusals(
    server: LiveServer, op: Credentials, distributor: Partner, reseller: Partner
) -> None:
    parent = grant(server, op, distributor, "100.00")
    second = server.partner(PartnerType.RESELLER, distributor=distributor)
    over = refused(lambda: give(server, distributor, parent, [reseller.id, second.id], "50.01"))
    assert (over.status_code, over.error_code) == (400, "CBC.99000013")
    assert quota_of(server, distributor, parent).balance == D("100.00")
    assert refused(
        lambda: give(server, distributor, parent, [reseller.id], "1.001")
    ).error_code == ("CBC.0100")

    set_partner_status(server, second, PartnerStatus.EXITED)
    response = give(server, distributor, parent, [reseller.id, second.id], "50.00")
    assert [(e.id, e.error_code) for e in response.error_details] == [(second.id, "CBC.50010105")]
    assert quota_of(server, distributor, parent).balance == D("50.00")

    set_quota_status(server, op, parent, 5)
    assert refused(lambda: give(server, distributor, parent, [reseller.id], "1.00")).error_code == (
        "CBC.99000015"
    )
    other = grant(server, op, server.partner(PartnerType.DISTRIBUTOR), "10.00")
    assert refused(lambda: give(server, distributor, other, [reseller.id], "1.00")).error_code == (
        "CBC.99000012"
    )


def test_quota_operations_are_for_distributors_only(
    server: LiveServer, op: Credentials, csp: Partner, reseller: Partner
) -> None:
    quota_id = grant(server, op, csp, "10.00")
    for call in (
        lambda: give(server, csp, quota_id, [reseller.id], "1.00"),
        lambda: take_back(server, csp, [quota_id]),
        lambda: issued_quotas(server, csp),
        lambda: quota_records(server, csp),
        lambda: issued_quotas(server, reseller),
    ):
        error = refused(call)
        assert (error.status_code, error.error_code) == (403, "CBC.0151")


def test_a_distributor_sees_only_its_own_resellers(
    server: LiveServer, op: Credentials, distributor: Partner, reseller: Partner
) -> None:
    parent = grant(server, op, distributor, "10.00")
    give(server, distributor, parent, [reseller.id], "5.00")
    other = server.partner(PartnerType.DISTRIBUTOR)
    assert issued_quotas(server, other).total_count == 0
    assert quota_records(server, other).total_count == 0
    error = refused(lambda: issued_quotas(server, other, indirect_partner_id=reseller.id))
    assert error.error_code == "CBC.99000037"
    error = refused(lambda: other_quotas(server, other, reseller))
    assert error.error_code == "CBC.99000037"
    assert take_back(server, other, [parent]).error_details[0].error_code == "CBC.99000012"


def other_quotas(server: LiveServer, distributor: Partner, reseller: Partner) -> Any:
    return server.bss(distributor.creds).list_quota_coupons(
        m.ListQuotaCouponsRequest(body=m.QueryCouponQuotasReqExt(indirect_partner_id=reseller.id))
    )


def test_replayed_quota_split_gives_once(
    server: LiveServer, op: Credentials, distributor: Partner, reseller: Partner
) -> None:
    parent = grant(server, op, distributor, "100.00")
    request = m.UpdateCouponQuotasRequest(
        body=m.AdjustCouponQuotasReq(
            quota_id=parent, indirect_partner_ids=[reseller.id], quota_amount=D("40.00")
        )
    )
    key = unique("split")
    client = server.bss(distributor.creds)
    first = (
        client.update_coupon_quotas_invoker(request).add_header("X-Idempotency-Key", key).invoke()
    )
    second = (
        client.update_coupon_quotas_invoker(request).add_header("X-Idempotency-Key", key).invoke()
    )
    assert second.simple_quota_infos[0].quota_id == first.simple_quota_infos[0].quota_id
    assert quota_of(server, distributor, parent).balance == D("60.00")


def test_concurrent_splits_never_exceed_the_parent(
    server: LiveServer, op: Credentials, distributor: Partner, reseller: Partner
) -> None:
    parent = grant(server, op, distributor, "100.00")
    outcomes: list[str] = []
    guard = threading.Lock()

    def one() -> None:
        try:
            give(server, distributor, parent, [reseller.id], "30.00")
            result = "ok"
        except ClientRequestException as exc:
            result = exc.error_code
        with guard:
            outcomes.append(result)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    succeeded = outcomes.count("ok")
    # Each call either split 30.00 off, found the quota busy, or found too little left.
    assert 1 <= succeeded <= 3
    assert set(outcomes) - {"ok"} <= {"CBC.99000013", "CBC.50000045"}
    children = issued_quotas(server, distributor, parent_quota_id=parent, limit=100)
    assert children.total_count == succeeded
    assert quota_of(server, distributor, parent).balance == D("100.00") - D("30.00") * succeeded
    assert ledger_is_clean(server)
