"""Order price adjustment by the partner (rules.md §7.19).

Only with the permission to grant discounts and within its maximum (``PartnerDiscounts``), only
for a customer that is not reseller-model, only on a pending-payment order, never on an
automatic renewal. The adjustment is an order-level discount (type 609) that replaces the
discount the order offered (they do not stack), shared by the lines in proportion to their list
price; it is applied when the customer pays, whatever discount the payment names. Every
adjustment is kept (``OrderPriceAdjustment``) and the customer is e-mailed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from partner_center.domains.catalog.public import PartnerDiscounts, takes_discounts
from partner_center.domains.customers.public import PartnerActor
from partner_center.domains.orders.errors import OrderErrorCode, order_error
from partner_center.domains.orders.models import OrderPriceAdjustment, OrderStatus
from partner_center.domains.orders.service import (
    PRICE_ADJUSTMENT,
    SYSTEM_USER,
    OrderService,
    order_view,
    split,
)
from partner_center.domains.orders.views import OrderView
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.money import decimal_places


@dataclass(frozen=True, slots=True)
class AdjustmentView:
    adjustment_id: str
    order_id: str
    official_amount: Decimal
    previous_discount: Decimal
    discount_amount: Decimal
    adjusted_by: str
    created_at: datetime


class PriceAdjustments:
    """Adjusting the price of pending orders, over an ``OrderService`` (one session)."""

    def __init__(self, orders: OrderService, *, partner_discounts: PartnerDiscounts) -> None:
        self.orders = orders
        self.session = orders.session
        self.partner_discounts = partner_discounts

    async def adjust(
        self, actor: PartnerActor, order_id: str, *, discount_amount: Decimal, adjusted_by: str
    ) -> OrderView:
        """Take ``discount_amount`` off the order's list price (see the module docstring).

        Raises:
            DomainError: ``CBC.30000010`` not the partner's order; ``CBC.99003106`` not pending
                payment; ``CBC.5024`` no permission, beyond the maximum discount, a reseller-model
                customer or an automatic renewal; ``CBC.0100`` a bad amount.
        """
        if discount_amount <= 0 or decimal_places(discount_amount) > 2:
            raise invalid_parameter("discount_amount", "Give an amount above 0, 2 decimals.")
        row = await self.orders._order(order_id, lock=True)
        if row is None or actor.partner_id not in (row.partner_id, row.distributor_id):
            raise order_error(OrderErrorCode.INVALID_ORDER, f"Order {order_id} does not exist.")
        if row.status != OrderStatus.PENDING_PAYMENT:
            raise order_error(
                OrderErrorCode.STATUS_CHANGED,
                f"Order {row.id} is not pending payment; only such orders can be adjusted.",
            )
        customer = await self.orders.customer_records.get(row.tenant_id)
        if not takes_discounts(customer):
            raise _refused("Prices of a reseller-model customer's orders cannot be adjusted.")
        if row.created_by == SYSTEM_USER:
            raise _refused("An automatic renewal's price cannot be adjusted.")
        if discount_amount >= row.official_amount:
            raise invalid_parameter("discount_amount", "Must be below the order's list price.")
        percent = discount_amount * 100 / row.official_amount
        await self.partner_discounts.require_permission(actor.partner_id, percent)
        lines = await self.orders._lines(row.id)
        adjustment = OrderPriceAdjustment(
            id=new_id(),
            tenant_id=row.tenant_id,
            order_id=row.id,
            partner_id=actor.partner_id,
            official_amount=row.official_amount,
            previous_discount=row.discount_offered,
            discount_amount=discount_amount,
            adjusted_by=adjusted_by,
            created_at=self.orders.clock.now(),
        )
        self.session.add(adjustment)
        shares = split(discount_amount, [x.official_amount for x in lines])
        for line, share in zip(lines, shares, strict=True):
            line.discount_offered = line.discount_amount = share
            line.amount_after_discount = line.official_amount - share
        row.discount_id = adjustment.id
        row.discount_type = PRICE_ADJUSTMENT
        row.discount_percent = None
        row.discount_offered = row.discount_amount = discount_amount
        row.amount_after_discount = row.official_amount - discount_amount
        await self.session.flush()
        await self.partner_discounts.email(
            row.tenant_id,
            f"The price of order {row.id} was adjusted",
            f"Order {row.id} now costs {row.amount_after_discount} {row.currency} "
            f"(list price {row.official_amount}).",
        )
        return order_view(row, lines)

    async def history(self, actor: PartnerActor, order_id: str) -> list[AdjustmentView]:
        """Every adjustment of one of the partner's orders, oldest first."""
        row = await self.orders._order(order_id)
        if row is None or actor.partner_id not in (row.partner_id, row.distributor_id):
            raise order_error(OrderErrorCode.INVALID_ORDER, f"Order {order_id} does not exist.")
        stmt = (
            select(OrderPriceAdjustment)
            .where(OrderPriceAdjustment.order_id == row.id)
            .order_by(OrderPriceAdjustment.created_at, OrderPriceAdjustment.id)
        )
        return [
            AdjustmentView(
                adjustment_id=a.id,
                order_id=a.order_id,
                official_amount=a.official_amount,
                previous_discount=a.previous_discount,
                discount_amount=a.discount_amount,
                adjusted_by=a.adjusted_by,
                created_at=a.created_at,
            )
            for a in (await self.session.execute(stmt)).scalars()
        ]


def _refused(message: str) -> DomainError:
    return order_error(OrderErrorCode.ADJUSTMENT_NOT_ALLOWED, message)
