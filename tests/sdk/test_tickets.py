"""Service tickets on a live server (rules.md §9): attachments recognised by content and at
most 2 MB, tickets opened with them, messages both ways, cancel only while pending, the
operator's queue, e-mails on every change, tenant isolation, and bank-transfer tickets with
their three-working-day deadline (holidays from the setting) and the late flag."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from partner_center.kernel.clock import format_utc
from tests.harness import LiveServer, Partner, fresh_server
from tests.sdk.test_balance_helpers import PREFIX, operator, signed
from tests.signed import signed_request

PDF = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _next_friday() -> datetime:
    """10:00 in Shanghai on the first Friday at least a day from now (the sandbox clock only
    moves forward, and moving it far runs every job on the way)."""
    day = datetime.now(UTC).date() + timedelta(days=1)
    while day.weekday() != 4:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


FRIDAY = _next_friday()
#: The Tuesday after it is a holiday; three working days from Friday end on Thursday.
HOLIDAY = FRIDAY.date() + timedelta(days=4)
DEADLINE = FRIDAY.date() + timedelta(days=6)
YESTERDAY = (FRIDAY.date() - timedelta(days=1)).isoformat()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with fresh_server(holidays=HOLIDAY.isoformat()) as live:
        response = signed(
            live, operator(live), "POST", "/v1/sandbox/clock", {"to": format_utc(FRIDAY)}
        )
        assert response.status_code == 200, response.text
        yield live


def upload(server: LiveServer, partner: Partner, name: str, content: bytes) -> httpx.Response:
    return signed_request(
        server.url,
        partner.creds,
        "POST",
        f"{PREFIX}/ticket-attachments",
        query=f"name={name}",
        body=content,
        extra_headers={"Content-Type": "application/octet-stream"},
    )


def uploaded(server: LiveServer, partner: Partner, name: str, content: bytes) -> str:
    response = upload(server, partner, name, content)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def get(server: LiveServer, creds: Any, path: str, query: str = "") -> Any:
    return ok(signed_request(server.url, creds, "GET", path, query=query))


def outbox(server: LiveServer, partner: Partner, recipient: str) -> list[str]:
    response = signed_request(
        server.url, partner.creds, "GET", "/v1/sandbox/outbox", query=f"recipient={recipient}"
    )
    return [m["subject"] for m in ok(response)["messages"]]


def test_attachments_are_checked_by_content(server: LiveServer, csp: Partner) -> None:
    assert ok(upload(server, csp, "scan.png", PNG), 201)["media_type"] == "image/png"
    fake = upload(server, csp, "invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00program")
    assert fake.status_code == 400
    assert fake.json()["error_code"] == "CBC.0100"
    renamed = upload(server, csp, "photo.png", PDF)
    assert renamed.status_code == 400
    assert "does not match" in renamed.json()["error_msg"]
    too_big = upload(server, csp, "big.pdf", PDF + b"0" * (2 * 1024 * 1024))
    assert too_big.status_code == 413


def test_ticket_life_with_messages_both_ways(server: LiveServer, csp: Partner) -> None:
    op = operator(server)
    attachment = uploaded(server, csp, "screen.png", PNG)
    ticket = ok(
        signed(
            server,
            csp.creds,
            "POST",
            f"{PREFIX}/tickets",
            {
                "category": "general",
                "title": "Cannot see my bill",
                "description": "The bill of November is missing.",
                "attachment_ids": [attachment],
                "remind_mail": "Ops@Example.com",
            },
        ),
        201,
    )
    ticket_id = ticket["id"]
    assert ticket["status"] == "pending"
    assert ticket.get("deadline") is None
    # The attachment is now submitted: it cannot be named again nor deleted.
    again = signed(
        server,
        csp.creds,
        "POST",
        f"{PREFIX}/tickets",
        {"category": "general", "title": "t", "description": "d", "attachment_ids": [attachment]},
    )
    assert again.status_code == 400
    deleted = signed(server, csp.creds, "DELETE", f"{PREFIX}/ticket-attachments/{attachment}")
    assert deleted.status_code == 400

    queue = get(server, op, f"{PREFIX}/operator/tickets", f"partner_id={csp.id}")
    assert [t["id"] for t in queue["tickets"]] == [ticket_id]
    asked = ok(
        signed(
            server,
            op,
            "POST",
            f"{PREFIX}/operator/tickets/{ticket_id}/messages",
            {"body": "Which customer?", "wait_for_reply": True},
        )
    )
    assert asked["status"] == "waiting_for_reply"
    cancel = signed(server, csp.creds, "POST", f"{PREFIX}/tickets/{ticket_id}/cancel")
    assert cancel.status_code == 400
    replied = ok(
        signed(
            server,
            csp.creds,
            "POST",
            f"{PREFIX}/tickets/{ticket_id}/messages",
            {"body": "Customer x_1."},
        )
    )
    assert replied["status"] == "processing"
    resolved = ok(
        signed(
            server,
            op,
            "POST",
            f"{PREFIX}/operator/tickets/{ticket_id}/status",
            {"status": "resolved"},
        )
    )
    assert resolved["status"] == "resolved"
    bad_move = signed(
        server, op, "POST", f"{PREFIX}/operator/tickets/{ticket_id}/status", {"status": "pending"}
    )
    assert bad_move.status_code == 400
    closed = ok(signed(server, csp.creds, "POST", f"{PREFIX}/tickets/{ticket_id}/close"))
    assert closed["status"] == "closed"
    detail = ok(signed(server, csp.creds, "GET", f"{PREFIX}/tickets/{ticket_id}"))
    assert [(m["author"], m["body"]) for m in detail["messages"]] == [
        ("operator", "Which customer?"),
        ("partner", "Customer x_1."),
    ]
    assert [a["name"] for a in detail["attachments"]] == ["screen.png"]
    file = signed(
        server, csp.creds, "GET", f"{PREFIX}/tickets/{ticket_id}/attachments/{attachment}"
    )
    assert file.status_code == 200
    assert file.content == PNG
    assert file.headers["content-type"] == "image/png"
    # Every change was e-mailed (newest first).
    subjects = [s.replace(ticket_id, "T") for s in outbox(server, csp, "ops@example.com")]
    assert subjects == [
        "Ticket T is now closed",
        "Ticket T is now resolved",
        "Ticket T: your message was added",
        "Ticket T: a reply from support",
        "Ticket T submitted",
    ]


def test_cancel_only_while_pending(server: LiveServer, csp: Partner) -> None:
    ticket = ok(
        signed(
            server,
            csp.creds,
            "POST",
            f"{PREFIX}/tickets",
            {"category": "invoice", "title": "Missing invoice", "description": "October."},
        ),
        201,
    )
    canceled = ok(signed(server, csp.creds, "POST", f"{PREFIX}/tickets/{ticket['id']}/cancel"))
    assert canceled["status"] == "canceled"
    twice = signed(server, csp.creds, "POST", f"{PREFIX}/tickets/{ticket['id']}/cancel")
    assert twice.status_code == 400
    message = signed(
        server, csp.creds, "POST", f"{PREFIX}/tickets/{ticket['id']}/messages", {"body": "hi"}
    )
    assert message.status_code == 400


def test_tickets_are_the_partners_own(server: LiveServer, csp: Partner) -> None:
    other = server.partner()
    ticket = ok(
        signed(
            server,
            csp.creds,
            "POST",
            f"{PREFIX}/tickets",
            {"category": "general", "title": "Mine", "description": "Private."},
        ),
        201,
    )
    attachment = uploaded(server, csp, "a.txt", b"hello")
    assert signed(server, other.creds, "GET", f"{PREFIX}/tickets/{ticket['id']}").status_code == 400
    assert ok(signed(server, other.creds, "GET", f"{PREFIX}/tickets"))["count"] == 0
    steal = signed(
        server,
        other.creds,
        "POST",
        f"{PREFIX}/tickets",
        {"category": "general", "title": "t", "description": "d", "attachment_ids": [attachment]},
    )
    assert steal.status_code == 400
    for path in (f"{PREFIX}/operator/tickets", f"{PREFIX}/operator/tickets/{ticket['id']}"):
        assert signed(server, csp.creds, "GET", path).status_code == 403


def test_bank_transfer_ticket_deadline_and_late_flag(server: LiveServer, csp: Partner) -> None:
    op = operator(server)
    missing = signed(
        server,
        csp.creds,
        "POST",
        f"{PREFIX}/tickets",
        {
            "category": "bank_transfer",
            "title": "Transfer",
            "description": "Paid November",
            "bank_transfer": {"amount": 100.5, "transfer_date": YESTERDAY, "payer": "ACME"},
        },
    )
    assert missing.status_code == 400  # no certificate
    certificate = uploaded(server, csp, "certificate.pdf", PDF)
    body = {
        "category": "bank_transfer",
        "title": "Transfer",
        "description": "Paid November",
        "attachment_ids": [certificate],
        "bank_transfer": {"amount": 100.555, "transfer_date": YESTERDAY, "payer": "ACME"},
    }
    assert signed(server, csp.creds, "POST", f"{PREFIX}/tickets", body).status_code == 400
    body["bank_transfer"] = {"amount": 100.55, "transfer_date": YESTERDAY, "payer": "ACME"}
    ticket = ok(signed(server, csp.creds, "POST", f"{PREFIX}/tickets", body), 201)
    # Friday + three working days, Tuesday a holiday: Thursday.
    assert ticket["deadline"] == DEADLINE.isoformat()
    assert ticket["transfer_amount"] == "100.55"
    assert ticket["late"] is False
    raw = signed(server, csp.creds, "GET", f"{PREFIX}/tickets/{ticket['id']}")
    assert '"transfer_amount":"100.55"' in raw.text.replace(" ", "")
    resolve = signed(
        server,
        op,
        "POST",
        f"{PREFIX}/operator/tickets/{ticket['id']}/status",
        {"status": "resolved"},
    )
    assert resolve.status_code == 400  # only by confirming the transfer
    queue = f"{PREFIX}/operator/tickets"
    late_query = f"category=bank_transfer&late=true&partner_id={csp.id}"
    assert get(server, op, queue, late_query)["count"] == 0
    moved = signed(server, op, "POST", "/v1/sandbox/clock", {"days": 7})
    assert moved.status_code == 200, moved.text
    late = get(server, op, queue, late_query)
    assert [t["id"] for t in late["tickets"]] == [ticket["id"]]
    assert late["tickets"][0]["late"] is True
    assert json.loads(raw.text)["payer"] == "ACME"
