"""Inquiry operations (api-semantics.md §3.1): pay-per-use ratings and yearly/monthly
subscription ratings, at list price and with the caller's discounts.

Callers: the customer itself (its AK/SK or token) or a partner holding a customer token obtained
through the customer's agency (§2 point 4, §4.6); partner credentials are refused with
``403 CBC.0151``. ``project_id`` must be one of the token owner's projects (``CBC.99006073``)."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.catalog.public import (
    MAX_PRODUCTS,
    OnDemandItem,
    PeriodItem,
    ProductKey,
    RatedLine,
)
from partner_center.domains.orders.public import RenewalLines, RenewalQuote
from partner_center.http.auth import CallerKind
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.operations import OperationContext, operation
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import to_cents

router = APIRouter(tags=["ratings"])

#: ``measure_id`` of amounts: the site currency's main unit (dollar / yuan).
_CURRENCY_UNIT = 1
_ID = Field(min_length=1, max_length=64)
#: What follows the region code in an availability zone's code (``ap-southeast-1a``,
#: ``cn-north-4b``): prices do not vary by zone here, but a zone of another region is refused.
_ZONE_SUFFIX = re.compile(r"[a-z][a-z0-9]{0,7}")
_CODE = Field(min_length=1, max_length=64)


class _ProductInfo(WireModel):
    """A product to price: its catalogue keys and size, as both inquiries name them."""

    id: str = _ID
    cloud_service_type: str = _CODE
    resource_type: str = _CODE
    resource_spec: str = Field(min_length=1, max_length=128)
    region: str = _CODE
    available_zone: str | None = Field(default=None, max_length=64)
    resource_size: int | None = Field(default=None, description="Mandatory for linear products")
    size_measure_id: int | None = Field(default=None, description="15 Mbit/s, 17 GB, 14 count")


@sdk_model(required="*")
class DemandProductInfo(_ProductInfo):
    usage_factor: str = _CODE


class RateOnDemandReq(WireModel):
    project_id: str = Field(min_length=1, max_length=64)
    inquiry_precision: int | None = Field(default=None, description="0: 6 decimals, 1: 10")
    product_infos: list[DemandProductInfo] = Field(min_length=1, max_length=MAX_PRODUCTS)


@sdk_model()
class DemandDiscountRatingResult(WireModel):
    pass


class _RatedProduct(WireModel):
    """A product's price in both inquiries' answers: the line id, the product, the amount."""

    id: str | None = None
    product_id: str | None = None
    amount: Decimal | None = None


@sdk_model()
class DemandProductRatingResult(_RatedProduct):
    pass


@sdk_model(required="*")
class ListOnDemandResourceRatingsResponse(WireModel):
    pass


@sdk_model(required="*")
class PeriodProductInfo(_ProductInfo):
    period_type: int = Field(description="0 day, 2 month, 3 year, 4 hour")
    fee_installment_mode: str | None = Field(
        default=None, description="NA (installments are not offered)"
    )


class RateOnPeriodReq(WireModel):
    project_id: str = Field(min_length=1, max_length=64)
    product_infos: list[PeriodProductInfo] = Field(min_length=1, max_length=MAX_PRODUCTS)


@sdk_model(omit="installment_official_website_amount installment_period_type")
class PeriodProductOfficialRatingResult(WireModel):
    pass


@sdk_model(omit="installment_official_website_amount installment_period_type")
class OfficialWebsiteRatingResult(WireModel):
    pass


@sdk_model(
    omit=(
        "installment_official_website_amount installment_official_discount_amount "
        "installment_amount installment_period_type"
    )
)
class PeriodProductRatingResult(_RatedProduct):
    pass


@sdk_model(
    omit=(
        "installment_official_website_amount installment_official_discount_amount "
        "installment_amount installment_period_type"
    )
)
class OptionalDiscountRatingResult(WireModel):
    best_offer: int | None = Field(default=None, description="1 for the best discount")


@sdk_model(required="*")
class ListRateOnPeriodDetailResponse(WireModel):
    pass


def _key(info: _ProductInfo) -> ProductKey:
    """The product's catalogue key; an ``available_zone`` must lie in the product's region."""
    zone = info.available_zone
    if zone and not (
        zone.startswith(info.region) and _ZONE_SUFFIX.fullmatch(zone[len(info.region) :])
    ):
        raise invalid_parameter(
            "available_zone",
            f"Product {info.id!r}: {zone!r} is not an availability zone of {info.region}.",
        )
    return ProductKey(info.cloud_service_type, info.resource_type, info.resource_spec, info.region)


def _demand_line(line: RatedLine) -> DemandProductRatingResult:
    return DemandProductRatingResult(
        **same_named(line, "id product_id amount"),
        discount_amount=line.discount,
        official_website_amount=line.official,
        measure_id=_CURRENCY_UNIT,
        discount_rating_results=[
            DemandDiscountRatingResult(
                **same_named(d, "discount_id discount_type amount"),
                measure_id=_CURRENCY_UNIT,
                discount_name=d.name,
            )
            for d in line.discounts
        ],
    )


@operation(router, "POST", "/v2/bills/ratings/on-demand-resources", kind=CallerKind.CUSTOMER)
async def list_on_demand_resource_ratings(
    ctx: OperationContext, body: RateOnDemandReq
) -> ListOnDemandResourceRatingsResponse:
    """Price pay-per-use usage (customer token)"""
    inquiry = ctx.services.inquiry
    await inquiry.require_project(ctx.caller.account_id, body.project_id)
    rating = await inquiry.rate_on_demand(
        ctx.caller.account_id,
        [
            OnDemandItem(
                **same_named(
                    info,
                    "id usage_factor usage_value usage_measure_id subscription_num"
                    " resource_size size_measure_id",
                ),
                key=_key(info),
            )
            for info in body.product_infos
        ],
        inquiry_precision=0 if body.inquiry_precision is None else body.inquiry_precision,
    )
    return ListOnDemandResourceRatingsResponse(
        amount=rating.amount,
        discount_amount=rating.discount,
        official_website_amount=rating.official,
        measure_id=_CURRENCY_UNIT,
        currency=rating.currency,
        product_rating_results=[_demand_line(line) for line in rating.lines],
    )


def _check_installments(infos: list[PeriodProductInfo]) -> None:
    for info in infos:
        mode = info.fee_installment_mode
        if mode in (None, "", "NA"):
            continue
        if mode in ("HALF_PAY", "ZERO_PAY"):
            raise invalid_parameter(
                "fee_installment_mode",
                f"Product {info.id!r}: installments are not offered; use NA.",
            )
        raise invalid_parameter("fee_installment_mode", "Use HALF_PAY, ZERO_PAY or NA.")


def _period_line(line: RatedLine) -> PeriodProductRatingResult:
    return PeriodProductRatingResult(
        **same_named(line, "id product_id amount"),
        official_website_amount=line.official,
        discount_amount=line.discount,
        measure_id=_CURRENCY_UNIT,
    )


@operation(
    router, "POST", "/v2/bills/ratings/period-resources/subscribe-rate", kind=CallerKind.CUSTOMER
)
async def list_rate_on_period_detail(
    ctx: OperationContext, body: RateOnPeriodReq
) -> ListRateOnPeriodDetailResponse:
    """Price a yearly/monthly subscription (customer token)"""
    _check_installments(body.product_infos)
    inquiry = ctx.services.inquiry
    await inquiry.require_project(ctx.caller.account_id, body.project_id)
    rating = await inquiry.rate_period(
        ctx.caller.account_id,
        [
            PeriodItem(
                **same_named(
                    info, "id period_type period_num subscription_num resource_size size_measure_id"
                ),
                key=_key(info),
            )
            for info in body.product_infos
        ],
    )
    return ListRateOnPeriodDetailResponse(
        official_website_rating_result=OfficialWebsiteRatingResult(
            official_website_amount=rating.official,
            measure_id=_CURRENCY_UNIT,
            product_rating_results=[
                PeriodProductOfficialRatingResult(
                    **same_named(line, "id product_id"),
                    official_website_amount=line.official,
                    measure_id=_CURRENCY_UNIT,
                )
                for line in rating.lines
            ],
        ),
        optional_discount_rating_results=[
            OptionalDiscountRatingResult(
                **same_named(option, "discount_id amount discount_type"),
                official_website_amount=option.official,
                discount_amount=option.discount,
                measure_id=_CURRENCY_UNIT,
                discount_name=option.name,
                best_offer=1 if option.best_offer else 0,
                product_rating_results=[_period_line(line) for line in option.lines],
            )
            for option in rating.options
        ],
        currency=rating.currency,
    )


class RenewRatingReq(WireModel):
    resource_ids: list[str] = Field(description="1-10 primary resources")
    period_type: int = Field(description="2 month, 3 year")
    period_num: int = Field(description="1-11 months or 1-3 years")
    include_relative_resources: bool | None = Field(
        default=None,
        description="true: attached resources get their own result; false (default): their "
        "price is in their primary resource's amount",
    )


class RenewInquiryResult(WireModel):
    resource_id: str
    amount: str


class RenewOfficialRatingResult(WireModel):
    official_website_amount: str


class RenewDiscountRatingResult(WireModel):
    discount_id: str
    amount: str
    official_website_amount: str
    discount_amount: str
    discount_type: int
    discount_name: str
    best_offer: int


class RenewFailResourceInfo(WireModel):
    error_code: str
    error_msg: str
    resource_id: str


@sdk_model(required="*")
class ListRenewRateOnPeriodResponse(WireModel):
    renew_inquiry_results: list[RenewInquiryResult]
    official_website_rating_result: RenewOfficialRatingResult
    optional_discount_rating_results: list[RenewDiscountRatingResult]
    fail_resource_infos: list[RenewFailResourceInfo]


def _amount_text(value: Decimal) -> str:
    return str(to_cents(value))


def _renew_results(quote: RenewalQuote, *, each: bool) -> list[RenewInquiryResult]:
    results = []
    for priced in quote.resources:
        if each:
            results += [
                RenewInquiryResult(resource_id=ref, amount=_amount_text(line.discounted))
                for ref, line in priced.lines
            ]
        else:
            total = sum((line.discounted for _, line in priced.lines), Decimal(0))
            results.append(
                RenewInquiryResult(resource_id=priced.resource_id, amount=_amount_text(total))
            )
    return results


def _renew_discounts(quote: RenewalQuote) -> list[RenewDiscountRatingResult]:
    """One entry per discount that is the best offer for some of the resources, over those."""
    grouped: dict[str, list[RenewalLines]] = {}
    for priced in quote.resources:
        if priced.best is not None:
            grouped.setdefault(priced.best.discount_id, []).append(priced)
    out = []
    for discount_id, group in grouped.items():
        best = group[0].best
        assert best is not None
        lines = [line for priced in group for _, line in priced.lines]
        official = sum((line.official for line in lines), Decimal(0))
        amount = sum((line.discounted for line in lines), Decimal(0))
        out.append(
            RenewDiscountRatingResult(
                discount_id=discount_id,
                amount=_amount_text(amount),
                official_website_amount=_amount_text(official),
                discount_amount=_amount_text(official - amount),
                discount_type=best.discount_type,
                discount_name=best.name,
                best_offer=1,
            )
        )
    return out


@operation(
    router, "POST", "/v2/bills/ratings/period-resources/renew-rate", kind=CallerKind.CUSTOMER
)
async def list_renew_rate_on_period(
    ctx: OperationContext, body: RenewRatingReq
) -> ListRenewRateOnPeriodResponse:
    """Price the renewal of yearly/monthly resources (customer token)

    The same pricing as ``renewal_resources``: a resource's amount here is what its renewal
    order would charge, with the discount that order would offer. Resources that cannot be
    renewed are listed in ``fail_resource_infos`` with HTTP 200.
    """
    quote = await ctx.services.subscriptions.quote_renewal(
        ctx.caller.account_id,
        body.resource_ids,
        period_type=body.period_type,
        period_num=body.period_num,
    )
    official = sum(
        (line.official for priced in quote.resources for _, line in priced.lines), Decimal(0)
    )
    return ListRenewRateOnPeriodResponse(
        currency=ctx.state.settings.currency,
        renew_inquiry_results=_renew_results(quote, each=bool(body.include_relative_resources)),
        official_website_rating_result=RenewOfficialRatingResult(
            official_website_amount=_amount_text(official)
        ),
        optional_discount_rating_results=_renew_discounts(quote),
        fail_resource_infos=[
            RenewFailResourceInfo(resource_id=x.id, error_code=x.error_code, error_msg=x.error_msg)
            for x in quote.failures
        ],
    )
