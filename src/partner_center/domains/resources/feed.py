"""What the billing records read of resources: the name of the resource an order line bought,
renewed or unsubscribed (``list_customerself_resource_records`` and the other record
operations show it for yearly/monthly lines as they do for pay-per-use ones)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import QueryableAttribute

from partner_center.domains.resources.models import PeriodResource

Column = ColumnElement[Any] | QueryableAttribute[Any]


def order_line_resource_name(
    *,
    customer_id: Column,
    resource_ref: Column,
    order_id: Column,
    product_id: Column,
) -> ColumnElement[str]:
    """SQL: the resource name of an order line of ``customer_id``: the resource it names
    (``resource_ref``: renewals, unsubscriptions), else the one its new-purchase order
    provisioned for its product (several with ``subscription_num`` > 1: the first by name);
    NULL when the order provisioned none. Both lookups go through indexed keys."""
    by_ref = (
        select(PeriodResource.resource_name)
        .where(PeriodResource.id == resource_ref, PeriodResource.tenant_id == customer_id)
        .scalar_subquery()
    )
    by_order = (
        select(func.min(PeriodResource.resource_name))
        .where(
            PeriodResource.order_id == order_id,
            PeriodResource.product_id == product_id,
            PeriodResource.tenant_id == customer_id,
        )
        .scalar_subquery()
    )
    return func.coalesce(by_ref, by_order)
