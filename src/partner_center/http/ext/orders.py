"""Extension endpoint (ours, not the reference API): a partner places a yearly/monthly order on
behalf of an authorized customer (rules.md §5.1, §5.4) — the API form of the console's "Switch
Role and buy". The order is created pending payment (status 6, payable for
``PARTNER_CENTER_ORDER_PAYMENT_DAYS`` days); the customer (or the partner through the customer's
agency) pays it with ``pay_orders``.

A CSP or distributor orders for its own customers; a distributor orders for a reseller's customer
with ``indirect_partner_id`` (the reseller must hold the customer's authorization). Prices are the
catalog's list prices in force now, with the customer's best discount offered (none for
reseller-model customers). ``parent_id`` attaches a product to a primary product of the same
order (an EVS disk to its ECS): both are provisioned together and the attached one follows its
primary through renewals, expiry and unsubscription.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.orders.public import NewOrder, ProductRequest
from partner_center.http.auth import CallerKind
from partner_center.http.bss.order_wire import (
    CustomerOrderV3,
    OrderLineItemEntityV2,
    line_wire,
    order_wire,
)
from partner_center.http.ext import PREFIX
from partner_center.http.operations import OperationContext, operation
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.errors import invalid_parameter

router = APIRouter(prefix=PREFIX, tags=["orders (extension)"])


class OrderProductReq(WireModel):
    id: str = Field(min_length=1, max_length=64, description="Unique within the order")
    cloud_service_type: str = Field(min_length=1, max_length=64)
    resource_type: str = Field(min_length=1, max_length=64)
    resource_spec: str = Field(min_length=1, max_length=128)
    region: str = Field(min_length=1, max_length=64)
    subscription_num: int = Field(default=1, description="1 to 100")
    resource_size: int | None = Field(default=None, description="Linear products (disk GB …)")
    size_measure_id: int | None = None
    parent_id: str | None = Field(
        default=None, max_length=64, description="The primary product this one is attached to"
    )


class CreateCustomerOrderReq(WireModel):
    customer_id: str = Field(min_length=1, max_length=64)
    period_type: int = Field(description="2 month, 3 year")
    period_num: int = Field(description="1 to 11 months, 1 to 3 years")
    is_auto_renew: int = Field(default=0, description="1: provision with auto-renew on")
    indirect_partner_id: str | None = Field(default=None, max_length=64)
    enterprise_project_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[0-9A-Za-z_-]+$",
        description='The customer\'s enterprise project; absent: "0", the default project',
    )
    product_infos: list[OrderProductReq]


class CreateCustomerOrderResponse(WireModel):
    order_id: str
    order_info: CustomerOrderV3
    order_line_items: list[OrderLineItemEntityV2]


@operation(router, "POST", "/customer-orders", kind=CallerKind.PARTNER, status=201)
async def create_customer_order(
    ctx: OperationContext, body: CreateCustomerOrderReq
) -> CreateCustomerOrderResponse:
    """Place a pending-payment yearly/monthly order for an authorized customer

    Creates a yearly/monthly order pending payment (status 6) for a customer that authorized the
    partner, priced at the catalogue's list prices in force now with the customer's best
    discount offered; the customer, or the partner through its agency, pays it with pay_orders
    before PARTNER_CENTER_ORDER_PAYMENT_DAYS pass. A distributor orders for a reseller's
    customer with indirect_partner_id.
    """
    if body.is_auto_renew not in (0, 1):
        raise invalid_parameter("is_auto_renew", "Use 0 or 1.")
    view = await ctx.services.orders.create_for_customer(
        ctx.actor,
        NewOrder(
            customer_id=body.customer_id,
            period_type=body.period_type,
            period_num=body.period_num,
            auto_renew=body.is_auto_renew == 1,
            indirect_partner_id=body.indirect_partner_id or None,
            enterprise_project_id=body.enterprise_project_id or "0",
            products=tuple(
                ProductRequest(
                    **same_named(
                        p,
                        "id resource_type resource_spec region subscription_num resource_size"
                        " size_measure_id parent_id",
                    ),
                    service_type=p.cloud_service_type,
                )
                for p in body.product_infos
            ),
        ),
    )
    return CreateCustomerOrderResponse(
        order_id=view.order_id,
        order_info=order_wire(view, CustomerOrderV3),
        order_line_items=[line_wire(x, view) for x in view.lines],
    )
