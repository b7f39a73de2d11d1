"""Wire formats of values that operations of several routers share: exact amounts, UTC times
and 0/1 flags."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator

from partner_center.domains.balances.public import ConsumptionQuotaView
from partner_center.http.wire import number_only
from partner_center.kernel.clock import format_utc, parse_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import CENT, decimal_places, to_cents

#: An amount: read only as a JSON number (a string, boolean or float is refused, never
#: coerced), and documented so in ``/openapi.json``.
WireAmount = Annotated[Decimal, BeforeValidator(number_only)]


def wire_amount(value: Decimal) -> Decimal:
    """Exact, with at least 2 decimals (``100`` → ``100.00``; ``0.12345678`` stays)."""
    return value.quantize(CENT) if decimal_places(value) <= 2 else value.normalize()


def wire_text(value: Decimal) -> str:
    return format(wire_amount(value), "f")


def cents_text(value: Decimal) -> str:
    return format(to_cents(value), "f")


def parse_time(value: str | None, field: str) -> datetime | None:
    """A UTC filter or input time; absent = None, empty or malformed = ``CBC.0100``."""
    if value is None:
        return None
    try:
        return parse_utc(value)
    except ValueError as exc:
        raise invalid_parameter(field, "Use the UTC format yyyy-MM-ddTHH:mm:ssZ.") from exc


def optional_utc(value: datetime | None) -> str | None:
    """``format_utc`` of a time that may be absent: None stays None."""
    return format_utc(value) if value is not None else None


def time_filter(value: str | None, field: str) -> datetime | None:
    """A UTC time filter: absent or empty = no filter, malformed = ``CBC.0100``."""
    return parse_time(value or None, field)


def zero_or_one(value: int | None, field: str, message: str = "Use 0 or 1.") -> bool:
    """A 0/1 flag: absent or 0 = False, 1 = True, any other value = ``CBC.0100``."""
    if value not in (None, 0, 1):
        raise invalid_parameter(field, message)
    return value == 1


def consumption_quota_figures(view: ConsumptionQuotaView) -> dict[str, str]:
    """A partner's consumption quota as the wire writes it: every figure rounded to cents, and
    ``used_consumption_quota`` computed from the rounded figures, so the formula holds on the
    wire (``due_amount + unbilled_amount - amount - coupon_amount``)."""
    amount, coupon, due, unbilled = (
        to_cents(v)
        for v in (view.amount, view.coupon_amount, view.due_amount, view.unbilled_amount)
    )
    return {
        "consumption_quota": cents_text(view.consumption_quota),
        "amount": cents_text(amount),
        "coupon_amount": cents_text(coupon),
        "due_amount": cents_text(due),
        "unbilled_amount": cents_text(unbilled),
        "used_consumption_quota": cents_text(due + unbilled - amount - coupon),
    }
