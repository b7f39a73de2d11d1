"""Wire models and conversions of yearly/monthly orders, field for field as the SDK's
(../shared/spec/api-surface.json), shared by the order and resource operations and by our
order extension."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from partner_center.domains.orders.public import LineView, OrderView
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import optional_utc
from partner_center.http.operations import OperationContext
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.money import to_cents

MEASURE_ID = 1


def caller_name(ctx: OperationContext) -> str:
    """``user_name`` of what the caller creates: the member's login, else the account's."""
    return ctx.caller.member_name or ctx.caller.account_name


@sdk_model()
class DiscountItemV2(WireModel):
    pass


@sdk_model()
class AmountInfomationV2(WireModel):
    pass


@sdk_model()
class EnterpriseProject(WireModel):
    pass


@sdk_model()
class AgentPayInfoV2(WireModel):
    pass


@sdk_model(omit="sub_order_infos")
class CustomerOrderV2(WireModel):
    unsubscribe_reason_type: int | None = Field(
        default=None, description="Extension: an unsubscription order's reason type (1-5)"
    )
    unsubscribe_reason: str | None = Field(
        default=None, description="Extension: an unsubscription order's reason, as given"
    )


@sdk_model(
    fields=(
        "order_id customer_id service_type_code service_type_name source_type status "
        "order_type amount_after_discount official_amount measure_id create_time "
        "payment_time currency contract_id amount_info enterprise_projects agent_pay_info "
        "unsubscribe_reason_type unsubscribe_reason user_name pending_payment_end_time"
    )
)
class CustomerOrderV3(CustomerOrderV2):
    pass


@sdk_model()
class ProductObject(WireModel):
    pass


@sdk_model()
class OrderLineItemEntityV2(WireModel):
    pass


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
