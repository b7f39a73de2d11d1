"""Wire models and conversions of pay-per-use resources and resource packages, shared by the
reference operations (``bss/usage.py``) and our extensions (``ext/usage.py``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from partner_center.domains.usage.public import PackageView, ResourceView
from partner_center.http.wire import WireModel
from partner_center.kernel.clock import format_utc


def amount_text(value: Decimal) -> str:
    """Up to 8 decimals, trailing zeros dropped (``"100"``, ``"12.5"``)."""
    text = f"{value.normalize():f}"
    return text


def amount_number(value: Decimal) -> Decimal:
    return Decimal(amount_text(value))


class CustomerOnDemandResource(WireModel):
    customer_id: str
    region_code: str
    availability_zone_code: str | None = None
    service_type_code: str
    resource_type_code: str
    service_type_name: str
    resource_type_name: str
    resource_id: str
    resource_name: str
    effective_time: str
    expire_time: str | None = None
    status: int
    resource_spec_code: str
    resource_info: str
    product_spec_desc: str


def resource_wire(view: ResourceView) -> CustomerOnDemandResource:
    return CustomerOnDemandResource(
        customer_id=view.customer_id,
        region_code=view.region_code,
        availability_zone_code=view.availability_zone_code,
        service_type_code=view.service_type_code,
        resource_type_code=view.resource_type_code,
        service_type_name=view.service_type_name,
        resource_type_name=view.resource_type_name,
        resource_id=view.resource_id,
        resource_name=view.resource_name,
        effective_time=format_utc(view.effective_time),
        expire_time=format_utc(view.expire_time) if view.expire_time else None,
        status=int(view.status),
        resource_spec_code=view.resource_spec_code,
        resource_info=view.resource_info,
        product_spec_desc=view.product_spec_desc,
    )


class FreeResourceV3(WireModel):
    free_resource_id: str
    usage_type_name: str
    amount: str = Field(description="Remaining in the current cycle")
    original_amount: str
    measure_id: int


class FreeResourcePackageV3(WireModel):
    order_instance_id: str
    order_id: str = Field(description="Empty for a given (gift) package")
    product_id: str
    product_name: str
    enterprise_project_id: str = "0"
    enterprise_project_scope: int = 0
    effective_time: str
    expire_time: str
    status: int
    service_type_code: str
    service_type_name: str | None = None
    region_code: str
    source_type: int
    bundle_type: str
    quota_reuse_mode: int
    free_resources: list[FreeResourceV3]


def package_wire(view: PackageView) -> FreeResourcePackageV3:
    return FreeResourcePackageV3(
        order_instance_id=view.package_id,
        order_id=view.order_id or "",
        product_id=view.product_id,
        product_name=view.product_name,
        effective_time=format_utc(view.effective_time),
        expire_time=format_utc(view.expire_time),
        status=int(view.status),
        service_type_code=view.service_type_code,
        region_code=view.region_code,
        source_type=view.source_type,
        bundle_type=view.bundle_type,
        quota_reuse_mode=int(view.quota_reuse_mode),
        free_resources=[
            FreeResourceV3(
                free_resource_id=f.free_resource_id,
                usage_type_name=f.usage_type_name,
                amount=amount_text(f.remaining_amount),
                original_amount=amount_text(f.original_amount),
                measure_id=f.measure_id,
            )
            for f in view.free_resources
        ],
    )
