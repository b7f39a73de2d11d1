"""The Partner Bills pages need the permission item BPC_ITEM_FINANCE_090100 (VIEW_PARTNER_BILL,
Admin and Finance): a member without it is refused ``CBC.0151`` on every read of them, a
Finance member is answered."""

from __future__ import annotations

import pytest

from tests.harness import LiveServer, Partner
from tests.sdk.test_association_helpers import call, member

READS = [
    ("/partner-bills", ""),
    ("/partner-bills", "bill_cycle=2026-01"),
    ("/amount-due", ""),
    ("/account-statements", ""),
    ("/account-statements", "format=csv"),
    ("/invoices/no-such-invoice/pdf", ""),
]


@pytest.mark.parametrize(("path", "query"), READS)
def test_a_member_without_the_bill_permission_is_refused(
    server: LiveServer, csp: Partner, path: str, query: str
) -> None:
    _, sales = member(server, csp, ["SALES_MANAGER", "OPERATIONS"])
    refused = call(server, sales, "GET", path, query=query)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error_code"] == "CBC.0151"


def test_a_finance_member_reads_the_bills(server: LiveServer, csp: Partner) -> None:
    _, finance = member(server, csp, ["FINANCE"])
    for path in ("/partner-bills", "/amount-due", "/account-statements"):
        answered = call(server, finance, "GET", path)
        assert answered.status_code == 200, (path, answered.text)
    assert "total_count" in call(server, finance, "GET", "/partner-bills").json()
    # The invoice is looked up (and not found) rather than refused.
    missing = call(server, finance, "GET", "/invoices/no-such-invoice/pdf")
    assert missing.json()["error_code"] == "CBC.0100", missing.text
