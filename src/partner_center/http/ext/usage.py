"""Extension endpoints (ours, not the reference API) for pay-per-use:

* ``POST /v1/partner-center/usage/records`` (operator — the platform's metering): bulk usage
  ingest, a JSON array of records or JSON lines (``application/x-ndjson``). Idempotent by
  ``record_id``; each record is accepted, a duplicate, or rejected with its reason — a bad record
  never fails the batch. Records are accepted up to ``PARTNER_CENTER_USAGE_LATE_HOURS`` after
  the end of their hour.
* ``POST /v1/partner-center/on-demand-resources`` (customer credentials — the customer itself, or
  its authorized partner through the agency): start a pay-per-use resource; ``.../{id}/close``
  releases it.
* ``POST /v1/partner-center/operator/customers/{customer_id}/free-resource-packages``
  (operator): give a customer a resource package.
* ``GET /v1/partner-center/usage/fee-records?customer_id=…[&bill_cycle=YYYY-MM]`` (partner):
  the hourly fee records of one of the partner's customers, amounts at 8 decimals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.usage.public import (
    CSV_FIELDS,
    FreeQuota,
    IngestReport,
    PackageGrant,
    QuotaReuseMode,
    ResourceSpec,
    ReuseCycle,
    records_from_body,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.usage_wire import (
    CustomerOnDemandResource,
    FreeResourcePackageV3,
    amount_text,
    package_wire,
    resource_wire,
)
from partner_center.http.ext import PREFIX
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Doc, QueryModel
from partner_center.http.wire import Payload, WireModel, same_named, schema_ref
from partner_center.kernel.clock import format_utc, parse_utc
from partner_center.kernel.errors import invalid_parameter

router = APIRouter(prefix=PREFIX, tags=["pay-per-use (extension)"])

#: The one bulk upload: up to PARTNER_CENTER_MAX_UPLOAD_BYTES, a JSON array or JSON lines; as
#: JSON lines (a non-JSON type) the SDK signs it with an unsigned payload.
USAGE_UPLOAD = Payload(media_types=("application/json", "application/x-ndjson"), upload=True)


class UsageRecordIn(WireModel):
    """One record of the ingest body (documentation of the array items / JSON lines)."""

    record_id: str = Field(max_length=64, description="Unique forever: a replay is ignored")
    resource_id: str = Field(max_length=64)
    usage_type: str = Field(description="A usage factor of the resource type, e.g. Duration")
    usage_hour: str = Field(description="UTC start of the hour, yyyy-MM-ddTHH:00:00Z")
    quantity: Decimal = Field(description=">= 0, at most 8 decimals (a JSON number or string)")
    measure_id: int = Field(description="Unit of quantity; must convert to the usage type's")


class UsageBatch(WireModel):
    records: list[UsageRecordIn] = Field(
        description="The body is the bare JSON array of records, or one JSON object per line "
        "(application/x-ndjson)"
    )


class RejectionOut(WireModel):
    line: int = Field(description="1-based position in the batch")
    record_id: str | None = None
    reason: str = Field(
        description="malformed | unknown_resource | unknown_usage_type | wrong_measure | "
        "too_late | in_the_future | outside_resource_lifetime"
    )
    message: str


class IngestResult(WireModel):
    received: int
    accepted: int
    duplicates: int = Field(description="Record ids stored already: nothing changed")
    rejected: int
    rejections: list[RejectionOut] = Field(description="The first 1,000 rejections")


def report_wire(report: IngestReport) -> IngestResult:
    return IngestResult(
        **same_named(report, "received accepted duplicates rejected"),
        rejections=[
            RejectionOut(
                line=r.line, record_id=r.record_id, reason=r.reason.value, message=r.message
            )
            for r in report.rejections
        ],
    )


@operation(
    router,
    "POST",
    "/usage/records",
    kind=CallerKind.OPERATOR,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "array",
                        "items": schema_ref(UsageRecordIn, "validation"),
                    }
                },
                "application/x-ndjson": {
                    "schema": schema_ref(UsageRecordIn, "validation"),
                },
            },
            "description": "Fields: " + ", ".join(CSV_FIELDS),
        }
    },
    payload=USAGE_UPLOAD,
)
async def ingest_usage_records(ctx: OperationContext, raw: bytes) -> IngestResult:
    """Ingest metered usage in bulk (operator); idempotent by record_id

    The platform's metering posts hourly usage: a JSON array of records, or one JSON object per
    line (application/x-ndjson). Idempotent by record_id: each record is accepted, a duplicate,
    or rejected with its reason (the first 1,000 listed), and a bad record never fails the
    batch. Records are accepted up to PARTNER_CENTER_USAGE_LATE_HOURS after the end of their
    hour. Operator credentials.
    """
    if not raw.strip():
        raise invalid_parameter("body", "A JSON array of usage records, or JSON lines.")
    try:
        records = list(records_from_body(raw))
    except UnicodeDecodeError as exc:
        raise invalid_parameter("body", "The body must be UTF-8.") from exc
    return report_wire(await ctx.services.usage_ingest.ingest(records))


class CreateOnDemandResourceReq(WireModel):
    region_code: str = Field(max_length=64)
    service_type_code: str = Field(max_length=64)
    resource_type_code: str = Field(max_length=64)
    resource_spec_code: str = Field(max_length=128)
    resource_name: str = Field(max_length=128)
    resource_id: str | None = Field(
        default=None, max_length=64, description="Choose it to make creation idempotent"
    )
    availability_zone_code: str | None = Field(default=None, max_length=64)
    resource_size: int | None = Field(default=None, description="Linear products: the size")
    size_measure_id: int | None = None


@operation(router, "POST", "/on-demand-resources", kind=CallerKind.CUSTOMER)
async def create_on_demand_resource(
    ctx: OperationContext, body: CreateOnDemandResourceReq
) -> CustomerOnDemandResource:
    """Start a pay-per-use resource (customer, or its authorized partner via the agency)

    Starts a pay-per-use resource of a specification on sale in a region, metered from now;
    giving resource_id makes the creation idempotent. Customer credentials: the customer itself,
    or its authorized partner through the agency.
    """
    view = await ctx.services.usage.start_on_demand(
        ctx.caller.account_id,
        ResourceSpec(
            **same_named(
                body,
                "region_code service_type_code resource_type_code resource_spec_code"
                " resource_name resource_size size_measure_id",
            ),
            resource_id=body.resource_id or None,
            availability_zone_code=body.availability_zone_code or None,
        ),
    )
    return resource_wire(view)


@operation(router, "POST", "/on-demand-resources/{resource_id}/close", kind=CallerKind.CUSTOMER)
async def close_on_demand_resource(
    ctx: OperationContext, resource_id: str
) -> CustomerOnDemandResource:
    """Release a pay-per-use resource: metering ends now (customer)

    Releases one of the customer's pay-per-use resources: metering ends now. Customer
    credentials.
    """
    view = await ctx.services.usage.close(ctx.caller.account_id, resource_id)
    return resource_wire(view)


class FreeQuotaIn(WireModel):
    resource_type_code: str = Field(max_length=64)
    usage_type: str = Field(max_length=64)
    amount: Decimal = Field(description="> 0, at most 8 decimals, in measure_id")
    measure_id: int
    usage_type_name: str | None = Field(default=None, max_length=128)
    resource_spec_code: str | None = Field(
        default=None, max_length=128, description="Only this specification; absent: any"
    )


class GivePackageReq(WireModel):
    product_name: str = Field(max_length=128)
    service_type_code: str = Field(max_length=64)
    region_code: str = Field(max_length=64)
    effective_time: str = Field(description="UTC")
    expire_time: str = Field(description="UTC")
    quota_reuse_mode: int = Field(default=2, description="1 resettable each cycle, 2 not")
    quota_reuse_cycle: int | None = Field(
        default=None, description="1 hour, 2 day, 3 week, 4 month, 5 year (mode 1 only)"
    )
    product_id: str | None = Field(default=None, max_length=64)
    package_id: str | None = Field(default=None, max_length=32, description="Idempotency")
    free_resources: list[FreeQuotaIn]


@operation(router, "POST", "/operator/customers/{customer_id}/free-resource-packages")
async def operator_give_free_resource_package(
    ctx: OperationContext, customer_id: str, body: GivePackageReq
) -> FreeResourcePackageV3:
    """Give a customer a resource package (operator)

    Gives a customer a resource package of free quotas for a service in a region, valid from
    effective_time to expire_time, resettable each cycle (mode 1) or not (mode 2); package_id
    makes it idempotent. Operator credentials.
    """
    try:
        effective, expire = parse_utc(body.effective_time), parse_utc(body.expire_time)
    except ValueError as exc:
        raise invalid_parameter("effective_time", "Use yyyy-MM-ddTHH:mm:ssZ.") from exc
    try:
        mode = QuotaReuseMode(body.quota_reuse_mode)
        cycle = ReuseCycle(body.quota_reuse_cycle) if body.quota_reuse_cycle else None
    except ValueError as exc:
        raise invalid_parameter("quota_reuse_mode", "Mode 1 or 2; cycle 1 to 5.") from exc
    view = await ctx.services.packages.grant(
        customer_id,
        PackageGrant(
            product_name=body.product_name,
            service_type_code=body.service_type_code,
            region_code=body.region_code,
            quotas=tuple(
                FreeQuota(
                    **same_named(
                        q,
                        "resource_type_code usage_type amount measure_id usage_type_name"
                        " resource_spec_code",
                    ),
                )
                for q in body.free_resources
            ),
            effective_time=effective,
            expire_time=expire,
            quota_reuse_mode=mode,
            quota_reuse_cycle=cycle,
            product_id=body.product_id or None,
            package_id=body.package_id or None,
        ),
    )
    return package_wire(view)


class FeeRecordOut(WireModel):
    fee_record_id: str
    customer_id: str
    resource_id: str
    resource_spec_code: str
    region_code: str
    usage_type: str
    usage_hour: str = Field(description="UTC start of the hour rated")
    rated_at: str
    bill_cycle: str
    usage_measure_id: int
    quantity: str
    free_quantity: str
    charged_quantity: str
    official_amount: str = Field(description="List price, up to 8 decimals")
    currency: str
    charge_state: str


class FeeRecordsQuery(QueryModel):
    customer_id: Annotated[str | None, Doc(required=True)] = None
    bill_cycle: Annotated[str | None, Doc("YYYY-MM in the billing time zone")] = None


class FeeRecordsResponse(WireModel):
    fee_records: list[FeeRecordOut]
    total_count: int
    total_amount: str


@operation(router, "GET", "/usage/fee-records", kind=CallerKind.PARTNER)
async def list_usage_fee_records(
    ctx: OperationContext, query: FeeRecordsQuery
) -> FeeRecordsResponse:
    """Hourly pay-per-use fee records of one of the partner's customers (partner)

    The hourly pay-per-use fee records of one of the calling partner's customers, in one bill
    cycle (YYYY-MM in the billing time zone) or all, with amounts at 8 decimals and their total.
    """
    customer_id = query.customer_id or ""
    if not 0 < len(customer_id) <= 64:
        raise invalid_parameter("customer_id", "Required, 1 to 64 characters.")
    cycle = query.bill_cycle or None
    if cycle is not None and (len(cycle) != 7 or cycle[4] != "-"):
        raise invalid_parameter("bill_cycle", "Use YYYY-MM.")
    await ctx.services.customers.get_for_partner(ctx.actor, customer_id)
    views = await ctx.services.usage_queries.fee_records(customer_id, bill_cycle=cycle)
    return FeeRecordsResponse(
        fee_records=[
            FeeRecordOut(
                **same_named(
                    v,
                    "fee_record_id customer_id resource_id resource_spec_code region_code"
                    " usage_type bill_cycle usage_measure_id currency",
                ),
                **same_named(v, "usage_hour rated_at", via=format_utc),
                **same_named(
                    v, "quantity free_quantity charged_quantity official_amount", via=amount_text
                ),
                charge_state=v.charge_state.value,
            )
            for v in views
        ],
        total_count=len(views),
        total_amount=amount_text(sum((v.official_amount for v in views), Decimal(0))),
    )
