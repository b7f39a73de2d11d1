"""What the monthly bill run reads from pay-per-use, as set-based selects (no rows in Python).

``fee_lines`` aggregates charged fee records per customer and product for one cycle: the
cycle's own records rated by its cutoff (``USAGE``), plus records of earlier cycles rated
after the previous cutoff (``ADJUSTMENT``: late usage whose bill was already issued). Sums are
raw 10⁻⁸ units, so nothing is rounded on the way (rule 6.5).

The windows are half-open, ``(previous cutoff, cutoff]``: a record rated at the very instant of
the cutoff belongs to that run. That instant is common, not a corner: at 02:00 on the 5th the
hour's rating runs just before the bill run, and in sandbox mode both run with the clock frozen
at 02:00, so a ``< cutoff`` window sent the month's last hours to the next month's adjustments.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
)

from partner_center.domains.usage.models import ChargeState, FeeRecord, OnDemandResource

#: The enterprise project of every pay-per-use resource (no other is kept for them).
DEFAULT_ENTERPRISE_PROJECT = "0"

#: ``kind`` values of ``fee_lines`` (the billing domain's line kinds).
USAGE_KIND = "USAGE"
ADJUSTMENT_KIND = "ADJUSTMENT"


def _window(cycle: str, cutoff: datetime, previous_cutoff: datetime | None) -> ColumnElement[bool]:
    own = and_(FeeRecord.bill_cycle == cycle, FeeRecord.rated_at <= cutoff)
    late = and_(FeeRecord.bill_cycle < cycle, FeeRecord.rated_at <= cutoff)
    if previous_cutoff is not None:
        late = and_(late, FeeRecord.rated_at > previous_cutoff)
    return or_(own, late)


def fee_lines(
    *,
    cycle: str,
    cutoff: datetime,
    previous_cutoff: datetime | None,
    owner_partner_ids: Collection[str] | None = None,
) -> Select[tuple[str, str, str, str, str, str, int]]:
    """Charged usage per (customer, owner partner, kind, service type, resource type, region)
    with the raw sum of ``official_amount`` (10⁻⁸ units). One pass over the fee records, no
    join: the billing domain resolves whose bill carries each owner partner. Late usage of
    several earlier cycles comes as one ``ADJUSTMENT`` row per cycle: sum them again.

    Args:
        cycle: ``YYYY-MM``.
        cutoff: records rated after it wait for a later cycle.
        previous_cutoff: the latest earlier run's cutoff (None: every earlier record is late).
        owner_partner_ids: only customers owned by these partners (a batch); None = all.
    """
    kind = case(
        (FeeRecord.bill_cycle == cycle, literal(USAGE_KIND)), else_=literal(ADJUSTMENT_KIND)
    )
    query = (
        select(
            FeeRecord.tenant_id.label("customer_id"),
            FeeRecord.partner_id.label("owner_partner_id"),
            kind.label("kind"),
            FeeRecord.service_type_code.label("service_type_code"),
            FeeRecord.resource_type_code.label("resource_type_code"),
            FeeRecord.region_code.label("region_code"),
            func.sum(type_coerce(FeeRecord.official_amount, BigInteger)).label("amount"),
        )
        .where(
            FeeRecord.charge_state == ChargeState.CHARGED,
            _window(cycle, cutoff, previous_cutoff),
        )
        .group_by(
            # The plain column, not ``kind``: one row per earlier cycle is harmless (callers
            # sum again) and lets the planner estimate the groups from the column statistics
            # (hash aggregation on PostgreSQL, migration 0011).
            FeeRecord.tenant_id,
            FeeRecord.partner_id,
            FeeRecord.bill_cycle,
            FeeRecord.service_type_code,
            FeeRecord.resource_type_code,
            FeeRecord.region_code,
        )
    )
    if owner_partner_ids is not None:
        query = query.where(FeeRecord.partner_id.in_(list(owner_partner_ids)))
    return query


def fee_records(customer_id: str, *, cycle: str) -> Select[*tuple[Any, ...]]:
    """One customer's charged fee records of ``cycle``, one row per record, in the columns of
    ``orders.public.order_records``: ``bill_type`` 5 (usage), ``charge_mode`` "3", usage in
    10⁻⁸ units of the usage measure, amounts raw 10⁻⁸ units (no coupon part). Pay-per-use
    resources belong to the default enterprise project (``"0"``); ``resource_name``: the
    resource's name (NULL for a record of a resource not kept here)."""
    resource = OnDemandResource
    return (
        select(
            FeeRecord.id.label("id"),
            FeeRecord.id.label("trade_id"),
            FeeRecord.partner_id.label("partner_id"),
            literal(5).label("bill_type"),
            literal("3").label("charge_mode"),
            FeeRecord.service_type_code.label("service_type_code"),
            FeeRecord.resource_type_code.label("resource_type_code"),
            FeeRecord.region_code.label("region_code"),
            FeeRecord.resource_id.label("resource_id"),
            FeeRecord.usage_hour.label("trade_time"),
            type_coerce(FeeRecord.quantity, BigInteger).label("usage"),
            type_coerce(FeeRecord.official_amount, BigInteger).label("official_amount"),
            type_coerce(FeeRecord.official_amount, BigInteger).label("amount"),
            literal(0, BigInteger).label("coupon_amount"),
            literal(DEFAULT_ENTERPRISE_PROJECT).label("enterprise_project_id"),
            resource.resource_name.label("resource_name"),
        )
        .outerjoin(
            resource,
            and_(resource.id == FeeRecord.resource_id, resource.tenant_id == FeeRecord.tenant_id),
        )
        .where(
            FeeRecord.tenant_id == customer_id,
            FeeRecord.bill_cycle == cycle,
            FeeRecord.charge_state == ChargeState.CHARGED,
        )
    )
