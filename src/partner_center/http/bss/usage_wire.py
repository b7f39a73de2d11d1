"""Wire models and conversions of pay-per-use resources and resource packages, shared by the
reference operations (``bss/usage.py``) and our extensions (``ext/usage.py``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from partner_center.domains.usage.public import PackageView, ResourceView
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import optional_utc
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc


def amount_text(value: Decimal) -> str:
    """Up to 8 decimals, trailing zeros dropped (``"100"``, ``"12.5"``)."""
    text = f"{value.normalize():f}"
    return text


def amount_number(value: Decimal) -> Decimal:
    return Decimal(amount_text(value))


@sdk_model(
    required=(
        "customer_id region_code service_type_code resource_type_code service_type_name "
        "resource_type_name resource_id resource_name effective_time status "
        "resource_spec_code resource_info product_spec_desc"
    )
)
class CustomerOnDemandResource(WireModel):
    pass


def resource_wire(view: ResourceView) -> CustomerOnDemandResource:
    return CustomerOnDemandResource(
        **same_named(
            view,
            "customer_id region_code availability_zone_code service_type_code"
            " resource_type_code service_type_name resource_type_name resource_id"
            " resource_name resource_spec_code resource_info product_spec_desc",
        ),
        effective_time=format_utc(view.effective_time),
        expire_time=optional_utc(view.expire_time),
        status=int(view.status),
    )


@sdk_model(required="*")
class FreeResourceV3(WireModel):
    amount: str = Field(description="Remaining in the current cycle")


@sdk_model(
    required=(
        "order_instance_id product_id product_name effective_time expire_time status "
        "service_type_code region_code source_type bundle_type quota_reuse_mode "
        "free_resources"
    )
)
class FreeResourcePackageV3(WireModel):
    order_id: str = Field(description="Empty for a given (gift) package")
    enterprise_project_id: str = "0"
    enterprise_project_scope: int = 0


def package_wire(view: PackageView) -> FreeResourcePackageV3:
    return FreeResourcePackageV3(
        **same_named(
            view, "product_id product_name service_type_code region_code source_type bundle_type"
        ),
        order_instance_id=view.package_id,
        order_id=view.order_id or "",
        **same_named(view, "effective_time expire_time", via=format_utc),
        **same_named(view, "status quota_reuse_mode", via=int),
        free_resources=[
            FreeResourceV3(
                **same_named(f, "free_resource_id usage_type_name measure_id"),
                amount=amount_text(f.remaining_amount),
                original_amount=amount_text(f.original_amount),
            )
            for f in view.free_resources
        ],
    )
