"""Tables of the monthly bills: customer bills and their lines, partner bills with a reseller
breakdown for distributors, the rounding-residue account, bill runs, and repayments applied to
bills.

Every bill is keyed by its account and its cycle (``YYYY-MM`` in the billing time zone), so an
account can never be billed twice for one cycle (Lago's habit). Bills are immutable once issued:
only ``PartnerBill.paid_amount`` changes (repayments), and late usage lands in a later cycle as an
adjustment. Amounts are exact Decimals stored as BIGINT 10⁻⁸ units (``MoneyAmount``) in the site
currency; signs: consumption, coupons, tax >= 0, refunds <= 0, adjustments either sign.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import (
    Base,
    MoneyAmount,
    TenantOwned,
    UtcDateTime,
    global_table,
    unindexed_tenant,
)


class LineKind(enum.StrEnum):
    """What a customer bill line is made of."""

    ORDER = "ORDER"
    """Yearly/monthly orders paid in the cycle (after discounts, before coupons)."""
    USAGE = "USAGE"
    """Pay-per-use fee records of the cycle rated before the cycle's cutoff."""
    REFUND = "REFUND"
    """Unsubscriptions in the cycle (negative)."""
    ADJUSTMENT = "ADJUSTMENT"
    """Usage of earlier cycles rated after their bills were issued (late usage)."""


class BillStatus(enum.StrEnum):
    """A partner bill's status, computed from what was paid and the due date."""

    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERDUE = "overdue"


class BillRun(Base):
    """One bill run per cycle: its cutoff, fixed by the first attempt, makes re-runs identical."""

    __tablename__ = "bill_runs"

    cycle: Mapped[str] = mapped_column(String(7), primary_key=True)
    """``YYYY-MM`` in the billing time zone."""
    cutoff_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Fee records rated before this instant (UTC) belong to this cycle's bills; later ones to a
    later cycle's adjustments. Set once, by the first attempt."""
    previous_cutoff_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """The cutoff of the latest earlier run (late usage rated since then is adjusted here)."""
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Set when every batch of partners has been billed; NULL while a run is incomplete."""
    partner_count: Mapped[int] = mapped_column(Integer, default=0)
    """Partner bills issued by this run."""


global_table("bill_runs", "one row per billing cycle, shared by every partner")


class BillRunBatch(Base):
    """One batch of partners of a bill run: billed in one transaction, by one job."""

    __tablename__ = "bill_run_batches"

    cycle: Mapped[str] = mapped_column(String(7), primary_key=True)
    batch_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    partner_ids: Mapped[str] = mapped_column(Text)
    """The batch's directly billed partners, comma-separated, in id order."""
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """When its bills were issued; NULL while pending (a later run picks it up)."""


global_table("bill_run_batches", "the work list of a cycle's bill run, across partners")


class BillRunStaging(Base):
    """A bill run's staging aggregation: the cycle's orders and fee records summed per
    (customer, owner partner, kind, product, region) in one pass when the run is planned, so
    every batch reads its partners' sums here instead of re-scanning the records. Written in the
    planning transaction (so it matches the run's cutoff), deleted when the run completes."""

    __tablename__ = "bill_run_staging"
    __table_args__ = (Index("ix_bill_run_staging_cycle_owner", "cycle", "owner_partner_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cycle: Mapped[str] = mapped_column(String(7))
    tenant_id: Mapped[str] = mapped_column(String(32))
    """The customer (never a filter: batches read by owner partner)."""
    owner_partner_id: Mapped[str] = mapped_column(String(32))
    """The partner the records were charged under (a reseller for a reseller's customer)."""
    kind: Mapped[str] = mapped_column(String(16))
    """A ``LineKind``."""
    service_type_code: Mapped[str] = mapped_column(String(64))
    resource_type_code: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Unrounded raw sum (10⁻⁸ units stored); negative for refunds."""
    coupon_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Part of ``amount`` paid by coupons, >= 0."""


unindexed_tenant("bill_run_staging", "transient run data, read by cycle and owner partner")


class CustomerBill(TenantOwned, Base):
    """A customer's bill of one cycle (``tenant_id`` = the customer). Referral customers' bills
    are shown to their partner but not payable by it (``reseller_model`` false)."""

    __tablename__ = "customer_bills"
    __table_args__ = (
        UniqueConstraint("tenant_id", "cycle"),
        Index("ix_customer_bills_billed_cycle", "billed_partner_id", "cycle"),
        Index("ix_customer_bills_owner_cycle", "owner_partner_id", "cycle"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cycle: Mapped[str] = mapped_column(String(7))
    owner_partner_id: Mapped[str] = mapped_column(String(32))
    """The partner that owned the customer (a reseller for a reseller's customer)."""
    billed_partner_id: Mapped[str] = mapped_column(String(32))
    """The partner whose bill carries the spend: the distributor above a reseller, else owner."""
    reseller_model: Mapped[bool] = mapped_column(Boolean)
    """True: the spend is on the partner's bill; False (referral): shown, not payable."""
    currency: Mapped[str] = mapped_column(String(3))
    consumption_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Orders + usage of the cycle, unrounded (8 decimals), >= 0."""
    refund_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Unsubscriptions, unrounded, <= 0."""
    adjustment_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Late usage of earlier cycles, unrounded."""
    coupon_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Paid by the customer's coupons, >= 0."""
    total_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """consumption + refunds + adjustments − coupons, rounded once to 2 decimals (rule 6.5)."""
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CustomerBillLine(TenantOwned, Base):
    """One line of a customer bill: a kind of spend of one product in one region, unrounded.
    ``tenant_id`` is the customer."""

    __tablename__ = "customer_bill_lines"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "cycle", "kind", "service_type_code", "resource_type_code", "region_code"
        ),
        Index("ix_customer_bill_lines_owner_cycle", "owner_partner_id", "cycle"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cycle: Mapped[str] = mapped_column(String(7))
    owner_partner_id: Mapped[str] = mapped_column(String(32))
    billed_partner_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    """A ``LineKind``."""
    service_type_code: Mapped[str] = mapped_column(String(64))
    resource_type_code: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Unrounded (8 decimals); negative for refunds."""
    coupon_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Part of ``amount`` paid by coupons, >= 0."""


class PartnerBill(TenantOwned, Base):
    """A partner's bill of one cycle (``tenant_id`` = the partner): the spend of its
    reseller-model customers (a distributor's: its resellers' customers)."""

    __tablename__ = "partner_bills"
    __table_args__ = (UniqueConstraint("tenant_id", "cycle"),)

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    """``PB<yyyymm>-<partner id>``."""
    cycle: Mapped[str] = mapped_column(String(7))
    currency: Mapped[str] = mapped_column(String(3))
    customer_count: Mapped[int] = mapped_column(Integer)
    consumption_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Sum of the customers' unrounded consumption, rounded to 2 decimals."""
    refund_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Rounded to 2 decimals, <= 0."""
    adjustment_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Rounded to 2 decimals."""
    coupon_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Customers' coupons, rounded to 2 decimals."""
    total_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Settlement: the customers' unrounded net (consumption + refunds + adjustments − coupons)
    rounded once to 2 decimals; may be negative (6.6)."""
    partner_coupon_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """The partner's own cash coupons deducted at bill time (7.8), 2 decimals."""
    tax_rate: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Fraction (0.06 = 6 %)."""
    tax_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Tax on the settlement after coupons, 2 decimals, >= 0."""
    amount_due: Mapped[Decimal] = mapped_column(MoneyAmount())
    """max(0, total − partner coupons + tax), 2 decimals (6.4, 6.6)."""
    paid_amount: Mapped[Decimal] = mapped_column(MoneyAmount(), default=Decimal(0))
    """Repaid so far, 2 decimals, <= amount_due. The only column that changes after issue."""
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Unpaid after this instant (UTC) the bill is overdue."""
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """When it was paid in full (UTC)."""
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """When the partner was told the bill is overdue (once per bill)."""


class ResellerBill(TenantOwned, Base):
    """A distributor's bill broken down per reseller (``tenant_id`` = the distributor)."""

    __tablename__ = "reseller_bills"
    __table_args__ = (
        UniqueConstraint("tenant_id", "cycle", "reseller_id"),
        Index("ix_reseller_bills_reseller_cycle", "reseller_id", "cycle"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cycle: Mapped[str] = mapped_column(String(7))
    reseller_id: Mapped[str] = mapped_column(String(32))
    customer_count: Mapped[int] = mapped_column(Integer)
    total_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """The reseller's customers' unrounded net, rounded to 2 decimals."""


class ResidueLevel(enum.StrEnum):
    CUSTOMERS = "CUSTOMERS"
    """Partner bill total − sum of its customers' rounded totals."""
    RESELLERS = "RESELLERS"
    """Distributor's total − sum of its resellers' rounded totals (direct customers counted
    at their own rounded totals)."""


class RoundingResidue(TenantOwned, Base):
    """The rounding-residue account: what rounding each level separately leaves between a
    partner bill and the sum of its parts (``tenant_id`` = the partner), so every level ties
    out to the cent."""

    __tablename__ = "bill_rounding_residue"
    __table_args__ = (UniqueConstraint("tenant_id", "cycle", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cycle: Mapped[str] = mapped_column(String(7))
    level: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Signed, 2 decimals: bill total − sum of the parts' rounded totals."""


class BillingProfile(TenantOwned, Base):
    """A partner's billing settings (``tenant_id`` = the partner); absent = defaults."""

    __tablename__ = "billing_profiles"

    partner_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tax_rate: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Fraction applied to the settlement after coupons (0.06 = 6 %)."""
    tax_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """VAT, GST, ... (display only)."""
    quota_threshold: Mapped[Decimal | None] = mapped_column(MoneyAmount(), nullable=True)
    """Notify the partner when its used consumption quota reaches this amount (6.9); NULL =
    no notification."""
    threshold_alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """When the current crossing was notified; cleared once the used quota is back below."""


class BillRepayment(TenantOwned, Base):
    """A repayment applied to a partner's bills (``tenant_id`` = the partner), idempotent per
    ``payment_ref``."""

    __tablename__ = "bill_repayments"

    payment_ref: Mapped[str] = mapped_column(String(100), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Applied, 2 decimals, > 0."""
    remaining_due: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Amount due after it, 2 decimals."""
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BillPayment(TenantOwned, Base):
    """The part of a repayment that settled one bill (``tenant_id`` = the partner)."""

    __tablename__ = "bill_payments"
    __table_args__ = (UniqueConstraint("payment_ref", "bill_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_ref: Mapped[str] = mapped_column(String(100))
    bill_id: Mapped[str] = mapped_column(String(48), index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """2 decimals, > 0."""
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime())
