"""The sandbox processor and card checks: the usual test cards, Luhn, expiry, and a card that
never shows its number or CVC."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from partner_center.domains.payments.public import (
    CardBrand,
    SandboxProcessor,
    check_card,
    luhn_valid,
)
from partner_center.kernel.errors import DomainError

TODAY = date(2026, 12, 3)


def card(number: str = "4242 4242 4242 4242", **kw: object) -> object:
    fields: dict[str, object] = {
        "number": number,
        "exp_month": 12,
        "exp_year": 2026,
        "cvc": "123",
        "holder_name": "Ada Lovelace",
        "today": TODAY,
    }
    fields.update(kw)
    return check_card(**fields)  # type: ignore[arg-type]


def test_luhn() -> None:
    assert luhn_valid("4242424242424242")
    assert luhn_valid("4000000000000002")
    assert luhn_valid("5555555555554444")
    assert not luhn_valid("4242424242424241")


async def test_test_cards() -> None:
    processor = SandboxProcessor()
    ok = check_card(
        number="4242-4242-4242-4242",
        exp_month=1,
        exp_year=2027,
        cvc="123",
        holder_name="A",
        today=TODAY,
    )
    assert ok.brand is CardBrand.VISA and ok.last4 == "4242"
    approved = await processor.charge(ok, Decimal("1.00"), "USD", reference="r1")
    assert approved.approved
    bad = check_card(
        number="4000000000000002",
        exp_month=12,
        exp_year=2026,
        cvc="123",
        holder_name="A",
        today=TODAY,
    )
    declined = await processor.charge(bad, Decimal("1.00"), "USD", reference="r2")
    assert not declined.approved and declined.decline_reason == "card_declined"
    master = check_card(
        number="5555555555554444",
        exp_month=12,
        exp_year=2030,
        cvc="1234",
        holder_name="B",
        today=TODAY,
    )
    assert master.brand is CardBrand.MASTERCARD


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"number": "4242424242424241"}, "card.number"),
        ({"number": "4242abcd42424242"}, "card.number"),
        ({"number": "42"}, "card.number"),
        ({"exp_month": 11}, "card.exp_year"),  # November 2026 is past on 3 December 2026
        ({"exp_month": 13}, "card.exp_month"),
        ({"exp_year": 2025}, "card.exp_year"),
        ({"cvc": "12"}, "card.cvc"),
        ({"cvc": "12a"}, "card.cvc"),
        ({"holder_name": "  "}, "card.holder_name"),
    ],
)
def test_refused_cards(changes: dict[str, object], field: str) -> None:
    with pytest.raises(DomainError) as info:
        card(**changes)
    assert info.value.code == "CBC.0100"
    assert info.value.details["field"] == field
    assert "4242" not in info.value.message


def test_a_card_never_shows_its_number_or_cvc() -> None:
    checked = card(cvc="987")
    for text in (repr(checked), str(checked), f"{checked}", repr([checked])):
        assert "4242424242424242" not in text
        assert "987" not in text
    assert str(checked) == "visa card ending 4242"
