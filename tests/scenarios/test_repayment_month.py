"""The seed's Repayment page end to end, on a live sandbox server through the official SDK and
the extension operations.

A CSP's two customers run a VM each (m7.2xlarge.8.linux, 0.416 an hour: 48 h and 24 h), the
clock crosses the 5th and the bill is issued once: 19.968 + 9.984 = 29.952 → 29.95 due. The
operator lowers the consumption quota to 5, so the partner is restricted. Online repayments
over the amount due, over 40,000, with three decimals or zero are refused and a declined card
is declined, each with nothing changed; 20.00 is repaid by card (a retry with the same key
moves nothing); the remaining 9.95 arrives by bank transfer, declared on a service ticket with
its certificate and confirmed by the operator. The bill's invoice was issued and e-mailed on
the 5th (listed by the SDK's list_invoices, its PDF printing the top-up account), and the
consumption detail file the partner subscribed to was written. The statement
lists both top-ups and both repayments, the bill is paid, the restriction lifts, and ``partner-center reconcile`` passes.
No card number or CVC appears in any log line of the server.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from huaweicloudsdkbssintl.v2.model import (
    ListInvoicesRequest,
    ModSubCustomerBudgetReq,
    ShowPartnerConsumptionQuotaRequest,
    UpdateSubCustomerBudgetRequest,
)
from pypdf import PdfReader

from partner_center.kernel.clock import parse_utc
from partner_center.provisioning import Credentials, import_demo_catalog
from partner_center.state import AppState
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, Partner, unique
from tests.scenarios.test_pay_per_use_month import (
    HK,
    HOUR,
    SHANGHAI,
    VM,
    _operator,
    call,
    month_start,
    usage,
    utc_text,
)
from tests.signed import signed_request

D = Decimal
ECS = "hws.service.type.ec2"
LARGE = "m7.2xlarge.8.linux"
PREFIX = "/v1/partner-center"
BIN = Path(sys.executable).parent / "partner-center"
PAN, DECLINING, CVC = "4242424242424242", "4000000000000002", "8461"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    folder = tmp_path_factory.mktemp("consumption-files")
    live = LiveServer(url, consumption_files_dir=folder).start()

    async def load(state: AppState) -> None:
        await import_demo_catalog(state)

    live._call(load)
    yield live
    live.stop()
    asyncio.run(drop_database(pg_name))


def send(
    server: LiveServer,
    creds: Credentials,
    method: str,
    path: str,
    raw: bytes = b"",
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return signed_request(
        server.url, creds, method, path, query=query, body=raw, extra_headers=headers
    )


def repay(
    server: LiveServer, partner: Partner, amount: str, number: str = PAN, key: str | None = None
) -> httpx.Response:
    """POST a repayment with the amount as an exact JSON number."""
    card = json.dumps(
        {"number": number, "exp_month": 12, "exp_year": 2039, "cvc": CVC, "holder_name": "A B"}
    )
    body = f'{{"amount": {amount}, "card": {card}}}'.encode()
    return send(
        server,
        partner.creds,
        "POST",
        f"{PREFIX}/repayments",
        body,
        headers={"X-Idempotency-Key": key} if key else None,
    )


def state(server: LiveServer, partner: Partner) -> tuple[Any, ...]:
    """What a refused repayment must leave unchanged."""
    due = call(server, partner.creds, "GET", f"{PREFIX}/amount-due")
    lines = call(server, partner.creds, "GET", f"{PREFIX}/account-statements")
    return due["total_amount_due"], lines["count"]


def test_repay_online_then_by_bank_transfer(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    operator: Credentials = server._call(_operator)
    csp = server.partner()
    call(
        server,
        operator,
        "PUT",
        f"{PREFIX}/operator/partners/{csp.id}/consumption-quota",
        {"consumption_quota": 1000},
    )
    customers = [server.customer(csp) for _ in range(2)]
    for customer in customers:
        server.intl(csp.creds).update_sub_customer_budget(
            UpdateSubCustomerBudgetRequest(
                body=ModSubCustomerBudgetReq(
                    customer_id=customer.account_id,
                    budget_amount=D(1000),
                    cancel_partner_frozen="1",
                )
            )
        )
    now = parse_utc(call(server, operator, "GET", "/v1/sandbox/clock")["now"])
    t0 = month_start(now)
    call(server, operator, "POST", "/v1/sandbox/clock", {"to": utc_text(t0)})
    vms = [
        call(
            server,
            customer,
            "POST",
            f"{PREFIX}/on-demand-resources",
            {
                "region_code": HK,
                "resource_name": unique("vm"),
                "service_type_code": ECS,
                "resource_type_code": VM,
                "resource_spec_code": LARGE,
            },
        )["resource_id"]
        for customer in customers
    ]
    hours = [48, 24]
    for day in range(2):
        start = t0 + timedelta(days=day)
        call(
            server,
            operator,
            "POST",
            "/v1/sandbox/clock",
            {"to": utc_text(start + timedelta(hours=23, minutes=30))},
        )
        batch = [
            usage(vm, "Duration", start + timedelta(hours=h), "1", HOUR)
            for vm, used in zip(vms, hours, strict=True)
            for h in range(24)
            if day * 24 + h < used
        ]
        assert call(server, operator, "POST", f"{PREFIX}/usage/records", batch)["accepted"] == len(
            batch
        )
    account = {"bank_name": "Sandbox Bank", "account_name": "Cloud Ltd", "account_number": "123456"}
    call(server, operator, "PUT", f"{PREFIX}/operator/top-up-account", account)
    call(
        server,
        csp.creds,
        "PUT",
        f"{PREFIX}/invoice-settings",
        {"address": "1 Main St", "email": "ap@example.com"},
    )
    call(
        server,
        csp.creds,
        "PUT",
        f"{PREFIX}/consumption-files/subscription",
        {"subscribed": True},
    )
    local = t0.astimezone(SHANGHAI)
    next_month = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    fifth = next_month.replace(day=5, hour=4)
    moved = call(server, operator, "POST", "/v1/sandbox/clock", {"to": utc_text(fifth)})
    jobs = [j["name"] for j in moved["jobs_run"]]
    assert jobs.index("billing.run_monthly") < jobs.index("invoices.issue_monthly")
    cycle = f"{local.year:04d}-{local.month:02d}"
    bill = call(server, csp.creds, "GET", f"{PREFIX}/partner-bills", query=f"bill_cycle={cycle}")[
        "bills"
    ][0]
    assert (bill["amount_due"], bill["status"]) == ("29.95", "unpaid")

    # The invoice of the bill, issued on the 5th: listed by the SDK, e-mailed, its PDF.
    invoices = server.intl(csp.creds).list_invoices(
        ListInvoicesRequest(
            start_time=utc_text(t0),
            end_time=utc_text(next_month.replace(day=6)),
            offset=1,
            limit=10,
        )
    )
    assert invoices.count == 1
    invoice = invoices.invoices[0]
    assert (invoice.bill_cycle, D(str(invoice.invoice_amount))) == (cycle, D("29.95"))
    pdf = send(server, csp.creds, "GET", f"{PREFIX}/invoices/{invoice.request_id}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in (invoice.invoice_no, "Amount due 29.95", "Account number: 123456", "1 Main St"):
        assert expected in text, (expected, text)
    files = call(server, csp.creds, "GET", f"{PREFIX}/consumption-files")
    assert files["files"][0]["cycle"] == cycle  # (newest first; earlier 5ths wrote theirs too)
    detail_file = send(server, csp.creds, "GET", f"{PREFIX}/consumption-files/{cycle}")
    assert detail_file.status_code == 200
    assert len(detail_file.text.strip().splitlines()) == 3  # header + the two customers' lines
    outbox = call(server, csp.creds, "GET", "/v1/sandbox/outbox", query="recipient=ap@example.com")
    assert [m["subject"] for m in outbox["messages"]] == [
        f"Invoice {invoice.invoice_no} for {cycle}"
    ]
    call(
        server,
        operator,
        "PUT",
        f"{PREFIX}/operator/partners/{csp.id}/consumption-quota",
        {"consumption_quota": 5},
    )
    quota = call(server, csp.creds, "GET", f"{PREFIX}/consumption-quota")
    assert quota["restricted"] is True
    sdk_quota = server.intl(csp.creds).show_partner_consumption_quota(
        ShowPartnerConsumptionQuotaRequest()
    )
    assert D(str(sdk_quota.due_amount)) == D("29.95")

    # Online: each of these is refused, or declined, and changes nothing.
    before = state(server, csp)
    assert before == ("29.95", 0)
    caplog.set_level(logging.DEBUG)
    for amount in ("29.96", "40000.01", "1.005", "0", "-1"):
        refused = repay(server, csp, amount)
        assert refused.status_code == 400, (amount, refused.text)
        assert refused.json()["error_code"] == "CBC.0100"
        assert state(server, csp) == before
    declined = repay(server, csp, "10.00", number=DECLINING)
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert declined.json()["remaining_due"] == 29.95
    assert state(server, csp) == before

    paid = repay(server, csp, "20.00", key="nov-online-1")
    assert paid.status_code == 200, paid.text
    online = json.loads(paid.text, parse_float=D)
    assert (online["status"], online["remaining_due"], online["card_last4"]) == (
        "succeeded",
        D("9.95"),
        "4242",
    )
    retry = json.loads(repay(server, csp, "20.00", key="nov-online-1").text, parse_float=D)
    assert retry["replayed"] is True and retry["repayment_id"] == online["repayment_id"]
    assert call(server, csp.creds, "GET", f"{PREFIX}/amount-due")["total_amount_due"] == "9.95"
    assert call(server, csp.creds, "GET", f"{PREFIX}/consumption-quota")["restricted"] is True
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    for secret in (PAN, DECLINING, CVC):
        assert not re.search(rf"(?<![0-9A-Za-z]){secret}(?![0-9A-Za-z])", logged), secret
    caplog.set_level(logging.WARNING)

    # Bank transfer of the rest to the published top-up account, declared on a ticket.
    assert call(server, csp.creds, "GET", f"{PREFIX}/top-up-account")["account_number"] == "123456"
    upload = send(
        server,
        csp.creds,
        "POST",
        f"{PREFIX}/ticket-attachments",
        b"%PDF-1.4 transfer slip",
        query="name=slip.pdf",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert upload.status_code == 201, upload.text
    today = next_month.replace(day=5).date().isoformat()
    ticket = send(
        server,
        csp.creds,
        "POST",
        f"{PREFIX}/tickets",
        json.dumps(
            {
                "category": "bank_transfer",
                "title": f"Bank transfer for {cycle}",
                "description": "The rest of the bill.",
                "attachment_ids": [upload.json()["id"]],
                "bank_transfer": {"amount": 9.95, "transfer_date": today, "payer": "Cloud Ltd"},
            }
        ).encode(),
    )
    assert ticket.status_code == 201, ticket.text
    ticket_id = ticket.json()["id"]
    assert ticket.json()["deadline"] > today
    queue = call(
        server, operator, "GET", f"{PREFIX}/operator/tickets", query="category=bank_transfer"
    )
    assert ticket_id in [t["id"] for t in queue["tickets"]]
    confirmed = call(
        server,
        operator,
        "POST",
        f"{PREFIX}/operator/tickets/{ticket_id}/confirm-transfer",
        {"received_amount": 9.95},
    )
    assert (confirmed["remaining_due"], confirmed["repaid_amount"]) == (0, 9.95)

    # The statement lists both top-ups and both repayments; the bill is paid; restriction lifted.
    tops = call(server, csp.creds, "GET", f"{PREFIX}/account-statements", query="type=top_up")
    assert [r["amount"] for r in tops["records"]] == ["9.95", "20.00"]
    repaid = call(server, csp.creds, "GET", f"{PREFIX}/account-statements", query="type=repayment")
    assert [(r["amount"], r["balance_after"]) for r in repaid["records"]] == [
        ("9.95", "0.00"),
        ("20.00", "0.00"),
    ]
    records = call(server, csp.creds, "GET", f"{PREFIX}/repayments")
    assert [(r["channel"], r["status"]) for r in records["repayments"]] == [
        ("bank_transfer", "succeeded"),
        ("online", "succeeded"),
        ("online", "declined"),
    ]
    bill = call(server, csp.creds, "GET", f"{PREFIX}/partner-bills", query=f"bill_cycle={cycle}")[
        "bills"
    ][0]
    assert (bill["status"], bill["remaining_amount"]) == ("paid", "0.00")
    assert call(server, csp.creds, "GET", f"{PREFIX}/amount-due")["total_amount_due"] == "0.00"
    assert call(server, csp.creds, "GET", f"{PREFIX}/consumption-quota")["restricted"] is False
    detail = call(server, csp.creds, "GET", f"{PREFIX}/tickets/{ticket_id}")
    assert detail["status"] == "resolved"

    env = {
        **os.environ,
        "DATABASE_URL": server.db_url,
        "PARTNER_CENTER_SECRET_KEY": "test-secret-key-not-for-production",
        "PARTNER_CENTER_LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [str(BIN), "reconcile"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout
