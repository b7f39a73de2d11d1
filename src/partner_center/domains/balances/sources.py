"""Figures other domains own and this one shows: what a partner owes on its bills (billing,
rating, coupons) and a customer's monthly spending cap (budgets).

Those domains implement the protocols below and the composition root registers them with
``register_partner_debt_source`` / ``register_expenditure_source`` (registration lives outside
the domains so that neither side imports the other). Until something is registered:

* a partner's debt comes from the ledger: ``due_amount`` 0 (no bills exist), ``unbilled_amount``
  = the postpaid consumption recorded on its ``partner_receivable`` and not yet repaid,
  ``coupon_amount`` 0;
* a customer has no expenditure quota (shown as 0 granted, 0 used).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class PartnerDebt:
    """What a partner owes, in the site currency."""

    due_amount: Decimal
    """Billed and not yet paid."""
    unbilled_amount: Decimal | None
    """Consumed in open billing cycles (estimated, not yet billed); None lets the engine take
    the ledger's postpaid consumption not yet repaid, less ``due_amount`` (never below 0)."""
    coupon_amount: Decimal
    """Balance of the partner's cash coupons (offsets the quota used)."""
    overdue_restricted: bool = False
    """A bill has been overdue long enough that the partner's postpaid reseller-model customers
    may not buy (billing's ``PARTNER_CENTER_BILL_OVERDUE_RESTRICT_DAYS``)."""


class PartnerDebtSource(Protocol):
    """Billing's view of a partner's debt (``show_partner_consumption_quota``)."""

    async def partner_debt(
        self, session: AsyncSession, *, partner_id: str, currency: str, as_of: datetime
    ) -> PartnerDebt: ...


@dataclass(frozen=True, slots=True)
class ExpenditureQuota:
    """A customer's spending cap for the current month and what it has used, site currency."""

    granting_amount: Decimal
    used_amount: Decimal


class ExpenditureSource(Protocol):
    """Budgets' view of a reseller-model customer's monthly cap (``show_customer_expenditure_quota``).

    Returns ``None`` when the customer has no monthly budget.
    """

    async def monthly_expenditure(
        self, session: AsyncSession, *, customer_id: str, as_of: datetime
    ) -> ExpenditureQuota | None: ...


@dataclass
class Sources:
    debt: PartnerDebtSource | None = None
    expenditure: ExpenditureSource | None = None


_registered = Sources()


def register_partner_debt_source(source: PartnerDebtSource | None) -> None:
    """Make ``source`` the process-wide provider of partner debt (``None`` restores the ledger's
    own figures)."""
    _registered.debt = source


def register_expenditure_source(source: ExpenditureSource | None) -> None:
    """Make ``source`` the process-wide provider of customers' monthly caps (``None`` = none)."""
    _registered.expenditure = source


def registered_sources() -> Sources:
    return Sources(debt=_registered.debt, expenditure=_registered.expenditure)
