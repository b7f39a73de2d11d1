"""The console shows amounts rounded as bills round them (``to_cents``, half up), never by a
format's own half-even rounding, so a line never shows a cent less than the bill it is on; and
every amount names its currency."""

from __future__ import annotations

import re
from decimal import Decimal
from types import SimpleNamespace

from partner_center.http.console.kit.templating import money
from tests.unit.test_console_labels import WHEN, _page


def test_amounts_show_half_up_to_the_cent() -> None:
    assert money(Decimal("250.125")) == "250.13"
    assert money("0.005") == "0.01"
    assert money(Decimal("-0.005")) == "-0.01"
    assert money(Decimal("1234.5")) == "1,234.50"
    assert money(0) == "0.00"
    assert money(None) == "-"


def test_invoices_name_the_currency_of_the_tax_too() -> None:
    invoice = SimpleNamespace(
        id="inv-1",
        invoice_no="INV-0001",
        cycle="2026-11",
        issued_at=WHEN,
        amount=Decimal("106.00"),
        tax_amount=Decimal("6.00"),
        currency="CNY",
    )
    html = _page("en", "finance/invoices.html", rows=[invoice])
    cells = re.findall(r'<td class="num">([^<]*)</td>', html)
    assert cells == ["106.00 CNY", "6.00 CNY"]
