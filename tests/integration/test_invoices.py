"""Invoices on a real database (rules.md §6.19): one per partner bill, numbered without gaps
per issuer even when two runs race, the PDF read back (issuer, number, bill lines, tax, the
top-up account current at issue), the e-mail on issue, and zero months e-mailed only on
request."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.invoices.models import Invoice
from partner_center.domains.notifications.models import OutboxMessage
from partner_center.domains.payments.public import NewTopUpAccount
from partner_center.kernel.db import Database
from partner_center.kernel.pagination import Page
from partner_center.services import Services
from tests.integration.test_repayments import Debtor, _debtor, _debtors, database
from tests.wiring import services_for

__all__ = ["database"]

D = Decimal
ISSUE_AT = datetime(2027, 5, 6, 3, 0, tzinfo=UTC)


async def _issue(debtor: Debtor, cycle: str) -> int:
    async def go(svc: Services) -> int:
        return await svc.invoices.issue_cycle(cycle)

    result: int = await debtor.run(go)
    return result


async def test_invoice_per_bill_numbered_without_gaps(database: Database) -> None:
    debtor = await _debtor(database, "100.00", "45000.004")

    async def setup(svc: Services) -> None:
        await svc.top_up_accounts.publish(
            NewTopUpAccount("Sandbox Bank", "Cloud Ltd", "DE89370400440532013000", "SANDDEFF"),
            actor_id="op",
        )
        await svc.invoices.set_settings(
            debtor.id,
            address="1 Main St\nSpringfield",
            email="AP@Example.com",
            email_zero_months=False,
        )

    await debtor.run(setup)
    assert await _issue(debtor, "2027-03") == 1
    assert await _issue(debtor, "2027-04") == 1
    assert await _issue(debtor, "2027-04") == 0  # once per bill

    async def listed(svc: Services) -> list[tuple[int, str, str, Decimal]]:
        rows, total = await svc.invoices.invoices(
            debtor.id,
            start=datetime(2027, 1, 1, tzinfo=UTC),
            end=datetime(2028, 1, 1, tzinfo=UTC),
            page=Page(0, 10),
        )
        assert total == 2
        return [(r.number, r.invoice_no, r.cycle, r.amount) for r in rows]

    rows = await debtor.run(listed)
    assert [(n, c, a) for n, _, c, a in rows] == [
        (2, "2027-04", D("45000.00")),
        (1, "2027-03", D("100.00")),
    ]
    assert rows[0][1] == "PC-00000002"

    async def pdf_text(svc: Services) -> str:
        invoice_id = await svc.session.scalar(
            select(Invoice.id).where(Invoice.tenant_id == debtor.id, Invoice.cycle == "2027-04")
        )
        assert invoice_id is not None
        _, pdf = await svc.invoices.pdf(debtor.id, invoice_id)
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)

    text = await debtor.run(pdf_text)
    for expected in (
        "INVOICE",
        "Partner Center",
        "Invoice number: PC-00000002",
        "Billing cycle: 2027-04",
        "1 Main St",
        "Springfield",
        "Consumption 45,000.00",
        "Amount due 45,000.00",
        "Tax rate: 0.00 %",
        "Account number: DE89370400440532013000",
        "SWIFT: SANDDEFF",
    ):
        assert expected in text, (expected, text)

    async def mails(svc: Services) -> list[str]:
        rows = await svc.session.scalars(
            select(OutboxMessage.subject).where(OutboxMessage.recipient == "ap@example.com")
        )
        return sorted(rows)

    assert await debtor.run(mails) == [
        "Invoice PC-00000001 for 2027-03",
        "Invoice PC-00000002 for 2027-04",
    ]


async def test_racing_runs_give_each_bill_one_number(database: Database) -> None:
    debtors = await _debtors(database, [("1.00", f"{n}.00") for n in range(1, 7)])
    results = await asyncio.gather(*(_issue(debtors[0], "2027-04") for _ in range(3)))
    assert sum(results) == 6

    async def numbers(svc: Services) -> list[tuple[int, str]]:
        rows = await svc.session.execute(select(Invoice.number, Invoice.bill_id))
        return sorted((n, b) for n, b in rows.all())

    issued = await debtors[0].run(numbers)
    assert [n for n, _ in issued] == [1, 2, 3, 4, 5, 6]
    assert len({b for _, b in issued}) == 6


async def test_zero_months_emailed_only_on_request(database: Database) -> None:
    quiet, asked = await _debtors(database, [("0.001", "0.001"), ("0.001", "0.001")])

    async def setup(svc: Services) -> None:
        for debtor, zero in ((quiet, False), (asked, True)):
            await svc.invoices.set_settings(
                debtor.id, address=None, email=f"{debtor.id}@example.com", email_zero_months=zero
            )

    await quiet.run(setup)
    assert await _issue(quiet, "2027-04") == 2

    async def mails(svc: Services) -> list[str]:
        rows = await svc.session.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.subject.like("Invoice %"))
        )
        return list(rows)

    assert await quiet.run(mails) == [f"{asked.id}@example.com"]


async def test_consumption_files_for_subscribers(database: Database, tmp_path: Path) -> None:
    subscriber, other = await _debtors(database, [("1.00", "2.50"), ("3.00", "4.00")])

    def svc_of(session: AsyncSession) -> Services:
        return services_for(
            session,
            subscriber.world.clock,
            wall=subscriber.world.clock,
            consumption_files_dir=tmp_path,
        )

    async with database.unit_of_work() as uow:
        files = svc_of(uow.session).consumption_files
        assert await files.subscribe(subscriber.id, True) is True
        assert await files.write_cycle("2027-04") == 1
    async with database.unit_of_work() as uow:
        files = svc_of(uow.session).consumption_files
        assert await files.write_cycle("2027-04") == 0  # once per cycle
        listed, total = await files.files(subscriber.id, Page(0, 10))
        assert total == 1 and listed[0].cycle == "2027-04"
        name, data = await files.content(subscriber.id, "2027-04")
        assert (await files.files(other.id, Page(0, 10)))[1] == 0
    path = tmp_path / subscriber.id / name
    assert path.read_bytes() == data
    assert hashlib.sha256(data).hexdigest() == listed[0].sha256
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert rows[0][0] == "bill_cycle"
    assert [r[0] for r in rows[1:]] == ["2027-04"]
    assert Decimal(rows[1][7]) == Decimal("2.50")
    assert not (tmp_path / other.id).exists()
