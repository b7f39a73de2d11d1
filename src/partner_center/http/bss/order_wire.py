"""Wire models and conversions of yearly/monthly orders, field for field as the SDK's
(../shared/spec/api-surface.json), shared by the order and resource operations and by our
order extension."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from partner_center.domains.orders.public import LineView, OrderView
from partner_center.http.formats import optional_utc
from partner_center.http.operations import OperationContext
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.money import to_cents

MEASURE_ID = 1


def caller_name(ctx: OperationContext) -> str:
    """``user_name`` of what the caller creates: the member's login, else the account's."""
    return ctx.caller.member_name or ctx.caller.account_name


class DiscountItemV2(WireModel):
    discount_type: str | None = None
    discount_amount: Decimal | None = None


class AmountInfomationV2(WireModel):
    discounts: list[DiscountItemV2] | None = None
    flexipurchase_coupon_amount: Decimal | None = None
    coupon_amount: Decimal | None = None
    stored_card_amount: Decimal | None = None
    commission_amount: Decimal | None = None
    consumed_amount: Decimal | None = None


class EnterpriseProject(WireModel):
    id: str | None = None
    name: str | None = None


class AgentPayInfoV2(WireModel):
    paying_agent_id: str | None = None
    is_agent_pay: bool | None = None


class CustomerOrderV2(WireModel):
    order_id: str | None = None
    customer_id: str | None = None
    service_type_code: str | None = None
    service_type_name: str | None = None
    source_type: int | None = None
    status: int | None = None
    order_type: int | None = None
    amount_after_discount: Decimal | None = None
    official_amount: Decimal | None = None
    measure_id: int | None = None
    create_time: str | None = None
    payment_time: str | None = None
    currency: str | None = None
    contract_id: str | None = None
    amount_info: AmountInfomationV2 | None = None
    enterprise_projects: list[EnterpriseProject] | None = None
    agent_pay_info: AgentPayInfoV2 | None = None
    unsubscribe_reason_type: int | None = Field(
        default=None, description="Extension: an unsubscription order's reason type (1-5)"
    )
    unsubscribe_reason: str | None = Field(
        default=None, description="Extension: an unsubscription order's reason, as given"
    )


class CustomerOrderV3(CustomerOrderV2):
    user_name: str | None = None
    pending_payment_end_time: str | None = None


class ProductObject(WireModel):
    product_id: str | None = None
    product_spec_desc: str | None = None
    category_code: str | None = None
    product_owner_service: str | None = None
    commercial_resource: str | None = None


class OrderLineItemEntityV2(WireModel):
    order_line_item_id: str | None = None
    service_type_code: str | None = None
    service_type_name: str | None = None
    product_id: str | None = None
    product_spec_desc: str | None = None
    period_type: int | None = None
    period_num: int | None = None
    effective_time: str | None = None
    expire_time: str | None = None
    subscription_num: int | None = None
    amount_after_discount: Decimal | None = None
    official_amount: Decimal | None = None
    amount_info: AmountInfomationV2 | None = None
    currency: str | None = None
    category_code: str | None = None
    product_owner_service: str | None = None
    commercial_resource: str | None = None
    base_product_info: ProductObject | None = None
    order_id: str | None = None


def _amount_info(
    *,
    discount: Decimal,
    discount_type: int | None,
    coupon: Decimal,
    consumed: Decimal,
) -> AmountInfomationV2:
    discounts = []
    if discount > 0 and discount_type is not None:
        discounts.append(DiscountItemV2(discount_type=str(discount_type), discount_amount=discount))
    if coupon > 0:
        discounts.append(DiscountItemV2(discount_type="301", discount_amount=coupon))
    return AmountInfomationV2(
        discounts=discounts,
        flexipurchase_coupon_amount=Decimal("0.00"),
        coupon_amount=to_cents(coupon),
        stored_card_amount=Decimal("0.00"),
        commission_amount=Decimal("0.00"),
        consumed_amount=to_cents(consumed),
    )


def enterprise_project(project_id: str) -> EnterpriseProject:
    """An enterprise project as the wire names it: "0" is the customer's default project;
    partner-center keeps no other project names, so another project is named by its id."""
    return EnterpriseProject(id=project_id, name="default" if project_id == "0" else project_id)


def order_wire(view: OrderView, model: type[CustomerOrderV2] = CustomerOrderV2) -> Any:
    fields: dict[str, Any] = {
        "order_id": view.order_id,
        "customer_id": view.customer_id,
        "service_type_code": view.service_type_code,
        "service_type_name": view.service_type_name,
        "source_type": int(view.source_type),
        "status": int(view.status),
        "order_type": int(view.order_type),
        "amount_after_discount": to_cents(view.amount_after_discount),
        "official_amount": to_cents(view.official_amount),
        "measure_id": MEASURE_ID,
        "create_time": format_utc(view.created_at),
        "payment_time": optional_utc(view.paid_at),
        "currency": view.currency,
        "amount_info": _amount_info(
            discount=view.discount_amount,
            discount_type=view.discount_type,
            coupon=view.coupon_amount,
            consumed=view.consumed_amount,
        ),
        "enterprise_projects": [enterprise_project(view.enterprise_project_id)],
        "agent_pay_info": AgentPayInfoV2(
            paying_agent_id=view.paying_agent_id, is_agent_pay=view.paying_agent_id is not None
        ),
        "unsubscribe_reason_type": view.unsubscribe_reason_type,
        "unsubscribe_reason": view.unsubscribe_reason,
    }
    if model is CustomerOrderV3:
        fields["user_name"] = view.created_by
        fields["pending_payment_end_time"] = (
            optional_utc(view.payment_deadline) if view.status == 6 else None
        )
    return model(**fields)


def _product_class(view: LineView) -> dict[str, Any]:
    """How a line's product is classified: by its service type (category and owner) and its
    resource type."""
    return {
        "category_code": view.service_type_code,
        "product_owner_service": view.service_type_code,
        "commercial_resource": view.resource_type_code,
    }


def line_wire(view: LineView, order: OrderView) -> OrderLineItemEntityV2:
    return OrderLineItemEntityV2(
        **same_named(
            view,
            "service_type_code service_type_name product_id product_spec_desc period_type"
            " period_num subscription_num",
        ),
        order_line_item_id=view.line_id,
        **same_named(view, "effective_time expire_time", via=optional_utc),
        **same_named(view, "amount_after_discount official_amount", via=to_cents),
        amount_info=_amount_info(
            discount=view.discount_amount,
            discount_type=order.discount_type,
            coupon=view.coupon_amount,
            consumed=Decimal(0),
        ),
        currency=order.currency,
        **_product_class(view),
        base_product_info=ProductObject(
            **same_named(view, "product_id product_spec_desc"), **_product_class(view)
        ),
        order_id=view.order_id,
    )
