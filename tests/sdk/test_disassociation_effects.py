"""What ending an association does to the partner's coupons (rules.md §2.6.12): through the
real request/approval flow, the customer's available partner coupons go back to their quota."""

from __future__ import annotations

from decimal import Decimal

from tests.harness import LiveServer, Partner
from tests.sdk.test_balance_helpers import PREFIX, operator, signed
from tests.sdk.test_coupons import coupon_of, grant, issue, quota_of, records


def test_disassociation_reclaims_partner_coupons(server: LiveServer, csp: Partner) -> None:
    quota_id = grant(server, operator(server), csp, "500.00")
    leaving = server.customer(csp)
    staying = server.customer(csp)
    issued = issue(server, csp, quota_id, [leaving.account_id, staying.account_id], "100.00")
    coupons = {info.id: info.coupon_id for info in issued.coupon_infos}
    assert Decimal(str(quota_of(server, csp, quota_id).balance)) == Decimal("300.00")

    filed = signed(
        server,
        csp.creds,
        "POST",
        f"{PREFIX}/customers/{leaving.account_id}/disassociations",
        {"reason": "contract ended", "statement_accepted": True},
    )
    assert filed.status_code == 200, filed.text
    request_id = filed.json()["request_id"]
    decided = signed(server, leaving, "POST", f"{PREFIX}/disassociations/{request_id}/approve")
    assert decided.status_code == 200, decided.text

    assert coupon_of(server, csp, coupons[leaving.account_id]).status == 5  # reclaimed
    assert coupon_of(server, csp, coupons[staying.account_id]).status == 2  # still available
    assert Decimal(str(quota_of(server, csp, quota_id).balance)) == Decimal("400.00")
    reclaims = records(server, csp, operation_types=[3])
    assert [(r.coupon_id, Decimal(str(r.operation_amount))) for r in reclaims.records] == [
        (coupons[leaving.account_id], Decimal("100.00"))
    ]
