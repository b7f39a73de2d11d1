"""The payment gateway: how a card is charged. ``PaymentGateway`` is the interface a real
processor plugs into; ``SandboxProcessor`` is the built-in one, following the usual test cards:

======================  ==========================================
4242 4242 4242 4242     approved
4000 0000 0000 0002     declined (card declined)
4000 0000 0000 9995     declined (insufficient funds)
any other valid number  approved
======================  ==========================================

Every processor gets the card checked first (``check_card``: digits only, 12–19 of them, the
Luhn check digit, an expiry month not yet past in the billing time zone, a CVC of 3–4 digits,
a holder name). A ``Card`` never shows its number or CVC in ``repr``/``str``, so no log line
or traceback can carry them; only its brand and last four digits are ever stored.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from partner_center.kernel.errors import invalid_parameter


class CardBrand(enum.StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    JCB = "jcb"
    UNIONPAY = "unionpay"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Card:
    """A card as the payer typed it. ``number`` and ``cvc`` are kept out of ``repr``."""

    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)
    holder_name: str = field(repr=False)

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> CardBrand:
        return brand_of(self.number)

    def __str__(self) -> str:
        return f"{self.brand.value} card ending {self.last4}"


@dataclass(frozen=True, slots=True)
class ChargeOutcome:
    approved: bool
    processor_reference: str
    decline_reason: str | None = None


class PaymentGateway(Protocol):
    """Charges a checked card. Must not raise for a decline (``approved=False``); must never
    log or keep the number or CVC."""

    async def charge(
        self, card: Card, amount: Decimal, currency: str, *, reference: str
    ) -> ChargeOutcome: ...


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def brand_of(number: str) -> CardBrand:
    if number.startswith("4"):
        return CardBrand.VISA
    if number[:2] in {"34", "37"}:
        return CardBrand.AMEX
    prefix4 = int(number[:4]) if len(number) >= 4 and number[:4].isdigit() else 0
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= prefix4 <= 2720:
        return CardBrand.MASTERCARD
    if number.startswith("6011") or number.startswith("65"):
        return CardBrand.DISCOVER
    if 3528 <= prefix4 <= 3589:
        return CardBrand.JCB
    if number.startswith("62"):
        return CardBrand.UNIONPAY
    return CardBrand.UNKNOWN


def check_card(
    *, number: str, exp_month: int, exp_year: int, cvc: str, holder_name: str, today: date
) -> Card:
    """A card whose number passes Luhn, that has not expired by ``today`` and has a CVC and a
    holder; ``CBC.0100`` naming the field otherwise (never echoing the number or CVC)."""
    digits = number.replace(" ", "").replace("-", "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_valid(digits):
        raise invalid_parameter("card.number", "Not a valid card number.")
    if not 1 <= exp_month <= 12:
        raise invalid_parameter("card.exp_month", "1 to 12.")
    if not 2000 <= exp_year <= 2100:
        raise invalid_parameter("card.exp_year", "A four-digit year.")
    if (exp_year, exp_month) < (today.year, today.month):
        raise invalid_parameter("card.exp_year", "The card has expired.")
    if not cvc.isdigit() or not 3 <= len(cvc) <= 4:
        raise invalid_parameter("card.cvc", "3 or 4 digits.")
    holder = holder_name.strip()
    if not holder or len(holder) > 100:
        raise invalid_parameter("card.holder_name", "1 to 100 characters.")
    return Card(number=digits, exp_month=exp_month, exp_year=exp_year, cvc=cvc, holder_name=holder)


#: The sandbox's declining test cards and why they decline.
SANDBOX_DECLINES: dict[str, str] = {
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
}


class SandboxProcessor:
    """The built-in processor: approves every checked card but the declining test cards."""

    async def charge(
        self, card: Card, amount: Decimal, currency: str, *, reference: str
    ) -> ChargeOutcome:
        reason = SANDBOX_DECLINES.get(card.number)
        processor_reference = f"sandbox_{reference}"
        if reason is not None:
            return ChargeOutcome(False, processor_reference, reason)
        return ChargeOutcome(True, processor_reference)
