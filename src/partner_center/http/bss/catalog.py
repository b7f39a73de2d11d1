"""Product catalogue operations (api-semantics.md §3.1): service, resource and usage types,
measure units and conversions, resource specifications and their list prices. Any
authenticated account may read the catalogue."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from pydantic import Field
from starlette.responses import Response

from partner_center.domains.catalog.public import (
    CHARGE_MODE_CODES,
    ChargingMode,
    Language,
    MeasureUnitView,
    PeriodType,
    PriceView,
    SpecPriceQuery,
    SpecView,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.headers import XLanguage, language_of
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import NOT_BLANK, Doc, Int, Limit, Offset, PageQuery, QueryModel
from partner_center.http.wire import WireModel, WireResponse, same_named
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(tags=["products"])
_PRODUCTS = "/v2/products"

#: The reference's measure id of an hour: pay-per-use prices per hour are sold by the hour.
_HOUR_MEASURE_ID = 4

# -- query strings ----------------------------------------------------------------------------

_Offset = Offset
_Limit = Limit


class ServiceTypesQuery(PageQuery):
    service_type_name: Annotated[str | None, Doc("fuzzy name filter")] = None


class ServiceResourcesQuery(QueryModel):
    service_type_code: Annotated[str | None, Doc("e.g. hws.service.type.ec2", required=True)] = None
    offset: _Offset = None
    limit: _Limit = None


class UsageTypesQuery(QueryModel):
    resource_type_code: Annotated[str | None, Doc("absent = all; an empty string matches none")] = (
        None
    )
    offset: _Offset = None
    limit: _Limit = None


class ConversionsQuery(QueryModel):
    measure_type: Annotated[Int, NOT_BLANK, Doc("1 currency, 2 duration, 3 traffic ...")] = None


class PoliciesQuery(QueryModel):
    time: Annotated[
        str | None, Doc("YYYY-MM: the policies in force at its last second", required=True)
    ] = None
    service_type_code: Annotated[str | None, Doc("one service type")] = None
    offset: _Offset = None
    limit: _Limit = None


# -- wire models -------------------------------------------------------------------------------


@sdk_model()
class ServiceTypes(WireModel):
    pass


@sdk_model(required="*")
class ListServiceTypesResponse(WireModel):
    pass


@sdk_model()
class ResourceTypes(WireModel):
    pass


@sdk_model(required="*")
class ListResourceTypesResponse(WireModel):
    pass


@sdk_model()
class ResourceBasicInfo(WireModel):
    pass


@sdk_model()
class ServiceResourceInfo(WireModel):
    pass


@sdk_model(required="*")
class ListServiceResourcesResponse(WireModel):
    pass


@sdk_model()
class UsageType(WireModel):
    pass


@sdk_model(required="*")
class ListUsageTypesResponse(WireModel):
    pass


@sdk_model()
class MeasureUnitRest(WireModel):
    pass


@sdk_model(required="*")
class ListMeasureUnitsResponse(WireModel):
    pass


@sdk_model()
class Conversion(WireModel):
    pass


@sdk_model(required="*")
class ListConversionsResponse(WireModel):
    pass


class ResourceSpecsFilter(WireModel):
    key: str = Field(description="RESOURCE_SPEC")
    value: str


class ResourceSpecsQueryReq(WireModel):
    cloud_service_type: str = Field(min_length=1, max_length=64)
    resource_type: str = Field(min_length=1, max_length=64)
    region_code: str = Field(min_length=1, max_length=64)
    charge_mode: str = Field(description="1 yearly/monthly, 3 pay-per-use")
    filters: list[ResourceSpecsFilter] | None = Field(default=None, max_length=1)
    marker: str | None = None
    limit: int | None = Field(default=None, description="1-100, default 100")


class PageInfo(WireModel):
    next_marker: str | None = Field(default=None, description="null on the last page")


class _SpecNames(WireModel):
    """The names of a specification that both specification lists write first."""

    cloud_service_type: str | None = None
    cloud_service_type_name: str | None = None
    resource_type: str | None = None
    resource_type_name: str | None = None
    resource_spec: str | None = None
    resource_spec_name: str | None = None


def _spec_names(spec: SpecView) -> dict[str, Any]:
    return {
        "cloud_service_type": spec.service_type,
        "cloud_service_type_name": spec.service_type_name,
        "resource_type": spec.resource_type,
        "resource_type_name": spec.resource_type_name,
        "resource_spec": spec.spec_code,
        "resource_spec_name": spec.spec_name,
    }


@sdk_model()
class CloudServiceBasic(_SpecNames):
    pass


@sdk_model(required="*")
class ListResourceSpecsResponse(WireModel):
    pass


class ResourceSpecsPriceFilter(ResourceSpecsFilter):
    key: str = Field(description="RESOURCE_SPEC | CHARGING_MODE")


class ResourceSpecsPriceQueryReq(WireModel):
    cloud_service_type: str | None = Field(default=None, min_length=1, max_length=64)
    resource_type: str | None = Field(default=None, min_length=1, max_length=64)
    region_code: str = Field(min_length=1, max_length=64)
    filters: list[ResourceSpecsPriceFilter] | None = Field(default=None, max_length=1)
    need_attributes: bool | None = None
    need_price: bool | None = None
    marker: str | None = None
    limit: int | None = Field(default=None, description="1-50, default 50")


@sdk_model()
class LinearRange(WireModel):
    pass


@sdk_model()
class Attribute(WireModel):
    pass


@sdk_model()
class PriceItem(WireModel):
    official_price: str | None = Field(
        default=None, description="Price per unit; for tiered prices the first tier's"
    )


@sdk_model()
class ResourceSpecInfo(_SpecNames):
    pass


@sdk_model(required="*")
class ListResourceSpecsPriceResponse(WireModel):
    page_info: PageInfo


def _with_page_info(model: WireModel, next_marker: str | None) -> dict[str, Any]:
    """The body with ``page_info.next_marker`` written even when null (the last page)."""
    body = model.model_dump(mode="python", exclude_none=True)
    body["page_info"] = {"next_marker": next_marker}
    return body


def price_text(value: Decimal) -> str:
    """A list price as the reference writes it: exact, at least 2 decimals, no exponent."""
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


# -- routes ------------------------------------------------------------------------------------


@operation(router, "GET", f"{_PRODUCTS}/service-types", kind=CallerKind.ANY)
async def list_service_types(
    ctx: OperationContext, query: ServiceTypesQuery, x_language: XLanguage
) -> ListServiceTypesResponse:
    """List cloud service types"""
    language = language_of(x_language, ctx.state.site)
    name = query.service_type_name
    if name is not None and len(name) > 128:
        raise invalid_parameter("service_type_name", "At most 128 characters.")
    rows, total = await ctx.services.catalog.service_types(
        name_contains=name or None, window=page(query.offset, query.limit), language=language
    )
    return ListServiceTypesResponse(
        total_count=total,
        service_types=[
            ServiceTypes(
                service_type_name=r.name, service_type_code=r.code, abbreviation=r.abbreviation
            )
            for r in rows
        ],
    )


@operation(router, "GET", f"{_PRODUCTS}/resource-types", kind=CallerKind.ANY)
async def list_resource_types(
    ctx: OperationContext, query: PageQuery, x_language: XLanguage
) -> ListResourceTypesResponse:
    """List resource types"""
    language = language_of(x_language, ctx.state.site)
    rows, total = await ctx.services.catalog.resource_types(
        window=page(query.offset, query.limit), language=language
    )
    return ListResourceTypesResponse(
        total_count=total,
        resource_types=[
            ResourceTypes(
                resource_type_code=r.code,
                resource_type_name=r.name,
                resource_type_desc=r.description,
                service_type_code=r.service_type,
            )
            for r in rows
        ],
    )


@operation(router, "GET", f"{_PRODUCTS}/service-resources", kind=CallerKind.ANY)
async def list_service_resources(
    ctx: OperationContext, query: ServiceResourcesQuery, x_language: XLanguage
) -> ListServiceResourcesResponse:
    """List the resource types a cloud service type is made of"""
    language = language_of(x_language, ctx.state.site)
    code = query.service_type_code
    if not code:
        raise invalid_parameter("service_type_code", "Required, e.g. hws.service.type.ec2.")
    if len(code) > 64:
        raise invalid_parameter("service_type_code", "At most 64 characters.")
    rows, total = await ctx.services.catalog.service_resources(
        code, window=page(query.offset, query.limit), language=language
    )
    return ListServiceResourcesResponse(
        total_count=total,
        infos=[
            ServiceResourceInfo(
                basic_info=ResourceBasicInfo(
                    resource_type_code=r.code,
                    product_owner_service=r.service_type,
                    name=r.name,
                    description=r.description,
                )
            )
            for r in rows
        ],
    )


@operation(router, "GET", f"{_PRODUCTS}/usage-types", kind=CallerKind.ANY)
async def list_usage_types(
    ctx: OperationContext, query: UsageTypesQuery, x_language: XLanguage
) -> ListUsageTypesResponse:
    """List usage types (the usage factors of pay-per-use ratings)"""
    language = language_of(x_language, ctx.state.site)
    code = query.resource_type_code
    if code is not None and len(code) > 64:
        raise invalid_parameter("resource_type_code", "At most 64 characters.")
    rows, total = await ctx.services.catalog.usage_types(
        resource_type=code, window=page(query.offset, query.limit), language=language
    )
    return ListUsageTypesResponse(
        total_count=total,
        usage_types=[
            UsageType(
                **same_named(r, "code name resource_type_name service_type_name"),
                resource_type_code=r.resource_type,
                service_type_code=r.service_type,
            )
            for r in rows
        ],
    )


@operation(router, "GET", "/v2/bases/measurements", kind=CallerKind.ANY)
async def list_measure_units(
    ctx: OperationContext, x_language: XLanguage
) -> ListMeasureUnitsResponse:
    """List measure units"""
    language = language_of(x_language, ctx.state.site)
    rows = await ctx.services.catalog.measure_units(language=language)
    return ListMeasureUnitsResponse(
        measure_units=[
            MeasureUnitRest(
                **same_named(r, "measure_id abbreviation measure_type"), measure_name=r.name
            )
            for r in rows
        ]
    )


@operation(router, "GET", "/v2/bases/conversions", kind=CallerKind.ANY)
async def list_conversions(
    ctx: OperationContext, query: ConversionsQuery, x_language: XLanguage
) -> ListConversionsResponse:
    """List measure-unit conversions (1 measure = ratio × ref measure)"""
    language_of(x_language, ctx.state.site)
    rows = await ctx.services.catalog.conversions(measure_type=query.measure_type)
    return ListConversionsResponse(
        conversions=[
            Conversion(**same_named(r, "measure_id ref_measure_id conversion_ratio measure_type"))
            for r in rows
        ]
    )


def _marker_limit(value: int | None, *, default: int, maximum: int) -> int:
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise invalid_parameter("limit", f"Must be between 1 and {maximum}.")
    return value


@operation(
    router,
    "POST",
    f"{_PRODUCTS}/resource-specs-query",
    kind=CallerKind.ANY,
    response=ListResourceSpecsResponse,
)
async def list_resource_specs(
    ctx: OperationContext, body: ResourceSpecsQueryReq, x_language: XLanguage
) -> Response:
    """List the specifications of a resource type on sale in a region"""
    language = language_of(x_language, ctx.state.site)
    mode = CHARGE_MODE_CODES.get(body.charge_mode)
    if mode is None:
        raise invalid_parameter("charge_mode", "Use 1 (yearly/monthly) or 3 (pay-per-use).")
    spec_filter = None
    for item in body.filters or []:
        if item.key != "RESOURCE_SPEC":
            raise invalid_parameter("filters.key", "Only RESOURCE_SPEC is supported.")
        if not item.value:
            raise invalid_parameter("filters.value", "Give the specification code.")
        spec_filter = item.value
    limit = _marker_limit(body.limit, default=100, maximum=100)
    result = await ctx.services.catalog.specs(
        service_type=body.cloud_service_type,
        resource_type=body.resource_type,
        region=body.region_code,
        mode=mode,
        resource_spec=spec_filter,
        marker=body.marker,
        limit=limit,
        language=language,
        as_of=ctx.state.clock.now(),
    )
    response = ListResourceSpecsResponse(
        page_info=PageInfo(next_marker=result.next_marker),
        cloud_service_basics=[
            CloudServiceBasic(
                **_spec_names(s), charge_mode=body.charge_mode, region_code=body.region_code
            )
            for s in result.specs
        ],
    )
    return WireResponse(_with_page_info(response, result.next_marker))


def _attributes(
    spec: SpecView, units: dict[int, MeasureUnitView], language: Language
) -> list[Attribute]:
    out = [
        Attribute(code=a["code"], name=a["name"], value=a["value"], unit=a.get("unit"))
        for a in spec.attributes
    ]
    if spec.size_measure_id is not None:
        unit = units.get(spec.size_measure_id)
        out.append(
            Attribute(
                code="resource_size",
                name=language.pick("Size", "容量"),
                unit=unit.abbreviation if unit else None,
                linear_range=LinearRange(min=spec.size_min, max=spec.size_max, step=spec.size_step),
            )
        )
    return out


def _price_item(price: PriceView) -> PriceItem:
    if price.charging_mode == ChargingMode.PERIOD:
        assert price.period_type is not None
        period_type: int | None = price.period_type.value
    else:
        period_type = PeriodType.HOUR.value if price.usage_measure_id == _HOUR_MEASURE_ID else None
    return PriceItem(
        offering_id=price.offering_id,
        currency=price.currency,
        official_price=price_text(price.schedule.first_price),
        charging_mode=price.charging_mode.value,
        period_type=period_type,
        period_nums=list(price.period_nums) or None,
        billing_usage_factor=price.usage_factor,
    )


@operation(
    router,
    "POST",
    f"{_PRODUCTS}/resource-specs-price/query",
    kind=CallerKind.ANY,
    response=ListResourceSpecsPriceResponse,
)
async def list_resource_specs_price(
    ctx: OperationContext, body: ResourceSpecsPriceQueryReq, x_language: XLanguage
) -> Response:
    """List specifications on sale in a region, with attributes and list prices"""
    language = language_of(x_language, ctx.state.site)
    spec_filter: str | None = None
    mode_filter: ChargingMode | None = None
    for item in body.filters or []:
        if item.key == "RESOURCE_SPEC" and item.value:
            spec_filter = item.value
        elif item.key == "CHARGING_MODE" and item.value in ChargingMode.__members__:
            mode_filter = ChargingMode(item.value)
        elif item.key == "CHARGING_MODE":
            raise invalid_parameter(
                "filters.value", "Use PERIOD, ON_DEMAND, ONE_TIME or ON_DEMAND_PKG."
            )
        else:
            raise invalid_parameter(
                "filters", "Use key RESOURCE_SPEC or CHARGING_MODE with a value."
            )
    catalog = ctx.services.catalog
    result, prices = await catalog.spec_prices(
        SpecPriceQuery(
            region=body.region_code,
            service_type=body.cloud_service_type,
            resource_type=body.resource_type,
            resource_spec=spec_filter,
            charging_mode=mode_filter,
            marker=body.marker,
            limit=_marker_limit(body.limit, default=50, maximum=50),
        ),
        language=language,
        as_of=ctx.state.clock.now(),
    )
    units = {u.measure_id: u for u in await catalog.measure_units(language=language)}
    response = ListResourceSpecsPriceResponse(
        page_info=PageInfo(next_marker=result.next_marker),
        region_code=body.region_code,
        resource_spec_infos=[
            ResourceSpecInfo(
                **_spec_names(s),
                attributes=_attributes(s, units, language) if body.need_attributes else None,
                price_lists=[_price_item(p) for p in prices[s.spec_id]]
                if body.need_price
                else None,
            )
            for s in result.specs
        ],
    )
    return WireResponse(_with_page_info(response, result.next_marker))


@sdk_model(required="*")
class IncentiveAndDiscountPolicy(WireModel):
    incentive_policy: str = Field(
        description="0 non-specific product, 1 specific product, 2 no performance and no "
        "rebate, 13 performance but no rebate"
    )
    allow_discount: str = Field(description="YES or NO: whether partner discounts may apply")


@sdk_model(required="*")
class ListIncentiveDiscountPoliciesResponse(WireModel):
    pass


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def end_of_month(text: str | None, zone: ZoneInfo) -> datetime:
    """``time`` = ``YYYY-MM``: the last second of that month in the billing time zone (UTC)."""
    match = _MONTH.match(text or "")
    if match is None or int(match[1]) < 1970:
        raise invalid_parameter("time", "A month as YYYY-MM (from 1970-01).")
    year, month = int(match[1]), int(match[2])
    following = date(year + month // 12, month % 12 + 1, 1)
    start = datetime(following.year, following.month, 1, tzinfo=zone)
    return (start - timedelta(seconds=1)).astimezone(UTC)


@operation(router, "GET", f"{_PRODUCTS}/incentive-discount-policies", kind=CallerKind.PARTNER)
async def list_incentive_discount_policies(
    ctx: OperationContext, query: PoliciesQuery, x_language: XLanguage
) -> ListIncentiveDiscountPoliciesResponse:
    """Incentive and discount policy of each service type at the end of a month"""
    at = end_of_month(query.time, ctx.state.settings.zone)
    code = query.service_type_code
    if code is not None and not 0 < len(code) <= 64:
        raise invalid_parameter("service_type_code", "1 to 64 characters.")
    rows, total = await ctx.services.catalog.service_policies(
        at=at,
        service_type=code,
        window=page(query.offset, query.limit),
        language=language_of(x_language, ctx.state.site),
    )
    return ListIncentiveDiscountPoliciesResponse(
        total_count=total,
        policies=[
            IncentiveAndDiscountPolicy(
                **same_named(r, "service_type_name"),
                service_type_code=r.service_type,
                incentive_policy=str(r.incentive_policy),
                allow_discount="YES" if r.allow_discount else "NO",
            )
            for r in rows
        ],
    )
